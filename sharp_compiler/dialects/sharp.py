"""The `sharp` dialect: tiled RNN dispatch over time steps.

A module at this level is a program for the SHARP machine with symbolic
storage: DRAM tensors (`sharp.tensor`), on-chip buffers (`sharp.buffer`), and
per model layer a `sharp.layer` whose body configures the array, loads
weights, and runs a `sharp.time_loop` that dispatches weight blocks to the
tiles, activates and updates the cell::

    builtin.module attributes {sharp.hw = #sharp.hw<"sharp-4k", "{...}">} {
      sharp.tensor input @X : tensor<25x1x64xf32> {onnx_name = "X"}
      sharp.buffer @acc vmem [1 x 512]
      sharp.layer @lstm0 "lstm" from "lstm_node" tile <32x32> macs 1638400 {
        sharp.configure_tile <32x32>
        sharp.load_weights <@W[0:512, 0:64]>, <@W0[base 0, rows 512 stride 64, cols 64]>
        sharp.time_loop 25 {
          sharp.load <@x[0:1, 0:64]>, <@X[base 0, rows 1 stride 64, cols 64, step 64]>
          sharp.dispatch <@acc[0:1, 0:512]>, <@x[0:1, 0:64]>, <@W[0:512, 0:64]>
          sharp.activate <@gates[0:1, 0:128]>, <@acc[0:1, 0:128]> <sigmoid>
          ...
        }
      }
    }

Each instruction op names its ISA opcode (`OPCODE`) and its operand slots
(`SLOTS`), so lowering to `sharp_isa` is table driven. Scheduling adds
`tokens` to instructions and `sharp.sync` ops; allocation adds `base` to
buffers.
"""

from __future__ import annotations

from typing import ClassVar

