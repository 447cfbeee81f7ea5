"""The top-level API: docs/api.md's examples run, names and defaults equal the CLI's."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "api.md").read_text(), re.S)


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_docs_api_example_runs(index: int) -> None:
    """Each example is a script run in a fresh interpreter from the repository root."""
    proc = subprocess.run([sys.executable, "-c", EXAMPLES[index]], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_docs_have_the_two_scripts_the_issue_asks_for() -> None:
    assert len(EXAMPLES) >= 2
    assert "compile_onnx" in EXAMPLES[0] and "onnxruntime" in EXAMPLES[0]
    assert "compile_module" in EXAMPLES[1] and "onnx" not in EXAMPLES[1].replace("ONNX", "")


def test_import_is_light_and_versioned() -> None:
    code = "import sys, sharp_compiler; print(sharp_compiler.__version__, 'xdsl' in sys.modules, 'onnx' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[1:] == ["False", "False"] and re.match(r"\d+\.\d+", out[0])


def test_api_defaults_equal_the_cli_defaults() -> None:
    import sharp_compiler
    from sharp_compiler.tools.sharp_compile import build_parser
    from sharp_compiler.tools.sharp_run import _parser

    cli = {a.dest: a.default for a in build_parser()._actions}
    cli_names = {"input_shape": "input_shapes", "schedule": "schedule"}
    for param in inspect.signature(sharp_compiler.compile_onnx).parameters.values():
        if param.kind is not param.KEYWORD_ONLY:
            continue
        dest = next((d for d, p in cli_names.items() if p == param.name), param.name)
        assert dest in cli, f"compile_onnx({param.name}=) has no sharp-compile option"
        assert param.default == cli[dest], (param.name, param.default, cli[dest])
    run = {a.dest: a.default for a in _parser()._actions}
    sim = inspect.signature(sharp_compiler.simulate).parameters
    assert sim["timing"].default == run["timing"]
    assert sim["check_hazards"].default is (not run["no_check"])  # the hazard checker is on, as in sharp-run


def test_program_stages_and_errors(tmp_path: Path) -> None:
    import sharp_compiler

    program = sharp_compiler.compile_onnx(ROOT / "tests" / "filecheck" / "Inputs" / "lstm_small.onnx")
    assert program.ir("rnn").count("rnn.lstm") == 1
    assert program.ir("sharp") == program.ir("convert-rnn-to-sharp")
    assert "elided" not in program.ir("sharp_isa", inline_weights=True)
    with pytest.raises(ValueError, match="unknown stage 'llvm'; expected one of rnn, "):
        program.ir("llvm")
    program.save(tmp_path / "a.sbin")
    assert (tmp_path / "a.sbin").read_bytes() == program.binary
    with pytest.raises(ValueError, match="budget must be a positive power of two"):
        sharp_compiler.compile_onnx(ROOT / "examples" / "lstm_2layer.onnx", budget=-4)


def test_compile_module_leaves_the_callers_module_alone() -> None:
    import sharp_compiler
    from sharp_compiler.api import import_model, module_text

    module = import_model(ROOT / "tests" / "filecheck" / "Inputs" / "lstm_small.onnx")
    before = module_text(module)
    sharp_compiler.compile_module(module)
    assert module_text(module) == before
