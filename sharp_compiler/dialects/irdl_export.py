"""Export xDSL dialects as IRDL text for upstream MLIR (`mlir-opt --irdl-file=...`), and load it back.

`xdsl.dialects.irdl.pyrdl_to_irdl.dialect_to_irdl` (xDSL 0.74) writes every constraint as
`irdl.any`, drops properties, attributes and regions, emits types as `irdl.attribute` and raises on
`EnumAttribute`. `export_dialects` keeps what IRDL can state:

- operand/result constraints: `BaseAttr` -> `irdl.base "!builtin.tensor"` (upstream MLIR names) or
  `irdl.base @dialect::@attr`; `EqAttrConstraint` -> `irdl.is`; `AnyOf` -> `irdl.any_of`; `AllOf` ->
  `irdl.all_of`; a `ParamAttrConstraint` on an attribute of the exported dialects -> `irdl.parametric`;
  a `VarConstraint` -> one SSA value shared by its uses (IRDL's constraint variables); variadicity
  as `irdl.operands(name: optional %x)`.
- properties AND attributes under `irdl.attributes` (IRDL has no properties; each entry is marked
  `// property` or `// attribute`). Upstream `irdl.attributes` entries are all required
  (llvm/llvm-project#110981, optional attributes, is unmerged), so optional or defaulted ones are
  listed in `// optional ...` comments with their constraint instead.
- regions (`irdl.region with size 1` for single-block regions) under `irdl.regions`.
- parametrized attributes and types (`irdl.attribute` / `irdl.type`) with parameter constraints;
  an `EnumAttribute` as an attribute with one string parameter constrained by `irdl.any_of` of
  `irdl.is "value"`.

What IRDL cannot state becomes `irdl.any`, or a base with the refinement dropped, always under a
`//` comment naming the Python constraint; traits and Python verifiers are listed in comments.
Names follow upstream's rules: operand/result/parameter names in lowercase (`X` -> `x`), and an
attribute whose name an op already has gets a suffix (`#sharp.copy` -> `@copy_attr`). Each IRDL
constraint accepts at least what the Python one does, except where upstream semantics are
stricter (dialects/README.md: variadic operands of one type, region blocks need a terminator).

`load_irdl` is the xDSL analogue of `mlir-opt --irdl-file`: it turns the IRDL text back into
dynamic xDSL dialects (ops and attributes checked only by the IRDL constraints, with upstream's
semantics: attributes required, one variable per constraint value). `to_irdl_form` rewrites xDSL IR
into the form such a dialect (and upstream MLIR) accepts: properties as attributes, generic spelling.
"""

from __future__ import annotations

import inspect
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from io import StringIO
from typing import Literal, TypeVar

from xdsl.context import Context
from xdsl.dialects import builtin
from xdsl.dialects.builtin import Builtin, ModuleOp
from xdsl.dialects.irdl import irdl
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, Dialect, Operation, ParametrizedAttribute, SSAValue, TypeAttribute
from xdsl.irdl import (
    AllOf,
    AnyAttr,
    AnyOf,
    AttrConstraint,
    AttrSetConstraint,
    AttrSizedOperandSegments,
    AttrSizedResultSegments,
    BaseAttr,
    EqAttrConstraint,
    IRDLOperation,
    MessageConstraint,
    OpDef,
    OptionalDef,
    ParamAttrConstraint,
    ParamAttrDef,
    ParamDef,
    RangeConstraint,
    RangeOf,
    SingleOf,
    TypeVarConstraint,
    VarConstraint,
    VariadicDef,
    attr_def,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_result_def,
    param_def,
    region_def,
    result_def,
    var_operand_def,
    var_result_def,
)
from xdsl.irdl.constraints import IntConstraint, RangeLengthConstraint, VerificationContext
from xdsl.irdl.operations import AttrSizedSegments, SingleBlockRegionDef
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

UPSTREAM_NAMES: dict[type[Attribute], str] = {
    # types: MLIR's `typeName` ("builtin." + mnemonic)
    builtin.TensorType: "!builtin.tensor",
    builtin.UnrankedTensorType: "!builtin.unranked_tensor",
    builtin.MemRefType: "!builtin.memref",
    builtin.VectorType: "!builtin.vector",
    builtin.IntegerType: "!builtin.integer",
    builtin.IndexType: "!builtin.index",
    builtin.Float16Type: "!builtin.f16",
    builtin.BFloat16Type: "!builtin.bf16",
    builtin.Float32Type: "!builtin.f32",
    builtin.Float64Type: "!builtin.f64",
    builtin.NoneType: "!builtin.none",
    builtin.FunctionType: "!builtin.function",
    builtin.ComplexType: "!builtin.complex",
    # attributes: MLIR's `attrName` ("builtin." + mnemonic)
    builtin.IntegerAttr: "#builtin.integer",
    builtin.FloatAttr: "#builtin.float",
    builtin.StringAttr: "#builtin.string",
    builtin.ArrayAttr: "#builtin.array",
    builtin.DictionaryAttr: "#builtin.dictionary",
    builtin.DenseArrayBase: "#builtin.dense_array",
    builtin.UnitAttr: "#builtin.unit",
    builtin.SymbolRefAttr: "#builtin.symbol_ref",
}
"""xDSL builtin attribute/type classes -> the names upstream MLIR registers them under (`irdl.base`).

xDSL-only builtins (`IntAttr` = `#builtin.int`, `BytesAttr`, `NoneAttr`, ...) are absent on purpose:
`irdl.base "#builtin.int"` makes upstream loading fail ("no registered attribute with name").
"""

