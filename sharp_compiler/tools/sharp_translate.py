"""sharp-translate: between the binary and its textual forms (like mlir-translate).

sharp-translate model.sbin --listing            assembly listing of a binary
sharp-translate model.sbin --to-mlir            the binary lifted to `sharp_isa` IR
sharp-translate prog.mlir --to-binary -o x.sbin  `sharp_isa` IR (e.g. from --to-mlir) to a binary
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from sharp_compiler.tools.cli import OneLineArgumentParser, ToolError, atomic_write, run_tool


def build_parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(prog="sharp-translate", description="Translate SHARP binaries and IR.")
    parser.add_argument("input", help="a .sbin binary, or a .mlir file in the sharp_isa dialect")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--listing", action="store_true", help="binary -> assembly listing")
    mode.add_argument("--to-mlir", action="store_true", help="binary -> sharp_isa IR")
    mode.add_argument("--to-binary", action="store_true", help="sharp_isa IR -> binary")
    parser.add_argument("-o", "--output", help="output file (default: stdout for text)")
    return parser


def _read_binary(path: str):  # noqa: ANN202
    from sharp_compiler.isa.binary import decode

    return decode(Path(path).read_bytes(), origin=path)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def emit_text(text: str) -> None:
        if args.output:
            atomic_write(args.output, text.encode())
        else:
            sys.stdout.write(text)

    def body() -> int:
        if not Path(args.input).is_file():
            raise ToolError(f"{args.input}: no such file")
        if args.listing:
            from sharp_compiler.isa.listing import format_listing

            emit_text(format_listing(_read_binary(args.input)))
        elif args.to_mlir:
            from sharp_compiler.api import module_text
            from sharp_compiler.backend.lift import program_to_isa
            from sharp_compiler.dialects.weights import inline_weights

            with inline_weights():
                emit_text(module_text(program_to_isa(_read_binary(args.input))))
        else:
            from xdsl.parser import Parser

            from sharp_compiler.api import emit_binary, make_context

            if not args.output:
                raise ToolError("--to-binary needs -o FILE.sbin")
            module = Parser(make_context(), Path(args.input).read_text(), args.input).parse_module()
            module.verify()
            atomic_write(args.output, emit_binary(module))
        return 0

    return run_tool("sharp-translate", body)


if __name__ == "__main__":
    sys.exit(main())
