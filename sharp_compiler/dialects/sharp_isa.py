"""The `sharp_isa` dialect: one op per SHARP instruction, 1:1 with the binary.

The instruction ops are generated from `isa.spec.OPS`, so the dialect cannot
drift from the encoder, decoder and simulator. Operands are indices into the
binary's tables, which are ops of this dialect too::

    sharp_isa.tensor {index = 0 : i64, tensor_name = "X", kind = "input", dtype = "float32", shape = array<i64: 25, 1, 64>}
    sharp_isa.region {index = 0 : i64, region_name = "acc", space = "vmem", rows = 1 : i64, cols = 512 : i64, base = 0 : i64}
    sharp_isa.view {index = 0 : i64, region = 0 : i64, row0 = 0 : i64, row_step = 0 : i64, nrows = 1 : i64, col0 = 0 : i64, ncols = 512 : i64}
    sharp_isa.loop imm 25
    sharp_isa.mvm v0, v1, v2 flags 1 tokens <pop [dma], push [act]>
    sharp_isa.endloop

Operand prefixes: `v` vector-buffer or weight-buffer view, `d` DMA descriptor,
`c` copy descriptor, `p` activation parameter. Every table field is typed (integers, dense
arrays, f64 floats, `#sharp.tile`, strings restricted to their enum's values), so the IRDL
export (dialects/sharp_isa.irdl.mlir) states real constraints.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr, StringAttr, f64, i64
from xdsl.ir import Attribute, Dialect
from xdsl.irdl import AttrSetConstraint, IRDLOperation, irdl_op_definition, opt_prop_def, prop_def
from xdsl.irdl.operations import ParsePropInAttrDict
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from sharp_compiler.dialects.sharp_attrs import TileAttr, TokensAttr
from sharp_compiler.isa.program import (
    DTYPES,
    ActParam,
    CopyDesc,
    DmaDesc,
    Instruction,
    LayerInfo,
    Region,
    Space,
    Tensor,
    TensorKind,
    View,
)
from sharp_compiler.isa.spec import NO_OPERAND, OPS, ActFn, Opcode, OperandKind, OpSpec

PREFIX = {
    OperandKind.VIEW_W: "v", OperandKind.VIEW_R: "v", OperandKind.WVIEW_W: "v", OperandKind.WVIEW_R: "v",
    OperandKind.DMA_R: "d", OperandKind.DMA_W: "d", OperandKind.COPY: "c", OperandKind.PARAM: "p",
}  # fmt: skip
SLOT_NAMES = ("a", "b", "c", "d")


class IsaInstructionOp(IRDLOperation):
    """Base of the generated instruction ops."""

    SPEC: ClassVar[OpSpec]

    def operand_indices(self) -> tuple[int, int, int, int]:
        values = [self.properties.get(n) for n in SLOT_NAMES]
        return tuple(v.value.data if isinstance(v, IntegerAttr) else NO_OPERAND for v in values)  # type: ignore[return-value]

    def field(self, key: str) -> int:
        """`flags` or `imm` (0 when absent)."""
        value = self.properties.get(key)
        return value.value.data if isinstance(value, IntegerAttr) else 0

    def print(self, printer: Printer) -> None:
        used = [
            f"{PREFIX[kind]}{idx}"
            for kind, idx in zip(self.SPEC.operands, self.operand_indices(), strict=True)
            if kind is not OperandKind.NONE
        ]
        if used:
            printer.print_string(" " + ", ".join(used))
        for key in ("flags", "imm"):
            if self.field(key):
                printer.print_string(f" {key} {self.field(key)}")
        tokens = self.properties.get("tokens")
        if isinstance(tokens, TokensAttr):
            printer.print_string(" tokens ")
            tokens.print_parameters(printer)

    @classmethod
    def parse(cls, parser: Parser) -> IsaInstructionOp:
        props: dict[str, Attribute] = {}
        kinds = [k for k in cls.SPEC.operands if k is not OperandKind.NONE]
        for slot, kind in zip(SLOT_NAMES, kinds, strict=False):
            if slot != "a":
                parser.parse_punctuation(",")
            token = parser.parse_identifier()
            prefix = PREFIX[kind]
            if not token.startswith(prefix) or not token[len(prefix) :].isdigit():
                parser.raise_error(f"expected operand {prefix}<index>")
            props[slot] = _i(int(token[len(prefix) :]))
        for key in ("flags", "imm"):
            if parser.parse_optional_keyword(key):
                props[key] = _i(parser.parse_integer(allow_negative=False))
        if parser.parse_optional_keyword("tokens"):
            pop, push = TokensAttr.parse_parameters(parser)
            props["tokens"] = TokensAttr(pop.data, push.data)
        return cls(properties=props)


def _make_instruction_op(spec: OpSpec) -> type[IsaInstructionOp]:
    namespace: dict[str, object] = {
        "name": f"sharp_isa.{spec.mnemonic}",
        "SPEC": spec,
        "__doc__": f"{spec.summary}\n\n    Unit: {spec.unit.name.lower()}; imm: {spec.imm}.",
        "__annotations__": {"SPEC": ClassVar[OpSpec]},
        "flags": opt_prop_def(IntegerAttr),
        "imm": opt_prop_def(IntegerAttr),
        "tokens": opt_prop_def(TokensAttr),
    }
    for slot, kind in zip(SLOT_NAMES, spec.operands, strict=True):
        if kind is not OperandKind.NONE:
            namespace[slot] = prop_def(IntegerAttr)
    name = "".join(p.title() for p in spec.mnemonic.split("_")) + "Op"
    return irdl_op_definition(type(name, (IsaInstructionOp,), namespace))


INSTRUCTION_OPS: dict[Opcode, type[IsaInstructionOp]] = {op: _make_instruction_op(s) for op, s in OPS.items()}


def instruction(ins: Instruction) -> IsaInstructionOp:
    """The op of one instruction (the lowering and the lifter build them here)."""
    slots = zip(SLOT_NAMES, (ins.a, ins.b, ins.c, ins.d), strict=True)
    props: dict[str, Attribute] = {slot: _i(idx) for slot, idx in slots if idx != NO_OPERAND}
    if ins.flags:
        props["flags"] = _i(ins.flags)
    if ins.imm:
        props["imm"] = _i(ins.imm)
    if ins.pop or ins.push:
        props["tokens"] = TokensAttr(ins.pop, ins.push)
    return INSTRUCTION_OPS[ins.opcode](properties=props)


def _names(values: object) -> AttrSetConstraint[StringAttr]:
    """A string that is one of `values` (enum members: their lowercase names)."""
    names = [v.name.lower() if hasattr(v, "name") else str(v) for v in values]  # type: ignore[attr-defined]
    return AttrSetConstraint(frozenset(StringAttr(n) for n in names))


_I64_ARRAY = DenseArrayBase.constr(i64)


class _TableOp(IRDLOperation):
    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "attr-dict"


@irdl_op_definition
class TensorEntryOp(_TableOp):
    """A DRAM tensor: `sharp_isa.tensor {index, name, kind, dtype, shape, value?}`."""

    name = "sharp_isa.tensor"
    index = prop_def(IntegerAttr)
    tensor_name = prop_def(StringAttr)
    kind = prop_def(_names(TensorKind))
    dtype = prop_def(_names(DTYPES))
    shape = prop_def(_I64_ARRAY)
    value = opt_prop_def(Attribute)


@irdl_op_definition
class RegionEntryOp(_TableOp):
    """An allocated on-chip region."""

    name = "sharp_isa.region"
    index = prop_def(IntegerAttr)
    region_name = prop_def(StringAttr)
    space = prop_def(_names(Space))
    rows = prop_def(IntegerAttr)
    cols = prop_def(IntegerAttr)
    base = prop_def(IntegerAttr)


@irdl_op_definition
class ViewEntryOp(_TableOp):
    """A window of a region, advancing `row_step` rows per loop iteration."""

    name = "sharp_isa.view"
    index = prop_def(IntegerAttr)
    region = prop_def(IntegerAttr)
    row0 = prop_def(IntegerAttr)
    row_step = prop_def(IntegerAttr)
    nrows = prop_def(IntegerAttr)
    col0 = prop_def(IntegerAttr)
    ncols = prop_def(IntegerAttr)


@irdl_op_definition
class DmaEntryOp(_TableOp):
    """A DRAM window (isa.program.DmaDesc); `lens` = -1 when unmasked."""

    name = "sharp_isa.dma"
    index = prop_def(IntegerAttr)
    tensor = prop_def(IntegerAttr)
    lens = prop_def(IntegerAttr)
    base = prop_def(IntegerAttr)
    row_stride = prop_def(IntegerAttr)
    step_stride = prop_def(IntegerAttr)
    nrows = prop_def(IntegerAttr)
    ncols = prop_def(IntegerAttr)


@irdl_op_definition
class CopyEntryOp(_TableOp):
    """A strided DRAM-to-DRAM copy pattern; sizes and strides as four-element arrays."""

    name = "sharp_isa.copy"
    index = prop_def(IntegerAttr)
    src = prop_def(IntegerAttr)
    dst = prop_def(IntegerAttr)
    src_base = prop_def(IntegerAttr)
    dst_base = prop_def(IntegerAttr)
    sizes = prop_def(_I64_ARRAY)
    src_strides = prop_def(_I64_ARRAY)
    dst_strides = prop_def(_I64_ARRAY)


@irdl_op_definition
class ParamEntryOp(_TableOp):
    """An activation parameter entry (function, alpha, beta, clip; f64, printed exactly)."""

    name = "sharp_isa.param"
    index = prop_def(IntegerAttr)
    fn = prop_def(_names(ActFn))
    alpha = prop_def(FloatAttr)
    beta = prop_def(FloatAttr)
    clip = opt_prop_def(FloatAttr)


@irdl_op_definition
class LayerEntryOp(_TableOp):
    """Instructions [pc_begin, pc_end) implement one model layer."""

    name = "sharp_isa.layer"
    layer_name = prop_def(StringAttr)
    onnx_node = prop_def(StringAttr)
    kind = prop_def(StringAttr)
    pc_begin = prop_def(IntegerAttr)
    pc_end = prop_def(IntegerAttr)
    tile = prop_def(TileAttr)
    macs = prop_def(IntegerAttr)
    directions = opt_prop_def(IntegerAttr)
    """The ONNX node's directions when 2 (bidirectional); absent: 1."""

    def verify_(self) -> None:
        if self.pc_end.value.data < self.pc_begin.value.data:
            raise VerifyException("layer pc range is reversed")


