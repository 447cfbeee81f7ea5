"""sharp: an xDSL compiler and simulator for the SHARP RNN accelerator.

    >>> import sharp_compiler
    >>> program = sharp_compiler.compile_onnx("model.onnx", hw="sharp-4k", budget=16384)
    >>> result = sharp_compiler.simulate(program, {"X": x})
    >>> result.outputs["Y"], result.stats["cycles"]

The names below load on first use (`import sharp_compiler` imports neither xDSL nor onnx, so
that `sharp_compiler.sim` stays free of xDSL). See docs/api.md.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("sharp-compiler")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

if TYPE_CHECKING:
    from sharp_compiler.api import Program, Result, compile_module, compile_onnx, simulate

__all__ = ["Program", "Result", "__version__", "compile_module", "compile_onnx", "simulate"]

_API = frozenset(__all__) - {"__version__"}


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module("sharp_compiler.api"), name)
    raise AttributeError(f"module 'sharp_compiler' has no attribute '{name}'")
