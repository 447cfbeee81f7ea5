"""convert-rnn-to-sharp: moved to the package `sharp_compiler.transforms.rnn_to_sharp`.

This module re-exports its public names for existing imports: the pass, `module_config` and
`resolve_config` (`rnn_to_sharp.pass_`), the recurrent plan and `choose_blocks`
(`rnn_to_sharp.plan`), block helpers (`rnn_to_sharp.blocks`), `defer_recurrent_weights`
(`rnn_to_sharp.weights`) and `ONNX_TO_ACT` (`rnn_to_sharp.cell_setup`).
"""

from __future__ import annotations

from sharp_compiler.transforms.rnn_access import LoweringError as LoweringError
from sharp_compiler.transforms.rnn_to_sharp.blocks import AUTO_BLOCKS as AUTO_BLOCKS
from sharp_compiler.transforms.rnn_to_sharp.blocks import MIN_BLOCK_UNITS as MIN_BLOCK_UNITS
from sharp_compiler.transforms.rnn_to_sharp.blocks import block_spans as block_spans
from sharp_compiler.transforms.rnn_to_sharp.blocks import count_macs as count_macs
from sharp_compiler.transforms.rnn_to_sharp.blocks import gate_permutation as gate_permutation
from sharp_compiler.transforms.rnn_to_sharp.builder import Lowering as Lowering
from sharp_compiler.transforms.rnn_to_sharp.cell_setup import ONNX_TO_ACT as ONNX_TO_ACT
from sharp_compiler.transforms.rnn_to_sharp.pass_ import ConvertRnnToSharpPass as ConvertRnnToSharpPass
from sharp_compiler.transforms.rnn_to_sharp.pass_ import module_config as module_config
from sharp_compiler.transforms.rnn_to_sharp.pass_ import resolve_config as resolve_config
from sharp_compiler.transforms.rnn_to_sharp.plan import RecurrentPlan as RecurrentPlan
from sharp_compiler.transforms.rnn_to_sharp.plan import SchemeOptions as SchemeOptions
from sharp_compiler.transforms.rnn_to_sharp.plan import batch_major_consumer as batch_major_consumer
from sharp_compiler.transforms.rnn_to_sharp.plan import choose_blocks as choose_blocks
from sharp_compiler.transforms.rnn_to_sharp.weights import defer_recurrent_weights as defer_recurrent_weights

__all__ = [
    "LoweringError",
    "AUTO_BLOCKS",
    "MIN_BLOCK_UNITS",
    "block_spans",
    "count_macs",
    "gate_permutation",
    "Lowering",
    "ONNX_TO_ACT",
    "ConvertRnnToSharpPass",
    "module_config",
    "resolve_config",
    "RecurrentPlan",
    "SchemeOptions",
    "batch_major_consumer",
    "choose_blocks",
    "defer_recurrent_weights",
]
