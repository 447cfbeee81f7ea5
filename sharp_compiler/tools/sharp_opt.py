"""`sharp-opt`: xdsl-opt with sharp's dialects, passes, targets and the ONNX frontend.

    sharp-opt model.onnx --input-shape x=25,1,40          # print the rnn module
    sharp-opt in.mlir -p 'PASS{option=value}' -t TARGET
    sharp-opt model.onnx --inline-weights                 # print every weight in hex
    sharp-opt in.mlir --upstream-generic                  # generic form for upstream mlir-opt
    sharp-opt --from-upstream up.mlir                     # ... and mlir-opt's output back

Dialects, passes and targets come from `sharp_compiler.universe`. The driver differs from
xdsl-opt where mlir-opt users expect it to (docs/cli.md):
- every error is one line `sharp-opt: error: FILE:LINE:COL: OP: MESSAGE` on stderr, exit 1;
  ops parsed from text carry their source location, ops from ONNX their node's name;
- `--split-input-file` processes every chunk, reports each failing chunk, exits 1 if any failed;
- `--verify-diagnostics` checks `// expected-error [@+N|@-N|@above|@below] {{TEXT}}`
  annotations like mlir-opt; a chunk without annotations keeps xDSL's behaviour (its
  diagnostic goes to stdout, exit 0);
- `-o FILE` is checked before any work and written atomically.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, NoReturn

from xdsl.dialects.builtin import FileLineColLoc, IntAttr, ModuleOp, NameLoc, StringAttr, UnknownLoc
from xdsl.ir import Operation
from xdsl.parser import Parser
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError, VerifyException
from xdsl.xdsl_opt_main import xDSLOptMain

from sharp_compiler import __version__, universe
from sharp_compiler.diagnostics import location_text
from sharp_compiler.dialects.weights import inline_weights
from sharp_compiler.tools.cli import (
    ToolError,
    atomic_write,
    one_line,
    output_file,
    parse_shape_option,
    run_tool,
)

PROG = "sharp-opt"


class LocatingParser(Parser):
    """xDSL's parser, recording `loc("FILE":LINE:COL)` on every op that has no explicit location."""

    def parse_operation(self) -> Operation:
        start = self._current_token.span
        try:
            op = super().parse_operation()
        except VerifyException as err:  # an attribute or property rejected while the op was built
            self.raise_error(one_line(err), at_position=start.start, end_position=start.end)
        if isinstance(op.location, UnknownLoc):
            where = start.get_location()
            op.location = FileLineColLoc(StringAttr(where.file), IntAttr(where.line), IntAttr(where.col))
        return op


@dataclass(frozen=True)
class Diagnostic:
    """An error produced for one chunk: its line (None when not known) and one-line text."""

    line: int | None
    text: str


def first_unverified(module: ModuleOp) -> Operation | None:
    """The innermost op whose own verifier fails (to locate a module verification error)."""
    for op in module.walk(reverse=True):
        try:
            op.verify(verify_nested_ops=False)
        except Exception:  # noqa: BLE001 - any failure locates the op
            return op
    return None


def diagnose(err: BaseException, module: ModuleOp | None, origin: str = "") -> Diagnostic:
    """A located one-line diagnostic for a parse, verifier or pass error (`origin`: the input's name)."""
    if isinstance(err, ParseError):
        where = err.span.get_location()
        return Diagnostic(where.line, f"{where.file}:{where.line}:{where.col}: {' '.join(err.msg.split())}")
    op = getattr(err, "op", None)
    if not isinstance(op, Operation) and module is not None:
        op = first_unverified(module) or module
    message = one_line(err).removeprefix("Operation does not verify: ")
    prefix = f"{origin}: " if origin and not message.startswith(origin) else ""
    if not isinstance(op, Operation):
        return Diagnostic(None, prefix + message)
    loc = op.location
    line = loc.line.data if isinstance(loc, FileLineColLoc) and loc.line.data else None
    if (
        isinstance(loc, FileLineColLoc)
        or isinstance(loc, NameLoc)
        and isinstance(loc.location, FileLineColLoc)
    ):
        prefix = ""  # the location names the file
    return Diagnostic(line, f"{prefix}{location_text(op)}: {message}")


EXPECTED = re.compile(r"//\s*expected-error\s*(@[+-]\d+|@above|@below)?\s*\{\{(.*?)\}\}")


def expected_errors(text: str, first_line: int) -> list[tuple[int, str]]:
    """(line, text) of each `expected-error` annotation; lines are 1-based in the whole file."""
    found = []
    for index, line in enumerate(text.splitlines()):
        for match in EXPECTED.finditer(line):
            at = first_line + index
            offset = match.group(1) or ""
            if offset == "@above":
                at -= 1
            elif offset == "@below":
                at += 1
            elif offset:
                at += int(offset[1:])
            found.append((at, match.group(2)))
    return found


