"""The embedding API: compile an ONNX model or an `rnn` module, get the binary and the IR, simulate.

    >>> import sharp_compiler
    >>> program = sharp_compiler.compile_onnx("model.onnx", hw="sharp-4k", budget=16384)
    >>> program.ir("sharp")                      # the IR after the lowering, as text
    >>> result = sharp_compiler.simulate(program, {"X": x})
    >>> result.outputs["Y"], result.stats["cycles"]

Names and defaults are the CLI's (`sharp-compile --hw --budget --schedule --precision
--reconfigure --chunks --input-shape`; `sharp-run --timing --no-check --trace`). The stages
`Program.ir` knows are `rnn` (the frontend's output), the name of every pass of the pipeline
(`convert-rnn-to-sharp`, ..., `convert-sharp-to-isa`) and the aliases `sharp` (after the
lowering) and `sharp_isa` (the last stage). See docs/api.md.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.printer import Printer

from sharp_compiler.pipeline import PipelineOptions, pipeline_passes

if TYPE_CHECKING:
    import onnx

    from sharp_compiler.isa.program import Program as IsaProgram

_DEFAULTS = PipelineOptions()

STAGE_ALIASES = {"sharp": "convert-rnn-to-sharp", "sharp_isa": "convert-sharp-to-isa"}
"""Level names accepted by `Program.ir` beside the pass names."""


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


def import_model(
    model: str | os.PathLike[str] | bytes | onnx.ModelProto,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
) -> ModuleOp:
    """ONNX model (a path, serialized bytes or a `ModelProto`) -> `rnn` module."""
    from sharp_compiler.frontend.onnx_import import import_onnx

    if isinstance(model, str | os.PathLike):
        return import_onnx(model, input_shapes=input_shapes, origin=os.fspath(model))
    if isinstance(model, bytes | bytearray | memoryview):
        return import_onnx(bytes(model), input_shapes=input_shapes)
    origin = f"<ModelProto {model.graph.name}>" if model.graph.name else "<ModelProto>"
    return import_onnx(model.SerializeToString(), input_shapes=input_shapes, origin=origin)


@dataclass(frozen=True)
class Program:
    """A compiled model: the binary, and the module after every stage of the pipeline."""

    binary: bytes
    stages: tuple[tuple[str, ModuleOp], ...]
    """(stage name, module after that stage), in pipeline order; see `ir`."""

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.stages)

    def module(self, stage: str = "sharp_isa") -> ModuleOp:
        """A copy of the module after `stage` (a pass name, or `rnn`, `sharp`, `sharp_isa`)."""
        wanted = STAGE_ALIASES.get(stage, stage)
        for name, module in self.stages:
            if name == wanted:
                return module.clone()
        known = ", ".join((*self.stage_names, *STAGE_ALIASES))
        raise ValueError(f"unknown stage '{stage}'; expected one of {known}")

    def ir(self, stage: str = "sharp_isa", *, inline_weights: bool = False) -> str:
        """The IR after `stage` as text; weights over 16 elements print `elided` unless `inline_weights`."""
        from sharp_compiler.dialects.weights import inline_weights as inlined

        module = self.module(stage)
        with inlined(inline_weights):
            return module_text(module)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the binary (atomically: a failure leaves no partial file)."""
        from sharp_compiler.tools.cli import atomic_write

        atomic_write(path, self.binary)


@dataclass(frozen=True)
class Result:
    """What `simulate` returns."""

    outputs: dict[str, np.ndarray]
    """Keyed by ONNX output name, shaped and typed as declared."""
    stats: dict[str, Any]
    """JSON-ready statistics (docs/simulator.md)."""
    trace: dict[str, Any] | None
    """The Chrome-trace / Perfetto document (`json.dump` it) when `trace=True`, else None."""


