"""Attributes of the `sharp` dialect: hardware config, tile shape, buffer windows, DMA patterns.

#sharp.hw<"sharp-4k", "{...canonical json...}">
#sharp.tile<32x32>
#sharp.win<@acc[0:1 by 1, 0:48]>          rows 0..1 (+1 row per loop iteration), cols 0..48
#sharp.dram<@X[base 0, rows 1 stride 5, cols 5, step 5]>
#sharp.dram<@Y[base 0, rows 2 stride 12, cols 12, step 24, lens @seq_lens]>
#sharp.copy<@Y0 -> @X1, [25, 1, 1, 12], src 0 [12, 12, 12, 1], dst 0 [12, 12, 12, 1]>
#sharp.act<sigmoid>   #sharp.act<hard_sigmoid alpha 0.2 beta 0.5 clip 3.0>
#sharp.tokens<pop [dma], push [act, cell]>
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from xdsl.dialects.builtin import FloatAttr, IntAttr, StringAttr, f32
from xdsl.ir import ParametrizedAttribute
from xdsl.irdl import irdl_attr_definition
from xdsl.parser import AttrParser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from sharp_compiler.hw.config import HwConfig, config_from_json
from sharp_compiler.isa.spec import TOKEN_UNITS, ActFn, Unit


def _int(parser: AttrParser, negative: bool = False) -> int:
    return parser.parse_integer(allow_boolean=False, allow_negative=negative)


def _int_list(parser: AttrParser, negative: bool = False) -> list[int]:
    return parser.parse_comma_separated_list(parser.Delimiter.SQUARE, lambda: _int(parser, negative))


@irdl_attr_definition
class HwConfigAttr(ParametrizedAttribute):
    """The hardware configuration a module is compiled for (canonical JSON)."""

    name = "sharp.hw"
    preset: StringAttr
    json: StringAttr

    def __init__(self, cfg: HwConfig):
        super().__init__(StringAttr(cfg.name), StringAttr(cfg.canonical_json()))

    def config(self) -> HwConfig:
        return config_from_json(self.json.data, f"#sharp.hw<{self.preset.data}>")

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[StringAttr]:
        with parser.in_angle_brackets():
            preset = parser.parse_str_literal()
            parser.parse_punctuation(",")
            text = parser.parse_str_literal()
        return (StringAttr(preset), StringAttr(text))

    def print_parameters(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            printer.print_string_literal(self.preset.data)
            printer.print_string(", ")
            printer.print_string_literal(self.json.data)

    def verify(self) -> None:
        try:
            self.config()
        except ValueError as err:
            raise VerifyException(str(err)) from None


@irdl_attr_definition
class TileAttr(ParametrizedAttribute):
    """A tile geometry of the multiplier array: `#sharp.tile<rows x cols>`."""

    name = "sharp.tile"
    rows: IntAttr
    cols: IntAttr

    def __init__(self, rows: int, cols: int):
        super().__init__(IntAttr(rows), IntAttr(cols))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows.data, self.cols.data)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[IntAttr]:
        with parser.in_angle_brackets():
            rows = _int(parser)
            parser.parse_shape_delimiter()
            cols = _int(parser)
        return (IntAttr(rows), IntAttr(cols))

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<{self.rows.data}x{self.cols.data}>")

    def verify(self) -> None:
        if self.rows.data <= 0 or self.cols.data <= 0:
            raise VerifyException("tile dimensions must be positive")


@irdl_attr_definition
class WindowAttr(ParametrizedAttribute):
    """Rows [row0 + step*i, +nrows) x cols [col0, +ncols) of an on-chip buffer; i = loop index."""

    name = "sharp.win"
    buffer: StringAttr
    row0: IntAttr
    nrows: IntAttr
    row_step: IntAttr
    col0: IntAttr
    ncols: IntAttr

    def __init__(self, buffer: str, row0: int, nrows: int, row_step: int, col0: int, ncols: int):
        super().__init__(
            StringAttr(buffer),
            IntAttr(row0),
            IntAttr(nrows),
            IntAttr(row_step),
            IntAttr(col0),
            IntAttr(ncols),
        )

    @property
    def key(self) -> tuple[str, int, int, int, int, int]:
        return (self.buffer.data, self.row0.data, self.nrows.data, self.row_step.data, self.col0.data,
                self.ncols.data)  # fmt: skip

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[IntAttr | StringAttr]:
        with parser.in_angle_brackets():
            buf = parser.parse_symbol_name()
            parser.parse_punctuation("[")
            row0 = _int(parser)
            parser.parse_punctuation(":")
            nrows = _int(parser)
            step = 0
            if parser.parse_optional_keyword("by"):
                step = _int(parser, negative=True)
            parser.parse_punctuation(",")
            col0 = _int(parser)
            parser.parse_punctuation(":")
            ncols = _int(parser)
            parser.parse_punctuation("]")
        return (buf, IntAttr(row0), IntAttr(nrows), IntAttr(step), IntAttr(col0), IntAttr(ncols))

    def print_parameters(self, printer: Printer) -> None:
        step = f" by {self.row_step.data}" if self.row_step.data else ""
        printer.print_string("<")
        printer.print_symbol_name(self.buffer.data)
        printer.print_string(
            f"[{self.row0.data}:{self.nrows.data}{step}, {self.col0.data}:{self.ncols.data}]>"
        )

    def verify(self) -> None:
        if self.nrows.data <= 0 or self.ncols.data <= 0:
            raise VerifyException("a window must have at least one row and one column")


@irdl_attr_definition
class DramWindowAttr(ParametrizedAttribute):
    """A [nrows, ncols] window of a DRAM tensor at loop index i (see isa.program.DmaDesc)."""

    name = "sharp.dram"
    tensor: StringAttr
    base: IntAttr
    nrows: IntAttr
    row_stride: IntAttr
    ncols: IntAttr
    step_stride: IntAttr
    lens: StringAttr  # "" when there are no sequence lengths

    def __init__(
        self,
        tensor: str,
        base: int,
        nrows: int,
        row_stride: int,
        ncols: int,
        step_stride: int,
        lens: str = "",
    ):
        super().__init__(
            StringAttr(tensor), IntAttr(base), IntAttr(nrows), IntAttr(row_stride), IntAttr(ncols),
            IntAttr(step_stride), StringAttr(lens),
        )  # fmt: skip

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[IntAttr | StringAttr]:
        with parser.in_angle_brackets():
            tensor = parser.parse_symbol_name()
            parser.parse_punctuation("[")
            parser.parse_keyword("base")
            base = _int(parser)
            parser.parse_punctuation(",")
            parser.parse_keyword("rows")
            nrows = _int(parser)
            parser.parse_keyword("stride")
            row_stride = _int(parser)
            parser.parse_punctuation(",")
            parser.parse_keyword("cols")
            ncols = _int(parser)
            step = 0
            lens = StringAttr("")
            while parser.parse_optional_punctuation(","):
                if parser.parse_optional_keyword("step"):
                    step = _int(parser, negative=True)
                else:
                    parser.parse_keyword("lens")
                    lens = parser.parse_symbol_name()
            parser.parse_punctuation("]")
        return (
            tensor,
            IntAttr(base),
            IntAttr(nrows),
            IntAttr(row_stride),
            IntAttr(ncols),
            IntAttr(step),
            lens,
        )

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string("<")
        printer.print_symbol_name(self.tensor.data)
        printer.print_string(
            f"[base {self.base.data}, rows {self.nrows.data} stride {self.row_stride.data}, cols {self.ncols.data}"
        )
        if self.step_stride.data:
            printer.print_string(f", step {self.step_stride.data}")
        if self.lens.data:
            printer.print_string(", lens ")
            printer.print_symbol_name(self.lens.data)
        printer.print_string("]>")


@irdl_attr_definition
class CopyAttr(ParametrizedAttribute):
    """A strided 4-D DRAM-to-DRAM copy (isa.program.CopyDesc)."""

    name = "sharp.copy"
    src: StringAttr
    dst: StringAttr
    sizes: StringAttr  # "a,b,c,d" — kept textual to stay compact
    src_base: IntAttr
    src_strides: StringAttr
    dst_base: IntAttr
    dst_strides: StringAttr

    def __init__(
        self, src: str, dst: str, sizes: Sequence[int], src_base: int, src_strides: Sequence[int],
        dst_base: int, dst_strides: Sequence[int],
    ):  # fmt: skip
        def enc(values: Sequence[int]) -> StringAttr:
            return StringAttr(",".join(str(v) for v in values))

        super().__init__(
            StringAttr(src), StringAttr(dst), enc(sizes), IntAttr(src_base), enc(src_strides), IntAttr(dst_base),
            enc(dst_strides),
        )  # fmt: skip

    @staticmethod
    def _dec(attr: StringAttr) -> tuple[int, int, int, int]:
        values = tuple(int(v) for v in attr.data.split(","))
        return values  # type: ignore[return-value]

    @property
    def size_list(self) -> tuple[int, int, int, int]:
        return self._dec(self.sizes)

    @property
    def src_stride_list(self) -> tuple[int, int, int, int]:
        return self._dec(self.src_strides)

    @property
    def dst_stride_list(self) -> tuple[int, int, int, int]:
        return self._dec(self.dst_strides)

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[IntAttr | StringAttr]:
        def enc(values: Sequence[int]) -> StringAttr:
            return StringAttr(",".join(str(v) for v in values))

        with parser.in_angle_brackets():
            src = parser.parse_symbol_name()
            parser.parse_punctuation("->")
            dst = parser.parse_symbol_name()
            parser.parse_punctuation(",")
            sizes = _int_list(parser)
            parser.parse_punctuation(",")
            parser.parse_keyword("src")
            src_base = _int(parser)
            src_strides = _int_list(parser)
            parser.parse_punctuation(",")
            parser.parse_keyword("dst")
            dst_base = _int(parser)
            dst_strides = _int_list(parser)
        return (
            src,
            dst,
            enc(sizes),
            IntAttr(src_base),
            enc(src_strides),
            IntAttr(dst_base),
            enc(dst_strides),
        )

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string("<")
        printer.print_symbol_name(self.src.data)
        printer.print_string(" -> ")
        printer.print_symbol_name(self.dst.data)
        printer.print_string(
            f", [{self.sizes.data.replace(',', ', ')}], src {self.src_base.data} "
            f"[{self.src_strides.data.replace(',', ', ')}], dst {self.dst_base.data} "
            f"[{self.dst_strides.data.replace(',', ', ')}]>"
        )

    def verify(self) -> None:
        for field in (self.sizes, self.src_strides, self.dst_strides):
            parts = field.data.split(",")
            if len(parts) != 4 or not all(p.lstrip("-").isdigit() for p in parts):
                raise VerifyException("copy sizes and strides must have 4 integers each")
        if any(s <= 0 for s in self.size_list):
            raise VerifyException("copy sizes must be positive")


def _f32_text(value: float) -> str:
    """The shortest text that parses back to the same float32."""
    return str(np.float32(value))


ACT_NAMES: dict[str, ActFn] = {fn.name.lower(): fn for fn in ActFn}


@irdl_attr_definition
class ActivationAttr(ParametrizedAttribute):
    """An activation function with its ONNX alpha/beta and optional clip."""

    name = "sharp.act"
    fn: StringAttr
    alpha: FloatAttr
    beta: FloatAttr
    clip: FloatAttr  # NaN when there is no clip

    def __init__(self, fn: str, alpha: float = 0.0, beta: float = 0.0, clip: float | None = None):
        super().__init__(
            StringAttr(fn), FloatAttr(alpha, f32), FloatAttr(beta, f32),
            FloatAttr(math.nan if clip is None else clip, f32),
        )  # fmt: skip

    @property
    def act_fn(self) -> ActFn:
        return ACT_NAMES[self.fn.data]

    @property
    def clip_value(self) -> float | None:
        value = self.clip.value.data
        return None if math.isnan(value) else value

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[StringAttr | FloatAttr]:
        values = {"alpha": 0.0, "beta": 0.0, "clip": math.nan}
        with parser.in_angle_brackets():
            fn = parser.parse_identifier()
            while key := parser.parse_optional_keyword_in(("alpha", "beta", "clip")):
                values[key] = parser.parse_number()  # type: ignore[assignment]
        return (StringAttr(fn), *(FloatAttr(float(values[k]), f32) for k in ("alpha", "beta", "clip")))

    def print_parameters(self, printer: Printer) -> None:
        parts = [self.fn.data]
        for key in ("alpha", "beta"):
            value = getattr(self, key).value.data
            if value:
                parts.append(f"{key} {_f32_text(value)}")
        if self.clip_value is not None:
            parts.append(f"clip {_f32_text(self.clip_value)}")
        printer.print_string("<" + " ".join(parts) + ">")

    def verify(self) -> None:
        if self.fn.data not in ACT_NAMES:
            raise VerifyException(
                f"unknown activation '{self.fn.data}'; expected one of {', '.join(ACT_NAMES)}"
            )
        if self.clip_value is not None and self.clip_value <= 0:
            raise VerifyException("clip must be positive")


UNIT_NAMES = {u.name.lower(): u for u in TOKEN_UNITS}


@irdl_attr_definition
class TokensAttr(ParametrizedAttribute):
    """Dependency tokens of one instruction: queues it pops from and pushes to."""

    name = "sharp.tokens"
    pop: IntAttr
    push: IntAttr

    def __init__(self, pop: int, push: int):
        super().__init__(IntAttr(pop), IntAttr(push))

    @staticmethod
    def _names(mask: int) -> str:
        return ", ".join(u.name.lower() for u in TOKEN_UNITS if mask >> u & 1)

    @staticmethod
    def _mask(parser: AttrParser) -> int:
        names = parser.parse_comma_separated_list(
            parser.Delimiter.SQUARE, lambda: parser.parse_keyword_in(tuple(UNIT_NAMES))
        )
        return sum(1 << UNIT_NAMES[n] for n in set(names))

    @classmethod
    def parse_parameters(cls, parser: AttrParser) -> Sequence[IntAttr]:
        with parser.in_angle_brackets():
            parser.parse_keyword("pop")
            pop = cls._mask(parser)
            parser.parse_punctuation(",")
            parser.parse_keyword("push")
            push = cls._mask(parser)
        return (IntAttr(pop), IntAttr(push))

    def print_parameters(self, printer: Printer) -> None:
        printer.print_string(f"<pop [{self._names(self.pop.data)}], push [{self._names(self.push.data)}]>")

    def verify(self) -> None:
        for mask in (self.pop.data, self.push.data):
            if mask < 0 or mask >= 1 << len(TOKEN_UNITS):
                raise VerifyException("token masks name only dma, array, act and cell")


def unit_name(unit: Unit) -> str:
    return unit.name.lower()
