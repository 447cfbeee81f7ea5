"""dialects/*.irdl.mlir: current, valid IRDL, complete, better than `dialect_to_irdl`, and loadable back.

The round-trip tests load the IRDL text into dynamic xDSL dialects (`load_irdl`, the analogue of
`mlir-opt --irdl-file`) and check that they accept the dialects' own test IR and reject what
upstream MLIR rejects. With `mlir-opt` (or IREE's `iree-opt`) on PATH or in $SHARP_MLIR_OPT, the
files are also loaded by upstream MLIR itself.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Builtin, ModuleOp, StringAttr, TensorType
from xdsl.dialects.irdl import irdl
from xdsl.dialects.irdl.pyrdl_to_irdl import dialect_to_irdl
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Dialect, ParametrizedAttribute
from xdsl.irdl import BaseAttr, OptionalDef, RangeOf, SingleOf, VarConstraint, VariadicDef
from xdsl.irdl.constraints import RangeLengthConstraint
from xdsl.irdl.operations import AttrSizedSegments
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from sharp_compiler.dialects.irdl_export import (
    EXPORTS,
    attribute_symbols,
    irdl_name,
    load_irdl,
    parse_irdl,
    render_all,
    sharp_dialects,
    to_irdl_form,
)
from sharp_compiler.dialects.rnn import RNN
from sharp_compiler.dialects.sharp import SHARP
from sharp_compiler.dialects.sharp_isa import SHARP_ISA

ROOT = Path(__file__).resolve().parent.parent
FILES = [file for file, _, _ in EXPORTS]
PYTHON_DIALECTS = (RNN, SHARP, SHARP_ISA)


def _text(file: str) -> str:
    return (ROOT / "dialects" / file).read_text()


def _dialect_op(module: ModuleOp) -> irdl.DialectOp:
    (dialect,) = [op for op in module.ops if isinstance(op, irdl.DialectOp)]
    return dialect


def _symbols(dialect: irdl.DialectOp) -> dict[str, irdl.OperationOp | irdl.AttributeOp | irdl.TypeOp]:
    return {op.sym_name.data: op for op in dialect.body.ops if isinstance(op, irdl.OperationOp | irdl.AttributeOp | irdl.TypeOp)}  # fmt: skip


def _child(op: irdl.OperationOp | irdl.AttributeOp | irdl.TypeOp, kind: type) -> object | None:
    return next((o for o in op.body.ops if isinstance(o, kind)), None)


def _print_generic(module: ModuleOp) -> str:
    out = io.StringIO()
    Printer(stream=out, print_generic_format=True).print_op(module)
    return out.getvalue()


def _context(*dialects: Dialect) -> Context:
    ctx = Context()
    for d in (Builtin, func.Func, *dialects):
        ctx.load_dialect(d)
    return ctx


# --------------------------------------------------------------------------- staleness


def test_files_are_current() -> None:
    for file, text in render_all().items():
        assert _text(file) == text, f"dialects/{file} is stale: run python tools/export_irdl.py"
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "export_irdl.py"), "--check"],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_fails_on_a_stale_or_missing_file(tmp_path: Path) -> None:
    tool = [sys.executable, str(ROOT / "tools" / "export_irdl.py"), "--dir", str(tmp_path)]
    assert subprocess.run([*tool, "--check"], capture_output=True).returncode == 1  # missing
    assert subprocess.run(tool, capture_output=True).returncode == 0
    assert subprocess.run([*tool, "--check"], capture_output=True).returncode == 0
    path = tmp_path / "rnn.irdl.mlir"
    path.write_text(path.read_text().replace('irdl.is "reverse"', 'irdl.is "backward"'))
    proc = subprocess.run([*tool, "--check"], capture_output=True, text=True)
    assert proc.returncode == 1 and "rnn.irdl.mlir" in proc.stderr


def test_export_is_deterministic() -> None:
    assert render_all() == render_all()


# --------------------------------------------------------------------------- valid IRDL


@pytest.mark.parametrize("file", FILES)
def test_file_parses_and_verifies_with_xdsl_irdl(file: str) -> None:
    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(irdl.IRDL)
    module = Parser(ctx, _text(file)).parse_module()
    module.verify()
    assert _dialect_op(module).sym_name.data == sharp_dialects()[file].name


# --------------------------------------------------------------------------- completeness


def _expected_attributes(op: type) -> tuple[list[str], list[str]]:
    """(required, optional) property/attribute names of an op, as the export lists them."""
    od = op.get_irdl_definition()
    segments = {o.attribute_name for o in od.options if isinstance(o, AttrSizedSegments)}
    required: list[str] = []
    optional: list[str] = []
    for name, d in [*od.properties.items(), *od.attributes.items()]:
        if name in segments:
            continue
        (optional if isinstance(d, OptionalDef) or d.default_value is not None else required).append(name)
    return required, optional


def _op_block(text: str, op_name: str) -> str:
    """The exported text of one op: the blank-line separated chunk holding `irdl.operation @name`."""
    header = f"irdl.operation @{Dialect.split_name(op_name)[1]}"
    (block,) = [chunk for chunk in text.split("\n\n") if header + " {" in chunk or chunk.endswith(header)]
    return block


@pytest.mark.parametrize("file", FILES)
def test_every_op_appears_with_its_operands_results_attributes_and_regions(file: str) -> None:
    dialect = sharp_dialects()[file]
    text = _text(file)
    symbols = _symbols(_dialect_op(parse_irdl(text)))
    for op in dialect.operations:
        od = op.get_irdl_definition()
        irdl_op = symbols[Dialect.split_name(od.name)[1]]
        assert isinstance(irdl_op, irdl.OperationOp)
        for kind, defs in ((irdl.OperandsOp, od.operands), (irdl.ResultsOp, od.results)):
            listed = _child(irdl_op, kind)
            if not defs:
                assert listed is None
                continue
            assert isinstance(listed, irdl.OperandsOp | irdl.ResultsOp)
            assert [n.data for n in listed.names] == [irdl_name(n) for n, _ in defs], od.name
            variadicity = [v.data for v in listed.variadicity.value]
            expected = ["optional" if isinstance(d, OptionalDef) else "variadic" if isinstance(d, VariadicDef)
                        else "single" for _, d in defs]  # fmt: skip
            assert variadicity == expected, od.name
        required, optional = _expected_attributes(op)
        attrs = _child(irdl_op, irdl.AttributesOp)
        names = [n.data for n in attrs.attribute_value_names] if isinstance(attrs, irdl.AttributesOp) else []
        assert names == required, od.name
        block = _op_block(text, od.name)
        for name in optional:
            assert f'// optional "{name}" (property' in block or f'// optional "{name}" (attribute' in block
        for name in required:
            kind = "property" if name in od.properties else "attribute"
            assert f'"{name}" = %' in block and f"// {kind}" in block
        regions = _child(irdl_op, irdl.RegionsOp)
        region_names = [n.data for n in regions.names] if isinstance(regions, irdl.RegionsOp) else []
        assert region_names == [irdl_name(n) for n, _ in od.regions], od.name


@pytest.mark.parametrize("file", FILES)
def test_every_attribute_appears_with_its_parameters(file: str) -> None:
    dialect = sharp_dialects()[file]
    symbols = _symbols(_dialect_op(parse_irdl(_text(file))))
    for attr, sym in attribute_symbols(dialect).items():
        irdl_attr = symbols[sym]
        assert isinstance(irdl_attr, irdl.AttributeOp)  # no TypeAttribute in these dialects
        params = _child(irdl_attr, irdl.ParametersOp)
        assert isinstance(params, irdl.ParametersOp)
        if issubclass(attr, EnumAttribute):
            assert [n.data for n in params.names] == ["value"]
            (value,) = params.args
            assert isinstance(value.owner, irdl.AnyOfOp)
            allowed = [a.owner.expected.data for a in value.owner.args]  # type: ignore[union-attr]
            assert allowed == [e.value for e in attr.enum_type]
        else:
            expected = [irdl_name(n) for n, _ in attr.get_irdl_definition().parameters]
            assert [n.data for n in params.names] == expected, attr.name


def test_attribute_sharing_an_op_name_is_renamed() -> None:
    """`#sharp.copy` and `sharp.copy` cannot share the symbol @copy in one irdl.dialect."""
    assert (
        attribute_symbols(SHARP)[next(a for a in SHARP.attributes if a.name == "sharp.copy")] == "copy_attr"
    )
    symbols = _symbols(_dialect_op(parse_irdl(_text("sharp.irdl.mlir"))))
    assert isinstance(symbols["copy"], irdl.OperationOp)
    assert isinstance(symbols["copy_attr"], irdl.AttributeOp)
    assert "irdl.base @sharp::@copy_attr" in _op_block(_text("sharp.irdl.mlir"), "sharp.copy")


# --------------------------------------------------------------------------- better than dialect_to_irdl


def _constraint_ops(op: irdl.OperationOp) -> list[object]:
    kinds = (irdl.AnyOp, irdl.IsOp, irdl.BaseOp, irdl.AnyOfOp, irdl.AllOfOp, irdl.ParametricOp)
    return [o for o in op.body.ops if isinstance(o, kinds)]


def _element(constr: object) -> object:
    """The per-element attribute constraint of an operand/result range, without its variable."""
    while isinstance(constr, RangeLengthConstraint | RangeOf | SingleOf | VarConstraint):
        constr = (
            constr.constraint if isinstance(constr, RangeLengthConstraint | VarConstraint) else constr.constr
        )
    return constr


def test_dialect_to_irdl_cannot_export_rnn_at_all() -> None:
    with pytest.raises(ValueError, match="ParametrizedAttribute"):
        dialect_to_irdl(RNN, "rnn")
    assert "irdl.attribute @direction" in _text("rnn.irdl.mlir")


@pytest.mark.parametrize("file", FILES)
def test_export_keeps_strictly_more_than_dialect_to_irdl(file: str) -> None:
    dialect = sharp_dialects()[file]
    params_only = Dialect(dialect.name, list(dialect.operations),
                          [a for a in dialect.attributes if issubclass(a, ParametrizedAttribute)])  # fmt: skip
    theirs = _symbols(dialect_to_irdl(params_only, dialect.name))
    ours = _symbols(_dialect_op(parse_irdl(_text(file))))
    assert set(ours) - set(theirs) == {s for s in attribute_symbols(dialect).values() if s not in theirs}
    theirs_precise = ours_precise = 0
    for op in dialect.operations:
        od = op.get_irdl_definition()
        sym = Dialect.split_name(od.name)[1]
        mine, lossy = ours[sym], theirs[sym]
        assert isinstance(mine, irdl.OperationOp) and isinstance(lossy, irdl.OperationOp)
        # dialect_to_irdl: every constraint is irdl.any, and no attributes/properties or regions at all
        assert all(isinstance(c, irdl.AnyOp) for c in _constraint_ops(lossy))
        assert _child(lossy, irdl.AttributesOp) is None and _child(lossy, irdl.RegionsOp) is None
        theirs_precise += sum(not isinstance(c, irdl.AnyOp) for c in _constraint_ops(lossy))
        ours_precise += sum(not isinstance(c, irdl.AnyOp) for c in _constraint_ops(mine))
        # tensor operands and results are irdl.base "!builtin.tensor", never irdl.any
        for kind, defs in ((irdl.OperandsOp, od.operands), (irdl.ResultsOp, od.results)):
            listed = _child(mine, kind)
            for (_, d), value in zip(defs, listed.args if listed else (), strict=True):  # type: ignore[union-attr]
                if _element(d.constr) == BaseAttr(TensorType):
                    owner = value.owner
                    assert isinstance(owner, irdl.BaseOp) and owner.base_name == StringAttr("!builtin.tensor")
        required, _ = _expected_attributes(op)
        attrs = _child(mine, irdl.AttributesOp)
        assert bool(required) == isinstance(attrs, irdl.AttributesOp)
    assert theirs_precise == 0 and ours_precise > 0


def test_var_constraint_becomes_one_shared_value() -> None:
    """`rnn.softmax`: `T = VarConstraint("T", base(TensorType))` on input and result -> one SSA value."""
    op = _symbols(_dialect_op(parse_irdl(_text("rnn.irdl.mlir"))))["softmax"]
    operands, results = _child(op, irdl.OperandsOp), _child(op, irdl.ResultsOp)
    assert operands.args[0] is results.args[0]  # type: ignore[union-attr]


# --------------------------------------------------------------------------- loading back (mlir-opt --irdl-file analogue)

OPS_TESTS = {"rnn.irdl.mlir": "rnn", "sharp.irdl.mlir": "sharp", "sharp_isa.irdl.mlir": "sharp_isa"}


def _converted(file: str) -> tuple[list[str], Dialect]:
    """tests/filecheck/dialects/<d>/ops.mlir, parsed with the Python dialects, in IRDL form, printed generic."""
    dialect = sharp_dialects()[file]
    loaded = load_irdl(_text(file))[dialect.name]
    source = (ROOT / "tests" / "filecheck" / "dialects" / OPS_TESTS[file] / "ops.mlir").read_text()
    out: list[str] = []
    for chunk in source.split("// -----"):
        module = Parser(_context(*PYTHON_DIALECTS), chunk).parse_module()
        module.verify()
        to_irdl_form(module, [dialect], {dialect.name: loaded})
        out.append(_print_generic(module))
    return out, loaded


def _loaded_context(file: str, loaded: Dialect) -> Context:
    """The IRDL-loaded dialect, plus the Python dialects of the other files (e.g. #sharp.tokens)."""
    name = sharp_dialects()[file].name
    return _context(*(d for d in PYTHON_DIALECTS if d.name != name), loaded)


@pytest.mark.parametrize("file", FILES)
def test_loaded_dialect_accepts_the_dialect_test_ir(file: str) -> None:
    texts, loaded = _converted(file)
    seen: set[str] = set()
    for text in texts:
        module = Parser(_loaded_context(file, loaded), text).parse_module()
        ops = [op for op in module.walk() if op.dialect_name() == loaded.name]
        assert all(type(op) in loaded.operations for op in ops)  # the dynamic classes, not the Python ones
        for op in ops:
            op.verify_()  # the IRDL constraints of each op
        seen |= {op.name for op in ops}
        if file == "sharp.irdl.mlir":
            # IRDL has no traits: without NoTerminator, the bodies of sharp.layer / sharp.time_loop need a
            # terminator, in xDSL as upstream ("block with no terminator"). Documented in dialects/README.md.
            with pytest.raises(VerifyException, match="not a terminator"):
                module.verify()
        else:
            module.verify()
    python_ops = {op.name for op in sharp_dialects()[file].operations}
    assert seen <= python_ops
    if file != "sharp_isa.irdl.mlir":  # ops.mlir of rnn and sharp use every op; sharp_isa's a sample
        assert seen == python_ops


def _rnn_verify(text: str) -> None:
    loaded = load_irdl(_text("rnn.irdl.mlir"))["rnn"]
    Parser(_context(loaded), text).parse_module().verify()


LSTM = (
    '%y:3 = "rnn.lstm"(%x, %w, %r) {{activation_alpha = [0.0 : f32], activation_beta = [0.0 : f32], '
    'activations = ["Tanh"], direction = {direction}, hidden_size = 4 : i64, input_forget = 0 : i64, layout = 1 : i64, '
    "operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0, 0>}} : (tensor<2x3x5xf32>, tensor<1x16x5xf32>, "
    "tensor<1x16x4xf32>) -> (tensor<2x3x1x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>)"
)
LSTM_ARGS = "%x: tensor<2x3x5xf32>, %w: tensor<1x16x5xf32>, %r: tensor<1x16x4xf32>"


@pytest.mark.parametrize(
    "body, args, message",
    [
        (LSTM.format(direction='#rnn.direction<"sideways">'), LSTM_ARGS, "does not satisfy any of"),
        (LSTM.format(direction='"forward"'), LSTM_ARGS, "direction"),
        ('%p = "rnn.softmax"(%x) : (tensor<5x10xf32>) -> tensor<5x11xf32>', "%x: tensor<5x10xf32>", "result"),
        ('%r = "rnn.reshape"(%x) : (i32) -> tensor<1xi32>', "%x: i32", "operand"),
        ('%c = "rnn.concat"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>', "%x: tensor<2x3xf32>", "axis"),
        # upstream IRDL: one constraint variable per variadic operand, so all its types must be equal
        ('%c = "rnn.concat"(%a, %b) {axis = 0 : i64} : (tensor<1x4xf32>, tensor<2x4xf32>) -> tensor<3x4xf32>',
         "%a: tensor<1x4xf32>, %b: tensor<2x4xf32>", "inputs"),
    ],
    ids=["enum-value", "enum-base", "var-constraint", "base", "required-attribute", "variadic-homogeneous"],
)  # fmt: skip
def test_loaded_rnn_rejects_what_upstream_rejects(body: str, args: str, message: str) -> None:
    good = LSTM.format(direction='#rnn.direction<"forward">')
    _rnn_verify(f"func.func @f({LSTM_ARGS}) {{\n  {good}\n  func.return\n}}")
    with pytest.raises(VerifyException, match=message):
        _rnn_verify(f"func.func @f({args}) {{\n  {body}\n  func.return\n}}")


# --------------------------------------------------------------------------- upstream MLIR, when installed


def _mlir_opt() -> str | None:
    return os.environ.get("SHARP_MLIR_OPT") or shutil.which("mlir-opt") or shutil.which("iree-opt")


@pytest.mark.skipif(_mlir_opt() is None, reason="no mlir-opt / iree-opt (set SHARP_MLIR_OPT)")
@pytest.mark.parametrize("file", FILES)
def test_upstream_mlir_loads_the_file(file: str, tmp_path: Path) -> None:
    opt = _mlir_opt()
    assert opt is not None
    empty = tmp_path / "empty.mlir"
    empty.write_text("module {}\n")
    proc = subprocess.run(
        [opt, f"--irdl-file={ROOT / 'dialects' / file}", str(empty)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    if file == "rnn.irdl.mlir":  # its test IR has no xDSL-only attributes, so upstream parses it too
        texts, _ = _converted(file)
        ir = tmp_path / "rnn_ops.mlir"
        ir.write_text("\n// -----\n".join(texts))
        args = [opt, "--split-input-file", f"--irdl-file={ROOT / 'dialects' / file}", str(ir)]
        proc = subprocess.run(args, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
