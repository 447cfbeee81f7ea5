"""Python API for embedding sharp in other tools.

    >>> from sharp_compiler.api import compile_onnx, run
    >>> result = compile_onnx("model.onnx", hw="sharp-4k", budget=16384, keep_ir=True)
    >>> result.ir["rnn"][:40]                       # the IR after each level, as text
    >>> sim = run(result.binary, {"X": x})          # outputs + statistics
    >>> sim.outputs["Y_h"], sim.stats["cycles"]

Every stage is also reachable on its own: `import_model` (ONNX -> `rnn`),
`lower` (`rnn` module -> `sharp_isa` module, through the default pipeline),
`emit_binary` (`sharp_isa` module -> bytes).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.printer import Printer

from sharp_compiler.pipeline import PipelineOptions, pipeline_passes


def make_context() -> Context:
    """A context with the builtin, func and sharp dialects loaded."""
    from xdsl.dialects.builtin import Builtin
    from xdsl.dialects.func import Func

    from sharp_compiler.universe import DIALECTS

    ctx = Context()
    ctx.load_dialect(Builtin)
    ctx.load_dialect(Func)
    for factory in DIALECTS.values():
        ctx.load_dialect(factory())
    return ctx


def module_text(module: ModuleOp) -> str:
    stream = io.StringIO()
    Printer(stream=stream).print_op(module)
    return stream.getvalue() + "\n"


def import_model(path: str | Path, input_shapes: dict[str, tuple[int, ...]] | None = None) -> ModuleOp:
    """ONNX file -> `rnn` module (checker, shape inference, folding first)."""
    from sharp_compiler.frontend.onnx_import import import_onnx

    return import_onnx(str(path), input_shapes=input_shapes, origin=str(path))


@dataclass
class CompileResult:
    binary: bytes
    ir: dict[str, str] = field(default_factory=dict)
    """Textual IR after each level when `keep_ir` (keys: rnn, sharp, sharp-scheduled, sharp_isa)."""


def lower(module: ModuleOp, options: PipelineOptions, ir: dict[str, str] | None = None) -> ModuleOp:
    """Run the default pipeline in place; optionally record the IR after each pass."""
    ctx = make_context()
    if ir is not None:
        ir["rnn"] = module_text(module)
    for p in pipeline_passes(options):
        p.apply(ctx, module)
        if ir is not None:
            ir[p.name] = module_text(module)
    return module


def emit_binary(module: ModuleOp) -> bytes:
    from sharp_compiler.backend.targets import encode_module

    return encode_module(module)


def compile_onnx(
    path: str | Path,
    *,
    hw: str = "sharp-4k",
    budget: int = 0,
    precision: str = "",
    reconfigure: str = "per-layer",
    schedule: str = "sequential",
    chunks: int = 1,
    input_shapes: dict[str, tuple[int, ...]] | None = None,
    keep_ir: bool = False,
) -> CompileResult:
    """Compile an ONNX model for a SHARP configuration.

    `chunks` > 1 cuts each recurrent layer's hidden units into that many blocks so the cell
    update of one block overlaps the matrix work of the next (with `schedule="dataflow"`).
    """
    options = PipelineOptions(
        hw=hw, budget=budget, precision=precision, reconfigure=reconfigure, scheme=schedule, chunks=chunks
    )
    module = import_model(path, input_shapes)
    ir: dict[str, str] | None = {} if keep_ir else None
    lower(module, options, ir)
    from sharp_compiler.isa.validate import SharpBinaryError

    try:
        binary = emit_binary(module)
    except SharpBinaryError as err:  # name what was compiled, for what, instead of "<program>"
        raise SharpBinaryError(str(err).replace("<program>", f"{path} compiled for {hw}", 1)) from None
    return CompileResult(binary, ir or {})


def run(binary: bytes, inputs: dict[str, np.ndarray], **kwargs: object):  # noqa: ANN201
    """Simulate a binary: returns the simulator's result (outputs, stats, trace)."""
    from sharp_compiler import sim

    return sim.simulate(sim.load(binary), inputs, **kwargs)  # type: ignore[arg-type]