from xdsl.dialects.builtin import IntAttr, StringAttr, TensorType, UnitAttr
from xdsl.ir import Attribute, Dialect, Region
from xdsl.irdl import (
    IRDLOperation,
    irdl_op_definition,
    opt_prop_def,
    prop_def,
    region_def,
    traits_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import NoTerminator
from xdsl.utils.exceptions import VerifyException

from sharp_compiler.dialects.sharp_attrs import (
    ActivationAttr,
    CopyAttr,
    DramWindowAttr,
    HwConfigAttr,
    TileAttr,
    TokensAttr,
    WindowAttr,
)
from sharp_compiler.isa.spec import Opcode, Unit

TENSOR_KINDS = ("input", "output", "const", "scratch")
SPACES = ("vmem", "wmem")


@irdl_op_definition
class TensorOp(IRDLOperation):
    """A tensor in DRAM: a model input or output, a constant, or scratch.

    sharp.tensor input @X : tensor<25x1x64xf32> {onnx_name = "X"}
    sharp.tensor const @W0 : tensor<512x64xf16> {value = #rnn.weights<"W0", ..., elided>}
    """

    name = "sharp.tensor"
    sym_name = prop_def(StringAttr)
    kind = prop_def(StringAttr)
    tensor_type = prop_def(TensorType)
    onnx_name = opt_prop_def(StringAttr)
    value = opt_prop_def(Attribute)

    def __init__(self, sym: str, kind: str, ttype: TensorType, onnx_name: str | None = None,
                 value: Attribute | None = None):  # fmt: skip
        props: dict[str, Attribute | None] = {
            "sym_name": StringAttr(sym), "kind": StringAttr(kind), "tensor_type": ttype,
            "onnx_name": StringAttr(onnx_name) if onnx_name is not None else None, "value": value,
        }  # fmt: skip
        super().__init__(properties={k: v for k, v in props.items() if v is not None})

    def print(self, printer: Printer) -> None:
        printer.print_string(f" {self.kind.data} ")
        printer.print_symbol_name(self.sym_name.data)
        printer.print_string(" : ")
        printer.print_attribute(self.tensor_type)
        extra = {k: v for k, v in (("onnx_name", self.onnx_name), ("value", self.value)) if v is not None}
        if extra:
            printer.print_string(" ")
            printer.print_attr_dict(extra)

    @classmethod
    def parse(cls, parser: Parser) -> TensorOp:
        kind = parser.parse_identifier()
        sym = parser.parse_symbol_name().data
        parser.parse_punctuation(":")
        ttype = parser.parse_type()
        extra = parser.parse_optional_attr_dict()
        if not isinstance(ttype, TensorType):
            parser.raise_error("sharp.tensor expects a tensor type")
        onnx_name = extra.get("onnx_name")
        return cls(sym, kind, ttype, onnx_name.data if isinstance(onnx_name, StringAttr) else None,
                   extra.get("value"))  # fmt: skip

    def verify_(self) -> None:
        if self.kind.data not in TENSOR_KINDS:
            raise VerifyException(
                f"tensor kind must be one of {', '.join(TENSOR_KINDS)}, got '{self.kind.data}'"
            )
        if (self.kind.data == "const") != (self.value is not None):
            raise VerifyException("a const tensor, and only a const tensor, carries a value")
        if self.kind.data in ("input", "output") and self.onnx_name is None:
            raise VerifyException("model inputs and outputs carry their onnx_name")


@irdl_op_definition
class BufferOp(IRDLOperation):
    """An on-chip buffer: rows x cols fp32 words in the vector (vmem) or weight (wmem) buffer.

    sharp.buffer @acc vmem [1 x 512]
    sharp.buffer @acc vmem [1 x 512] at 1024     // after sharp-allocate
    """

    name = "sharp.buffer"
    sym_name = prop_def(StringAttr)
    space = prop_def(StringAttr)
    rows = prop_def(IntAttr)
    cols = prop_def(IntAttr)
    base = opt_prop_def(IntAttr)

    def __init__(self, sym: str, space: str, rows: int, cols: int, base: int | None = None):
        props: dict[str, Attribute] = {
            "sym_name": StringAttr(sym), "space": StringAttr(space), "rows": IntAttr(rows), "cols": IntAttr(cols),
        }  # fmt: skip
        if base is not None:
            props["base"] = IntAttr(base)
        super().__init__(properties=props)

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        printer.print_string(f" {self.space.data} [{self.rows.data} x {self.cols.data}]")
        if self.base is not None:
            printer.print_string(f" at {self.base.data}")

    @classmethod
    def parse(cls, parser: Parser) -> BufferOp:
        sym = parser.parse_symbol_name().data
        space = parser.parse_identifier()
        parser.parse_punctuation("[")
        rows = parser.parse_integer(allow_negative=False)
        parser.parse_shape_delimiter()
        cols = parser.parse_integer(allow_negative=False)
        parser.parse_punctuation("]")
        base = parser.parse_integer(allow_negative=False) if parser.parse_optional_keyword("at") else None
        return cls(sym, space, rows, cols, base)

    def verify_(self) -> None:
        if self.space.data not in SPACES:
            raise VerifyException(f"buffer space must be vmem or wmem, got '{self.space.data}'")
        if self.rows.data <= 0 or self.cols.data <= 0:
            raise VerifyException("a buffer must have at least one row and one column")


@irdl_op_definition
class LayerOp(IRDLOperation):
    """The code of one model layer (one ONNX node), with its tile geometry and useful MAC count.

    `directions` is the ONNX node's direction count (2: bidirectional; printed only then),
    whether the layer holds one direction or both::

    sharp.layer @lstm0 "lstm" from "lstm_node" tile <32x32> macs 1638400 { ... }
    sharp.layer @gru_0_bidir "gru" from "gru_0" tile <16x64> macs 829440 directions 2 { ... }
    """

    name = "sharp.layer"
    sym_name = prop_def(StringAttr)
    kind = prop_def(StringAttr)
    onnx_node = prop_def(StringAttr)
    tile = prop_def(TileAttr)
    macs = prop_def(IntAttr)
    directions = opt_prop_def(IntAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())

    def __init__(self, sym: str, kind: str, onnx_node: str, tile: TileAttr, macs: int, body: Region,
                 directions: int = 1):  # fmt: skip
        props: dict[str, Attribute] = {
            "sym_name": StringAttr(sym), "kind": StringAttr(kind), "onnx_node": StringAttr(onnx_node),
            "tile": tile, "macs": IntAttr(macs),
        }  # fmt: skip
        if directions != 1:
            props["directions"] = IntAttr(directions)
        super().__init__(properties=props, regions=[body])

    @property
    def node_directions(self) -> int:
        """Directions of the ONNX node (1 unless it is bidirectional)."""
        return self.directions.data if self.directions is not None else 1

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.sym_name.data)
        printer.print_string(" ")
        printer.print_string_literal(self.kind.data)
        printer.print_string(" from ")
        printer.print_string_literal(self.onnx_node.data)
        printer.print_string(" tile ")
        self.tile.print_parameters(printer)
        printer.print_string(f" macs {self.macs.data} ")
        if self.node_directions != 1:
            printer.print_string(f"directions {self.node_directions} ")
        printer.print_region(self.body, print_entry_block_args=False, print_empty_block=True)

    @classmethod
    def parse(cls, parser: Parser) -> LayerOp:
        sym = parser.parse_symbol_name().data
        kind = parser.parse_str_literal()
        parser.parse_keyword("from")
        node = parser.parse_str_literal()
        parser.parse_keyword("tile")
        (rows, cols) = TileAttr.parse_parameters(parser)
        parser.parse_keyword("macs")
        macs = parser.parse_integer(allow_negative=False)
        directions = (
            parser.parse_integer(allow_negative=False) if parser.parse_optional_keyword("directions") else 1
        )
        body = parser.parse_region()
        return cls(sym, kind, node, TileAttr(rows.data, cols.data), macs, body, directions)


