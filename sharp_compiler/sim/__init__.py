"""The SHARP simulator: decode a binary, run it with numpy, time it, report statistics.

Imports numpy and `sharp_compiler.isa`/`hw` only (no xDSL)::

    >>> program = load("model.sbin")
    >>> result = simulate(program, {"X": x}, check_hazards=True)
    >>> result.outputs["Y"], result.stats["cycles"]

Metrics are defined in ``docs/simulator.md``.
"""

from __future__ import annotations

import mmap
import os
from collections.abc import Mapping
from pathlib import Path

from sharp_compiler.isa.binary import decode
from sharp_compiler.isa.program import Program
from sharp_compiler.isa.validate import SharpBinaryError, validate
from sharp_compiler.sim.engine import DEFAULT_MAX_INSTRUCTIONS, Progress, SimResult, run
from sharp_compiler.sim.errors import HazardError, SimError, SimInputError, UninitializedReadError
from sharp_compiler.sim.trace import trace_document, write_trace

TIMING_MODES = ("fast", "tile")

__all__ = [
    "DEFAULT_MAX_INSTRUCTIONS",
    "TIMING_MODES",
    "HazardError",
    "SharpBinaryError",
    "SimError",
    "SimInputError",
    "SimResult",
    "UninitializedReadError",
    "load",
    "simulate",
    "trace_document",
    "write_trace",
]


def load(path_or_bytes: str | Path | bytes | bytearray | memoryview) -> Program:
    """Read and validate a binary (a path, or its bytes); raises `SharpBinaryError`."""
    if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
        return decode(path_or_bytes)
    path = Path(path_or_bytes)
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            # memory-mapped: hashed once, constants used in place (a 250 MB model is never copied)
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except (OSError, ValueError) as err:
        raise SharpBinaryError(f"{path}: cannot read ({getattr(err, 'strerror', None) or err})") from None
    return decode(data, str(path))


def simulate(
    program: Program,
    inputs: Mapping[str, object],
    *,
    trace: bool = False,
    check_hazards: bool = False,
    timing: str = "fast",
    max_instructions: int = DEFAULT_MAX_INSTRUCTIONS,
    fast_forward: bool = True,
    progress: Progress | None = None,
    numerics: bool = True,
) -> SimResult:
    """Run a program on the given inputs (keyed by ONNX input name).

    Raises `SharpBinaryError` for an invalid program, `SimInputError` for
    inputs that do not match the declared ones, `SimError` for a run that
    cannot complete (deadlock, leftover tokens, bad data), `UninitializedReadError`
    when an instruction reads a buffer word nothing wrote, and `HazardError`
    when `check_hazards` finds accesses that no token orders. A program that would execute
    more than `max_instructions` (loops expanded) is refused before it runs; `progress(done,
    total)` is called every few seconds of a long run. `fast_forward=False` times every
    iteration instead of skipping the timing of loop iterations proven periodic (same result). `numerics=False` is the
    timing-only mode: the kernels are skipped (no outputs), the statistics are the same.
    """
    if timing not in TIMING_MODES:
        raise ValueError(f"timing must be one of {', '.join(TIMING_MODES)}, got {timing!r}")
    info = validate(program)
    return run(program, info, inputs, trace=trace, check_hazards=check_hazards, timing=timing,
               max_instructions=max_instructions, fast_forward=fast_forward, progress=progress,
               numerics=numerics)  # fmt: skip
