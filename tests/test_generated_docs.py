"""Generated references stay in sync with the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pass_reference_is_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_pass_doc.py"), "--check"],
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
