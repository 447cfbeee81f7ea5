"""`sharp-run`: run a SHARP binary on inputs; write outputs, statistics and a timeline.

    sharp-run OUT.sbin --inputs IN.npz -o OUT.npz [--stats STATS.json] [--trace TRACE.json]
              [--timing fast|tile] [--no-check] [-q]

npz keys are the model's ONNX input and output names. Every failure prints one
line, ``sharp-run: error: ...``, exits non-zero and leaves no output file
behind (files are written to temporaries and renamed once all succeeded).
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sharp_compiler.tools.cli import (
    OneLineArgumentParser,
    ToolError,
    Writer,
    atomic_write_all,
    input_file,
    output_file,
    run_tool,
)

PROG = "sharp-run"


def _parser() -> argparse.ArgumentParser:
    parser = OneLineArgumentParser(prog=PROG, description="Run a SHARP binary (.sbin) on the simulator.")
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
    parser.add_argument("--no-check", action="store_true", help="skip the hazard checker")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_tool(PROG, lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from sharp_compiler.sim import SharpBinaryError, SimError, load, simulate, trace_document

    input_file(args.binary, ".sbin binary")
    for path in (args.output, args.stats, args.trace):
        if path:
            output_file(path)
    try:
        program = load(args.binary)
    except SharpBinaryError as err:
        raise ToolError(str(err)) from None
    inputs = _read_inputs(args.inputs)
    try:
        result = simulate(
            program, inputs, trace=bool(args.trace), check_hazards=not args.no_check, timing=args.timing
        )
    except SimError as err:
        raise ToolError(str(err)) from None
    writers: list[tuple[str | Path, Writer]] = []
    if args.output:
        outputs: dict[str, Any] = dict(result.outputs)
        writers.append((args.output, lambda f: np.savez(f, **outputs)))
    if args.stats:
        writers.append((args.stats, lambda f: f.write(json.dumps(result.stats, indent=2).encode() + b"\n")))
    if args.trace:
        document = trace_document(result.trace or [], result.trace_dropped)
        writers.append((args.trace, lambda f: f.write(json.dumps(document).encode())))
    atomic_write_all(writers)
    if not args.quiet:
        sys.stderr.write(summary(result.stats))
    return 0


def _read_inputs(path: str | None) -> dict[str, np.ndarray]:
    if path is None:
        return {}
    try:
        with open(path, "rb") as handle:
            magic = handle.read(4)
        if magic[:2] != b"PK":  # an .npz is a zip archive
            raise ToolError(f"{path}: not an .npz archive (its keys must be the model's input names)")
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ToolError(f"{path}: not an .npz archive (its keys must be the model's input names)")
        with archive:
            return {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        reason = getattr(err, "strerror", None) or str(err) or type(err).__name__
        raise ToolError(f"{path}: cannot read inputs ({reason})") from None


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
    bound = stats.get("bound")
    if bound and bound.get("cycles"):
        terms = ("compute", "recurrence", "elementwise", "dram", "startup")
        limiting = max(terms, key=lambda k: bound.get(k, 0))
        lines.append(
            f"  {bound['cycles_over_bound']:.2f}x the physical bound ({bound['cycles']} cycles, {limiting}-bound; "
            "docs/simulator.md)"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