@irdl_op_definition
class TimeLoopOp(IRDLOperation):
    """Repeat the body once per time step; windows advance by their `by` step per iteration.

    sharp.time_loop 25 { ... }
    """

    name = "sharp.time_loop"
    trips = prop_def(IntAttr)
    body = region_def("single_block")
    traits = traits_def(NoTerminator())

    def __init__(self, trips: int, body: Region):
        super().__init__(properties={"trips": IntAttr(trips)}, regions=[body])

    def print(self, printer: Printer) -> None:
        printer.print_string(f" {self.trips.data} ")
        printer.print_region(self.body, print_entry_block_args=False, print_empty_block=True)

    @classmethod
    def parse(cls, parser: Parser) -> TimeLoopOp:
        trips = parser.parse_integer(allow_negative=False)
        return cls(trips, parser.parse_region())

    def verify_(self) -> None:
        if self.trips.data <= 0:
            raise VerifyException("a time loop runs at least once")


class InstructionOp(IRDLOperation):
    """Base of the ops that become exactly one SHARP instruction."""

    OPCODE: ClassVar[Opcode]
    SLOTS: ClassVar[tuple[str, ...]] = ()
    """Property names filling operand slots a, b, c, d of the instruction."""

    def slot_attrs(self) -> list[Attribute]:
        return [self.properties[name] for name in self.SLOTS]

    @property
    def unit(self) -> Unit:
        from sharp_compiler.isa.spec import OPS

        return OPS[self.OPCODE].unit

    def tokens_attr(self) -> TokensAttr | None:
        tokens = self.properties.get("tokens")
        return tokens if isinstance(tokens, TokensAttr) else None


def _inst_props(**props: Attribute | None) -> dict[str, Attribute]:
    return {k: v for k, v in props.items() if v is not None}


