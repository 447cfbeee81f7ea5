"""Build an `isa.program.Program` from a `sharp_isa` module (the last step before bytes).

Constants are laid out in the order of their tensors, each 64-byte aligned;
everything else is copied from the table ops, so the same module always
gives the same program (and the same binary).
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntAttr, IntegerAttr, ModuleOp, StringAttr
from xdsl.ir import Attribute, Operation

from sharp_compiler.dialects import sharp_isa
from sharp_compiler.dialects.sharp_attrs import HwConfigAttr, TileAttr, TokensAttr
from sharp_compiler.isa.program import (
    ActParam,
    CopyDesc,
    DebugEntry,
    DmaDesc,
    Instruction,
    LayerInfo,
    Program,
    Region,
    Space,
    Tensor,
    TensorKind,
    View,
)
from sharp_compiler.isa.spec import ActFn, Opcode
from sharp_compiler.transforms.rnn_access import LoweringError

CONST_ALIGN = 64


def _int(op: Operation, name: str) -> int:
    attr = op.properties[name]
    if isinstance(attr, IntegerAttr):
        return attr.value.data
    assert isinstance(attr, IntAttr)
    return attr.data


def _str(op: Operation, name: str) -> str:
    attr = op.properties[name]
    assert isinstance(attr, StringAttr)
    return attr.data


def _ints(op: Operation, name: str) -> tuple[int, ...]:
    attr = op.properties[name]
    assert isinstance(attr, DenseArrayBase)
    return tuple(int(v) for v in attr.get_values())


def _four(op: Operation, name: str) -> tuple[int, int, int, int]:
    a, b, c, d = _ints(op, name)
    return (a, b, c, d)


def _float(op: Operation, name: str) -> float:
    attr = op.properties[name]
    assert isinstance(attr, FloatAttr)
    return float(attr.value.data)


def _array(value: Attribute, name: str) -> np.ndarray:
    if getattr(value, "is_elided", False):
        raise LoweringError(
            f"weights of tensor '{name}' were elided when printed; re-run with --inline-weights"
        )
    return np.ascontiguousarray(value.as_array())  # type: ignore[attr-defined]


def program_from_isa(module: ModuleOp) -> Program:
    hw = module.attributes.get("sharp.hw")
    prec = module.attributes.get("sharp.precision")
    if not isinstance(hw, HwConfigAttr) or not isinstance(prec, StringAttr):
        raise LoweringError("module carries no sharp.hw / sharp.precision")
    program = Program(config_json=hw.json.data, precision=prec.data)
    chunks: list[bytes | memoryview] = []
    size_so_far = 0
    for op in module.body.block.ops:
        if isinstance(op, sharp_isa.TensorEntryOp):
            shape = _ints(op, "shape")
            kind = TensorKind[_str(op, "kind").upper()]
            offset = size = 0
            if kind == TensorKind.CONST:
                value = op.properties.get("value")
                if value is None:
                    raise LoweringError(f"const tensor '{_str(op, 'tensor_name')}' has no value")
                data = _array(value, _str(op, "tensor_name")).astype(_str(op, "dtype"), copy=False)
                padding = -size_so_far % CONST_ALIGN
                chunks.append(bytes(padding))
                offset, size = size_so_far + padding, data.nbytes
                chunks.append(np.ascontiguousarray(data).view(np.uint8).data)
                size_so_far = offset + size
            program.tensors.append(
                Tensor(_str(op, "tensor_name"), kind, _str(op, "dtype"), shape, offset, size)
            )
        elif isinstance(op, sharp_isa.RegionEntryOp):
            program.regions.append(Region(_str(op, "region_name"), Space[_str(op, "space").upper()],
                                          _int(op, "rows"), _int(op, "cols"), _int(op, "base")))  # fmt: skip
        elif isinstance(op, sharp_isa.ViewEntryOp):
            program.views.append(View(*(_int(op, n) for n in ("region", "row0", "row_step", "nrows", "col0",
                                                               "ncols"))))  # fmt: skip
        elif isinstance(op, sharp_isa.DmaEntryOp):
            program.dmas.append(DmaDesc(*(_int(op, n) for n in ("tensor", "lens", "base", "row_stride",
                                                                "step_stride", "nrows", "ncols"))))  # fmt: skip
        elif isinstance(op, sharp_isa.CopyEntryOp):
            program.copies.append(CopyDesc(_int(op, "src"), _int(op, "dst"), _int(op, "src_base"),
                                           _int(op, "dst_base"), _four(op, "sizes"),
                                           _four(op, "src_strides"), _four(op, "dst_strides")))  # fmt: skip
        elif isinstance(op, sharp_isa.ParamEntryOp):
            clip = _float(op, "clip") if "clip" in op.properties else None
            program.params.append(ActParam(ActFn[_str(op, "fn").upper()], _float(op, "alpha"), _float(op, "beta"),
                                           clip))  # fmt: skip
        elif isinstance(op, sharp_isa.LayerEntryOp):
            tile = op.properties["tile"]
            assert isinstance(tile, TileAttr)
            rows, cols = tile.shape
            directions = _int(op, "directions") if "directions" in op.properties else 1
            info = LayerInfo(_str(op, "layer_name"), _str(op, "onnx_node"), _str(op, "kind"), _int(op, "pc_begin"),
                             _int(op, "pc_end"), (rows, cols), _int(op, "macs"), directions)  # fmt: skip
            program.layers.append(info)
            program.debug.append(DebugEntry(info.pc_begin, info.pc_end, info.onnx_node))
        elif isinstance(op, sharp_isa.IsaInstructionOp):
            a, b, c, d = op.operand_indices()
            tokens = op.properties.get("tokens")
            pop, push = (tokens.pop.data, tokens.push.data) if isinstance(tokens, TokensAttr) else (0, 0)
            program.instructions.append(Instruction(
                Opcode(op.SPEC.opcode), pop, push, op.field("flags"), a, b, c, d, op.field("imm"),
            ))  # fmt: skip
    program.constants = b"".join(chunks)
    return program
