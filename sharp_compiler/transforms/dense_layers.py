"""Moved to `sharp_compiler.transforms.rnn_to_sharp.dense`; re-exports its names."""

from __future__ import annotations

from sharp_compiler.transforms.rnn_to_sharp.dense import DENSE_LOWERINGS as DENSE_LOWERINGS
from sharp_compiler.transforms.rnn_to_sharp.dense import ELEMENTWISE as ELEMENTWISE
from sharp_compiler.transforms.rnn_to_sharp.dense import activation as activation
from sharp_compiler.transforms.rnn_to_sharp.dense import chunked as chunked
from sharp_compiler.transforms.rnn_to_sharp.dense import embedding as embedding
from sharp_compiler.transforms.rnn_to_sharp.dense import layer_norm as layer_norm
from sharp_compiler.transforms.rnn_to_sharp.dense import linear as linear
from sharp_compiler.transforms.rnn_to_sharp.dense import rowwise as rowwise
from sharp_compiler.transforms.rnn_to_sharp.dense import softmax as softmax

__all__ = [
    "DENSE_LOWERINGS",
    "ELEMENTWISE",
    "activation",
    "chunked",
    "embedding",
    "layer_norm",
    "linear",
    "rowwise",
    "softmax",
]
