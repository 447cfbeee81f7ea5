"""`sharp-run`: run a SHARP binary on inputs; write outputs, statistics and a timeline.

    sharp-run OUT.sbin --inputs IN.npz -o OUT.npz [--stats STATS.json] [--trace TRACE.json]
              [--timing fast|tile] [--timing-only] [--no-check] [--max-instructions N] [-q]

npz keys are the model's ONNX input and output names. Every failure prints one
line, ``sharp-run: error: ...``, exits non-zero and leaves no output file
behind (files are written to temporaries and renamed once all succeeded).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
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
    parser.add_argument("--timing-only", action="store_true",
                        help="skip the numerics: statistics only, no outputs (same cycles)")  # fmt: skip
    parser.add_argument("--no-check", action="store_true", help="skip the hazard checker")
    parser.add_argument(
        "--max-instructions",
        type=int,
        metavar="N",
        default=None,
        help="refuse programs that execute more than N instructions, loops expanded (default 5000000)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return run_tool(PROG, lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from sharp_compiler.hw.numerics import NumericsWarning
    from sharp_compiler.sim import (
        DEFAULT_MAX_INSTRUCTIONS,
        SharpBinaryError,
        SimError,
        load,
        simulate,
        trace_document,
    )

    input_file(args.binary, ".sbin binary")
    for path in (args.output, args.stats, args.trace):
        if path:
            output_file(path)
    if args.timing_only and args.output:
        raise ToolError("--timing-only computes no outputs: drop -o")
    try:
        program = load(args.binary)
    except SharpBinaryError as err:
        raise ToolError(str(err)) from None
    inputs = _read_inputs(args.inputs)
    limit = DEFAULT_MAX_INSTRUCTIONS if args.max_instructions is None else args.max_instructions
    if limit < 1:
        raise ToolError(f"--max-instructions must be a positive integer, got {limit}")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", NumericsWarning)
            result = simulate(
                program, inputs, trace=bool(args.trace), check_hazards=not args.no_check, timing=args.timing,
                max_instructions=limit, progress=None if args.quiet else _progress,
                numerics=not args.timing_only,
            )  # fmt: skip
    except SimError as err:
        raise ToolError(str(err)) from None
    writers: list[tuple[str | Path, Writer]] = []
    if args.output:
        outputs: dict[str, Any] = dict(result.outputs)
        writers.append((args.output, lambda f: np.savez(f, **outputs)))
    if args.stats:
        try:  # strict JSON: config ranges keep every statistic finite; never write Infinity or NaN
            stats_text = json.dumps(result.stats, indent=2, allow_nan=False).encode() + b"\n"
        except ValueError as err:
            raise ToolError(f"{args.stats}: statistics are not finite ({err})") from None
        writers.append((args.stats, lambda f: f.write(stats_text)))
    if args.trace:
        document = trace_document(result.trace or [], result.trace_dropped)
        writers.append((args.trace, lambda f: f.write(json.dumps(document).encode())))
    atomic_write_all(writers)
    for warning in caught:
        if issubclass(warning.category, NumericsWarning):
            sys.stderr.write(f"{PROG}: warning: {' '.join(str(warning.message).split())}\n")
    if not args.quiet:
        sys.stderr.write(summary(result.stats))
    return 0


def _progress(done: int, total: int) -> None:
    """One line on stderr every few seconds of a long run."""
    sys.stderr.write(
        f"{PROG}: progress: {done} of {total} instructions ({100 * done / max(total, 1):.0f}%)\n"
    )
    sys.stderr.flush()


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
