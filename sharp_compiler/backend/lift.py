"""Lift a decoded `Program` back into a `sharp_isa` module (the inverse of `emit`).

`sharp-translate model.sbin --to-mlir` prints it; feeding that text to
`sharp-translate --to-binary` gives back the same bytes.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import IntAttr, IntegerAttr, ModuleOp, StringAttr, i64
from xdsl.ir import Attribute, Operation

from sharp_compiler.dialects import sharp_isa
from sharp_compiler.dialects.sharp_attrs import HwConfigAttr, TokensAttr
from sharp_compiler.hw.config import config_from_json
from sharp_compiler.isa.program import Program, TensorKind
from sharp_compiler.isa.spec import NO_OPERAND


def _i(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def _tensor_entry(index: int, program: Program) -> Operation:
    from sharp_compiler.dialects.weights import WeightsAttr

    t = program.tensors[index]
    props: dict[str, Attribute] = {
        "index": _i(index), "tensor_name": StringAttr(t.name), "kind": StringAttr(t.kind.name.lower()),
        "dtype": StringAttr(t.dtype), "shape": StringAttr("x".join(str(d) for d in t.shape)),
    }  # fmt: skip
    if t.kind == TensorKind.CONST:
        raw = program.constants[t.data_offset : t.data_offset + t.data_size]
        props["value"] = WeightsAttr.from_array(t.name, np.frombuffer(raw, t.dtype).reshape(t.shape))
    return sharp_isa.TensorEntryOp(properties=props)


def program_to_isa(program: Program) -> ModuleOp:
    ops: list[Operation] = [_tensor_entry(i, program) for i in range(len(program.tensors))]
    for i, r in enumerate(program.regions):
        ops.append(sharp_isa.RegionEntryOp(properties={
            "index": _i(i), "region_name": StringAttr(r.name), "space": StringAttr(r.space.name.lower()),
            "rows": _i(r.rows), "cols": _i(r.cols), "base": _i(r.base),
        }))  # fmt: skip
    for i, v in enumerate(program.views):
        ops.append(sharp_isa.ViewEntryOp(properties={
            "index": _i(i), "region": _i(v.region), "row0": _i(v.row0), "row_step": _i(v.row_step),
            "nrows": _i(v.nrows), "col0": _i(v.col0), "ncols": _i(v.ncols),
        }))  # fmt: skip
    for i, d in enumerate(program.dmas):
        ops.append(sharp_isa.DmaEntryOp(properties={
            "index": _i(i), "tensor": _i(d.tensor), "lens": _i(d.lens), "base": _i(d.base),
            "row_stride": _i(d.row_stride), "step_stride": _i(d.step_stride), "nrows": _i(d.nrows),
            "ncols": _i(d.ncols),
        }))  # fmt: skip
    for i, c in enumerate(program.copies):
        ops.append(sharp_isa.CopyEntryOp(properties={
            "index": _i(i), "src": _i(c.src), "dst": _i(c.dst), "src_base": _i(c.src_base),
            "dst_base": _i(c.dst_base), "sizes": StringAttr(",".join(map(str, c.sizes))),
            "src_strides": StringAttr(",".join(map(str, c.src_strides))),
            "dst_strides": StringAttr(",".join(map(str, c.dst_strides))),
        }))  # fmt: skip
    for i, p in enumerate(program.params):
        props: dict[str, Attribute] = {"index": _i(i), "fn": StringAttr(p.fn.name.lower()),
                                       "alpha": StringAttr(repr(p.alpha)), "beta": StringAttr(repr(p.beta))}  # fmt: skip
        if p.clip is not None:
            props["clip"] = StringAttr(repr(p.clip))
        ops.append(sharp_isa.ParamEntryOp(properties=props))
    for layer in program.layers:
        ops.append(sharp_isa.LayerEntryOp(properties={
            "layer_name": StringAttr(layer.name), "onnx_node": StringAttr(layer.onnx_node),
            "kind": StringAttr(layer.kind), "pc_begin": _i(layer.pc_begin), "pc_end": _i(layer.pc_end),
            "tile": StringAttr(f"{layer.tile[0]}x{layer.tile[1]}"), "macs": _i(layer.macs),
        }))  # fmt: skip
    for ins in program.instructions:
        cls = sharp_isa.INSTRUCTION_OPS[ins.opcode]
        props = {slot: IntAttr(idx) for slot, idx in zip("abcd", (ins.a, ins.b, ins.c, ins.d), strict=True)
                 if idx != NO_OPERAND}  # fmt: skip
        if ins.flags:
            props["flags"] = IntAttr(ins.flags)
        if ins.imm:
            props["imm"] = IntAttr(ins.imm)
        if ins.pop or ins.push:
            props["tokens"] = TokensAttr(ins.pop, ins.push)
        ops.append(cls(properties=props))
    module = ModuleOp(ops)
    module.attributes["sharp.hw"] = HwConfigAttr(config_from_json(program.config_json))
    module.attributes["sharp.precision"] = StringAttr(program.precision)
    return module
