"""fp16 numerics of the datapath: the one definition of what overflow does (docs/precision.md).

The multiplier array takes fp16 operands. A finite value too large for fp16 (|x| >= 65520,
which IEEE round-to-nearest would turn into an infinity) **saturates** to +-65504, the largest
fp16 value, and is counted; NaN and +-Inf operands stay what they are (IEEE: they propagate).
The compiler converts weights with the same function the simulator uses for source vectors::

    >>> half, saturated = to_fp16(np.array([1.0, 1e5, -7e4, np.inf], np.float32))
    >>> half.tolist(), saturated
    ([1.0, 65504.0, -65504.0, inf], 2)

Imports numpy only.
"""

from __future__ import annotations

import warnings

import numpy as np

FP16_MAX = float(np.finfo(np.float16).max)  # 65504
FP16_OVERFLOW = 65520.0  # the smallest magnitude that rounds to an fp16 infinity


class NumericsWarning(UserWarning):
    """A numeric event the user should know of (saturation, NaN/Inf weights); one line."""


def to_fp16(values: np.ndarray) -> tuple[np.ndarray, int]:
    """`values` rounded to fp16 with saturation; returns (fp16 array, values saturated)."""
    with np.errstate(over="ignore", invalid="ignore"):
        half = np.asarray(values).astype(np.float16)
        if np.isfinite(half.sum(dtype=np.float32)):  # fast path: nothing overflowed, no NaN/Inf
            return half, 0
    over = np.isinf(half) & np.isfinite(values)
    count = int(np.count_nonzero(over))
    if count:
        half[over] = np.copysign(np.float16(FP16_MAX), half[over])
    return half, count


def fp16_overflows(values: np.ndarray) -> np.ndarray:
    """Where `to_fp16` saturates: finite values with |x| >= 65520 (IEEE rounding would give inf)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (np.abs(values) >= FP16_OVERFLOW)


def count_nonfinite(values: np.ndarray) -> int:
    """NaN and +-Inf elements of a float array (0 for integer arrays)."""
    if values.dtype.kind != "f":
        return 0
    return int(values.size - np.count_nonzero(np.isfinite(values)))


def weight_array(values: np.ndarray, precision: str, label: str) -> np.ndarray:
    """Weights as stored in a binary: fp16 (saturating, with a warning when any saturates) or fp32."""
    if precision != "fp16":
        return values.astype(np.float32)
    half, saturated = to_fp16(values)
    if saturated:
        warnings.warn(
            NumericsWarning(
                f"weights '{label}': {saturated} value(s) beyond the fp16 range saturate to +-65504"
            ),
            stacklevel=2,
        )
    return half
