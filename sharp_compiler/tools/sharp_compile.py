"""sharp-compile: ONNX model -> SHARP binary in one step (like iree-compile).

sharp-compile model.onnx -o model.sbin [--hw sharp-4k|FILE.json] [--budget 16384]
             [--precision fp16|fp32] [--reconfigure per-layer|fixed] [--schedule sequential|dataflow]
             [--chunks N] [--input-shape NAME=D0,D1,...] [--emit-ir DIR]
sharp-compile --print-config [--hw P] [--budget N] [--precision p]   (the effective config as JSON)
sharp-compile --list-tiles [--hw P] [--budget N]                     (its legal tiles, one per line)
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

from sharp_compiler.hw.config import DEFAULT_PRESET, PRECISIONS, HwConfig, load_config
from sharp_compiler.tools.cli import (
    OneLineArgumentParser,
    ToolError,
    atomic_write,
    parse_shape_option,
    run_tool,
)

BUDGETS_DOC = "multiplier count overriding the preset's (a power of two, e.g. 1024, 4096, 16384, 65536)"


def build_parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(prog="sharp-compile", description="Compile an ONNX RNN model for SHARP.")
    parser.add_argument("model", nargs="?", help="the .onnx model")
    parser.add_argument("-o", "--output", help="the .sbin binary to write")
    parser.add_argument("--hw", default=DEFAULT_PRESET, help="hardware preset name or JSON file")
    parser.add_argument("--budget", type=int, default=None, help=BUDGETS_DOC)
    parser.add_argument(
        "--precision", choices=PRECISIONS, default="", help="datapath mode (default: preset's)"
    )
    parser.add_argument("--reconfigure", choices=("per-layer", "fixed"), default="per-layer",
                        help="choose each layer's tile geometry, or keep the preset's default")  # fmt: skip
    parser.add_argument("--schedule", choices=("sequential", "dataflow"), default="sequential",
                        help="scheduling scheme: every instruction after the previous one, or as soon as its data is ready")  # fmt: skip
    parser.add_argument("--chunks", type=int, default=1,
                        help="cut recurrent layers' hidden units into N blocks (intergate pipelining)")  # fmt: skip
    parser.add_argument("--input-shape", action="append", metavar="NAME=DIMS",
                        help="make a dynamic input static, e.g. x=25,1,64 (repeatable)")  # fmt: skip
    parser.add_argument("--emit-ir", metavar="DIR", help="also write the IR after each pass into DIR")
    parser.add_argument("--print-config", action="store_true",
                        help="print the effective hardware configuration as JSON and exit")  # fmt: skip
    parser.add_argument("--list-tiles", action="store_true",
                        help="print the legal tile geometries (rows x cols) and exit")  # fmt: skip
    return parser


def effective_config(hw: str, budget: int | None, precision: str) -> HwConfig:
    """The machine `--hw/--budget/--precision` describe (what the binary's config section holds)."""
    cfg = load_config(hw)
    if budget:
        cfg = cfg.with_budget(budget)
    return cfg.with_precision(precision) if precision else cfg


def describe_config(cfg: HwConfig, tiles: bool) -> str:
    if tiles:
        return "".join(f"{rows}x{cols}\n" for rows, cols in cfg.tile_shapes)
    return json.dumps(cfg.to_dict(), indent=2) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        from sharp_compiler.api import compile_onnx

        if args.budget is not None and args.budget <= 0:
            raise ToolError(f"--budget must be a positive power of two, got {args.budget}")
        if args.print_config or args.list_tiles:
            cfg = effective_config(args.hw, args.budget, args.precision)
            sys.stdout.write(describe_config(cfg, args.list_tiles))
            return 0
        if not args.model or not args.output:
            raise ToolError("a model and -o OUTPUT are required (or --print-config / --list-tiles)")
        if args.chunks < 1:
            raise ToolError(f"--chunks must be a positive integer, got {args.chunks}")
        if not Path(args.model).is_file():
            raise ToolError(f"{args.model}: no such file")
        output_dir = Path(args.output).parent
        if not output_dir.is_dir():
            raise ToolError(f"{args.output}: cannot write (no directory {output_dir})")
        result = compile_onnx(
            args.model, hw=args.hw, budget=args.budget or 0, precision=args.precision, reconfigure=args.reconfigure,
            schedule=args.schedule, chunks=args.chunks, input_shapes=parse_shape_option(args.input_shape), keep_ir=bool(args.emit_ir),
        )  # fmt: skip
        if args.emit_ir:
            out = Path(args.emit_ir)
            out.mkdir(parents=True, exist_ok=True)
            for index, (stage, text) in enumerate(result.ir.items()):
                atomic_write(out / f"{index}-{stage}.mlir", text.encode())
        atomic_write(args.output, result.binary)
        return 0

    return run_tool("sharp-compile", body)


if __name__ == "__main__":
    sys.exit(main())