_LITERAL_CLASSES: tuple[type[Attribute], ...] = (
    builtin.IntegerType, builtin.IndexType, builtin.Float16Type, builtin.BFloat16Type, builtin.Float32Type,
    builtin.Float64Type, builtin.NoneType, builtin.StringAttr, builtin.IntegerAttr, builtin.FloatAttr,
    builtin.UnitAttr,
)  # fmt: skip
"""Attributes whose xDSL text is also valid upstream MLIR text (usable in `irdl.is`)."""

_BARE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_$.]*")
_SSA_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

HEADER = """\
// IRDL definition of the {names} dialect{s}, generated from {source}
// by tools/export_irdl.py; do not edit (regenerate: python tools/export_irdl.py).
//
// Load in upstream MLIR: mlir-opt --irdl-file=dialects/{file} input.mlir
// IRDL-defined ops use the generic syntax; xDSL properties become attributes ("name" = value in
// the attribute dictionary). Mapping and limits: dialects/README.md.
"""


# --------------------------------------------------------------------------- constraint translation


@dataclass(frozen=True)
class _Node:
    """An IRDL constraint expression: one constraint op, its operands, and what was lost."""

    op: Literal["any", "is", "base", "any_of", "all_of", "parametric"]
    arg: str = ""
    children: tuple[_Node, ...] = ()
    note: str = ""
    var: str = ""


def describe(constr: AttrConstraint | RangeConstraint) -> str:
    """A short Python-like spelling of an xDSL constraint, for comments."""
    match constr:
        case AnyAttr():
            return "Attribute"
        case BaseAttr(attr=cls):
            return cls.__name__
        case EqAttrConstraint(attr=attr):
            return _attr_text(attr)
        case VarConstraint(name=name, constraint=inner):
            return f"{name}: {describe(inner)}"
        case AnyOf():
            return " | ".join(describe(c) for c in constr.attr_constrs)
        case AllOf():
            return " & ".join(describe(c) for c in constr.attr_constrs)
        case ParamAttrConstraint(base_attr=base, param_constrs=params):
            return f"{base.__name__}[{', '.join(describe(p) for p in params)}]"
        case MessageConstraint(constr=inner):
            return describe(inner)
        case TypeVarConstraint(base_constraint=inner):
            return describe(inner)
        case SingleOf(constr=inner) | RangeOf(constr=inner):
            return describe(inner)
        case RangeLengthConstraint(constraint=inner):
            return describe(inner)
        case builtin.ArrayOfConstraint(elem_range_constraint=elems):
            return f"ArrayAttr[{describe(elems)}]"
        case _:
            return type(constr).__name__


def _attr_text(attr: Attribute) -> str:
    out = StringIO()
    Printer(stream=out).print_attribute(attr)
    return out.getvalue()


def _is_literal(attr: Attribute) -> bool:
    if isinstance(attr, builtin.TensorType):
        return _is_literal(attr.element_type)
    if isinstance(attr, builtin.ArrayAttr):
        return all(_is_literal(a) for a in attr.data)
    return isinstance(attr, _LITERAL_CLASSES)


