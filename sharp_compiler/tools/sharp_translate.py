"""sharp-translate: between the binary and its textual forms (like mlir-translate).

sharp-translate model.sbin --listing            assembly listing of a binary
sharp-translate model.sbin --to-mlir            the binary lifted to `sharp_isa` IR
sharp-translate prog.mlir --to-binary -o x.sbin  `sharp_isa` IR (e.g. from --to-mlir) to a binary
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from sharp_compiler.tools.cli import (
    OneLineArgumentParser,
    ToolError,
    atomic_write,
    input_file,
    output_file,
    run_tool,
)


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


def _ir_to_binary(path: str) -> bytes:
    """A `sharp_isa` module (text) -> the binary; parse, verifier and emission errors are located."""
    from xdsl.utils.exceptions import DiagnosticException, ParseError

    from sharp_compiler.api import emit_binary, make_context
    from sharp_compiler.tools.sharp_opt import LocatingParser, diagnose

    data = Path(path).read_bytes()
    if data.startswith(b"SHRP") or b"\0" in data[:4096]:
        raise ToolError(f"{path}: a binary, not IR text (use --listing or --to-mlir to read a binary)")
    try:
        text = data.decode()
    except UnicodeDecodeError:
        raise ToolError(f"{path}: not a text file (expected sharp_isa IR)") from None
    module = None
    try:
        module = LocatingParser(make_context(), text, path).parse_module()
        module.verify()
        return emit_binary(module)
    except (ParseError, DiagnosticException) as err:
        raise ToolError(diagnose(err, module).text) from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def emit_text(text: str) -> None:
        if args.output:
            atomic_write(args.output, text.encode())
        else:
            sys.stdout.write(text)

    def body() -> int:
        input_file(args.input, ".sbin binary or .mlir file")
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
            if not args.output:
                raise ToolError("--to-binary needs -o FILE.sbin")
            output_file(args.output)
            atomic_write(args.output, _ir_to_binary(args.input))
        return 0

    return run_tool("sharp-translate", body)


if __name__ == "__main__":
    sys.exit(main())
