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

`from_upstream_text` reads mlir-opt's output back into sharp's own ops and attributes
(`sharp-opt --from-upstream`), so a module can go to upstream MLIR and come back.
"""

from __future__ import annotations

import io
from functools import cache

from xdsl.context import Context
from xdsl.dialects.builtin import (
    ArrayAttr,
    BytesAttr,
    IntAttr,
    IntegerAttr,
    ModuleOp,
    NoneAttr,
    StringAttr,
    UnitAttr,
)
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, Data, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import AttrConstraint, ConstraintContext
from xdsl.printer import Printer
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import VerifyException
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


def _dynamic_context() -> Context:
    """builtin, func and ub, with sharp's dialects as upstream sees them (loaded from their IRDL)."""
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func
    from xdsl.dialects.ub import UB

    from sharp_compiler.dialects.irdl_export import ALL_FILE, load_irdl, render_all

    ctx = Context()
    for dialect in (Builtin, Func, UB, *load_irdl(render_all()[ALL_FILE]).values()):
        ctx.load_dialect(dialect)
    return ctx


def _candidates(attr: Attribute) -> list[Attribute]:
    """`attr` and what it may have been before `UpstreamPrinter` respelled it."""
    out = [attr]
    if isinstance(attr, IntegerAttr):
        out.append(IntAttr(attr.value.data))
    elif isinstance(attr, StringAttr) and attr.data.startswith("0x"):
        out.append(BytesAttr(bytes.fromhex(attr.data[2:])))
    elif isinstance(attr, UnitAttr):
        out.append(NoneAttr())
    return out


def _fit(value: Attribute, constraint: AttrConstraint | None) -> Attribute:
    """The first spelling of `value` that `constraint` accepts (the value itself when none does)."""
    for candidate in _candidates(value):
        try:
            if constraint is not None:
                constraint.verify(candidate, ConstraintContext())
            return candidate
        except VerifyException:
            continue
    return value


def _real_attribute(attr: Attribute, classes: dict[str, type[Attribute]]) -> Attribute:
    """An upstream-spelled sharp attribute back as the xDSL attribute it was printed from."""
    if isinstance(attr, ArrayAttr):
        return ArrayAttr([_real_attribute(a, classes) for a in attr.data])
    if not isinstance(attr, ParametrizedAttribute) or attr.name not in classes:
        return attr
    cls = classes[attr.name]
    params = [_real_attribute(p, classes) for p in attr.parameters]
    if issubclass(cls, EnumAttribute):
        (value,) = params
        assert isinstance(value, StringAttr)
        return cls(cls.enum_type(value.data))
    assert issubclass(cls, ParametrizedAttribute)
    defs = cls.get_irdl_definition().parameters
    return cls.new([_fit(p, d.constr) for p, (_, d) in zip(params, defs, strict=True)])


def from_upstream_text(text: str, origin: str = "<upstream>") -> ModuleOp:
    """Read back what mlir-opt prints for `--upstream-generic` output: the module with sharp's own ops."""
    from xdsl.parser import Parser

    from sharp_compiler.universe import DIALECTS

    dialects = [factory() for factory in DIALECTS.values()]
    ops = {op.name: op for d in dialects for op in d.operations}
    classes: dict[str, type[Attribute]] = {
        upstream_names().get(a, a.name): a for d in dialects for a in d.attributes
    }
    module = Parser(_dynamic_context(), text, origin).parse_module()
    for key, value in list(module.attributes.items()):
        module.attributes[key] = _real_attribute(value, classes)
    for old in list(module.walk(reverse=True)):
        if old.name not in ops:
            continue
        cls = ops[old.name]
        definition = cls.get_irdl_definition()
        props_defs = dict(definition.properties)
        attrs_defs = dict(definition.attributes)
        properties: dict[str, Attribute] = {}
        attributes: dict[str, Attribute] = {}
        for key, value in old.attributes.items():
            real = _real_attribute(value, classes)
            if key in props_defs or key == "operandSegmentSizes":
                constraint = props_defs[key].constr if key in props_defs else None
                properties[key] = _fit(real, constraint)
            else:
                constraint = attrs_defs[key].constr if key in attrs_defs else None
                attributes[key] = _fit(real, constraint)
        order = [*props_defs, *sorted(properties)]  # the definition's order, as sharp prints it
        properties = {k: properties[k] for k in dict.fromkeys(order) if k in properties}
        regions = [old.detach_region(r) for r in list(old.regions)]
        for region in regions:
            for block in region.blocks:
                last = block.last_op
                if last is not None and last.name == "ub.unreachable":
                    block.erase_op(last)
        new = cls.create(operands=old.operands, result_types=[r.type for r in old.results], properties=properties,
                         attributes=attributes, regions=regions, successors=old.successors)  # fmt: skip
        Rewriter.replace_op(old, new)
    module.verify()
    return module
