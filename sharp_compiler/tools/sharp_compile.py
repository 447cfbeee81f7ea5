"""sharp-compile: ONNX model -> SHARP binary in one step (like iree-compile).

sharp-compile model.onnx -o model.sbin [--hw sharp-4k|FILE.json] [--budget 16384]
             [--precision fp16|fp32] [--reconfigure per-layer|fixed] [--schedule auto|sequential|intergate|unfolded]
             [--no-reconfig] [--tile RxC] [--chunks N] [--order row|column] [--[no-]interleave]
             [--input-shape NAME=D0,D1,...]
             [--emit-ir DIR [--inline-weights]]
sharp-compile --list-tiles [--hw sharp-4k|FILE.json] [--budget 16384]           (legal tiles, one a line)
sharp-compile --print-config [--hw P] [--budget N] [--precision p]           (the effective config as JSON)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from xdsl.utils.exceptions import DiagnosticException

from sharp_compiler.diagnostics import located
from sharp_compiler.hw.config import PRECISIONS, HwConfig, load_config
from sharp_compiler.hw.tiles import check_tile, format_tile, parse_tile
from sharp_compiler.pipeline import PipelineOptions
from sharp_compiler.tools.cli import (
    OneLineArgumentParser,
    ToolError,
    Writer,
    atomic_write_all,
    input_file,
    one_line,
    output_file,
    parse_shape_option,
    run_tool,
)

DEFAULTS = PipelineOptions()
BUDGETS_DOC = "multiplier count overriding the preset's (a power of two, e.g. 1024, 4096, 16384, 65536)"


def build_parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(prog="sharp-compile", description="Compile an ONNX RNN model for SHARP.")
    parser.add_argument("model", nargs="?", help="the .onnx model")
    parser.add_argument("-o", "--output", help="the .sbin binary to write")
    parser.add_argument("--list-tiles", action="store_true",
                        help="print the legal tile shapes of --hw/--budget, one RxC a line, and exit")  # fmt: skip
    parser.add_argument("--print-config", action="store_true",
                        help="print the effective hardware configuration (--hw/--budget/--precision) as JSON and exit")  # fmt: skip
    parser.add_argument("--hw", default=DEFAULTS.hw, help="hardware preset name or JSON file")
    parser.add_argument("--budget", type=int, default=None, help=BUDGETS_DOC)
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default=DEFAULTS.precision,
        help="datapath mode (default: preset's)",
    )
    parser.add_argument("--reconfigure", choices=("per-layer", "fixed"), default=DEFAULTS.reconfigure,
                        help="choose each layer's tile geometry, or keep the preset's default")  # fmt: skip
    parser.add_argument(
        "--no-reconfig", action="store_true", help="keep the default tile (--reconfigure fixed)"
    )
    parser.add_argument("--tile", metavar="RxC", default="",
                        help="force this legal tile shape on every layer (see --list-tiles)")  # fmt: skip
    parser.add_argument("--schedule", default=DEFAULTS.scheme, metavar="SCHEME",
                        help="sharp-schedule scheme: sequential, intergate, unfolded or auto (docs/passes.md)")  # fmt: skip
    parser.add_argument("--chunks", type=int, default=DEFAULTS.chunks,
                        help="cut recurrent layers' hidden units into N blocks (0, the default: one for sequential, chosen by the cost model otherwise)")  # fmt: skip
    parser.add_argument("--order", choices=("row", "column"), default=DEFAULTS.order,
                        help="unfolded plan: dispatch block by block (row) or early columns first (column)")  # fmt: skip
    parser.add_argument("--interleave", action=argparse.BooleanOptionalAction, default=DEFAULTS.interleave,
                        help="fuse the directions of bidirectional layers into one time loop and run a batch's rows as "
                             "independent recurrences where faster (auto, unfolded)")  # fmt: skip
    parser.add_argument("--input-shape", action="append", metavar="NAME=DIMS",
                        help="make a dynamic input static, e.g. x=25,1,64 (repeatable)")  # fmt: skip
    parser.add_argument("--emit-ir", metavar="DIR", help="also write the IR after each pass into DIR")
    parser.add_argument("--inline-weights", action="store_true",
                        help="print weights in hex in --emit-ir files, so they replay (sharp-translate --to-binary)")  # fmt: skip
    return parser


def machine(hw: str, budget: int | None) -> HwConfig:
    """The configuration --hw and --budget name."""
    if budget is not None and budget <= 0:
        raise ToolError(f"--budget must be a positive power of two, got {budget}")
    cfg = load_config(hw)
    return cfg.with_budget(budget) if budget else cfg


def check_tile_option(args: argparse.Namespace, cfg: HwConfig) -> None:
    """A forced --tile must be one of the machine's shapes; the error says how to list them."""
    if not args.tile:
        return
    if args.no_reconfig or args.reconfigure == "fixed":
        raise ToolError("--tile forces a shape; it excludes --no-reconfig and --reconfigure fixed")
    hint = f"sharp-compile --list-tiles --hw {args.hw}" + (f" --budget {args.budget}" if args.budget else "")
    check_tile(cfg, parse_tile(args.tile), hint)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not (args.list_tiles or args.print_config) and (args.model is None or args.output is None):
        parser.error("the following arguments are required: model, -o/--output")

    def body() -> int:
        from sharp_compiler.api import compile_onnx

        cfg = machine(args.hw, args.budget)
        if args.list_tiles:
            sys.stdout.write("".join(f"{format_tile(t)}\n" for t in cfg.tile_shapes))
            return 0
        if args.print_config:
            effective = cfg.with_precision(args.precision) if args.precision else cfg
            sys.stdout.write(json.dumps(effective.to_dict(), indent=2) + "\n")
            return 0
        check_tile_option(args, cfg)
        if args.chunks < 0:
            raise ToolError(
                f"--chunks must be 0 (chosen by the cost model) or a positive integer, got {args.chunks}"
            )
        input_file(args.model, ".onnx model")
        output_file(args.output)
        if args.emit_ir and Path(args.emit_ir).exists() and not Path(args.emit_ir).is_dir():
            raise ToolError(f"{args.emit_ir}: --emit-ir needs a directory, this is a file")
        try:
            program = compile_onnx(
                args.model, hw=args.hw, budget=args.budget, precision=args.precision,
                reconfigure="fixed" if args.no_reconfig else args.reconfigure, tile=args.tile,
                schedule=args.schedule, chunks=args.chunks, order=args.order, interleave=args.interleave,
                input_shapes=parse_shape_option(args.input_shape),
            )  # fmt: skip
        except DiagnosticException as err:
            where = located(err)
            message = one_line(err).removeprefix(f"{args.model}: ")
            raise ToolError(
                f"{args.model}: {where}: {message}" if where else f"{args.model}: {message}"
            ) from None
        writers: list[tuple[str | Path, Writer]] = []
        if args.emit_ir:
            out = Path(args.emit_ir)
            out.mkdir(parents=True, exist_ok=True)
            for index, stage in enumerate(program.stage_names):
                text = program.ir(stage, inline_weights=args.inline_weights).encode()
                writers.append((out / f"{index}-{stage}.mlir", lambda f, text=text: f.write(text)))
        writers.append((args.output, lambda f: f.write(program.binary)))
        atomic_write_all(writers)
        return 0

    return run_tool("sharp-compile", body)


if __name__ == "__main__":
    sys.exit(main())