class SharpOptMain(xDSLOptMain):
    version_format = f"{PROG} (sharp-compiler {__version__}, xdsl {{xdsl_version}})"

    def __init__(
        self, description: str = "sharp modular optimizer driver", args: Sequence[str] | None = None
    ):
        super().__init__(description, args)

    def register_all_dialects(self) -> None:
        super().register_all_dialects()
        for name, factory in universe.DIALECTS.items():
            if name not in self.ctx.registered_dialect_names:
                self.ctx.register_dialect(name, factory)

    def register_all_passes(self) -> None:
        super().register_all_passes()
        for name, factory in universe.PASSES.items():
            if name not in self.available_passes:
                self.register_pass(name, factory)

    def register_all_targets(self) -> None:
        super().register_all_targets()
        for name, factory in universe.TARGETS.items():
            self.available_targets.setdefault(name, factory)

    def register_all_frontends(self) -> None:
        super().register_all_frontends()
        self.available_frontends["onnx"] = self._import_onnx

    def register_all_arguments(self, arg_parser: argparse.ArgumentParser) -> None:
        super().register_all_arguments(arg_parser)
        arg_parser.prog = PROG

        def one_line_error(message: str) -> NoReturn:
            sys.stderr.write(f"{PROG}: error: {message}\n")
            sys.exit(2)

        arg_parser.error = one_line_error  # type: ignore[method-assign]
        arg_parser.add_argument(
            "--inline-weights",
            "--sharp-inline-weights",
            dest="inline_weights",
            action="store_true",
            help="print every #rnn.weights in hex (by default tensors over 16 elements print `elided`)",
        )
        arg_parser.add_argument(
            "--input-shape",
            action="append",
            default=[],
            metavar="NAME=D0,D1,...",
            help="fix the shape of ONNX input NAME (repeatable)",
        )
        arg_parser.add_argument(
            "--upstream-generic",
            action="store_true",
            help="print the generic form upstream mlir-opt parses with --irdl-file=dialects/all.irdl.mlir",
        )
        arg_parser.add_argument(
            "--from-upstream",
            action="store_true",
            help="read what mlir-opt printed for --upstream-generic output (sharp's ops and attributes again)",
        )

    def _import_onnx(self, stream: IO[bytes]) -> ModuleOp:
        from sharp_compiler.frontend.onnx_import import import_onnx

        shapes = parse_shape_option(self.args.input_shape)
        path = self.args.input_file
        if path is not None and not self.args.split_input_file:
            stream.close()  # read from the path, so that external data next to the model is found
            return import_onnx(path, input_shapes=shapes, origin=path)
        return import_onnx(stream.read(), input_shapes=shapes, origin=path or "<stdin>")

    def parse_chunk(self, chunk: IO[bytes], file_extension: str, start_offset: int = 0) -> ModuleOp | None:
        if file_extension != "mlir":
            return super().parse_chunk(chunk, file_extension, start_offset)
        data = chunk.read()
        try:
            text = data.decode()
        except UnicodeDecodeError:
            raise ToolError(
                f"{self.get_input_name()}: not a text file (a binary where IR text was expected?)"
            ) from None
        if self.args.from_upstream:
            from sharp_compiler.dialects.upstream import from_upstream_text

            return from_upstream_text("\n" * start_offset + text, self.get_input_name())
        parser = LocatingParser(self.ctx, "\n" * start_offset + text, self.get_input_name())
        return parser.parse_module(not self.args.no_implicit_module)

    def setup_pipeline(self) -> None:
        if self.args.passes:
            self.args.passes = quote_path_options(self.args.passes)
        try:
            super().setup_pipeline()
        except (Exception, ArgSpecParseError) as e:  # noqa: BLE001 - xDSL reports bad pipelines in assorted ways
            raise ToolError(f"invalid pass pipeline '{self.args.passes}': {_reason(e)}") from None

    def prepare_input(self) -> tuple[list[tuple[IO[bytes], int]], str]:
        from sharp_compiler.tools.cli import input_file

        if self.args.input_file is not None:
            input_file(self.args.input_file, "model or IR file")
        try:
            return super().prepare_input()
        except ValueError as e:
            hint = " (sharp-opt reads .mlir and .onnx, -f picks one; sharp-translate reads .sbin binaries)"
            raise ToolError(f"{self.get_input_name()}: {str(e)[0].lower()}{str(e)[1:]}{hint}") from None

    def run(self) -> int:  # type: ignore[override]
        """Process every chunk; returns the exit status."""
        if self.args.output_file is not None and not self.writes_binary():
            output_file(self.args.output_file)
        with inline_weights(self.args.inline_weights):
            if self.writes_binary():
                self.run_binary()
                return 0
            return self.run_text()

    def run_text(self) -> int:
        chunks, extension = self.prepare_input()
        pieces: list[str] = []
        failed = False
        for chunk, offset in chunks:
            data = chunk.getvalue() if isinstance(chunk, io.BytesIO) else None
            module: ModuleOp | None = None
            try:
                module = self.parse_chunk(chunk, extension, offset)
                if module is None:
                    continue
                module.verify()
                self.apply_passes(module)
                pieces.append(self.output_resulting_program(module))
            except (ParseError, DiagnosticException, ValueError) as err:
                if isinstance(err, ValueError) and not _is_sharp_error(err):
                    raise
                diagnostic = diagnose(err, module, self.get_input_name())
                expected = self.expected(data, offset)
                if self.args.verify_diagnostics and expected:
                    failed |= not self.check_expected(diagnostic, expected)
                elif self.args.verify_diagnostics or (
                    self.args.parsing_diagnostics and isinstance(err, ParseError)
                ):
                    pieces.append(diagnostic.text + "\n")
                else:
                    sys.stderr.write(f"{PROG}: error: {diagnostic.text}\n")
                    failed = True
            finally:
                chunk.close()
        text = "// -----\n".join(pieces)
        if self.args.output_file is None:
            sys.stdout.write(text)
        elif not failed:
            atomic_write(self.args.output_file, text.encode())
        return 1 if failed else 0

    def expected(self, data: bytes | None, offset: int) -> list[tuple[int, str]]:
        if data is None:
            path = self.args.input_file
            if path is None or not path.endswith(".mlir"):
                return []
            with open(path, "rb") as handle:
                data = handle.read()
        return expected_errors(data.decode(errors="replace"), offset + 1)

    def check_expected(self, diagnostic: Diagnostic, expected: list[tuple[int, str]]) -> bool:
        """mlir-opt's rule: the produced error must match an annotation's line and contain its text."""
        name = self.get_input_name()
        matched = [e for e in expected if e[0] == diagnostic.line and e[1] in diagnostic.text]
        for line, text in expected:
            if (line, text) not in matched:
                sys.stderr.write(f'{PROG}: error: {name}:{line}: expected error "{text}" was not produced\n')
        if not matched:
            sys.stderr.write(f"{PROG}: error: unexpected error: {diagnostic.text}\n")
        return len(matched) == len(expected)

    def output_resulting_program(self, prog: ModuleOp) -> str:
        if self.args.upstream_generic:
            from sharp_compiler.dialects.upstream import upstream_generic_text

            return upstream_generic_text(prog)
        return super().output_resulting_program(prog)

    def writes_binary(self) -> bool:
        """`-t sharp-bin -o FILE.sbin` writes the binary itself (xDSL targets only write text)."""
        output = self.args.output_file
        return self.args.target == "sharp-bin" and output is not None and output.endswith(".sbin")

    def run_binary(self) -> None:
        from sharp_compiler.backend.targets import encode_module

        output_file(self.args.output_file)
        chunks, extension = self.prepare_input()
        if len(chunks) != 1:
            raise ToolError(
                "a binary holds one module: do not combine -t sharp-bin -o FILE.sbin with --split-input-file"
            )
        chunk, offset = chunks[0]
        module: ModuleOp | None = None
        try:
            module = self.parse_chunk(chunk, extension, offset)
            if module is None:
                raise ToolError("no module to emit")
            module.verify()
            self.apply_passes(module)
            binary = encode_module(module)
        except (ParseError, DiagnosticException) as err:
            raise ToolError(diagnose(err, module, self.get_input_name()).text) from None
        atomic_write(self.args.output_file, binary)


_BARE_PATH = re.compile(r"([{\s]\w+)=([^\s{},\"]*[-./][^\s{},\"]*)(?=[\s}])")


def quote_path_options(spec: str) -> str:
    """Quote option values such as `hw=tiny-hw.json` that xDSL's pipeline lexer only takes quoted."""

    def quote(match: re.Match[str]) -> str:
        value = match.group(2)
        try:
            float(value)
        except ValueError:
            return f'{match.group(1)}="{value}"'
        return match.group(0)

    return _BARE_PATH.sub(quote, spec)


def _reason(error: BaseException) -> str:
    """The message of a pipeline error: its last non-blank line (xDSL puts a caret diagram first)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def _is_sharp_error(error: ValueError) -> bool:
    """sharp reports user errors (FrontendError, LoweringError, HwConfigError...) as its own ValueErrors."""
    return type(error).__module__.startswith("sharp_compiler.")


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(PROG, lambda: SharpOptMain(args=argv).run())


if __name__ == "__main__":
    sys.exit(main())
