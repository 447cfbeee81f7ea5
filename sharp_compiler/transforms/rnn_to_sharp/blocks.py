"""Row blocks of hidden units: their spans, the gate-row permutation they need, and MAC counts."""

from __future__ import annotations

import numpy as np
from xdsl.ir import Operation

from sharp_compiler.dialects import sharp

AUTO_BLOCKS = (1, 2, 4)
"""Row-block counts the `auto` plan prices for every recurrent node (blocks of >= 16 units)."""
MIN_BLOCK_UNITS = 16


def block_spans(hidden: int, chunks: int) -> list[tuple[int, int]]:
    """(first unit, count) of `chunks` contiguous blocks of hidden units, sizes as equal as possible."""
    n = max(1, min(chunks, hidden))
    sizes = [hidden // n + (1 if k < hidden % n else 0) for k in range(n)]
    return [(sum(sizes[:k]), size) for k, size in enumerate(sizes)]


def gate_permutation(gates: int, hidden: int, spans: list[tuple[int, int]]) -> np.ndarray:
    """Gate rows in [block][gate][unit] order: row j of the permuted matrix is row perm[j] of the ONNX one."""
    return np.array(
        [g * hidden + u0 + u for u0, n in spans for g in range(gates) for u in range(n)], dtype=np.int64
    )


def count_macs(ops: list[Operation]) -> int:
    """Useful multiply-accumulates of a list of ops (loops multiply their body)."""
    total = 0
    for op in ops:
        if isinstance(op, sharp.DispatchOp):
            total += op.dst.nrows.data * op.dst.ncols.data * op.src.ncols.data
        elif isinstance(op, sharp.TimeLoopOp):
            total += op.trips.data * count_macs(list(op.body.block.ops))
    return total
