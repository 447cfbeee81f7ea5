"""convert-sharp-to-isa: flatten scheduled, allocated `sharp` into `sharp_isa` instructions.

Buffers become regions, windows and DRAM patterns are interned into the
view / DMA / copy / param tables, `sharp.time_loop` becomes `loop`/`endloop`,
and every layer records its pc range for per-layer statistics and the debug
map. The result is 1:1 with the binary.

Before::

    sharp.time_loop 10 {
      sharp.dispatch <@acc[0:1, 0:64]>, <@x[0:1, 0:8]>, <@W[0:64, 0:8]> tokens <pop [dma], push []>
    }

After::

    sharp_isa.view {index = 0 : i64, region = 2 : i64, ...}
    sharp_isa.loop imm 10
    sharp_isa.mvm v0, v1, v2 tokens <pop [dma], push []>
    sharp_isa.endloop
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.ir import Attribute, Operation
from xdsl.passes import ModulePass

from sharp_compiler.diagnostics import at_op
from sharp_compiler.dialects import sharp, sharp_isa
from sharp_compiler.dialects.sharp_attrs import ActivationAttr, CopyAttr, DramWindowAttr, WindowAttr
from sharp_compiler.isa.program import (
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
from sharp_compiler.isa.spec import NO_OPERAND, OPS, Flag, Opcode, OperandKind, nop_flags, pack_tile
from sharp_compiler.transforms.rnn_access import LoweringError

DTYPE_NAMES = {"f32": "float32", "f16": "float16", "i32": "int32", "i64": "int64"}


@dataclass
class _Tables:
    tensors: dict[str, int] = field(default_factory=dict)
    regions: dict[str, int] = field(default_factory=dict)
    views: dict[tuple[int, ...], int] = field(default_factory=dict)
    dmas: dict[tuple[int, ...], int] = field(default_factory=dict)
    copies: dict[CopyDesc, int] = field(default_factory=dict)
    params: dict[ActParam, int] = field(default_factory=dict)
    entries: list[Operation] = field(default_factory=list)

    def view(self, win: WindowAttr) -> int:
        if win.buffer.data not in self.regions:
            raise LoweringError(f"window names unknown buffer @{win.buffer.data}")
        key = (self.regions[win.buffer.data], win.row0.data, win.row_step.data, win.nrows.data, win.col0.data,
               win.ncols.data)  # fmt: skip
        if key not in self.views:
            self.views[key] = len(self.views)
            self.entries.append(sharp_isa.view_entry(self.views[key], View(*key)))
        return self.views[key]

    def tensor(self, sym: str) -> int:
        if sym not in self.tensors:
            raise LoweringError(f"DRAM pattern names unknown tensor @{sym}")
        return self.tensors[sym]

    def dma(self, pattern: DramWindowAttr) -> int:
        lens = self.tensor(pattern.lens.data) if pattern.lens.data else -1
        key = (self.tensor(pattern.tensor.data), lens, pattern.base.data, pattern.row_stride.data,
               pattern.step_stride.data, pattern.nrows.data, pattern.ncols.data)  # fmt: skip
        if key not in self.dmas:
            self.dmas[key] = len(self.dmas)
            self.entries.append(sharp_isa.dma_entry(self.dmas[key], DmaDesc(*key)))
        return self.dmas[key]

    def copy(self, pattern: CopyAttr) -> int:
        desc = CopyDesc(self.tensor(pattern.src.data), self.tensor(pattern.dst.data), pattern.src_base.data,
                        pattern.dst_base.data, pattern.size_list, pattern.src_stride_list,
                        pattern.dst_stride_list)  # fmt: skip
        if desc not in self.copies:
            self.copies[desc] = len(self.copies)
            self.entries.append(sharp_isa.copy_entry(self.copies[desc], desc))
        return self.copies[desc]

    def param(self, act: ActivationAttr) -> int:
        param = ActParam(act.act_fn, act.alpha.value.data, act.beta.value.data, act.clip_value)
        if param not in self.params:
            self.params[param] = len(self.params)
            self.entries.append(sharp_isa.param_entry(self.params[param], param))
        return self.params[param]

    def operand(self, kind: OperandKind, attr: Attribute) -> int:
        if kind in (OperandKind.VIEW_R, OperandKind.VIEW_W, OperandKind.WVIEW_R, OperandKind.WVIEW_W):
            assert isinstance(attr, WindowAttr)
            return self.view(attr)
        if kind in (OperandKind.DMA_R, OperandKind.DMA_W):
            assert isinstance(attr, DramWindowAttr)
            return self.dma(attr)
        if kind is OperandKind.COPY:
            assert isinstance(attr, CopyAttr)
            return self.copy(attr)
        assert kind is OperandKind.PARAM and isinstance(attr, ActivationAttr)
        return self.param(attr)


def _instruction(op: sharp.InstructionOp, tables: _Tables) -> Operation:
    spec = OPS[op.OPCODE]
    used = [k for k in spec.operands if k is not OperandKind.NONE]
    slots = [tables.operand(kind, attr) for kind, attr in zip(used, op.slot_attrs(), strict=False)]
    a, b, c, d = (*slots, *[NO_OPERAND] * (4 - len(slots)))
    flags = 0
    if op.properties.get("accumulate") is not None:
        flags |= Flag.ACCUMULATE
    if op.properties.get("reverse") is not None:
        flags |= Flag.REVERSE
    if op.properties.get("log") is not None:
        flags |= Flag.LOG
    if isinstance(op, sharp.SyncOp):
        flags |= nop_flags(op.unit)
    imm = 0
    if isinstance(op, sharp.ConfigureTileOp):
        imm = pack_tile(*op.tile.shape)
    elif isinstance(op, sharp.FillOp):
        imm = struct.unpack("<I", struct.pack("<f", float(op.value.data)))[0]
    elif isinstance(op, sharp.LayerNormOp):
        imm = struct.unpack("<I", struct.pack("<f", float(op.epsilon.data)))[0]
    tokens = op.tokens_attr()
    if tokens is None:
        raise LoweringError(f"{op.name} has no dependency tokens; run sharp-schedule first", op)
    instruction = sharp_isa.instruction(
        Instruction(op.OPCODE, tokens.pop.data, tokens.push.data, flags, a, b, c, d, imm)
    )
    instruction.properties["tokens"] = tokens  # kept even when empty: the schedule ran
    return instruction


def _flatten(ops: list[Operation], tables: _Tables, code: list[Operation]) -> None:
    for op in ops:
        if isinstance(op, sharp.TimeLoopOp):
            code.append(sharp_isa.instruction(Instruction(Opcode.LOOP, imm=op.trips.data)))
            _flatten(list(op.body.block.ops), tables, code)
            code.append(sharp_isa.instruction(Instruction(Opcode.ENDLOOP)))
        elif isinstance(op, sharp.InstructionOp):
            with at_op(op):
                code.append(_instruction(op, tables))
        else:
            raise LoweringError(f"unexpected {op.name} inside a layer", op)


@dataclass(frozen=True)
class ConvertSharpToIsaPass(ModulePass):
    """Lower scheduled and allocated `sharp` to `sharp_isa` (one op per instruction)."""

    name = "convert-sharp-to-isa"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        tables = _Tables()
        code: list[Operation] = []
        layers: list[Operation] = []
        heads: list[Operation] = []
        for item in op.body.block.ops:
            if isinstance(item, sharp.TensorOp):
                tables.tensors[item.sym_name.data] = len(tables.tensors)
                ttype = item.tensor_type
                assert isinstance(ttype, TensorType)
                name = item.onnx_name.data if item.onnx_name is not None else item.sym_name.data
                tensor = Tensor(name, TensorKind[item.kind.data.upper()], DTYPE_NAMES[str(ttype.element_type)],
                                tuple(ttype.get_shape()))  # fmt: skip
                heads.append(sharp_isa.tensor_entry(len(tables.tensors) - 1, tensor, item.value))
            elif isinstance(item, sharp.BufferOp):
                if item.base is None:
                    raise LoweringError(
                        f"buffer @{item.sym_name.data} has no address; run sharp-allocate first", item
                    )
                tables.regions[item.sym_name.data] = len(tables.regions)
                region = Region(item.sym_name.data, Space[item.space.data.upper()], item.rows.data, item.cols.data,
                                item.base.data)  # fmt: skip
                heads.append(sharp_isa.region_entry(len(tables.regions) - 1, region))
        for item in op.body.block.ops:
            if not isinstance(item, sharp.LayerOp):
                continue
            begin = len(code)
            _flatten(list(item.body.block.ops), tables, code)
            info = LayerInfo(item.sym_name.data, item.onnx_node.data, item.kind.data, begin, len(code),
                             item.tile.shape, item.macs.data, item.node_directions)  # fmt: skip
            layers.append(sharp_isa.layer_entry(info))
        for old in list(op.body.block.ops):
            old.detach()
            old.erase()
        op.body.block.add_ops([*heads, *tables.entries, *layers, *code])
