"""`sharp-opt`: xdsl-opt with sharp's dialects, passes, targets and the ONNX frontend.

    sharp-opt model.onnx --input-shape x=25,1,40          # print the rnn module
    sharp-opt in.mlir -p 'PASS{option=value}' -t TARGET
    sharp-opt model.onnx --sharp-inline-weights           # print every weight in hex

Only registration hooks: dialects, passes and targets come from `sharp_compiler.universe`.
User errors print one line `sharp-opt: error: ...` on stderr and exit 1: a model the frontend
rejects, any ValueError subclass defined in sharp_compiler (LoweringError, HwConfigError...),
a bad pass pipeline, a missing input file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import IO, NoReturn

from xdsl.dialects.builtin import ModuleOp
from xdsl.xdsl_opt_main import xDSLOptMain

from sharp_compiler import universe
from sharp_compiler.dialects.weights import inline_weights


def _fail(message: str) -> NoReturn:
    first = next((line.strip() for line in message.splitlines() if line.strip()), "unknown error")
    print(f"sharp-opt: error: {first}", file=sys.stderr)
    sys.exit(1)


def parse_input_shape(text: str) -> tuple[str, tuple[int, ...]]:
    """`NAME=D0,D1,...` -> (NAME, (D0, D1, ...)); the name may itself contain `=`."""
    name, sep, dims = text.rpartition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=D0,D1,..., got '{text}'")
    try:
        shape = tuple(int(d) for d in dims.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"dimensions must be integers, got '{dims}'") from None
    if any(d <= 0 for d in shape):
        raise argparse.ArgumentTypeError(f"dimensions must be positive, got '{dims}'")
    return name, shape


class SharpOptMain(xDSLOptMain):
    version_format = "sharp-opt (xdsl {xdsl_version})"

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
        arg_parser.add_argument(
            "--sharp-inline-weights",
            action="store_true",
            help="print every #rnn.weights in hex (by default tensors over 16 elements print `elided`)",
        )
        arg_parser.add_argument(
            "--input-shape",
            action="append",
            type=parse_input_shape,
            default=[],
            metavar="NAME=D0,D1,...",
            help="fix the shape of ONNX input NAME (repeatable)",
        )

    def _import_onnx(self, stream: IO[bytes]) -> ModuleOp:
        from sharp_compiler.frontend.onnx_import import import_onnx

        shapes = dict(self.args.input_shape)
        path = self.args.input_file
        if path is not None and not self.args.split_input_file:
            stream.close()  # read from the path, so that external data next to the model is found
            return import_onnx(path, input_shapes=shapes, origin=path)
        return import_onnx(stream.read(), input_shapes=shapes, origin=path or "<stdin>")

    def setup_pipeline(self) -> None:
        try:
            super().setup_pipeline()
        except Exception as e:  # noqa: BLE001 - xDSL reports bad pipelines as assorted exceptions
            _fail(f"invalid pass pipeline '{self.args.passes}': {e}")

    def prepare_input(self) -> tuple[list[tuple[IO[bytes], int]], str]:
        try:
            return super().prepare_input()
        except OSError as e:
            _fail(f"cannot open '{self.args.input_file}': {e.strerror or e}")
        except ValueError as e:
            _fail(str(e))

    def run(self) -> None:
        try:
            with inline_weights(self.args.sharp_inline_weights):
                if self.writes_binary():
                    self.run_binary()
                else:
                    super().run()
        except ValueError as e:
            if not _is_sharp_error(e):
                raise
            _fail(str(e))

    def writes_binary(self) -> bool:
        """`-t sharp-bin -o FILE.sbin` writes the binary itself (xDSL targets only write text)."""
        output = self.args.output_file
        return self.args.target == "sharp-bin" and output is not None and output.endswith(".sbin")

    def run_binary(self) -> None:
        from sharp_compiler.backend.targets import encode_module
        from sharp_compiler.tools.cli import atomic_write

        chunks, extension = self.prepare_input()
        if len(chunks) != 1:
            _fail(
                "a binary holds one module: do not combine -t sharp-bin -o FILE.sbin with --split-input-file"
            )
        chunk, offset = chunks[0]
        module = self.parse_chunk(chunk, extension, offset)
        if module is None:
            _fail("no module to emit")
        self.apply_passes(module)
        atomic_write(self.args.output_file, encode_module(module))


def _is_sharp_error(error: ValueError) -> bool:
    """sharp reports user errors (FrontendError, LoweringError, HwConfigError...) as its own ValueErrors."""
    return type(error).__module__.startswith("sharp_compiler.")


def main() -> None:
    SharpOptMain().run()


if __name__ == "__main__":
    main()
