"""`make test` (tools/run_tests.py) echoes progress as it comes and keeps its closing summary line."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _runner():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("run_tests", ROOT / "tools" / "run_tests.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stream_echoes_while_it_runs(capsys: pytest.CaptureFixture[str]) -> None:
    code = "import sys, time; print('..', end=''); sys.stdout.flush(); time.sleep(0.2); print('F 2 passed')"
    out, rc = _runner().stream([sys.executable, "-c", code])
    assert (out, rc) == (".." + "F 2 passed\n", 0)
    assert capsys.readouterr().out == out


def test_stream_filters_lit_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code = "print('PASS: sharp :: a.mlir (1 of 2)'); print('noise'); print('FAIL: sharp :: b.mlir (2 of 2)')"
    out, _ = _runner().stream([sys.executable, "-c", code], show=re.compile(r"^[A-Z]+: sharp :: "))
    assert "noise" in out and "noise" not in capsys.readouterr().out
