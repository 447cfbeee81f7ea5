"""Weight matrices on the array: where their rows are in DRAM, and resident or streamed dispatch.

Weights that fit the weight buffer are loaded once in the layer's prologue (`resident`);
the others stream through one block buffer of rows, reloaded before every dispatch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from xdsl.ir import Operation, SSAValue

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import DramWindowAttr, WindowAttr
from sharp_compiler.transforms import rnn_access as rnn
from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.rnn_to_sharp.builder import Lowering


@dataclass
class WeightDispatch:
    """How to emit `dst (+)= src x M[rows]^T` for a constant matrix: resident or streamed."""

    emit: Callable[..., list[Operation]]
    """emit(dst, src, matrix, row0, nrows, accumulate, cols=None) -> ops; `cols` = (col0, ncols) of the
    matrix (and of src's columns it multiplies), None for all (resident weights only)."""


def row_ranges(perm: np.ndarray | slice, rows: int) -> list[tuple[int, int, int]]:
    """A row permutation as (first destination row, first source row, count) contiguous runs.

    Destination row j holds source row perm[j]; `slice(None)` is the identity (one run):
    [0, 1, 4, 5, 2, 3] -> [(0, 0, 2), (2, 4, 2), (4, 2, 2)].
    """
    order = np.arange(rows)[perm]
    runs: list[tuple[int, int, int]] = []
    for dst, src in enumerate(int(v) for v in order):
        if runs and runs[-1][1] + runs[-1][2] == src:
            runs[-1] = (runs[-1][0], runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((dst, src, 1))
    return runs


@dataclass(frozen=True)
class WeightRows:
    """Where the rows of a [rows, cols] weight matrix are in DRAM: tensor `sym` from element `base`,
    destination row j at source row of its run (`ranges`, from `row_ranges`; None: in order)."""

    sym: str
    cols: int
    base: int = 0
    ranges: list[tuple[int, int, int]] | None = None

    def windows(self, first: int, count: int) -> list[tuple[int, DramWindowAttr]]:
        """(offset from `first`, DRAM window) for destination rows [first, first + count), one per run."""
        k = self.cols
        ranges = self.ranges if self.ranges is not None else [(first, first, count)]
        out: list[tuple[int, DramWindowAttr]] = []
        for dst, src, n in ranges:
            lo, hi = max(dst, first), min(dst + n, first + count)
            if lo < hi:
                row = src + lo - dst
                out.append((lo - first, DramWindowAttr(self.sym, self.base + row * k, hi - lo, k, k, 0)))
        return out


def weight_values(value: SSAValue, what: str) -> np.ndarray | None:
    """A weight operand's array when it is a constant; None when it is a run-time tensor."""
    return rnn.constant_array(value, what) if rnn.weights_attr_of(value) is not None else None


def weight_dispatch(lw: Lowering, name: str, resident: bool, mats: dict[str, WeightRows], rows: int,
                    prologue: list[Operation]) -> WeightDispatch:  # fmt: skip
    """Resident weights are loaded once; otherwise they stream through one block buffer."""
    if resident:
        bufs: dict[str, str] = {}
        for key, source in mats.items():
            k = source.cols
            bufs[key] = lw.buffer(f"{name}_{key}buf", "wmem", rows, k)
            for offset, window in source.windows(0, rows):
                prologue.append(sharp.LoadWeightsOp(WindowAttr(bufs[key], offset, window.nrows.data, 0, 0, k),
                                                    window))  # fmt: skip

        def emit_resident(dst: WindowAttr, src: WindowAttr, mat: str, row0: int, nrows: int,
                          acc: bool, cols: tuple[int, int] | None = None) -> list[Operation]:  # fmt: skip
            c0, cn = cols if cols is not None else (0, mats[mat].cols)
            return [sharp.DispatchOp(dst, src, WindowAttr(bufs[mat], row0, nrows, 0, c0, cn), acc)]

        return WeightDispatch(emit_resident)
    kmax = max(source.cols for source in mats.values())
    capacity = lw.cfg.weight_buffer_bytes // lw.cfg.weight_bytes_per_element(lw.precision)
    block_rows = min(rows, capacity // kmax)
    if block_rows < 1:
        raise LoweringError(f"{name}: one weight row of {kmax} elements does not fit the weight buffer")
    stream = lw.buffer(f"{name}_wstream", "wmem", block_rows, kmax)

    def emit_streamed(dst: WindowAttr, src: WindowAttr, mat: str, row0: int, nrows: int,
                      acc: bool, cols: tuple[int, int] | None = None) -> list[Operation]:  # fmt: skip
        assert cols is None, "streamed weights are dispatched whole-row"
        source = mats[mat]
        k = source.cols
        ops: list[Operation] = []
        for r in range(row0, row0 + nrows, block_rows):
            n = min(block_rows, row0 + nrows - r)
            block = WindowAttr(stream, 0, n, 0, 0, k)
            for offset, window in source.windows(r, n):
                ops.append(
                    sharp.LoadWeightsOp(WindowAttr(stream, offset, window.nrows.data, 0, 0, k), window)
                )
            part = WindowAttr(dst.buffer.data, dst.row0.data, dst.nrows.data, dst.row_step.data,
                              dst.col0.data + r - row0, n)  # fmt: skip
            ops.append(sharp.DispatchOp(part, src, block, acc))
        return ops

    return WeightDispatch(emit_streamed)


def defer_recurrent_weights(prologue: list[Operation], projection: Operation) -> None:
    """Load R after the input projection is dispatched, so R streams in while the array computes X W^T."""
    loads = [
        op for op in prologue if isinstance(op, sharp.LoadWeightsOp) and op.dst.buffer.data.endswith("_Rbuf")
    ]
    for op in loads:
        prologue.remove(op)
    at = prologue.index(projection) + 1
    prologue[at:at] = loads
