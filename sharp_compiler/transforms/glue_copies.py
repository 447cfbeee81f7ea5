"""Moved to `sharp_compiler.transforms.rnn_to_sharp.glue`; re-exports its names."""

from __future__ import annotations

from sharp_compiler.transforms.rnn_to_sharp.glue import GLUE_OPS as GLUE_OPS
from sharp_compiler.transforms.rnn_to_sharp.glue import alias_reshape as alias_reshape
from sharp_compiler.transforms.rnn_to_sharp.glue import contiguous_strides as contiguous_strides
from sharp_compiler.transforms.rnn_to_sharp.glue import copy_op as copy_op
from sharp_compiler.transforms.rnn_to_sharp.glue import flat_copy as flat_copy
from sharp_compiler.transforms.rnn_to_sharp.glue import lower_glue as lower_glue

__all__ = ["GLUE_OPS", "alias_reshape", "contiguous_strides", "copy_op", "flat_copy", "lower_glue"]