@dataclass
class _Translator:
    """Translates xDSL constraints to `_Node`s, given the attribute classes of the exported dialects."""

    local: dict[type[Attribute], str]
    """Attribute class -> symbol reference (`@rnn::@weights`) in the exported module."""
    foreign: dict[type[Attribute], str]
    """Attribute classes of other SHARP dialects -> the file that defines them (for notes)."""

    def base_of(self, cls: type[Attribute]) -> str | None:
        if cls in self.local:
            return self.local[cls]
        if cls in UPSTREAM_NAMES:
            return f'"{UPSTREAM_NAMES[cls]}"'
        return None

    def why_not(self, cls: type[Attribute]) -> str:
        if cls in self.foreign:
            return f"#{cls.name} is in {self.foreign[cls]}; a cross-file reference would not load alone"
        if cls.__module__.startswith("xdsl.dialects.builtin"):
            name = cls.name if cls.name.startswith("builtin.") else f"builtin.{cls.name}"
            return f"#{name} is xDSL-only, not in upstream MLIR"
        return f"{cls.__name__} has no IRDL definition here"

    def fallback(self, constr: AttrConstraint, reason: str) -> _Node:
        return _Node("any", note=f"{describe(constr)}: {reason}")

    def attr(self, constr: AttrConstraint) -> _Node:
        """The IRDL expression of an attribute constraint (over-approximating where needed)."""
        match constr:
            case AnyAttr():
                return _Node("any")
            case VarConstraint(name=name, constraint=inner):
                return replace(self.attr(inner), var=name)
            case MessageConstraint(constr=inner):
                return self.attr(inner)
            case TypeVarConstraint(base_constraint=inner):
                return self.attr(inner)
            case BaseAttr(attr=cls):
                ref = self.base_of(cls)
                return _Node("base", ref) if ref else self.fallback(constr, self.why_not(cls))
            case EqAttrConstraint(attr=attr):
                return self.equal(attr, constr)
            case AttrSetConstraint(values=values):
                return self.one_of([self.equal(v, constr) for v in sorted(values, key=_attr_text)], constr)
            case AnyOf():
                return self.one_of([self.attr(c) for c in constr.attr_constrs], constr)
            case AllOf():
                nodes = [(c, self.attr(c)) for c in constr.attr_constrs]
                kept = tuple(n for _, n in nodes if n.op != "any" or not n.note)
                dropped = [describe(c) for c, n in nodes if n not in kept]
                note = (
                    f"{describe(constr)}: not expressible, dropped: {', '.join(dropped)}" if dropped else ""
                )
                if not kept:
                    return self.fallback(constr, "no part is expressible in IRDL")
                if len(kept) == 1:
                    return replace(kept[0], note="; ".join(filter(None, (kept[0].note, note))))
                return _Node("all_of", children=kept, note=note)
            case ParamAttrConstraint(base_attr=base, param_constrs=params):
                if base in self.local:
                    return _Node("parametric", self.local[base], tuple(self.attr(p) for p in params))
                ref = self.base_of(base)
                if ref is None:
                    return self.fallback(constr, self.why_not(base))
                if all(isinstance(p, AnyAttr) for p in params):
                    return _Node("base", ref)
                return _Node("base", ref, note=f"{describe(constr)}: parameters dropped "
                                               "(irdl.parametric takes only IRDL-defined bases)")  # fmt: skip
            case _:
                return self.by_bases(constr)

    def by_bases(self, constr: AttrConstraint) -> _Node:
        """A constraint known only by its possible base classes (e.g. `ArrayOfConstraint`)."""
        bases = constr.get_bases()
        if not bases:
            return self.fallback(constr, "not expressible in IRDL")
        found = [self.base_of(b) for b in sorted(bases, key=lambda b: b.name)]
        refs = [r for r in found if r is not None]
        if len(refs) != len(found):
            return self.fallback(constr, "not expressible in IRDL")
        note = f"{describe(constr)}: only its base is expressible in IRDL"
        if len(refs) == 1:
            return _Node("base", refs[0], note=note)
        return _Node("any_of", children=tuple(_Node("base", r) for r in refs), note=note)

    def equal(self, attr: Attribute, constr: AttrConstraint) -> _Node:
        cls = type(attr)
        if isinstance(attr, EnumAttribute) and cls in self.local:
            return _Node("parametric", self.local[cls], (_Node("is", f'"{attr.data}"'),))
        if isinstance(attr, ParametrizedAttribute) and cls in self.local:
            return _Node("parametric", self.local[cls],
                         tuple(self.equal(p, constr) for p in attr.parameters))  # fmt: skip
        if _is_literal(attr):
            return _Node("is", _attr_text(attr))
        return self.fallback(constr, f"{_attr_text(attr)} has no upstream MLIR spelling")

    def one_of(self, nodes: list[_Node], constr: AttrConstraint) -> _Node:
        lost = [n.note for n in nodes if n.op == "any" and n.note]
        if lost:
            return _Node("any", note=f"{describe(constr)}: not expressible ({'; '.join(lost)})")
        if any(n.op == "any" for n in nodes):
            return _Node("any")
        return _Node("any_of", children=tuple(nodes))

    def range(self, constr: RangeConstraint) -> _Node:
        """The per-element constraint of an operand/result range."""
        match constr:
            case SingleOf(constr=inner) | RangeOf(constr=inner):
                return self.attr(inner)
            case RangeLengthConstraint(constraint=inner):
                return self.range(inner)
            case _:
                return _Node("any", note=f"{describe(constr)}: range constraint not expressible in IRDL")


# --------------------------------------------------------------------------- emission


