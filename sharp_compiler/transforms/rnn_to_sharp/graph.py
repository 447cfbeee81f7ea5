"""The graph walk: a model's `func.func` into the tensors, buffers and layers of a `Lowering`."""

from __future__ import annotations

import math

from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, StringAttr, TensorType
from xdsl.ir import SSAValue

from sharp_compiler.diagnostics import at_op
from sharp_compiler.dialects import sharp
from sharp_compiler.transforms import rnn_access as rnn
from sharp_compiler.transforms.dataflow_tokens import accesses
from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.rnn_to_sharp.builder import Lowering
from sharp_compiler.transforms.rnn_to_sharp.dense import DENSE_LOWERINGS
from sharp_compiler.transforms.rnn_to_sharp.glue import GLUE_OPS, flat_copy, lower_glue
from sharp_compiler.transforms.rnn_to_sharp.plan import SchemeOptions
from sharp_compiler.transforms.rnn_to_sharp.recurrent import lower_recurrent


def lower_function(lw: Lowering, fn: func.FuncOp, options: SchemeOptions) -> Lowering:
    """Lower every op of `fn` into `lw` (named inputs and outputs first); returns `lw`."""
    input_names = _names(fn, "rnn.input_names", len(fn.args), "input")
    ret = fn.body.block.last_op
    assert isinstance(ret, func.ReturnOp)
    output_names = _names(fn, "rnn.output_names", len(ret.arguments), "output")
    for arg, name in zip(fn.args, input_names, strict=True):
        ttype = arg.type
        assert isinstance(ttype, TensorType)
        lw.value_tensor[arg] = lw.add_tensor(name, "input", rnn.shape_of(arg), ttype.element_type, name)
    pending: list[tuple[SSAValue, str]] = []
    for value, name in zip(ret.arguments, output_names, strict=True):
        if value in lw.output_names or value in lw.value_tensor or rnn.weights_attr_of(value) is not None:
            pending.append((value, name))  # needs a copy into its own named tensor
        else:
            lw.output_names[value] = name
    for op in fn.body.block.ops:
        with at_op(op):
            if op.name in rnn.RECURRENT_OPS:
                lower_recurrent(lw, options, rnn.read_recurrent(op))
            elif op.name in GLUE_OPS:
                lower_glue(lw, op)
            elif op.name in DENSE_LOWERINGS:
                DENSE_LOWERINGS[op.name](lw, op)
            elif op.name not in ("rnn.constant", "func.return"):
                raise LoweringError(f"no lowering for '{op.name}' yet")
    for value, name in pending:
        src = lw.tensor_of(value)
        shape = rnn.shape_of(value)
        ttype = value.type
        assert isinstance(ttype, TensorType)
        dst = lw.add_tensor(name, "output", shape, ttype.element_type, name)
        lw.layer(lw.unique(f"copy_{name}"), "copy", name, [flat_copy(src, dst, math.prod(shape))])
    lw.order_io(output_names)
    drop_dead_stores(lw)
    return lw


def drop_dead_stores(lw: Lowering) -> None:
    """Erase the DMA writes to scratch tensors nothing reads (until none is left).

    A layer's Y that the next layer reads from the vector buffer (`Lowering.on_chip`) then
    never goes to DRAM: the per-step stores of the producing loop disappear with the load.
    """
    scratch = {
        t.sym_name.data for t in lw.tensors if isinstance(t, sharp.TensorOp) and t.kind.data == "scratch"
    }
    while True:
        instructions = [
            op for layer in lw.layers for op in layer.walk() if isinstance(op, sharp.InstructionOp)
        ]
        read = {a.resource for op in instructions for a in accesses(op) if not a.write}
        dead = [
            op for op in instructions
            if isinstance(op, (sharp.StoreOp, sharp.CopyOp))
            and all(a.resource.removeprefix("tensor @") in scratch and a.resource not in read
                    for a in accesses(op) if a.write)
        ]  # fmt: skip
        if not dead:
            return
        for op in dead:
            op.detach()
            op.erase()


def _names(fn: func.FuncOp, key: str, count: int, prefix: str) -> list[str]:
    attr = rnn.attr_of(fn, key)
    if isinstance(attr, ArrayAttr):
        names = [a.data for a in attr.data if isinstance(a, StringAttr)]
        if len(names) == count:
            return names
    return [f"{prefix}{i}" for i in range(count)]
