"""Run every test (pytest, then lit) and print one closing line: `N passed, N failed`.

Used by `make test` and CI. Shows progress while it runs (pytest's dots, one line per lit
test); the closing line covers pytest and lit and says when the upstream-MLIR tier was
skipped (no `mlir-opt-22`). Exits non-zero when any test fails or none ran.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _count(pattern: str, text: str) -> int:
    return sum(int(m) for m in re.findall(pattern, text))


def stream(
    cmd: list[str], env: dict[str, str] | None = None, show: re.Pattern[str] | None = None
) -> tuple[str, int]:
    """Run `cmd`, echoing its output as it comes (only lines matching `show`, when given)."""
    env = dict(env or os.environ, PYTHONUNBUFFERED="1")  # progress as it happens, not in 8 KiB blocks
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    if show is None:  # every character as it comes: pytest's progress dots
        chunks = []
        for char in iter(lambda: proc.stdout.read(1), ""):  # type: ignore[union-attr]
            chunks.append(char)
            sys.stdout.write(char)
            sys.stdout.flush()
        return "".join(chunks), proc.wait()
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if show.match(line):
            sys.stdout.write(line)
            sys.stdout.flush()
    return "".join(lines), proc.wait()


def _has_xdist() -> bool:
    import importlib.util

    return importlib.util.find_spec("xdist") is not None


def run_pytest() -> tuple[int, int, int]:
    print("== pytest", flush=True)
    workers = ["-n", str(min(2, os.cpu_count() or 1))] if _has_xdist() else []  # CI has 2 cores
    out, code = stream([sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider", *workers])
    tail = out.strip().splitlines()[-1] if out.strip() else ""
    passed = _count(r"(\d+) passed", tail)
    failed = _count(r"(\d+) failed", tail) + _count(r"(\d+) errors?", tail)
    if code not in (0, 5) and failed == 0:
        failed = 1  # pytest crashed before counting
    return passed, failed, code


def run_lit() -> tuple[int, int, int]:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    print("== lit", flush=True)
    out, code = stream(
        [str(BIN / "lit"), "-v", str(ROOT / "tests" / "filecheck")], env, re.compile(r"^[A-Z]+: sharp :: ")
    )
    failures = [line for line in out.splitlines() if re.match(r"^(FAIL|XPASS|UNRESOLVED|TIMEOUT):", line)]
    if failures:
        sys.stdout.write(out[-20000:])
    passed = 0
    for line in out.splitlines():
        m = re.match(r"^\s*(Passed|Expectedly Failed)\s*:\s*(\d+)", line)
        if m:
            passed += int(m.group(2))
    failed = len(failures)
    if code != 0 and failed == 0:
        failed = 1
    print(f"lit: {passed} passed, {failed} failed")
    return passed, failed, code


def main() -> int:
    p_pass, p_fail, _ = run_pytest()
    l_pass, l_fail, _ = run_lit()
    passed, failed = p_pass + l_pass, p_fail + l_fail
    skipped = (
        "" if shutil.which("mlir-opt-22") else " (upstream MLIR tier skipped: mlir-opt-22 not installed)"
    )
    print(f"{passed} passed, {failed} failed{skipped}")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
