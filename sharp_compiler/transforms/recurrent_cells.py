"""Moved: the cell emitter is `sharp_compiler.transforms.rnn_to_sharp.cells`, the weight
helpers (`WeightRows`, `WeightDispatch`, `row_ranges`) `rnn_to_sharp.weights`. Re-exports them."""

from __future__ import annotations

from sharp_compiler.transforms.rnn_to_sharp.cells import CellBuffers as CellBuffers
from sharp_compiler.transforms.rnn_to_sharp.cells import CellEmitter as CellEmitter
from sharp_compiler.transforms.rnn_to_sharp.cells import CellSpec as CellSpec
from sharp_compiler.transforms.rnn_to_sharp.weights import WeightDispatch as WeightDispatch
from sharp_compiler.transforms.rnn_to_sharp.weights import WeightRows as WeightRows
from sharp_compiler.transforms.rnn_to_sharp.weights import row_ranges as row_ranges

__all__ = ["CellBuffers", "CellEmitter", "CellSpec", "WeightDispatch", "WeightRows", "row_ranges"]
