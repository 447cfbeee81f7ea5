"""Glue between layers as DRAM data movement: reshapes are views, the rest strided copies.

An `rnn.reshape` moves no data: its result names the producer's DRAM tensor (a
scratch tensor may become the named model output). `rnn.transpose`,
`rnn.concat` and `rnn.slice` become one `sharp.copy` each (per input for a
concat): a 4-D strided DMA from one DRAM tensor to another::

    %t = rnn.transpose %y perm [0, 2, 1, 3] onnx_node "t" : tensor<5x2x1x4xf32> -> tensor<5x1x2x4xf32>
    // becomes (%y an input, %t the output t_out)
    sharp.layer @t "copy" from "t" tile <32x32> macs 0 {
      sharp.copy <@y -> @t_out, [5, 1, 2, 4], src 0 [8, 4, 4, 1], dst 0 [8, 8, 4, 1]>
    }
"""

from __future__ import annotations

import math

from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import CopyAttr
from sharp_compiler.transforms import rnn_access as rnn
from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.rnn_to_sharp.builder import Lowering

GLUE_OPS = ("rnn.transpose", "rnn.reshape", "rnn.concat", "rnn.slice")


def contiguous_strides(shape: tuple[int, ...]) -> list[int]:
    """Row-major element strides of a shape."""
    strides, acc = [], 1
    for dim in reversed(shape):
        strides.append(acc)
        acc *= dim
    return list(reversed(strides))


def _pad4(values: list[int], fill: int) -> list[int]:
    if len(values) > 4:
        raise LoweringError(f"tensors of rank {len(values)} > 4 are not supported by the DMA engine")
    return [fill] * (4 - len(values)) + values


def alias_reshape(lw: Lowering, src_val: SSAValue, out: SSAValue) -> bool:
    """A reshape moves no data: its result names the same DRAM bytes (a scratch tensor may
    become the named output). False when a copy is needed (an input or constant as output)."""
    if not out.uses:
        return True
    src_sym = lw.tensor_of(src_val)
    if out not in lw.output_names:
        lw.value_tensor[out] = src_sym
        return True
    index = next(i for i, t in enumerate(lw.tensors) if isinstance(t, sharp.TensorOp)
                 and t.sym_name.data == src_sym)  # fmt: skip
    old = lw.tensors[index]
    assert isinstance(old, sharp.TensorOp)
    if old.kind.data != "scratch":
        return False
    name = lw.output_names[out]
    ttype = out.type
    assert isinstance(ttype, TensorType)
    lw.tensors[index] = sharp.TensorOp(src_sym, "output", ttype, name)
    lw.value_tensor[out] = src_sym
    return True


def lower_glue(lw: Lowering, op: Operation) -> None:
    """One copy layer for a transpose, concat or slice (nothing for a reshape that aliases)."""
    src_val = op.operands[0]
    out = op.results[0]
    if out in lw.value_tensor:  # its producer wrote it in place (a recurrent layer's transposed Y)
        return
    if op.name == "rnn.reshape" and alias_reshape(lw, src_val, out):
        return
    node = rnn.str_prop(op, "onnx_node", op.name)
    dst = lw.result_tensor(out, f"{rnn.symbol(node)}_out")
    if dst is None:
        return
    out_shape = rnn.shape_of(out)
    copies: list[Operation] = []
    if op.name == "rnn.reshape":
        copies.append(flat_copy(lw.tensor_of(src_val), dst, math.prod(out_shape)))
    elif op.name == "rnn.transpose":
        perm = rnn.int_list_prop(op, "perm")
        in_shape = rnn.shape_of(src_val)
        in_strides = contiguous_strides(in_shape)
        src_strides = [in_strides[p] for p in perm]
        copies.append(copy_op(lw.tensor_of(src_val), dst, list(out_shape), 0, src_strides, 0,
                            contiguous_strides(out_shape)))  # fmt: skip
    elif op.name == "rnn.concat":
        axis = rnn.int_prop(op, "axis")
        axis = axis % len(out_shape)
        out_strides = contiguous_strides(out_shape)
        offset = 0
        for value in op.operands:
            shape = rnn.shape_of(value)
            copies.append(copy_op(lw.tensor_of(value), dst, list(shape), 0, contiguous_strides(shape),
                                offset * out_strides[axis], out_strides))  # fmt: skip
            offset += shape[axis]
    elif op.name == "rnn.slice":
        in_shape = rnn.shape_of(src_val)
        in_strides = contiguous_strides(in_shape)
        starts, axes, steps = (rnn.int_list_prop(op, k) for k in ("starts", "axes", "steps"))
        src_strides, base = list(in_strides), 0
        for start, axis, step in zip(starts, axes, steps, strict=True):
            axis %= len(in_shape)
            base += start * in_strides[axis]
            src_strides[axis] = in_strides[axis] * step
        copies.append(copy_op(lw.tensor_of(src_val), dst, list(out_shape), base, src_strides, 0,
                            contiguous_strides(out_shape)))  # fmt: skip
    lw.layer(lw.unique(rnn.symbol(node)), "copy", node, copies)


def copy_op(src: str, dst: str, sizes: list[int], src_base: int, src_strides: list[int], dst_base: int,
          dst_strides: list[int]) -> Operation:  # fmt: skip
    return sharp.CopyOp(CopyAttr(src, dst, _pad4(sizes, 1), src_base, _pad4(src_strides, 0), dst_base,
                                 _pad4(dst_strides, 0)))  # fmt: skip


def flat_copy(src: str, dst: str, count: int) -> Operation:
    return copy_op(src, dst, [count], 0, [1], 0, [1])
