"""The activation unit's functions, exactly as ONNX defines them, in float32.

`activation(param)` returns a function of a float32 array; clip (when set)
bounds the input to [-clip, clip] first, as the ONNX RNN operators do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sharp_compiler.isa.program import ActParam
from sharp_compiler.isa.spec import ActFn

F32 = np.float32
ArrayFn = Callable[[np.ndarray], np.ndarray]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), evaluated on the side where exp cannot overflow."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, F32(1) / (F32(1) + e), e / (F32(1) + e))


def _make(fn: ActFn, alpha: np.float32, beta: np.float32) -> ArrayFn:
    zero, one = F32(0), F32(1)
    table: dict[ActFn, ArrayFn] = {
        ActFn.SIGMOID: sigmoid,
        ActFn.TANH: np.tanh,
        ActFn.RELU: lambda x: np.maximum(x, zero),
        ActFn.HARD_SIGMOID: lambda x: np.clip(alpha * x + beta, zero, one),
        ActFn.AFFINE: lambda x: alpha * x + beta,
        ActFn.LEAKY_RELU: lambda x: np.where(x >= zero, x, alpha * x),
        ActFn.THRESHOLDED_RELU: lambda x: np.where(x > alpha, x, zero),
        ActFn.SCALED_TANH: lambda x: alpha * np.tanh(beta * x),
        ActFn.ELU: lambda x: np.where(x >= zero, x, alpha * np.expm1(np.minimum(x, zero))),
        ActFn.SOFTSIGN: lambda x: x / (one + np.abs(x)),
        ActFn.SOFTPLUS: lambda x: np.logaddexp(zero, x),
        ActFn.IDENTITY: lambda x: x,
    }
    return table[fn]


def activation(param: ActParam) -> ArrayFn:
    """The float32 function an ACT instruction with this parameter entry applies."""
    fn = _make(ActFn(param.fn), F32(param.alpha), F32(param.beta))
    if param.clip is None:
        return fn
    bound = F32(param.clip)
    return lambda x: fn(np.clip(x, -bound, bound))


def layer_norm(x: np.ndarray, epsilon: np.float32) -> np.ndarray:
    """Row-wise (x - mean) / sqrt(var + epsilon) in float32 (the population variance)."""
    centred = x - np.mean(x, axis=1, keepdims=True, dtype=np.float32)
    variance = np.mean(centred * centred, axis=1, keepdims=True, dtype=np.float32)
    return centred / np.sqrt(variance + epsilon)


def softmax(x: np.ndarray, log: bool) -> np.ndarray:
    """Row-wise (log-)softmax in float32."""
    shifted = x - np.max(x, axis=1, keepdims=True)
    if log:
        return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)
