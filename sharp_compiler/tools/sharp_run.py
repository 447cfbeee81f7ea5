"""`sharp-run`: run a SHARP binary on inputs; write outputs, statistics and a timeline.

    sharp-run OUT.sbin --inputs IN.npz -o OUT.npz [--stats STATS.json] [--trace TRACE.json]
              [--timing fast|tile] [--timing-only] [--no-check] [-q]

npz keys are the model's ONNX input and output names. Every failure prints one
line, ``sharp-run: error: ...``, exits non-zero and leaves no output file
behind (files are written to temporaries and renamed once all succeeded).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, NoReturn

import numpy as np

PROG = "sharp-run"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in one line (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {message}\n")


class _Failure(Exception):
    """A user-facing error: printed as one line, exit code 1."""


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Run a SHARP binary (.sbin) on the simulator.")
    parser.add_argument("binary", help="the .sbin file to run")
    parser.add_argument("--inputs", metavar="IN.npz", help="model inputs keyed by ONNX input name")
    parser.add_argument(
        "-o", "--output", metavar="OUT.npz", help="write the model outputs (keyed by ONNX output name)"
    )
    parser.add_argument("--stats", metavar="STATS.json", help="write the statistics as JSON")
    parser.add_argument("--trace", metavar="TRACE.json", help="write a Chrome-trace/Perfetto timeline")
    parser.add_argument(
        "--timing", choices=("fast", "tile"), default="fast", help="timing model (default: fast)"
    )
    parser.add_argument("--timing-only", action="store_true",
                        help="skip the numerics: statistics only, no outputs (same cycles)")  # fmt: skip
    parser.add_argument("--no-check", action="store_true", help="skip the hazard checker")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        _run(args)
    except _Failure as err:
        return _report(str(err))
    except KeyboardInterrupt:
        return _report("interrupted", 130)
    except Exception as err:  # a bug: still one line, never a traceback
        if os.environ.get("SHARP_DEBUG"):
            raise
        return _report(f"internal error: {type(err).__name__}: {err}")
    return 0


def _report(message: str, code: int = 1) -> int:
    sys.stderr.write(f"{PROG}: error: {' '.join(message.split())}\n")
    return code


def _run(args: argparse.Namespace) -> None:
    from sharp_compiler.sim import SharpBinaryError, SimError, load, simulate, trace_document

    if args.timing_only and args.output:
        raise _Failure("--timing-only computes no outputs: drop -o")
    try:
        program = load(args.binary)
    except SharpBinaryError as err:
        raise _Failure(str(err)) from None
    inputs = _read_inputs(args.inputs)
    try:
        result = simulate(
            program,
            inputs,
            trace=bool(args.trace),
            check_hazards=not args.no_check,
            timing=args.timing,
            numerics=not args.timing_only,
        )
    except SimError as err:
        raise _Failure(str(err)) from None
    writers: list[tuple[str, Callable[[IO[bytes]], object]]] = []
    if args.output:
        outputs: dict[str, Any] = dict(result.outputs)
        writers.append((args.output, lambda f: np.savez(f, **outputs)))
    if args.stats:
        writers.append((args.stats, lambda f: f.write(json.dumps(result.stats, indent=2).encode() + b"\n")))
    if args.trace:
        document = trace_document(result.trace or [], result.trace_dropped)
        writers.append((args.trace, lambda f: f.write(json.dumps(document).encode())))
    _write_all(writers)
    if not args.quiet:
        sys.stderr.write(summary(result.stats))


def _read_inputs(path: str | None) -> dict[str, np.ndarray]:
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
        if magic[:2] != b"PK":  # an .npz is a zip archive
            raise _Failure(f"{path}: not an .npz archive (its keys must be the model's input names)")
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise _Failure(f"{path}: not an .npz archive (its keys must be the model's input names)")
        with archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        raise _Failure(f"{path}: cannot read inputs ({reason})") from None


def _write_all(writers: list[tuple[str, Callable[[IO[bytes]], object]]]) -> None:
    """Write every file to a temporary beside it, then rename them all; on failure remove the temporaries."""
    done: list[tuple[str, Path]] = []
    current = ""
    try:
        for target, write in writers:
            current = target
            handle, temp = tempfile.mkstemp(prefix=".sharp-run-", suffix=".tmp", dir=Path(target).parent)
            done.append((temp, Path(target)))
            with os.fdopen(handle, "wb") as stream:
                write(stream)
        umask = os.umask(0)
        os.umask(umask)
        for temp, target_path in done:
            current = str(target_path)
            os.chmod(temp, 0o666 & ~umask)
            os.replace(temp, target_path)
    except OSError as err:
        for temp, _target in done:
            Path(temp).unlink(missing_ok=True)
        raise _Failure(f"{current}: cannot write ({err.strerror or err})") from None


def summary(stats: dict[str, Any]) -> str:
    """A short human summary of the statistics."""
    br = stats["utilization_breakdown"]
    mem = stats["memory"]
    lines = [
        f"{PROG}: {stats['config']} ({stats['precision']}): {stats['cycles']} cycles = "
        f"{stats['seconds'] * 1e6:.3f} us at {stats['clock_hz'] / 1e6:g} MHz, {stats['instructions']} instructions",
        f"  {stats['macs']} MACs, MAC utilization {100 * stats['mac_utilization']:.2f}% "
        f"(padding {100 * br['padding']:.1f}%, pipeline fill {100 * br['pipeline_fill']:.1f}%, "
        f"stalls {100 * br['dependency_stall']:.1f}%, non-matrix {100 * br['non_matrix']:.1f}%)",
        f"  DRAM {mem['dram_read_bytes']} B read / {mem['dram_write_bytes']} B written, "
        f"{stats['reconfigurations']} reconfiguration(s)",
        f"  energy {stats['energy_joules'] * 1e6:.3f} uJ, {stats['gflops_per_watt']:.2f} GFLOPS/W",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
