"""Run every test (pytest, then lit) and print one closing line: `N passed, N failed`.

Used by `make test` and CI. Exits non-zero when any test fails or none ran.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _count(pattern: str, text: str) -> int:
    return sum(int(m) for m in re.findall(pattern, text))


def run_pytest() -> tuple[int, int, int]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    sys.stdout.write(proc.stdout[-20000:])
    sys.stderr.write(proc.stderr[-5000:])
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    passed = _count(r"(\d+) passed", tail)
    failed = _count(r"(\d+) failed", tail) + _count(r"(\d+) errors?", tail)
    if proc.returncode not in (0, 5) and failed == 0:
        failed = 1  # pytest crashed before counting
    return passed, failed, proc.returncode


def run_lit() -> tuple[int, int, int]:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        [str(BIN / "lit"), "-v", str(ROOT / "tests" / "filecheck")],
        cwd=ROOT, capture_output=True, text=True, env=env,
    )  # fmt: skip
    out = proc.stdout + proc.stderr
    failures = [line for line in out.splitlines() if re.match(r"^(FAIL|XPASS|UNRESOLVED|TIMEOUT):", line)]
    sys.stdout.write("\n".join(failures) + ("\n" if failures else ""))
    if failures:
        sys.stdout.write(proc.stdout[-20000:])
    passed = 0
    for line in out.splitlines():
        m = re.match(r"^\s*(Passed|Expectedly Failed)\s*:\s*(\d+)", line)
        if m:
            passed += int(m.group(2))
    failed = len(failures)
    if proc.returncode != 0 and failed == 0:
        failed = 1
    print(f"lit: {passed} passed, {failed} failed")
    return passed, failed, proc.returncode


def main() -> int:
    p_pass, p_fail, _ = run_pytest()
    l_pass, l_fail, _ = run_lit()
    passed, failed = p_pass + l_pass, p_fail + l_fail
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
