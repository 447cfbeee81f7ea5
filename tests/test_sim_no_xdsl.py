"""The simulator and the ISA stand alone: importing them loads no xDSL module (ARCHITECTURE §4)."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import sharp_compiler.sim, sharp_compiler.isa
print(json.dumps(sorted(m for m in sys.modules if m == "xdsl" or m.startswith("xdsl."))))
"""


def test_sim_and_isa_import_no_xdsl() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


def test_the_probe_sees_xdsl_when_it_is_imported() -> None:
    """The check can fail: importing the compiler side does load xDSL."""
    probe = PROBE.replace("import sharp_compiler.sim,", "import sharp_compiler.api, sharp_compiler.sim,")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "xdsl" in json.loads(proc.stdout)
