"""sharp-run end to end (subprocess): outputs, statistics, trace, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sharp_sim_builders import LstmCase, lstm_program, lstm_reference

from sharp_compiler.isa.binary import encode

CASE = LstmCase(seq=4, batch=2, inputs=3, hidden=5)


def sharp_run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable,
        "-c",
        "import sys; from sharp_compiler.tools.sharp_run import main; sys.exit(main())",
    ]
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=60)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "model.sbin").write_bytes(encode(lstm_program(CASE)))
    np.savez(tmp_path / "in.npz", X=CASE.x())
    return tmp_path


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int, fragment: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.startswith("sharp-run: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert fragment in proc.stderr


def test_run_writes_outputs_stats_and_trace(workdir: Path) -> None:
    proc = sharp_run("model.sbin", "--inputs", "in.npz", "-o", "out.npz", "--stats", "s.json", "--trace", "t.json",
                     cwd=workdir)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "cycles" in proc.stderr and "MAC utilization" in proc.stderr
    with np.load(workdir / "out.npz") as out:
        assert sorted(out.files) == ["Y", "Y_c", "Y_h"]
        for name, expected in zip(("Y", "Y_h", "Y_c"), lstm_reference(CASE, CASE.x()), strict=True):
            np.testing.assert_allclose(out[name], expected, rtol=1e-4, atol=1e-5)
    stats = json.loads((workdir / "s.json").read_text())
    assert stats["cycles"] > 0 and stats["layers"][0]["name"] == "lstm_0"
    trace = json.loads((workdir / "t.json").read_text())
    assert {e["tid"] for e in trace["traceEvents"] if e["ph"] == "X"} <= {0, 1, 2, 3, 8}  # units, layers
    assert sorted(p.name for p in workdir.iterdir()) == [
        "in.npz",
        "model.sbin",
        "out.npz",
        "s.json",
        "t.json",
    ]


def test_quiet_run(workdir: Path) -> None:
    proc = sharp_run("model.sbin", "--inputs", "in.npz", "-o", "out.npz", "-q", "--no-check", cwd=workdir)
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == ""


ERRORS = [
    ("corrupt binary", ["bad.sbin", "--inputs", "in.npz", "-o", "out.npz"], 1, "bad.sbin: checksum mismatch"),
    ("missing binary", ["nope.sbin", "--inputs", "in.npz", "-o", "out.npz"], 1, "nope.sbin: no such file"),
    ("directory as binary", [".", "--inputs", "in.npz"], 1, ".: is a directory, expected a .sbin binary"),
    ("directory as output", ["model.sbin", "--inputs", "in.npz", "-o", "."], 1, ".: cannot write (is a directory)"),
    ("missing input", ["model.sbin", "-o", "out.npz"], 1, "missing input 'X' (expected float32[4, 2, 3])"),
    ("wrong shape", ["model.sbin", "--inputs", "wrong.npz", "-o", "out.npz"], 1,
     "input 'X': expected shape [4, 2, 3], got [2, 3]"),
    ("unreadable npz", ["model.sbin", "--inputs", "junk.npz", "-o", "out.npz"], 1, "junk.npz: not an .npz archive"),
    ("unknown option", ["model.sbin", "--frobnicate", "-o", "out.npz"], 2, "unrecognized arguments: --frobnicate"),
    ("unwritable output", ["model.sbin", "--inputs", "in.npz", "-o", "no/such/dir/out.npz"], 1,
     "no/such/dir/out.npz: cannot write"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "code", "fragment"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_are_one_line(workdir: Path, args: list[str], code: int, fragment: str) -> None:
    data = bytearray((workdir / "model.sbin").read_bytes())
    data[100] ^= 1
    (workdir / "bad.sbin").write_bytes(bytes(data))
    np.savez(workdir / "wrong.npz", X=np.zeros((2, 3), np.float32))
    (workdir / "junk.npz").write_bytes(b"not a zip file")
    before = sorted(p.name for p in workdir.iterdir())
    proc = sharp_run(*args, cwd=workdir)
    assert_one_line_error(proc, code, fragment)
    assert sorted(p.name for p in workdir.iterdir()) == before  # no output, no temporary left behind
