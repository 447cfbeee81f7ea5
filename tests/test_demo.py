"""`make demo` keeps its artefacts, prints commands that work when pasted, explains and compares."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_commands_replay_from_the_repository_root(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "tools/demo.py", "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    assert "all outputs match onnxruntime" in text
    assert "dependency stalls" in text and "-bound" in text  # the paragraph explaining the numbers
    assert "epur-like baseline" in text and "speedup" in text  # the comparison
    for name in ("model.sbin", "inputs.npz", "outputs.npz", "stats.json", "trace.json", "ir/0-rnn.mlir"):
        assert (out / name).is_file(), name
    commands = [line[2:] for line in text.splitlines() if line.startswith("$ ")]
    assert commands
    for command in commands:  # pasted again: each works, the artefacts are still there
        replay = subprocess.run(shlex.split(command), cwd=ROOT, capture_output=True, text=True)
        assert replay.returncode == 0, (command, replay.stderr)
