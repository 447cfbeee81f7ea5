"""The simulator's memories: DRAM tensors as flat arrays, buffer regions as float32 [rows, cols].

DRAM: inputs come from the user (validated, cast, never written), outputs and
scratch tensors are zero-initialised, constants are zero-copy read-only views
of the binary's CONST section. Each buffer region (vector or weight buffer) is
a separate zero-initialised float32 array; regions that share addresses are
the hazard checker's business (`hazards.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sharp_compiler.hw.config import WORD_BYTES
from sharp_compiler.isa.program import Program, Tensor, TensorKind
from sharp_compiler.isa.validate import tensor_numel
from sharp_compiler.sim.errors import SimError, SimInputError

MAX_DRAM_BYTES = 1 << 30
"""Largest total size of the output and scratch tensors the simulator allocates."""
MAX_BUFFER_BYTES = 1 << 30
"""Largest total size of the buffer regions the simulator allocates."""


@dataclass
class Memory:
    dram: list[np.ndarray]  # per tensor: flat array of its dtype
    regions: list[np.ndarray]  # per region: float32 [rows, cols]


def allocate(program: Program, inputs: Mapping[str, object]) -> Memory:
    """Bind the user's inputs and allocate every other tensor and every region."""
    bound = bind_inputs(program, inputs)
    scratch = sum(
        tensor_numel(t) * np.dtype(t.dtype).itemsize
        for t in program.tensors
        if t.kind in (TensorKind.OUTPUT, TensorKind.SCRATCH)
    )
    if scratch > MAX_DRAM_BYTES:
        raise SimError(
            f"the program's output and scratch tensors need {scratch} bytes, above the simulator's {MAX_DRAM_BYTES}"
        )
    buffers = sum(r.rows * r.cols * WORD_BYTES for r in program.regions)
    if buffers > MAX_BUFFER_BYTES:
        raise SimError(
            f"the program's buffer regions need {buffers} bytes, above the simulator's {MAX_BUFFER_BYTES}"
        )
    dram: list[np.ndarray] = []
    for t in program.tensors:
        if t.kind == TensorKind.INPUT:
            dram.append(bound[t.name])
        elif t.kind == TensorKind.CONST:
            dtype = np.dtype(t.dtype).newbyteorder("<")
            dram.append(np.frombuffer(program.constants, dtype, tensor_numel(t), t.data_offset))
        else:
            dram.append(np.zeros(tensor_numel(t), t.dtype))
    regions = [np.zeros((r.rows, r.cols), np.float32) for r in program.regions]
    return Memory(dram, regions)


def _describe(t: Tensor) -> str:
    return f"{t.dtype}{list(t.shape)}"


def bind_inputs(program: Program, inputs: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Check the user's inputs against the declared ones; returns flat arrays of the declared dtypes."""
    declared = program.inputs()
    names = {t.name for t in declared}
    for key in inputs:
        if key not in names:
            expected = ", ".join(f"'{n}'" for n in sorted(names)) or "none"
            raise SimInputError(f"unexpected input '{key}' (the model's inputs: {expected})")
    bound: dict[str, np.ndarray] = {}
    for t in declared:
        if t.name not in inputs:
            raise SimInputError(f"missing input '{t.name}' (expected {_describe(t)})")
        bound[t.name] = _coerce(t, inputs[t.name])
    return bound


def _coerce(t: Tensor, value: object) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as err:
        raise SimInputError(f"input '{t.name}': not an array ({err})") from None
    if tuple(array.shape) != tuple(t.shape):
        raise SimInputError(f"input '{t.name}': expected shape {list(t.shape)}, got {list(array.shape)}")
    want_float = t.dtype.startswith("float")
    kind = array.dtype.kind
    if (want_float and kind != "f") or (not want_float and kind not in "iu"):
        raise SimInputError(f"input '{t.name}': expected {t.dtype}, got {array.dtype}")
    if not want_float and array.size:
        info = np.iinfo(t.dtype)
        if array.min() < info.min or array.max() > info.max:
            raise SimInputError(f"input '{t.name}': values do not fit in {t.dtype}")
    return np.ascontiguousarray(array, dtype=t.dtype).reshape(-1)