def compile_module(
    module: ModuleOp,
    *,
    hw: str = _DEFAULTS.hw,
    budget: int | None = None,
    schedule: str = _DEFAULTS.scheme,
    precision: str = _DEFAULTS.precision,
    reconfigure: str = _DEFAULTS.reconfigure,
    chunks: int = _DEFAULTS.chunks,
    order: str = _DEFAULTS.order,
    interleave: bool = _DEFAULTS.interleave,
    tile: str = _DEFAULTS.tile,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
) -> Program:
    """Compile an `rnn`-dialect module (e.g. built by another compiler); the module is not modified.

    `hw` is a preset name or a JSON file, `budget` a multiplier count overriding the preset's,
    `schedule` the scheme (`auto`, `sequential`, `intergate`, `unfolded`), `precision` `fp16`/`fp32`
    (default: the preset's); `chunks`/`order` fix the row blocks and their order of the named
    block schemes, `interleave` fuses independent recurrences (`sharp-interleave`), `tile` ("RxC")
    forces one legal tile shape on every layer.
    The binary names its inputs and outputs `input_names`/`output_names` (default: the
    `rnn.input_names`/`rnn.output_names` attributes of `func.func @main`, else input0, output0...).
    """
    if budget is not None and budget <= 0:
        raise ValueError(f"budget must be a positive power of two, got {budget}")
    if chunks < 0:
        raise ValueError(f"chunks must be 0 (chosen by the cost model) or a positive integer, got {chunks}")
    options = PipelineOptions(
        hw=hw,
        budget=budget or 0,
        precision=precision,
        reconfigure=reconfigure,
        scheme=schedule,
        chunks=chunks,
        order=order,
        interleave=interleave,
        tile=tile,
    )
    working = module.clone()
    _name_io(working, "rnn.input_names", input_names)
    _name_io(working, "rnn.output_names", output_names)
    working.verify()
    stages = [("rnn", working.clone())]
    ctx = make_context()
    for p in pipeline_passes(options):
        p.apply(ctx, working)
        working.verify()
        stages.append((p.name, working.clone()))
    from sharp_compiler.isa.validate import SharpBinaryError

    try:
        binary = emit_binary(working)
    except SharpBinaryError as err:  # name the configuration it was compiled for instead of "<program>"
        raise SharpBinaryError(str(err).replace("<program>", f"the model compiled for {hw}", 1)) from None
    return Program(binary, tuple(stages))


def _name_io(module: ModuleOp, key: str, names: Sequence[str] | None) -> None:
    if names is None:
        return
    from xdsl.dialects.builtin import ArrayAttr, StringAttr
    from xdsl.dialects.func import FuncOp

    mains = [op for op in module.ops if isinstance(op, FuncOp) and op.sym_name.data == "main"]
    if not mains:
        raise ValueError("the module has no func.func @main to name the inputs and outputs of")
    mains[0].attributes[key] = ArrayAttr([StringAttr(n) for n in names])


def compile_onnx(
    model_or_path: str | os.PathLike[str] | bytes | onnx.ModelProto,
    *,
    hw: str = _DEFAULTS.hw,
    budget: int | None = None,
    schedule: str = _DEFAULTS.scheme,
    precision: str = _DEFAULTS.precision,
    reconfigure: str = _DEFAULTS.reconfigure,
    chunks: int = _DEFAULTS.chunks,
    order: str = _DEFAULTS.order,
    interleave: bool = _DEFAULTS.interleave,
    tile: str = _DEFAULTS.tile,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
) -> Program:
    """Compile an ONNX model (a path, serialized bytes or a `ModelProto`) for a SHARP configuration.

    `input_shapes` makes dynamic input dimensions static (`sharp-compile --input-shape`);
    the other options are `compile_module`'s.
    """
    return compile_module(
        import_model(model_or_path, input_shapes),
        hw=hw, budget=budget, schedule=schedule, precision=precision, reconfigure=reconfigure, chunks=chunks,
        order=order, interleave=interleave, tile=tile,
    )  # fmt: skip


def lower(module: ModuleOp, options: PipelineOptions) -> ModuleOp:
    """Run the default pipeline on `module` in place (`rnn` -> `sharp_isa`)."""
    ctx = make_context()
    for p in pipeline_passes(options):
        p.apply(ctx, module)
    return module


def emit_binary(module: ModuleOp) -> bytes:
    """A `sharp_isa` module -> the binary's bytes."""
    from sharp_compiler.backend.targets import encode_module

    return encode_module(module)


def simulate(
    program_or_bytes: Program | IsaProgram | bytes | str | os.PathLike[str],
    inputs: Mapping[str, object],
    *,
    timing: str = "fast",
    trace: bool = False,
    check_hazards: bool = True,
) -> Result:
    """Run a compiled program (a `Program`, a binary's bytes, or a `.sbin` path) on the simulator.

    Defaults are `sharp-run`'s: the fast timing model and the hazard checker on
    (`check_hazards=False` is `--no-check`). Raises `SharpBinaryError`, `SimInputError`,
    `SimError` or `HazardError` (all ValueErrors) with one-line messages.
    """
    from sharp_compiler import sim

    if isinstance(program_or_bytes, Program):
        decoded = sim.load(program_or_bytes.binary)
    elif isinstance(program_or_bytes, bytes | str | os.PathLike):
        decoded = sim.load(program_or_bytes)
    else:
        decoded = program_or_bytes
    raw = sim.simulate(decoded, inputs, trace=trace, check_hazards=check_hazards, timing=timing)
    document = sim.trace_document(raw.trace, raw.trace_dropped) if raw.trace is not None else None
    return Result(dict(raw.outputs), raw.stats, document)
