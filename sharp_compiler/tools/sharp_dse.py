"""sharp-dse: sweep models x hardware x budgets x schedules in parallel; CSV, JSON and figures.

sharp-dse MODEL.onnx [MODEL.onnx ...] --hw P1,P2,... [--budget N1,N2,...] [--schedule S1,S2,...]
          [--baselines] --out DIR [--jobs N] [--executor local|ray|dask] [--address ADDR]
          [--set FIELD=VALUE|FIELD=xF ...] [--gpu-results FILE.json] [--no-plots] [-q]

Every point is compiled and simulated in timing-only mode; finished points are cached in
DIR/points, so rerunning a sweep reuses them. See docs/dse.md.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from sharp_compiler.dse.executors import EXECUTORS
from sharp_compiler.tools.cli import OneLineArgumentParser, ToolError, run_tool


def _list(text: str) -> list[str]:
    return [t for t in (s.strip() for s in text.split(",")) if t]


def build_parser() -> OneLineArgumentParser:
    from sharp_compiler.pipeline import PipelineOptions

    parser = OneLineArgumentParser(prog="sharp-dse", description="Design-space sweeps over SHARP machines.")
    parser.add_argument("models", nargs="+", help="the .onnx models")
    parser.add_argument("--hw", required=True, help="comma-separated presets or JSON files")
    parser.add_argument(
        "--budget", default="", help="comma-separated multiplier budgets applied to every --hw"
    )
    parser.add_argument("--schedule", default=PipelineOptions().scheme, help="comma-separated schedules")
    parser.add_argument("--baselines", action="store_true",
                        help="add epur-like and brainwave-like at every budget and the gpu-like model")  # fmt: skip
    parser.add_argument("--out", required=True, help="output directory (results.csv, results.json, *.png)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers")
    parser.add_argument("--executor", choices=EXECUTORS, default="local", help="where points run")
    parser.add_argument("--address", default="", help="an existing Dask scheduler or Ray cluster to use")
    parser.add_argument(
        "--set", action="append", default=[], metavar="FIELD=VALUE",
        help="override a hardware field on every machine, after its budget's scaling: an absolute "
        "value or xFACTOR (e.g. dram_bytes_per_cycle=x4); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--gpu-results", metavar="FILE.json", help="measured GPU times (benchmarks/bench_gpu.py)"
    )
    parser.add_argument("--no-plots", action="store_true", help="skip the figures")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        from sharp_compiler.dse import sweep
        from sharp_compiler.dse.results import summary

        if args.jobs < 1:
            raise ToolError(f"--jobs must be a positive integer, got {args.jobs}")
        try:
            budgets = [int(b) for b in _list(args.budget)]
        except ValueError:
            raise ToolError(f"--budget expects comma-separated integers, got '{args.budget}'") from None
        for model in args.models:
            if not Path(model).is_file():
                raise ToolError(f"{model}: no such file")
        measured = None
        if args.gpu_results:
            try:
                measured = json.loads(Path(args.gpu_results).read_text())
            except (OSError, json.JSONDecodeError) as err:
                raise ToolError(f"{args.gpu_results}: cannot read GPU results ({err})") from None
        from sharp_compiler.hw.overrides import parse_overrides

        overrides = parse_overrides(args.set)
        rows = sweep(
            args.models, hw=_list(args.hw), budgets=budgets, schedules=_list(args.schedule),
            baselines=args.baselines, out=args.out, jobs=args.jobs, executor=args.executor,
            address=args.address, plots=not args.no_plots, gpu_measured=measured,
            progress=None if args.quiet else sys.stderr, overrides=overrides,
        )  # fmt: skip
        if not args.quiet:
            line = ", ".join(f"{k.removeprefix('geomean_')} {v:.3g}" for k, v in summary(rows).items()
                             if k.startswith("geomean_"))  # fmt: skip
            sys.stderr.write(f"sharp-dse: {len(rows)} rows in {args.out}; {line}\n")
        return 0

    return run_tool("sharp-dse", body)


if __name__ == "__main__":
    sys.exit(main())
