"""The generic form upstream `mlir-opt --irdl-file=dialects/all.irdl.mlir` parses and verifies.

    sharp-opt in.mlir --upstream-generic | mlir-opt-22 --irdl-file=dialects/all.irdl.mlir

IRDL-defined dialects are "extensible": their ops carry no properties and their attributes
have only the generic parameter syntax. So this printer writes the generic op form with
properties in the attribute dictionary, and every sharp attribute as `#dialect.name<p, ...>`
with each parameter a plain upstream attribute (dialects/README.md lists the mapping):

    #rnn<direction forward>        ->  #rnn.direction<"forward">
    #builtin.int<3>                ->  3 : i64
    bytes (weights)                ->  "0x..." string;  elided  ->  unit

IRDL cannot declare `NoTerminator`, so every block of a sharp op (`sharp.layer`,
`sharp.time_loop`) ends with `"ub.unreachable"() : () -> ()` in this form: upstream's
structural terminator; nothing executes it.
"""

from __future__ import annotations

import io
from functools import cache

from xdsl.dialects.builtin import BytesAttr, IntAttr, ModuleOp, NoneAttr
from xdsl.ir import Attribute, Data, ParametrizedAttribute, TypeAttribute
from xdsl.printer import Printer
from xdsl.utils.str_enum import StrEnum

SHARP_DIALECTS = ("rnn.", "sharp.", "sharp_isa.")


@cache
def upstream_names() -> dict[type[Attribute], str]:
    """Each sharp attribute's upstream name: IRDL renames those that share an op's name (`sharp.copy_attr`)."""
    from sharp_compiler.dialects.irdl_export import attribute_symbols, sharp_dialects

    names: dict[type[Attribute], str] = {}
    for dialect in sharp_dialects().values():
        for attr, sym in attribute_symbols(dialect).items():
            names[attr] = f"{dialect.name}.{sym}"
    return names


class UpstreamPrinter(Printer):
    """xDSL's generic printer with sharp's attributes in IRDL's generic parameter syntax."""

    def print_attribute(self, attribute: Attribute) -> None:
        if isinstance(attribute, IntAttr):
            self.print_string(f"{attribute.data} : i64")
            return
        if isinstance(attribute, BytesAttr):
            self.print_string_literal("0x" + attribute.data.hex().upper())
            return
        if isinstance(attribute, NoneAttr):
            self.print_string("unit")
            return
        if not attribute.name.startswith(SHARP_DIALECTS):
            super().print_attribute(attribute)
            return
        name = upstream_names().get(type(attribute), attribute.name)
        self.print_string(("!" if isinstance(attribute, TypeAttribute) else "#") + name)
        if isinstance(attribute, Data) and isinstance(attribute.data, StrEnum):
            self.print_string("<")
            self.print_string_literal(str(attribute.data))
            self.print_string(">")
        elif isinstance(attribute, ParametrizedAttribute) and attribute.parameters:
            with self.in_angle_brackets():
                self.print_list(attribute.parameters, self.print_attribute)
        elif isinstance(attribute, Data):
            raise ValueError(f"{attribute.name} has no upstream spelling")


def _close_blocks(module: ModuleOp) -> ModuleOp:
    """A copy of `module` whose sharp-op blocks end in `ub.unreachable` (IRDL has no NoTerminator)."""
    from xdsl.dialects.ub import UnreachableOp
    from xdsl.traits import IsTerminator

    closed = module.clone()
    for op in closed.walk():
        if not op.name.startswith(SHARP_DIALECTS):
            continue
        for region in op.regions:
            for block in region.blocks:
                last = block.last_op
                if last is None or not last.has_trait(IsTerminator):
                    block.add_op(UnreachableOp())
    return closed


def upstream_generic_text(module: ModuleOp) -> str:
    """The module in the generic form upstream MLIR parses with `--irdl-file=dialects/all.irdl.mlir`."""
    stream = io.StringIO()
    printer = UpstreamPrinter(stream=stream, print_generic_format=True, print_properties_as_attributes=True)
    printer.print_op(_close_blocks(module))
    return stream.getvalue() + "\n"