@dataclass
class _Body:
    """The lines of one `irdl.operation` / `irdl.attribute` / `irdl.type` body, with its SSA names."""

    indent: str
    lines: list[str] = field(default_factory=list[str])
    used: set[str] = field(default_factory=set[str])
    vars: dict[str, str] = field(default_factory=dict[str, str])

    def name(self, hint: str) -> str:
        base = hint if _SSA_ID.fullmatch(hint) else "v"
        candidate, i = base, 0
        while candidate in self.used:
            i += 1
            candidate = f"{base}_{i}"
        self.used.add(candidate)
        return candidate

    def line(self, text: str) -> None:
        self.lines.append(self.indent + text)

    def close(self, header: str, indent: str) -> list[str]:
        """`header { body }`, or the bare header after the comments when the body has no ops.

        (xDSL 0.74 parses `{ }` as a region without blocks, which `irdl.operation` rejects;
        upstream and xDSL both accept the bare form.)
        """
        if all(line.lstrip().startswith("//") for line in self.lines):
            return [indent + line.lstrip() for line in self.lines] + [indent + header]
        return [f"{indent}{header} {{", *self.lines, f"{indent}}}"]

    def emit(self, node: _Node, hint: str) -> str:
        """Emit `node` (children first); return its SSA name."""
        if node.var:
            if node.var in self.vars:
                return self.vars[node.var]
            hint = node.var
        children = [self.emit(c, f"{hint}_{i}") for i, c in enumerate(node.children)]
        if node.note:
            self.line(f"// {node.note}")
        ssa = self.name(hint)
        args = ", ".join(f"%{c}" for c in children)
        match node.op:
            case "any":
                text = "irdl.any"
            case "is" | "base":
                text = f"irdl.{node.op} {node.arg}"
            case "any_of" | "all_of":
                text = f"irdl.{node.op}({args})"
            case "parametric":
                text = f"irdl.parametric {node.arg}<{args}>"
            case _:
                raise AssertionError(node.op)
        self.line(f"%{ssa} = {text}")
        if node.var:
            self.vars[node.var] = ssa
        return ssa


def _sym(name: str) -> str:
    return f"@{name}" if _BARE_ID.fullmatch(name) else f'@"{name}"'


def irdl_name(name: str) -> str:
    """The IRDL spelling of an operand/result/region/parameter name.

    Upstream IRDL accepts only lowercase letters, digits and single, non-leading underscores
    ("name of operand #0 should not contain uppercase letters"); ONNX's `X`, `Y_h` become `x`, `y_h`.
    A Python keyword escape (`in_`) loses its underscore, as in `dialect_to_irdl`.
    """
    if name.endswith("_") and keyword.iskeyword(name[:-1]):
        name = name[:-1]
    name = re.sub(r"[^a-z0-9_]", "_", name.lower())
    name = re.sub(r"_+", "_", name).strip("_")
    return name or "v"


def _names(names: Sequence[str], renamed: list[str]) -> list[str]:
    """`names` in IRDL spelling; records the changed ones in `renamed` ("X -> x")."""
    out = [irdl_name(n) for n in names]
    if len(set(out)) != len(out):
        raise ValueError(f"names {list(names)} collide in IRDL spelling {out}")
    renamed += [f"{a} -> {b}" for a, b in zip(names, out, strict=True) if a != b]
    return out