@irdl_op_definition
class ConfigureTileOp(InstructionOp):
    """Reconfigure the multiplier array: `sharp.configure_tile <16x64>`."""

    name = "sharp.configure_tile"
    OPCODE: ClassVar[Opcode] = Opcode.CFGTILE
    tile = prop_def(TileAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$tile (`tokens` $tokens^)? attr-dict"

    def __init__(self, tile: TileAttr):
        super().__init__(properties={"tile": tile})


@irdl_op_definition
class LoadOp(InstructionOp):
    """DMA a DRAM window into a buffer window: `sharp.load <@x[0:1, 0:64]>, <@X[...]> reverse`."""

    name = "sharp.load"
    OPCODE: ClassVar[Opcode] = Opcode.LOAD
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "src")
    dst = prop_def(WindowAttr)
    src = prop_def(DramWindowAttr)
    reverse = opt_prop_def(UnitAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $src (`reverse` $reverse^)? (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, src: DramWindowAttr, reverse: bool = False):
        super().__init__(properties=_inst_props(dst=dst, src=src, reverse=UnitAttr() if reverse else None))


@irdl_op_definition
class StoreOp(InstructionOp):
    """DMA a buffer window into a DRAM window: `sharp.store <@Y[...]>, <@h[0:1, 0:64]>`."""

    name = "sharp.store"
    OPCODE: ClassVar[Opcode] = Opcode.STORE
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "src")
    dst = prop_def(DramWindowAttr)
    src = prop_def(WindowAttr)
    reverse = opt_prop_def(UnitAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $src (`reverse` $reverse^)? (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: DramWindowAttr, src: WindowAttr, reverse: bool = False):
        super().__init__(properties=_inst_props(dst=dst, src=src, reverse=UnitAttr() if reverse else None))


@irdl_op_definition
class LoadWeightsOp(InstructionOp):
    """DMA a block of a constant matrix into the weight buffer."""

    name = "sharp.load_weights"
    OPCODE: ClassVar[Opcode] = Opcode.LOADW
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "src")
    dst = prop_def(WindowAttr)
    src = prop_def(DramWindowAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $src (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, src: DramWindowAttr):
        super().__init__(properties={"dst": dst, "src": src})


class UnaryOp(InstructionOp):
    """Base of the ops that read one buffer window and write another: `sharp.<op> <dst>, <src>`."""

    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "src")
    dst = prop_def(WindowAttr)
    src = prop_def(WindowAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $src (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, src: WindowAttr):
        super().__init__(properties={"dst": dst, "src": src})


@irdl_op_definition
class MoveOp(UnaryOp):
    """Copy one buffer window into another."""

    name = "sharp.move"
    OPCODE: ClassVar[Opcode] = Opcode.MOVE


@irdl_op_definition
class CopyOp(InstructionOp):
    """Strided DRAM-to-DRAM copy (transpose, reshape, concat glue)."""

    name = "sharp.copy"
    OPCODE: ClassVar[Opcode] = Opcode.DCOPY
    SLOTS: ClassVar[tuple[str, ...]] = ("pattern",)
    pattern = prop_def(CopyAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$pattern (`tokens` $tokens^)? attr-dict"

    def __init__(self, pattern: CopyAttr):
        super().__init__(properties={"pattern": pattern})


@irdl_op_definition
class DispatchOp(InstructionOp):
    """Tiled dispatch of a weight matrix to the array: dst[n,M] (+)= src[n,K] x weights[M,K]^T.

    sharp.dispatch <@acc[0:1, 0:512]>, <@h[0:1, 0:128]>, <@R[0:512, 0:128]> accumulate
    """

    name = "sharp.dispatch"
    OPCODE: ClassVar[Opcode] = Opcode.MVM
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "src", "weights")
    dst = prop_def(WindowAttr)
    src = prop_def(WindowAttr)
    weights = prop_def(WindowAttr)
    accumulate = opt_prop_def(UnitAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $src `,` $weights (`accumulate` $accumulate^)? (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, src: WindowAttr, weights: WindowAttr, accumulate: bool = False):
        super().__init__(
            properties=_inst_props(
                dst=dst, src=src, weights=weights, accumulate=UnitAttr() if accumulate else None
            )
        )

    def verify_(self) -> None:
        n, m, k = self.dst.nrows.data, self.dst.ncols.data, self.src.ncols.data
        if self.src.nrows.data != n:
            raise VerifyException(f"dispatch source has {self.src.nrows.data} rows, destination {n}")
        if (self.weights.nrows.data, self.weights.ncols.data) != (m, k):
            raise VerifyException(
                f"dispatch weights are {self.weights.nrows.data}x{self.weights.ncols.data}, expected {m}x{k}"
            )


@irdl_op_definition
class ActivateOp(InstructionOp):
    """Activation unit: dst = fn(clip(src)).

    sharp.activate <@g[0:1, 0:64]>, <@acc[0:1, 0:64]> <hard_sigmoid alpha 0.2 beta 0.5>
    """

    name = "sharp.activate"
    OPCODE: ClassVar[Opcode] = Opcode.ACT
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "src", "fn")
    dst = prop_def(WindowAttr)
    src = prop_def(WindowAttr)
    fn = prop_def(ActivationAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $src $fn (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, src: WindowAttr, fn: ActivationAttr):
        super().__init__(properties={"dst": dst, "src": src, "fn": fn})


class BinaryOp(InstructionOp):
    """Base of the cell updater's two-operand ops: `sharp.<op> <dst>, <lhs>, <rhs>`."""

    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "lhs", "rhs")
    dst = prop_def(WindowAttr)
    lhs = prop_def(WindowAttr)
    rhs = prop_def(WindowAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $lhs `,` $rhs (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, lhs: WindowAttr, rhs: WindowAttr):
        super().__init__(properties={"dst": dst, "lhs": lhs, "rhs": rhs})


@irdl_op_definition
class AddOp(BinaryOp):
    """Cell updater: dst = lhs + rhs (rhs broadcasts from one row)."""

    name = "sharp.add"
    OPCODE: ClassVar[Opcode] = Opcode.VADD


@irdl_op_definition
class SubOp(BinaryOp):
    """Cell updater: dst = lhs - rhs."""

    name = "sharp.sub"
    OPCODE: ClassVar[Opcode] = Opcode.VSUB


@irdl_op_definition
class MulOp(BinaryOp):
    """Cell updater: dst = lhs * rhs (rhs broadcasts from one row)."""

    name = "sharp.mul"
    OPCODE: ClassVar[Opcode] = Opcode.VMUL


@irdl_op_definition
class FmaOp(InstructionOp):
    """Cell updater: dst = lhs * rhs + addend."""

    name = "sharp.fma"
    OPCODE: ClassVar[Opcode] = Opcode.VFMA
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "lhs", "rhs", "addend")
    dst = prop_def(WindowAttr)
    lhs = prop_def(WindowAttr)
    rhs = prop_def(WindowAttr)
    addend = prop_def(WindowAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $lhs `,` $rhs `,` $addend (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, lhs: WindowAttr, rhs: WindowAttr, addend: WindowAttr):
        super().__init__(properties={"dst": dst, "lhs": lhs, "rhs": rhs, "addend": addend})


@irdl_op_definition
class OneMinusOp(UnaryOp):
    """Cell updater: dst = 1 - src."""

    name = "sharp.one_minus"
    OPCODE: ClassVar[Opcode] = Opcode.VONEMINUS


@irdl_op_definition
class SelectOp(InstructionOp):
    """Cell updater: dst = mask != 0 ? on_true : on_false (mask has one column)."""

    name = "sharp.select"
    OPCODE: ClassVar[Opcode] = Opcode.VSEL
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "mask", "on_true", "on_false")
    dst = prop_def(WindowAttr)
    mask = prop_def(WindowAttr)
    on_true = prop_def(WindowAttr)
    on_false = prop_def(WindowAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $mask `,` $on_true `,` $on_false (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, mask: WindowAttr, on_true: WindowAttr, on_false: WindowAttr):
        super().__init__(properties={"dst": dst, "mask": mask, "on_true": on_true, "on_false": on_false})


@irdl_op_definition
class SeqMaskOp(InstructionOp):
    """Cell updater: dst[r] = (time step < lens[r]) — the mask of partial sequences."""

    name = "sharp.seq_mask"
    OPCODE: ClassVar[Opcode] = Opcode.SEQMASK
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "lens")
    dst = prop_def(WindowAttr)
    lens = prop_def(WindowAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $lens (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, lens: WindowAttr):
        super().__init__(properties={"dst": dst, "lens": lens})


@irdl_op_definition
class FillOp(InstructionOp):
    """Cell updater: dst = value."""

    name = "sharp.fill"
    OPCODE: ClassVar[Opcode] = Opcode.VFILL
    SLOTS: ClassVar[tuple[str, ...]] = ("dst",)
    dst = prop_def(WindowAttr)
    value = prop_def(StringAttr)  # the float printed with repr, exact
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $value (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, value: float):
        super().__init__(properties={"dst": dst, "value": StringAttr(repr(float(value)))})


@irdl_op_definition
class SoftmaxOp(InstructionOp):
    """Activation unit, row-wise: dst = softmax(src) (log-softmax with `log`).

    sharp.softmax <@out[0:10, 0:32]>, <@in[0:10, 0:32]> log
    """

    name = "sharp.softmax"
    OPCODE: ClassVar[Opcode] = Opcode.SOFTMAX
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "src")
    dst = prop_def(WindowAttr)
    src = prop_def(WindowAttr)
    log = opt_prop_def(UnitAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $src (`log` $log^)? (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, src: WindowAttr, log: bool = False):
        super().__init__(properties=_inst_props(dst=dst, src=src, log=UnitAttr() if log else None))


@irdl_op_definition
class LayerNormOp(InstructionOp):
    """Activation unit, row-wise: dst = (src - mean) / sqrt(variance + epsilon) per row.

    sharp.layer_norm <@out[0:10, 0:32]>, <@in[0:10, 0:32]>, "1e-05"
    """

    name = "sharp.layer_norm"
    OPCODE: ClassVar[Opcode] = Opcode.LAYERNORM
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "src")
    dst = prop_def(WindowAttr)
    src = prop_def(WindowAttr)
    epsilon = prop_def(StringAttr)  # the float printed with repr, exact
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $src `,` $epsilon (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, src: WindowAttr, epsilon: float):
        super().__init__(properties={"dst": dst, "src": src, "epsilon": StringAttr(repr(float(epsilon)))})


@irdl_op_definition
class GatherOp(InstructionOp):
    """DMA, embedding lookup: row r of dst = row indices[r] of a DRAM table.

    sharp.gather <@emb[0:10, 0:64]>, <@idx[0:10, 0:1]>, <@table[base 0, rows 1000 stride 64, cols 64]>
    """

    name = "sharp.gather"
    OPCODE: ClassVar[Opcode] = Opcode.GATHER
    SLOTS: ClassVar[tuple[str, ...]] = ("dst", "indices", "table")
    dst = prop_def(WindowAttr)
    indices = prop_def(WindowAttr)
    table = prop_def(DramWindowAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$dst `,` $indices `,` $table (`tokens` $tokens^)? attr-dict"

    def __init__(self, dst: WindowAttr, indices: WindowAttr, table: DramWindowAttr):
        super().__init__(properties={"dst": dst, "indices": indices, "table": table})


@irdl_op_definition
class SyncOp(InstructionOp):
    """A token-only instruction on one unit (primes or drains a dependency queue)."""

    name = "sharp.sync"
    OPCODE: ClassVar[Opcode] = Opcode.NOP
    on_unit = prop_def(StringAttr)
    tokens = opt_prop_def(TokensAttr)
    assembly_format = "$on_unit (`tokens` $tokens^)? attr-dict"

    def __init__(self, unit: Unit, tokens: TokensAttr | None = None):
        super().__init__(properties=_inst_props(on_unit=StringAttr(unit.name.lower()), tokens=tokens))

    @property
    def unit(self) -> Unit:
        return Unit[self.on_unit.data.upper()]


SHARP = Dialect(
    "sharp",
    [
        TensorOp, BufferOp, LayerOp, TimeLoopOp, ConfigureTileOp, LoadOp, StoreOp, LoadWeightsOp, MoveOp,
        CopyOp, DispatchOp, ActivateOp, AddOp, SubOp, MulOp, FmaOp, OneMinusOp, SelectOp, SeqMaskOp, FillOp,
        SoftmaxOp, LayerNormOp, GatherOp, SyncOp,
    ],
    [HwConfigAttr, TileAttr, WindowAttr, DramWindowAttr, CopyAttr, ActivationAttr, TokensAttr],
)  # fmt: skip
