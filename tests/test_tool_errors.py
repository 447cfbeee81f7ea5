"""Every tool turns every user error into one line `TOOL: error: ...`: no traceback, no partial file.

The friction points of issue 8, one case each: directories and missing files as inputs, a
directory or a missing folder as the output, a binary where text is expected, malformed IR,
a bad pipeline (and the bare `hw=FILE.json` option that now works), `--version`, Ctrl-C.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
INPUTS = ROOT / "tests" / "filecheck" / "Inputs"
MODEL = str(INPUTS / "lstm_small.onnx")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("tools")
    subprocess.run([str(BIN / "sharp-compile"), MODEL, "-o", str(work / "m.sbin")], check=True)
    (work / "bad.mlir").write_text("func.func @f( {\n")
    (work / "dir").mkdir()
    return work


CASES = [
    ("sharp-opt", ["dir"], "dir: is a directory"),
    ("sharp-opt", ["missing.mlir"], "missing.mlir: no such file"),
    ("sharp-opt", ["bad.mlir"], "bad.mlir:1:15: Expected argument or type"),
    ("sharp-opt", ["m.sbin"], "m.sbin: unrecognized file extension 'sbin' (sharp-opt reads .mlir and .onnx"),
    ("sharp-opt", ["m.sbin", "-f", "mlir"], "m.sbin: not a text file"),
    ("sharp-opt", [MODEL, "-o", "dir"], "dir: cannot write (is a directory)"),
    ("sharp-opt", [MODEL, "-o", "no/such/out.mlir"], "no/such/out.mlir: cannot write (no directory no/such)"),
    ("sharp-opt", [MODEL, "-p", "convert-rnn-to-sharp{hww=1}"], "invalid pass pipeline"),
    ("sharp-opt", [MODEL, "-p", "convert-rnn-to-sharp{hw=nope-hw.json}"], "nope-hw.json: not a preset"),
    ("sharp-compile", ["dir", "-o", "x.sbin"], "dir: is a directory, expected a .onnx model"),
    ("sharp-compile", [MODEL, "-o", "dir"], "dir: cannot write (is a directory)"),
    ("sharp-compile", [MODEL, "-o", "x.sbin", "--budget", "-3"], "budget must be a positive power of two"),
    ("sharp-translate", ["m.sbin", "--to-binary", "-o", "y.sbin"], "m.sbin: a binary, not IR text"),
    ("sharp-translate", ["bad.mlir", "--to-binary", "-o", "y.sbin"], "bad.mlir:1:15: Expected argument or type"),
    ("sharp-translate", ["dir", "--listing"], "dir: is a directory"),
    ("sharp-run", ["m.sbin", "-o", "dir"], "dir: cannot write (is a directory)"),
]  # fmt: skip


@pytest.mark.parametrize(("tool", "args", "fragment"), CASES, ids=[f"{c[0]} {' '.join(c[1])}" for c in CASES])
def test_user_errors_are_one_line(work: Path, tool: str, args: list[str], fragment: str) -> None:
    before = sorted(p.name for p in work.iterdir())
    proc = subprocess.run([str(BIN / tool), *args], cwd=work, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith(f"{tool}: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Errno" not in proc.stderr and ".tmp" not in proc.stderr
    assert fragment in proc.stderr
    assert sorted(p.name for p in work.iterdir()) == before  # no partial output


def test_bare_file_option_in_a_pipeline_works(work: Path) -> None:
    spec = f"convert-rnn-to-sharp{{hw={INPUTS / 'tiny-hw.json'} budget=64}}"
    proc = subprocess.run([str(BIN / "sharp-opt"), MODEL, "-p", spec], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert '#sharp.hw<"tiny@64"' in proc.stdout


@pytest.mark.parametrize("tool", ["sharp-opt", "sharp-compile", "sharp-translate", "sharp-run"])
def test_every_tool_has_version(tool: str) -> None:
    import sharp_compiler

    proc = subprocess.run([str(BIN / tool), "--version"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.startswith(f"{tool} (sharp-compiler {sharp_compiler.__version__}, xdsl ")


def test_ctrl_c_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from sharp_compiler.tools.cli import run_tool

    def interrupted() -> int:
        raise KeyboardInterrupt

    assert run_tool("sharp-opt", interrupted) == 130
    assert capsys.readouterr().err == "sharp-opt: error: interrupted\n"