def _summary(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    first = doc.strip().split("\n", 1)[0].strip()
    base_doc = inspect.getdoc(cls.__mro__[1]) or ""
    return "" if not first or first == base_doc.strip().split("\n", 1)[0].strip() else first


def _has_custom_verifier(cls: type) -> bool:
    """Whether `cls` (an op or attribute definition) adds Python checks to its IRDL constraints."""
    if issubclass(cls, IRDLOperation):
        # irdl_op_definition wraps the class's own verify_ as the closure variable `custom_verify`
        wrapper = cls.__dict__.get("verify_")
        closure = inspect.getclosurevars(wrapper).nonlocals if wrapper and wrapper.__closure__ else {}
        custom = closure.get("custom_verify")
        return custom is not None and not custom.__module__.startswith("xdsl.")
    for klass in cls.__mro__:
        if klass is ParametrizedAttribute:
            return False
        if "verify" in klass.__dict__:
            return True
    return False


def _short_name(qualified: str) -> str:
    return Dialect.split_name(qualified)[1]


def _variadicity(definition: object) -> str:
    if isinstance(definition, OptionalDef):
        return "optional "
    if isinstance(definition, VariadicDef):
        return "variadic "
    return ""


def attribute_symbols(dialect: Dialect) -> dict[type[Attribute], str]:
    """The IRDL symbol of each attribute/type of `dialect`: its short name, unless an op has it.

    `irdl.dialect` is one symbol table for ops, types and attributes, while MLIR and xDSL keep
    op names apart from attribute names: `sharp.copy` (op) and `#sharp.copy` (attribute) cannot
    both be `@copy`. The attribute then becomes `@copy_attr` (`@copy_type` for a type).
    """
    taken = {_short_name(o.name) for o in dialect.operations}
    out: dict[type[Attribute], str] = {}
    for a in dialect.attributes:
        sym = _short_name(a.name)
        if sym in taken:
            sym += "_type" if issubclass(a, TypeAttribute) else "_attr"
        taken.add(sym)
        out[a] = sym
    return out


def _attribute_lines(attr: type[Attribute], sym: str, tr: _Translator, indent: str) -> list[str]:
    kind = "type" if issubclass(attr, TypeAttribute) else "attribute"
    out = [f"{indent}// {attr.name}" + (f": {_summary(attr)}" if _summary(attr) else "")]
    if sym != _short_name(attr.name):
        out.append(
            f"{indent}// renamed @{sym}: irdl.dialect keeps ops and attributes in one symbol table, and "
            f"op {attr.name} exists; upstream this attribute is #{Dialect.split_name(attr.name)[0]}.{sym}"
        )
    body = _Body(indent + "  ")
    if isinstance(attr, type) and issubclass(attr, EnumAttribute):
        out.append(f"{indent}// xDSL EnumAttribute over {attr.enum_type.__name__}, spelled "
                   f"#{attr.name}<\"value\"> here (one string parameter)")  # fmt: skip
        values = [_Node("is", f'"{e.value}"') for e in attr.enum_type]
        ssa = body.emit(_Node("any_of", children=tuple(values)), "value")
        body.line(f"irdl.parameters(value: %{ssa})")
    elif issubclass(attr, ParametrizedAttribute):
        params = attr.get_irdl_definition().parameters
        renamed: list[str] = []
        spelled = _names([n for n, _ in params], renamed)
        names = [(n, body.emit(tr.attr(p.constr), n)) for n, (_, p) in zip(spelled, params, strict=True)]
        if renamed:
            out.append(f"{indent}// parameter names in IRDL spelling: {', '.join(renamed)}")
        if names:
            body.line("irdl.parameters(" + ", ".join(f"{n}: %{s}" for n, s in names) + ")")
        if _has_custom_verifier(attr):
            body.line("// + Python verify() checks not expressible in IRDL")
    else:
        body.line(f"// {attr.__name__} is a Data attribute: its payload is not IRDL parameters")
    return out + body.close(f"irdl.{kind} {_sym(sym)}", indent)


def _operation_lines(op: type[IRDLOperation], tr: _Translator, indent: str) -> list[str]:
    od: OpDef = op.get_irdl_definition()
    out = [f"{indent}// {od.name}" + (f": {_summary(op)}" if _summary(op) else "")]
    traits = sorted(type(t).__name__ for t in od.traits)
    if traits:
        out.append(f"{indent}// traits (IRDL has no traits): {', '.join(traits)}")
    body = _Body(indent + "  ")
    renamed: list[str] = []

    for keyword_, defs in (("operands", od.operands), ("results", od.results)):
        spelled = _names([n for n, _ in defs], renamed)
        entries = [
            (n, _variadicity(d), body.emit(tr.range(d.constr), n))
            for n, (_, d) in zip(spelled, defs, strict=True)
        ]
        if entries:
            body.line(f"irdl.{keyword_}(" + ", ".join(f"{n}: {v}%{s}" for n, v, s in entries) + ")")

    segments = {o.attribute_name for o in od.options if isinstance(o, AttrSizedSegments)}
    required: list[tuple[str, str, str]] = []
    optional: list[str] = []
    for kind, defs in (("property", od.properties), ("attribute", od.attributes)):
        for name, d in defs.items():
            if name in segments:
                body.line(f"// {kind} {name}: implied by the variadicities (IRDL reads it as an attribute)")
                continue
            if isinstance(d, OptionalDef) or d.default_value is not None:
                node = tr.attr(d.constr)
                spelled = f"irdl.{node.op} {node.arg}".strip() if not node.children else describe(d.constr)
                default = f", default {_attr_text(d.default_value)}" if d.default_value is not None else ""
                optional.append(
                    f'"{name}" ({kind}{default}): {spelled}' + (f" [{node.note}]" if node.note else "")
                )
                continue
            required.append((name, kind, body.emit(tr.attr(d.constr), name)))
    if required:
        body.line("irdl.attributes {")
        for i, (name, kind, ssa) in enumerate(required):
            comma = "," if i + 1 < len(required) else ""
            body.line(f'  "{name}" = %{ssa}{comma}  // {kind}')
        body.line("}")
    for text in optional:
        body.line(f"// optional {text}")

    regions: list[tuple[str, str]] = []
    for name, rd in od.regions:
        if _variadicity(rd):
            body.line(f"// region {name} is {_variadicity(rd).strip()}: irdl.regions has no variadicity")
        args = rd.entry_args
        if not (isinstance(args, RangeOf) and isinstance(args.constr, AnyAttr)):
            body.line(f"// region {name} entry arguments {describe(args)}: not expressed")
        size = " with size 1" if isinstance(rd, SingleBlockRegionDef) else ""
        ssa = body.name(name)
        body.line(f"%{ssa} = irdl.region{size}")
        regions.append((_names([name], renamed)[0], ssa))
    if regions:
        body.line("irdl.regions(" + ", ".join(f"{n}: %{s}" for n, s in regions) + ")")
    if od.successors:
        body.line(f"// successors {', '.join(n for n, _ in od.successors)}: IRDL has no successors")
    if _has_custom_verifier(op):
        body.line("// + Python verify_() checks not expressible in IRDL")
    if renamed:
        out.append(f"{indent}// names in IRDL spelling (lowercase only): {', '.join(renamed)}")
    return out + body.close(f"irdl.operation {_sym(_short_name(od.name))}", indent)


def export_dialects(
    dialects: Sequence[Dialect], *, source: str, file: str, foreign: Iterable[Dialect] = ()
) -> str:
    """IRDL text (one `irdl.dialect` per dialect) for `dialects`, deterministic.

    `foreign` dialects are known but not exported: constraints on their attributes become
    `irdl.any` with a note, so that the file loads on its own.
    """
    local: dict[type[Attribute], str] = {}
    for d in dialects:
        for a, sym in attribute_symbols(d).items():
            local[a] = f"@{d.name}::{_sym(sym)}"
    others = {a: f"{d.name}.irdl.mlir" for d in foreign for a in d.attributes if a not in local}
    tr = _Translator(local, others)
    names = ", ".join(f"`{d.name}`" for d in dialects)
    out = [HEADER.format(names=names, s="s" if len(dialects) > 1 else "", source=source, file=file)]
    for d in dialects:
        out.append(f"irdl.dialect {_sym(d.name)} {{")
        blocks = [_attribute_lines(a, sym, tr, "  ") for a, sym in attribute_symbols(d).items()]
        blocks += [_operation_lines(o, tr, "  ") for o in d.operations if issubclass(o, IRDLOperation)]
        for i, block in enumerate(blocks):
            if i:
                out.append("")
            out += block
        out.append("}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- the SHARP files


EXPORTS: tuple[tuple[str, str, str], ...] = (
    ("rnn.irdl.mlir", "sharp_compiler.dialects.rnn", "RNN"),
    ("sharp.irdl.mlir", "sharp_compiler.dialects.sharp", "SHARP"),
    ("sharp_isa.irdl.mlir", "sharp_compiler.dialects.sharp_isa", "SHARP_ISA"),
)
"""(file under dialects/, module, Dialect object) for each exported dialect."""


def sharp_dialects() -> dict[str, Dialect]:
    """The exported dialects by file name."""
    import importlib

    return {file: getattr(importlib.import_module(module), name) for file, module, name in EXPORTS}


def render_all() -> dict[str, str]:
    """The text of every dialects/*.irdl.mlir file, by file name."""
    dialects = sharp_dialects()
    out: dict[str, str] = {}
    for file, module, _ in EXPORTS:
        foreign = [d for f, d in dialects.items() if f != file]
        out[file] = export_dialects([dialects[file]], source=module, file=file, foreign=foreign)
    out[ALL_FILE] = ALL_HEADER + "".join(_without_header(out[file]) for file, _, _ in EXPORTS)
    return out


ALL_FILE = "all.irdl.mlir"
ALL_HEADER = """// The rnn, sharp and sharp_isa dialects in one IRDL file, generated by tools/export_irdl.py from
// the files beside it; do not edit. mlir-opt honours only the last --irdl-file flag, so this is
// the file to load for IR that mixes levels or for `sharp-opt --upstream-generic` output:
//
//   sharp-opt in.mlir --upstream-generic | mlir-opt-22 --irdl-file=dialects/all.irdl.mlir

"""


def _without_header(text: str) -> str:
    """A dialect file's text from its `irdl.dialect` on (the comment header dropped)."""
    return text[text.index("irdl.dialect") :] + "\n"


# --------------------------------------------------------------------------- loading IRDL back into xDSL


def irdl_context() -> Context:
    """A context that parses IRDL files: builtin + irdl."""
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(irdl.IRDL)
    return ctx


def parse_irdl(text: str) -> ModuleOp:
    """Parse (and verify) IRDL text with xDSL's irdl dialect."""
    module = Parser(irdl_context(), text).parse_module()
    module.verify()
    return module


_XDSL_BY_UPSTREAM: dict[str, type[Attribute]] = {v: k for k, v in UPSTREAM_NAMES.items()}


@dataclass(frozen=True)
class _IrdlAnyOf(AttrConstraint):
    """`irdl.any_of` as upstream verifies it: the first alternative that accepts wins.

    (xDSL's `AnyOf` requires alternatives with disjoint bases, which IRDL does not.)
    """

    alternatives: tuple[AttrConstraint, ...]

    def verify(self, attr: Attribute, constraint_context: VerificationContext) -> None:
        for alternative in self.alternatives:
            trial = VerificationContext(dict(constraint_context._variables))  # pyright: ignore[reportPrivateUsage]
            try:
                alternative.verify(attr, trial)
            except VerifyException:
                continue
            constraint_context._variables.update(trial._variables)  # pyright: ignore[reportPrivateUsage]
            return
        raise VerifyException(f"{attr} does not satisfy any of {', '.join(map(describe, self.alternatives))}")

    def mapping_type_vars(
        self, type_var_mapping: Mapping[TypeVar, AttrConstraint | IntConstraint]
    ) -> _IrdlAnyOf:
        return self


@dataclass
class _Loader:
    """Builds dynamic xDSL dialects from parsed `irdl.dialect` ops, mirroring upstream semantics."""

    module: ModuleOp
    classes: dict[tuple[str, str], type[ParametrizedAttribute]] = field(
        default_factory=dict[tuple[str, str], type[ParametrizedAttribute]]
    )
    counter: int = 0

    def constraints(
        self, block_ops: Iterable[Operation], multi: set[SSAValue]
    ) -> dict[SSAValue, AttrConstraint]:
        """Constraint per SSA value; a value used more than once (or by a variadic) is a variable."""
        env: dict[SSAValue, AttrConstraint] = {}
        for op in block_ops:
            constr: AttrConstraint
            match op:
                case irdl.AnyOp():
                    constr = AnyAttr()
                case irdl.IsOp():
                    constr = EqAttrConstraint(op.expected)
                case irdl.BaseOp():
                    constr = BaseAttr(self.base(op))
                case irdl.AnyOfOp():
                    constr = _IrdlAnyOf(tuple(env[a] for a in op.args))
                case irdl.AllOfOp():
                    constr = AllOf(tuple(env[a] for a in op.args))
                case irdl.ParametricOp():
                    cls = self.lookup(op.base_type)
                    constr = ParamAttrConstraint(cls, tuple(env[a] for a in op.args))
                case _:
                    continue
            if op.results[0].has_more_than_one_use() or op.results[0] in multi:
                self.counter += 1
                constr = VarConstraint(f"V{self.counter}", constr)
            env[op.results[0]] = constr
        return env

    def lookup(self, ref: builtin.SymbolRefAttr) -> type[ParametrizedAttribute]:
        key = (
            ref.root_reference.data,
            ref.nested_references.data[0].data if ref.nested_references.data else "",
        )
        if key not in self.classes:
            raise ValueError(f"unknown IRDL type or attribute {ref}")
        return self.classes[key]

    def base(self, op: irdl.BaseOp) -> type[Attribute]:
        if op.base_ref is not None:
            return self.lookup(op.base_ref)
        assert op.base_name is not None
        if op.base_name.data not in _XDSL_BY_UPSTREAM:
            raise ValueError(f"no registered type or attribute with name {op.base_name.data}")
        return _XDSL_BY_UPSTREAM[op.base_name.data]

    def declare(self, dialect: irdl.DialectOp, op: irdl.AttributeOp | irdl.TypeOp) -> None:
        names: list[str] = []
        for p in op.body.ops:
            if isinstance(p, irdl.ParametersOp):
                for i, n in enumerate(p.names):
                    names.append(self.py_name(n.data, f"p{i}", ParametrizedAttribute, names))
        fields: dict[str, object] = {
            "name": f"{dialect.sym_name.data}.{op.sym_name.data}",
            "__module__": __name__,
            "__annotations__": dict.fromkeys(names, Attribute),
        }
        fields |= {n: param_def(AnyAttr()) for n in names}  # the real constraints come in `define`
        bases = (
            (ParametrizedAttribute, TypeAttribute)
            if isinstance(op, irdl.TypeOp)
            else (ParametrizedAttribute,)
        )
        cls = irdl_attr_definition(type(op.sym_name.data, bases, fields))
        self.classes[(dialect.sym_name.data, op.sym_name.data)] = cls

    def define(self, op: irdl.AttributeOp | irdl.TypeOp, cls: type[ParametrizedAttribute]) -> None:
        env = self.constraints(op.body.ops, set())
        fields = [f for f, _ in cls.get_irdl_definition().parameters]
        params: list[tuple[str, ParamDef]] = []
        for p in op.body.ops:
            if isinstance(p, irdl.ParametersOp):
                params = [(f, ParamDef(env[a])) for f, a in zip(fields, p.args, strict=True)]
        definition = ParamAttrDef(cls.name, params)

        def get_irdl_definition(_cls: type[ParametrizedAttribute]) -> ParamAttrDef:
            return definition

        cls.get_irdl_definition = classmethod(get_irdl_definition)  # type: ignore[method-assign]

    def operation(self, dialect: irdl.DialectOp, op: irdl.OperationOp) -> type[IRDLOperation]:
        ops = list(op.body.ops)
        multi: set[SSAValue] = set()
        for o in ops:
            if isinstance(o, irdl.OperandsOp | irdl.ResultsOp):
                multi |= {a for a, v in zip(o.args, o.variadicity.value, strict=True) if v.data != "single"}
        env = self.constraints(ops, multi)
        fields: dict[str, object] = {
            "name": f"{dialect.sym_name.data}.{op.sym_name.data}",
            "__module__": __name__,
        }
        options: list[object] = []
        defs = {
            irdl.OperandsOp: ({"single": operand_def, "optional": opt_operand_def, "variadic": var_operand_def},
                              "operand", AttrSizedOperandSegments),
            irdl.ResultsOp: ({"single": result_def, "optional": opt_result_def, "variadic": var_result_def},
                             "result", AttrSizedResultSegments),
        }  # fmt: skip
        for o in ops:
            if isinstance(o, irdl.OperandsOp | irdl.ResultsOp):
                makers, prefix, segments = defs[type(o)]
                for i, (name, v, a) in enumerate(zip(o.names, o.variadicity.value, o.args, strict=True)):
                    fields[self.py_name(name.data, f"{prefix}{i}", IRDLOperation, fields)] = makers[v.data](
                        env[a]
                    )
                if sum(v.data != "single" for v in o.variadicity.value) > 1:
                    options.append(segments())
            elif isinstance(o, irdl.AttributesOp):
                for i, (name, a) in enumerate(zip(o.attribute_value_names, o.attribute_values, strict=True)):
                    fields[f"attribute{i}"] = attr_def(env[a], attr_name=name.data)
            elif isinstance(o, irdl.RegionsOp):
                for i, (name, r) in enumerate(zip(o.names, o.args, strict=True)):
                    region = r.owner
                    assert isinstance(region, irdl.RegionOp)
                    single = region.number_of_blocks is not None and region.number_of_blocks.value.data == 1
                    fields[self.py_name(name.data, f"region{i}", IRDLOperation, fields)] = region_def(
                        "single_block" if single else None
                    )
        fields["irdl_options"] = tuple(options)
        py_name = "".join(p[:1].upper() + p[1:] for p in op.sym_name.data.split("_")) + "Op"
        return irdl_op_definition(type(py_name, (IRDLOperation,), fields))

    @staticmethod
    def py_name(name: str, fallback: str, owner: type, taken: Iterable[str]) -> str:
        """`name` as a Python field of `owner`, or `fallback` where it would clash or is no identifier."""
        ok = name.isidentifier() and not keyword.iskeyword(name) and not hasattr(owner, name)
        return name if ok and name not in taken else fallback

    def load(self) -> dict[str, Dialect]:
        dialect_ops = [op for op in self.module.ops if isinstance(op, irdl.DialectOp)]
        for d in dialect_ops:
            for op in d.body.ops:
                if isinstance(op, irdl.AttributeOp | irdl.TypeOp):
                    self.declare(d, op)
        for d in dialect_ops:
            for op in d.body.ops:
                if isinstance(op, irdl.AttributeOp | irdl.TypeOp):
                    self.define(op, self.classes[(d.sym_name.data, op.sym_name.data)])
        out: dict[str, Dialect] = {}
        for d in dialect_ops:
            name = d.sym_name.data
            ops: list[type[Operation]] = [
                self.operation(d, op) for op in d.body.ops if isinstance(op, irdl.OperationOp)
            ]
            attrs: list[type[Attribute]] = [
                self.classes[(name, op.sym_name.data)]
                for op in d.body.ops
                if isinstance(op, irdl.AttributeOp | irdl.TypeOp)
            ]
            out[name] = Dialect(name, ops, attrs)
        return out


def load_irdl(text: str) -> dict[str, Dialect]:
    """Dynamic xDSL dialects defined by IRDL `text`, by name (the analogue of `mlir-opt --irdl-file`).

    Ops keep only what IRDL states: operand/result/attribute/region constraints, with upstream's
    semantics (all listed attributes required; a constraint value used twice, or by a variadic
    operand, is one variable). Supported: the IRDL subset `export_dialects` emits.
    """
    return _Loader(parse_irdl(text)).load()


def to_irdl_form(root: Operation, exported: Iterable[Dialect], loaded: Mapping[str, Dialect]) -> None:
    """Rewrite `root` in place into the form the IRDL-loaded dialects accept (and print generically).

    For ops of the `exported` dialects, properties move into the attribute dictionary (IRDL has no
    properties); their attributes become instances of the `loaded` classes (`load_irdl`), an enum as
    its string: `#rnn<direction forward>` -> `#rnn.direction<"forward">`.
    """
    exported = list(exported)
    classes: dict[type[Attribute], type[ParametrizedAttribute]] = {}
    for d in exported:
        dynamic = {a.name: a for a in loaded[d.name].attributes}
        for a, sym in attribute_symbols(d).items():
            classes[a] = dynamic[f"{d.name}.{sym}"]  # pyright: ignore[reportArgumentType]

    def convert(attr: Attribute) -> Attribute:
        cls = classes.get(type(attr))
        if isinstance(attr, EnumAttribute) and cls is not None:
            return cls.new([builtin.StringAttr(str(attr.data))])
        if isinstance(attr, builtin.ArrayAttr):
            return builtin.ArrayAttr([convert(a) for a in attr.data])
        if isinstance(attr, ParametrizedAttribute):
            params = [convert(p) for p in attr.parameters]
            return (cls or type(attr)).new(params)
        return attr

    names = {d.name for d in exported}
    for op in root.walk():
        if op.dialect_name() in names:
            op.attributes = {k: convert(v) for k, v in (op.properties | op.attributes).items()}
            op.properties = {}


__all__ = [
    "EXPORTS",
    "UPSTREAM_NAMES",
    "attribute_symbols",
    "describe",
    "export_dialects",
    "irdl_name",
    "load_irdl",
    "parse_irdl",
    "render_all",
    "sharp_dialects",
    "to_irdl_form",
]