def _i(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def _ints(values: tuple[int, ...]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, values)


def tensor_entry(index: int, t: Tensor, value: Attribute | None = None) -> TensorEntryOp:
    """The table op of a DRAM tensor (`value`: the constant's weights attribute)."""
    props: dict[str, Attribute] = {
        "index": _i(index), "tensor_name": StringAttr(t.name), "kind": StringAttr(t.kind.name.lower()),
        "dtype": StringAttr(t.dtype), "shape": _ints(t.shape),
    }  # fmt: skip
    if value is not None:
        props["value"] = value
    return TensorEntryOp(properties=props)


def region_entry(index: int, r: Region) -> RegionEntryOp:
    return RegionEntryOp(properties={
        "index": _i(index), "region_name": StringAttr(r.name), "space": StringAttr(r.space.name.lower()),
        "rows": _i(r.rows), "cols": _i(r.cols), "base": _i(r.base),
    })  # fmt: skip


def view_entry(index: int, v: View) -> ViewEntryOp:
    return ViewEntryOp(properties={
        "index": _i(index), "region": _i(v.region), "row0": _i(v.row0), "row_step": _i(v.row_step),
        "nrows": _i(v.nrows), "col0": _i(v.col0), "ncols": _i(v.ncols),
    })  # fmt: skip


def dma_entry(index: int, d: DmaDesc) -> DmaEntryOp:
    return DmaEntryOp(properties={
        "index": _i(index), "tensor": _i(d.tensor), "lens": _i(d.lens), "base": _i(d.base),
        "row_stride": _i(d.row_stride), "step_stride": _i(d.step_stride), "nrows": _i(d.nrows), "ncols": _i(d.ncols),
    })  # fmt: skip


def copy_entry(index: int, c: CopyDesc) -> CopyEntryOp:
    return CopyEntryOp(properties={
        "index": _i(index), "src": _i(c.src), "dst": _i(c.dst), "src_base": _i(c.src_base),
        "dst_base": _i(c.dst_base), "sizes": _ints(c.sizes), "src_strides": _ints(c.src_strides),
        "dst_strides": _ints(c.dst_strides),
    })  # fmt: skip


def param_entry(index: int, p: ActParam) -> ParamEntryOp:
    props: dict[str, Attribute] = {"index": _i(index), "fn": StringAttr(p.fn.name.lower()),
                                   "alpha": FloatAttr(p.alpha, f64), "beta": FloatAttr(p.beta, f64)}  # fmt: skip
    if p.clip is not None:
        props["clip"] = FloatAttr(p.clip, f64)
    return ParamEntryOp(properties=props)


def layer_entry(layer: LayerInfo) -> LayerEntryOp:
    return LayerEntryOp(properties={
        "layer_name": StringAttr(layer.name), "onnx_node": StringAttr(layer.onnx_node),
        "kind": StringAttr(layer.kind), "pc_begin": _i(layer.pc_begin), "pc_end": _i(layer.pc_end),
        "tile": TileAttr(*layer.tile), "macs": _i(layer.macs),
        **({"directions": _i(layer.directions)} if layer.directions != 1 else {}),
    })  # fmt: skip


SHARP_ISA = Dialect(
    "sharp_isa",
    [
        *INSTRUCTION_OPS.values(), TensorEntryOp, RegionEntryOp, ViewEntryOp, DmaEntryOp, CopyEntryOp,
        ParamEntryOp, LayerEntryOp,
    ],
    [],
)  # fmt: skip
