"""Output targets for `sharp-opt -t`: the binary (hex text, or raw bytes with -o FILE.sbin) and a listing.

sharp-opt model.mlir -p convert-rnn-to-sharp,...,convert-sharp-to-isa -t sharp-listing
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.target import Target

from sharp_compiler.backend.emit import program_from_isa


def encode_module(module: ModuleOp) -> bytes:
    """The `.sbin` bytes of a `sharp_isa` module."""
    from sharp_compiler.isa.binary import encode

    return encode(program_from_isa(module))


@dataclass(frozen=True)
class SharpBinaryTarget(Target):
    """The SHARP binary; as text it is a hex dump, 32 bytes per line."""

    name = "sharp-bin"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        data = encode_module(module)
        for offset in range(0, len(data), 32):
            output.write(data[offset : offset + 32].hex() + "\n")

    def emit_bytes(self, module: ModuleOp) -> bytes:
        return encode_module(module)


@dataclass(frozen=True)
class SharpListingTarget(Target):
    """An assembly listing of the program (the same text `sharp-translate --listing` prints)."""

    name = "sharp-listing"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        from sharp_compiler.isa.listing import format_listing

        output.write(format_listing(program_from_isa(module)))
