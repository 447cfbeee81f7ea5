"""ONNX -> `rnn` dialect.

    module = import_onnx("lstm.onnx", input_shapes={"x": (25, 1, 40)})

Steps, in order: load (graph only; external data is memory-mapped later), `onnx.checker`,
fix the input shapes given by the caller, strict shape inference with data propagation,
fold every node whose inputs are all constant (`onnx.reference` runs it; `Shape`/`Size`
of a statically shaped tensor count as constant), replace the dynamo exporter's time-unrolled
nn.RNN layers by RNN nodes (`unrolled_rnn`), infer the shapes of what is left, and map each
remaining node to one `rnn` op, folding glue (reshape chains, size-1 transposes, adjacent
slices) on the way. Everything that cannot be taken is reported in a single `FrontendError`
whose one-line message starts with the model's name. See docs/frontend.md.
"""

from __future__ import annotations

import heapq
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr, TensorType, f32, i32, i64
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from sharp_compiler.dialects.rnn import (
    ACTIVATIONS,
    ActivationOp,
    ConcatOp,
    ConstantOp,
    Direction,
    EmbeddingOp,
    GRUOp,
    LinearOp,
    LSTMOp,
    ReshapeOp,
    RNNOp,
    SliceOp,
    SoftmaxOp,
    TransposeOp,
)
from sharp_compiler.dialects.weights import WeightsAttr
from sharp_compiler.frontend.unrolled_rnn import find_unrolled_rnns

if TYPE_CHECKING:
    import onnx


class FrontendError(ValueError):
    """A model the frontend cannot take; the message is one line starting with the model's name."""


class _Reject(Exception):
    """A node cannot be mapped; the message (possibly empty) says why."""


class _Skip(Exception):
    """A node depends on a node that was rejected; it is not reported on its own."""


# ONNX TensorProto element types (onnx.TensorProto.DataType values), kept here so that
# importing this module does not import onnx.
_FLOAT, _INT32, _INT64, _FLOAT16, _DOUBLE, _BFLOAT16 = 1, 6, 7, 10, 11, 16
_ELEMENT_TYPES: dict[int, Attribute] = {_FLOAT: f32, _INT32: i32, _INT64: i64}
_NON_FP32_FLOATS = {_FLOAT16: "float16", _DOUBLE: "float64", _BFLOAT16: "bfloat16"}
_NEVER_FOLD = {
    "RandomNormal",
    "RandomUniform",
    "RandomNormalLike",
    "RandomUniformLike",
    "Multinomial",
    "Bernoulli",
}
_SMALL_CONSTANT = 4096
"""Constants up to this size go into the re-inference model with their values (shape operands)."""


def import_onnx(
    path_or_bytes: str | os.PathLike[str] | bytes,
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    origin: str | None = None,
) -> ModuleOp:
    """Translate an ONNX model (a path, or the serialized bytes) into an `rnn` module.

    `input_shapes` fixes dynamic input dimensions; `origin` names the model in errors
    (default: the path as given, or `<bytes>`).
    """
    if origin is None:
        origin = (
            "<bytes>"
            if isinstance(path_or_bytes, bytes | bytearray | memoryview)
            else os.fspath(path_or_bytes)
        )
    model, base_dir = _load(path_or_bytes, origin)
    _set_input_shapes(model, input_shapes or {}, origin)
    view = _weightless_view(model, base_dir, origin)
    _check(view, origin)
    _check_inputs(model, origin)
    inferred = _infer(view, origin, "shape inference failed")
    graph = _Graph(model, _tensor_types(inferred), base_dir, origin)
    graph.fold()
    graph.fold_unrolled_rnns()
    graph.infer_remaining()
    return _Mapper(graph).build()


# --------------------------------------------------------------------------- load, check, shapes


def _one_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _load(path_or_bytes: str | os.PathLike[str] | bytes, origin: str) -> tuple[onnx.ModelProto, Path | None]:
    import onnx
    from google.protobuf.message import DecodeError

    base_dir: Path | None = None
    if isinstance(path_or_bytes, bytes | bytearray | memoryview):
        data = bytes(path_or_bytes)
    else:
        path = Path(path_or_bytes)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise FrontendError(f"{origin}: cannot read the model: {e.strerror or e}") from None
        base_dir = path.parent
    if not data:
        raise FrontendError(f"{origin}: the file is empty, not an ONNX model")
    try:
        model = onnx.ModelProto.FromString(data)
    except DecodeError:
        raise FrontendError(
            f"{origin}: not an ONNX model (the file is truncated or not an ONNX protobuf)"
        ) from None
    return model, base_dir


def _check(view: onnx.ModelProto, origin: str) -> None:
    import onnx

    try:
        onnx.checker.check_model(view)
    except (onnx.checker.ValidationError, ValueError) as e:
        raise FrontendError(f"{origin}: invalid ONNX model: {_one_line(e)}") from None


def _graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    """The real inputs: graph inputs that no initializer provides."""
    initialized = {t.name for t in model.graph.initializer}
    return [vi for vi in model.graph.input if vi.name not in initialized]


def _set_input_shapes(model: onnx.ModelProto, shapes: Mapping[str, Sequence[int]], origin: str) -> None:
    inputs = {vi.name: vi for vi in _graph_inputs(model)}
    for name, dims in shapes.items():
        text = f"--input-shape {name}={','.join(str(d) for d in dims)}"
        if name not in inputs:
            raise FrontendError(
                f"{origin}: {text} names no graph input (inputs: {', '.join(inputs) or 'none'})"
            )
        if any(d <= 0 for d in dims):
            raise FrontendError(f"{origin}: {text}: dimensions must be positive")
        tensor = inputs[name].type.tensor_type
        if tensor.HasField("shape"):
            declared = tensor.shape.dim
            if len(declared) != len(dims):
                raise FrontendError(
                    f"{origin}: {text} has rank {len(dims)}, but input '{name}' has rank {len(declared)}"
                )
            for axis, (dim, value) in enumerate(zip(declared, dims, strict=True)):
                if dim.HasField("dim_value") and dim.dim_value != value:
                    raise FrontendError(
                        f"{origin}: {text} sets axis {axis} to {value}, but input '{name}' has static size "
                        f"{dim.dim_value} there"
                    )
        tensor.shape.ClearField("dim")
        for value in dims:
            tensor.shape.dim.add().dim_value = value


def _check_inputs(model: onnx.ModelProto, origin: str) -> None:
    problems: list[str] = []
    for vi in _graph_inputs(model):
        if not vi.type.HasField("tensor_type"):
            problems.append(f"input '{vi.name}' is not a tensor")
            continue
        tensor = vi.type.tensor_type
        if tensor.elem_type in _NON_FP32_FLOATS:
            raise FrontendError(
                f"{origin}: input '{vi.name}' is {_NON_FP32_FLOATS[tensor.elem_type]}; only float32 models are supported"
            )
        if not tensor.HasField("shape"):
            problems.append(f"input '{vi.name}' has no shape; give one with --input-shape {vi.name}=DIMS")
            continue
        for axis, dim in enumerate(tensor.shape.dim):
            if dim.HasField("dim_value"):
                continue
            what = f"dynamic dimension '{dim.dim_param}'" if dim.dim_param else "a dynamic dimension"
            problems.append(
                f"input '{vi.name}' has {what} (axis {axis}); make it static with --input-shape {vi.name}=DIMS"
            )
    if problems:
        raise FrontendError(f"{origin}: {'; '.join(problems)}")


def _weightless_view(model: onnx.ModelProto, base_dir: Path | None, origin: str) -> onnx.ModelProto:
    """`model` for the checker and shape inference: large initializers become typed inputs.

    Both serialize the whole model, which costs more than everything else for big weights,
    and neither needs weight values: data propagation reads only small (shape-like) tensors.
    Small external tensors are read inline, since neither can read external files here.
    """
    from onnx import helper, numpy_helper

    view = type(model)()
    view.ir_version = model.ir_version
    view.opset_import.extend(model.opset_import)
    view.functions.extend(model.functions)
    source, graph = model.graph, view.graph
    graph.name = source.name
    graph.node.extend(source.node)
    graph.input.extend(source.input)
    graph.output.extend(source.output)
    graph.value_info.extend(source.value_info)
    graph.sparse_initializer.extend(source.sparse_initializer)
    listed = {vi.name for vi in source.input}
    for tensor in source.initializer:
        if math.prod(tensor.dims) > _SMALL_CONSTANT:
            if tensor.name not in listed:
                graph.input.append(
                    helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims))
                )
        elif tensor.data_location == 1:
            array = np.array(_external_array(tensor, base_dir, origin))
            graph.initializer.append(numpy_helper.from_array(array, tensor.name))
        else:
            graph.initializer.append(tensor)
    return view


def _infer(model: onnx.ModelProto, origin: str, what: str) -> onnx.ModelProto:
    import onnx

    try:
        return onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError) as e:
        raise FrontendError(f"{origin}: {what}: {_one_line(e)}") from None


# --------------------------------------------------------------------------- constants


def _external_array(tensor: onnx.TensorProto, base_dir: Path | None, origin: str) -> np.ndarray:
    """A read-only memory map of an external initializer (no copy in this process)."""
    from onnx import helper, numpy_helper

    info = {entry.key: entry.value for entry in tensor.external_data}
    location = info.get("location", "")
    if base_dir is None:
        raise FrontendError(
            f"{origin}: tensor '{tensor.name}' is stored in external file '{location}'; load the model from its path"
        )
    root = base_dir.resolve()
    file = (root / location).resolve()
    if root != file and root not in file.parents:
        raise FrontendError(
            f"{origin}: external data '{location}' of tensor '{tensor.name}' is outside the model's folder"
        )
    if not file.is_file():
        raise FrontendError(f"{origin}: external data file '{location}' of tensor '{tensor.name}' not found")
    dtype = helper.tensor_dtype_to_np_dtype(tensor.data_type)
    if dtype.kind not in "biuf":
        return numpy_helper.to_array(tensor, os.fspath(root))
    dtype = dtype.newbyteorder("<")
    shape = tuple(tensor.dims)
    offset = int(info.get("offset", 0))
    nbytes = math.prod(shape) * dtype.itemsize
    if offset + nbytes > file.stat().st_size:
        raise FrontendError(
            f"{origin}: external data file '{location}' is too short for tensor '{tensor.name}'"
        )
    if nbytes == 0:
        return np.zeros(shape, dtype)
    return np.memmap(file, dtype=dtype, mode="r", offset=offset, shape=shape)


class _Constants:
    """Constant tensors by name: initializers (converted on first use) and folded results."""

    def __init__(self, initializers: Iterable[onnx.TensorProto], base_dir: Path | None, origin: str):
        self._protos = {t.name: t for t in initializers}
        self._arrays: dict[str, np.ndarray] = {}
        self._base_dir = base_dir
        self._origin = origin

    def __contains__(self, name: str) -> bool:
        return name in self._arrays or name in self._protos

    def __getitem__(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            self._arrays[name] = self._convert(self._protos[name])
        return self._arrays[name]

    def __setitem__(self, name: str, array: np.ndarray) -> None:
        self._arrays[name] = array

    def _convert(self, tensor: onnx.TensorProto) -> np.ndarray:
        from onnx import numpy_helper

        if tensor.data_location == 1:
            return _external_array(tensor, self._base_dir, self._origin)
        try:
            return numpy_helper.to_array(tensor)
        except (ValueError, TypeError) as e:
            raise FrontendError(
                f"{self._origin}: initializer '{tensor.name}' is malformed: {_one_line(e)}"
            ) from None


# --------------------------------------------------------------------------- graph: folding, types


def _node_label(node: onnx.NodeProto, index: int) -> str:
    op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
    return f"{op} '{node.name}'" if node.name else f"{op} #{index}"


def _static_shape(tensor: onnx.TypeProto.Tensor) -> tuple[int, ...] | None:
    if not tensor.HasField("shape"):
        return None
    dims = tensor.shape.dim
    if not all(d.HasField("dim_value") for d in dims):
        return None
    return tuple(d.dim_value for d in dims)


def _tensor_types(model: onnx.ModelProto) -> dict[str, onnx.TypeProto.Tensor]:
    g = model.graph
    return {
        vi.name: vi.type.tensor_type
        for vi in (*g.input, *g.value_info, *g.output)
        if vi.type.HasField("tensor_type")
    }


class _Graph:
    """The model's nodes with constants folded away, and the types of what remains."""

    def __init__(
        self,
        model: onnx.ModelProto,
        types: dict[str, onnx.TypeProto.Tensor],
        base_dir: Path | None,
        origin: str,
    ):
        self.model = model
        self.origin = origin
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.nodes = list(model.graph.node)
        self.inputs = _graph_inputs(model)
        self.outputs = [vi.name for vi in model.graph.output]
        self.constants = _Constants(model.graph.initializer, base_dir, origin)
        self.types = types
        self.kept: list[int] = []
        self.fold_errors: dict[int, str] = {}

    def _live(self, candidates: Iterable[int], is_constant: Callable[[str], bool]) -> list[int]:
        """Indices of the candidate nodes that some graph output needs (in graph order)."""
        needed = {name for name in self.outputs if not is_constant(name)}
        live: list[int] = []
        for index in sorted(candidates, reverse=True):
            node = self.nodes[index]
            if any(out in needed for out in node.output if out):
                live.append(index)
                needed.update(name for name in node.input if name and not is_constant(name))
        return live[::-1]

    def fold(self) -> None:
        """Evaluate every needed node whose inputs are constant; keep the rest in `kept`."""
        live = self._live(range(len(self.nodes)), lambda name: name in self.constants)
        unfolded: list[int] = []
        for index in live:
            node = self.nodes[index]
            feeds = self._feeds(node)
            if feeds is None:
                unfolded.append(index)
                continue
            try:
                results = self._evaluate(node, feeds)
            except Exception as e:  # noqa: BLE001 - any failure of the reference op means "cannot fold"
                self.fold_errors[index] = _one_line(e)
                unfolded.append(index)
                continue
            for name, value in zip(node.output, results, strict=False):
                if name:
                    self.constants[name] = np.asarray(value)
        self.kept = self._live(unfolded, lambda name: name in self.constants)

    def _feeds(self, node: onnx.NodeProto) -> dict[str, np.ndarray] | None:
        """Input arrays for folding `node`, or None when it cannot be folded."""
        if node.domain not in ("", "ai.onnx") or node.op_type in _NEVER_FOLD:
            return None
        if any(a.type in (5, 10) for a in node.attribute):  # GRAPH, GRAPHS: control flow
            return None
        names = [name for name in node.input if name]
        if node.op_type in ("Shape", "Size") and names and names[0] not in self.constants:
            tensor = self.types.get(names[0])
            shape = None if tensor is None else _static_shape(tensor)
            if shape is None:
                return None
            # A zero-strided stand-in: the right shape, no memory.
            return {names[0]: np.broadcast_to(np.zeros((), np.float32), shape)}
        if not all(name in self.constants for name in names):
            return None
        return {name: self.constants[name] for name in names}

    def _evaluate(self, node: onnx.NodeProto, feeds: dict[str, np.ndarray]) -> list[Any]:
        from onnx.reference import ReferenceEvaluator

        opsets = {o.domain or "": o.version for o in self.model.opset_import}
        return list(ReferenceEvaluator(node, opsets=opsets).run(None, feeds))

    def fold_unrolled_rnns(self) -> None:
        """Replace the time-unrolled nn.RNN layers of the dynamo exporter by RNN nodes (see unrolled_rnn)."""

        def shape(name: str) -> tuple[int, ...] | None:
            tensor = self.types.get(name)
            return None if tensor is None else _static_shape(tensor)

        rewrite = find_unrolled_rnns(
            self.nodes,
            self.kept,
            lambda name: self.constants[name] if name in self.constants else None,
            shape,
            self.outputs,
            self.opset,
        )
        if rewrite is None:
            return
        for name, array in rewrite.constants.items():
            self.constants[name] = array
        rank = {index: position for position, index in enumerate(self.kept)}
        placed = [(rank[index], index) for index in self.kept if index not in rewrite.removed]
        for anchor, node in rewrite.added:
            self.nodes.append(node)
            placed.append((rank[anchor], len(self.nodes) - 1))
        self.kept = self._topological(placed)

    def _topological(self, placed: list[tuple[int, int]]) -> list[int]:
        """Node indices in an order where producers come first, otherwise by (rank, index)."""
        producer = {out: index for _, index in placed for out in self.nodes[index].output if out}
        waiting: dict[int, int] = {}
        readers: dict[int, list[int]] = {}
        for _, index in placed:
            sources = {producer[n] for n in self.nodes[index].input if n in producer} - {index}
            waiting[index] = len(sources)
            for source in sources:
                readers.setdefault(source, []).append(index)
        key = {index: (rank, index) for rank, index in placed}
        ready = [key[index] for index, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order: list[int] = []
        while ready:
            _, index = heapq.heappop(ready)
            order.append(index)
            for reader in readers.get(index, []):
                waiting[reader] -= 1
                if waiting[reader] == 0:
                    heapq.heappush(ready, key[reader])
        assert len(order) == len(placed), "the rewritten graph has a cycle"
        return order

    def infer_remaining(self) -> None:
        """Re-infer types on the folded graph so that folded shapes become static."""
        from onnx import helper, numpy_helper

        used: list[str] = []
        for index in self.kept:
            used.extend(n for n in self.nodes[index].input if n and n in self.constants and n not in used)
        initializers, const_inputs = [], []
        for name in used:
            array = self.constants[name]
            if array.size <= _SMALL_CONSTANT and array.dtype.kind in "biuf":
                initializers.append(numpy_helper.from_array(np.asarray(array), name))
                continue
            const_inputs.append(
                helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(array.dtype), array.shape)
            )
        produced = {out for index in self.kept for out in self.nodes[index].output}
        outputs = [vi for vi in self.model.graph.output if vi.name in produced]
        graph = helper.make_graph(
            [self.nodes[index] for index in self.kept],
            self.model.graph.name or "main",
            [*self.inputs, *const_inputs],
            outputs,
            initializers,
        )
        light = helper.make_model(graph, opset_imports=list(self.model.opset_import))
        light.ir_version = self.model.ir_version
        light.functions.extend(self.model.functions)
        inferred = _infer(light, self.origin, "shape inference after constant folding failed")
        self.types.update(_tensor_types(inferred))


# --------------------------------------------------------------------------- mapping to rnn


def _attributes(node: onnx.NodeProto) -> dict[str, Any]:
    from onnx import helper

    values: dict[str, Any] = {}
    for attr in node.attribute:
        value = helper.get_attribute_value(attr)
        if isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, list) and value and isinstance(value[0], bytes):
            value = [v.decode() for v in value]
        values[attr.name] = value
    return values


def _hint(name: str) -> str:
    cleaned = re.sub(r"[^\w$.-]", "_", name)
    return cleaned if re.match(r"[A-Za-z_$.-]", cleaned) else f"v{cleaned}"


_CANONICAL_ACTIVATION = {name.lower(): name for name in ACTIVATIONS}


def _resolve_activations(
    op_type: str,
    functions: int,
    directions: int,
    defaults: Sequence[str],
    names: Sequence[str] | None,
    alphas: Sequence[float],
    betas: Sequence[float],
) -> tuple[list[str], list[float], list[float]]:
    """Expand ONNX activation attributes the way onnxruntime reads them.

    The list must name every function of every direction (onnxruntime rejects a
    one-direction list on a bidirectional node). Names match case-insensitively.
    `activation_alpha`/`beta` are consumed in order, only by functions that take the
    parameter; when a list runs out the function's default applies. Unused -> 0.0.
    """
    expected = functions * directions
    if names is None:
        names = list(defaults) * directions
    if len(names) != expected:
        kind = f"a bidirectional {op_type}" if directions == 2 else f"a one-direction {op_type}"
        raise _Reject(
            f"activations lists {len(names)} functions; {kind} needs {expected} ({functions} per direction)"
        )
    canonical: list[str] = []
    for name in names:
        if name.lower() not in _CANONICAL_ACTIVATION:
            raise _Reject(f"unknown activation '{name}'")
        canonical.append(_CANONICAL_ACTIVATION[name.lower()])
    alpha_iter, beta_iter = iter(alphas), iter(betas)
    resolved_alpha: list[float] = []
    resolved_beta: list[float] = []
    for name in canonical:
        default_alpha, default_beta = ACTIVATIONS[name]
        resolved_alpha.append(0.0 if default_alpha is None else float(next(alpha_iter, default_alpha)))
        resolved_beta.append(0.0 if default_beta is None else float(next(beta_iter, default_beta)))
    return canonical, resolved_alpha, resolved_beta


_RECURRENT: dict[str, tuple[type[LSTMOp | GRUOp | RNNOp], list[str]]] = {
    "LSTM": (LSTMOp, ["Sigmoid", "Tanh", "Tanh"]),
    "GRU": (GRUOp, ["Sigmoid", "Tanh"]),
    "RNN": (RNNOp, ["Tanh"]),
}


class _Mapper:
    """Builds `func.func @main` from the kept nodes, one handler per ONNX op type."""

    def __init__(self, graph: _Graph):
        self.graph = graph
        self.origin = graph.origin
        self.block = Block()
        self.values: dict[str, SSAValue] = {}
        self.rejected_values: set[str] = set()
        self.problems: list[str] = []
        self.fused: set[int] = set()
        self.consumers: dict[str, list[int]] = {}
        for index in graph.kept:
            for name in graph.nodes[index].input:
                self.consumers.setdefault(name, []).append(index)
        self.handlers: dict[str, Callable[[onnx.NodeProto, int], None]] = {
            "LSTM": self._recurrent,
            "GRU": self._recurrent,
            "RNN": self._recurrent,
            "Identity": self._identity,
            "Dropout": self._identity,
            "Reshape": self._reshape,
            "Squeeze": self._reshape,
            "Unsqueeze": self._reshape,
            "Flatten": self._reshape,
            "Transpose": self._transpose,
            "Concat": self._concat,
            "Slice": self._slice,
            "MatMul": self._matmul,
            "Gemm": self._gemm,
            "Add": self._add,
            "Softmax": self._softmax,
            "LogSoftmax": self._softmax,
            "Tanh": self._activation,
            "Sigmoid": self._activation,
            "Relu": self._activation,
            "Gather": self._gather,
        }

    # ---- driver
    def build(self) -> ModuleOp:
        arg_types = [self._input_type(vi) for vi in self.graph.inputs]
        self.block = Block(arg_types=arg_types)
        for vi, arg in zip(self.graph.inputs, self.block.args, strict=True):
            arg.name_hint = _hint(vi.name)
            self.values[vi.name] = arg
        for index in self.graph.kept:
            if index in self.fused:
                continue
            self._map(index)
        results = [self._output(name) for name in self.graph.outputs]
        if self.problems:
            raise FrontendError(f"{self.origin}: unsupported ONNX node(s): {', '.join(self.problems)}")
        returned = [v for v in results if v is not None]
        self.block.add_op(func.ReturnOp(*returned))
        self._erase_dead_glue()
        main = func.FuncOp("main", (arg_types, [v.type for v in returned]), Region(self.block))
        main.attributes["rnn.input_names"] = ArrayAttr([StringAttr(vi.name) for vi in self.graph.inputs])
        main.attributes["rnn.output_names"] = ArrayAttr([StringAttr(name) for name in self.graph.outputs])
        module = ModuleOp([main])
        module.verify()
        return module

    def _erase_dead_glue(self) -> None:
        """Drop the reshapes, slices and constants that joining glue ops left without users."""
        for op in reversed(list(self.block.ops)):
            if isinstance(op, ReshapeOp | SliceOp | ConstantOp) and not any(r.uses for r in op.results):
                self.block.erase_op(op)

    def _map(self, index: int) -> None:
        node = self.graph.nodes[index]
        label = _node_label(node, index)
        handler = self.handlers.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        if handler is None:
            reason = self.graph.fold_errors.get(index)
            self.problems.append(label + (f" (constant folding failed: {reason})" if reason else ""))
            self.rejected_values.update(node.output)
            return
        try:
            handler(node, index)
        except _Skip:
            self.rejected_values.update(node.output)
        except _Reject as e:
            self.problems.append(label + (f" ({e})" if str(e) else ""))
            self.rejected_values.update(node.output)

    def _output(self, name: str) -> SSAValue | None:
        if name in self.rejected_values:
            return None
        try:
            return self.value(name, "output", integer=self._is_integer(name))
        except _Reject as e:
            self.problems.append(f"graph output '{name}' ({e})")
            return None
        except _Skip:
            return None

    # ---- values
    def _input_type(self, vi: onnx.ValueInfoProto) -> TensorType:
        tensor = vi.type.tensor_type
        element = _ELEMENT_TYPES.get(tensor.elem_type)
        if element is None:
            from onnx import TensorProto

            kind = TensorProto.DataType.Name(tensor.elem_type).lower()
            raise FrontendError(
                f"{self.origin}: input '{vi.name}' is {kind}; expected float32, int32 or int64"
            )
        shape = _static_shape(tensor)
        assert shape is not None, "inputs were checked static"
        return TensorType(element, shape)

    def add(self, op: Operation, outputs: Sequence[str] = ()) -> Operation:
        """Verify `op` (its message becomes the node's rejection reason), append it, name its results."""
        try:
            op.verify()
        except VerifyException as e:
            raise _Reject(str(e)) from None
        self.block.add_op(op)
        for name, result in zip(outputs, op.results, strict=False):
            if name:
                result.name_hint = _hint(name)
                self.values[name] = result
        return op

    def value(self, name: str, role: str = "input", *, integer: bool = False) -> SSAValue:
        """The SSA value of tensor `name` (constants are materialized once), checking its element type."""
        if name in self.rejected_values:
            raise _Skip()
        if name not in self.values:
            if name not in self.graph.constants:
                raise _Skip()
            self.values[name] = self._materialize(name, role)
        value = self.values[name]
        element = value.type.element_type if isinstance(value.type, TensorType) else None
        allowed = (i32, i64) if integer else (f32,)
        if element not in allowed:
            want = "int32 or int64" if integer else "float32"
            raise _Reject(f"{role} '{name}' is {_element_name(element)}; expected {want}")
        return value

    def _materialize(self, name: str, role: str) -> SSAValue:
        array = self.graph.constants[name]
        if array.dtype == np.float64 or array.dtype == np.float16:
            raise _Reject(f"{role} '{name}' is {array.dtype}; only float32 models are supported")
        if array.dtype == np.bool_ or array.dtype.kind not in "if":
            raise _Reject(f"{role} '{name}' has unsupported element type {array.dtype}")
        if array.dtype.kind == "i" and array.dtype != np.int32:
            array = array.astype(np.int64)
        op = ConstantOp(WeightsAttr.from_array(name, array))
        op.result.name_hint = _hint(name)
        self.block.add_op(op)
        return op.result

    def constant(self, name: str) -> np.ndarray | None:
        return self.graph.constants[name] if name and name in self.graph.constants else None

    def weight(self, name: str, role: str) -> SSAValue:
        if name not in self.graph.constants:
            raise _Reject(f"{role} '{name}' is not a constant")
        return self.value(name, role)

    def inferred_type(self, name: str) -> TensorType:
        tensor = self.graph.types.get(name)
        if tensor is None or not tensor.HasField("shape"):
            raise _Reject(f"the shape of '{name}' is unknown after constant folding")
        for axis, dim in enumerate(tensor.shape.dim):
            if not dim.HasField("dim_value"):
                param = f" '{dim.dim_param}'" if dim.dim_param else ""
                raise _Reject(f"'{name}' has dynamic dimension{param} (axis {axis}) after constant folding")
        element = _ELEMENT_TYPES.get(tensor.elem_type)
        if element is None:
            raise _Reject(f"'{name}' has unsupported element type {tensor.elem_type}")
        return TensorType(element, [d.dim_value for d in tensor.shape.dim])

    def alias(self, name: str, value: SSAValue) -> None:
        if name:
            self.values[name] = value

    # ---- recurrent layers
    def _recurrent(self, node: onnx.NodeProto, index: int) -> None:
        op_class, defaults = _RECURRENT[node.op_type]
        attrs = _attributes(node)
        names = [*node.input, *[""] * (8 - len(node.input))]
        x_name, w_name, r_name, b_name, lens_name, h_name, c_name, p_name = names[:8]
        direction_text = attrs.get("direction", "forward")
        if direction_text not in {d.value for d in Direction}:
            raise _Reject(f"direction '{direction_text}' is not forward, reverse or bidirectional")
        direction = Direction(direction_text)
        d = 2 if direction == Direction.BIDIRECTIONAL else 1
        layout = int(attrs.get("layout", 0))
        x = self.value(x_name, "X")
        w = self.weight(w_name, "W")
        r = self.weight(r_name, "R")
        r_shape = _shape_of(r)
        hidden_size = int(attrs.get("hidden_size", r_shape[-1] if len(r_shape) == 3 else 0))
        activations, alpha, beta = _resolve_activations(
            node.op_type,
            op_class.FUNCTIONS,
            d,
            defaults,
            attrs.get("activations"),
            attrs.get("activation_alpha", []),
            attrs.get("activation_beta", []),
        )
        kwargs: dict[str, Any] = {
            "hidden_size": hidden_size,
            "B": self.weight(b_name, "B") if b_name else None,
            "sequence_lens": self._sequence_lens(lens_name, x, layout),
            "initial_h": self._initial_state(h_name, "initial_h"),
            "direction": direction,
            "layout": layout,
            "activations": activations,
            "activation_alpha": alpha,
            "activation_beta": beta,
            "clip": float(attrs["clip"]) if "clip" in attrs else None,
            "onnx_node": node.name or f"#{index}",
        }
        if node.op_type == "LSTM":
            kwargs["initial_c"] = self._initial_state(c_name, "initial_c")
            kwargs["P"] = self.weight(p_name, "P") if p_name else None
            kwargs["input_forget"] = int(attrs.get("input_forget", 0))
        elif node.op_type == "GRU":
            kwargs["linear_before_reset"] = int(attrs.get("linear_before_reset", 0))
        self.add(op_class(x, w, r, **kwargs), node.output)

    def _sequence_lens(self, name: str, x: SSAValue, layout: int) -> SSAValue | None:
        """sequence_lens, or None when absent or a constant that runs every batch row to the end."""
        if not name:
            return None
        lens = self.constant(name)
        x_shape = _shape_of(x)
        seq_length = x_shape[0] if layout == 0 else x_shape[1]
        if lens is not None and lens.ndim == 1 and bool(np.all(lens == seq_length)):
            return None
        return self.value(name, "sequence_lens", integer=True)

    def _initial_state(self, name: str, role: str) -> SSAValue | None:
        """An initial state, or None when absent or a constant zero (ONNX's default)."""
        if not name:
            return None
        state = self.constant(name)
        if state is not None and state.dtype.kind == "f" and not np.any(state):
            return None
        return self.value(name, role)

    # ---- glue
    def _identity(self, node: onnx.NodeProto, index: int) -> None:
        if node.op_type == "Dropout":
            training = self.constant(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            if len(node.input) > 2 and node.input[2] and (training is None or bool(training)):
                raise _Reject("training mode is not supported")
            if len(node.output) > 1 and node.output[1] and node.output[1] in self.consumers:
                raise _Reject("the dropout mask is used")
        self.alias(node.output[0], self.value(node.input[0], "data", integer=self._is_integer(node.input[0])))

    def _is_integer(self, name: str) -> bool:
        tensor = self.graph.types.get(name)
        if tensor is not None:
            return tensor.elem_type in (_INT32, _INT64)
        array = self.constant(name)
        return array is not None and array.dtype.kind in "iu"

    def _reshape(self, node: onnx.NodeProto, index: int) -> None:
        source = self.value(node.input[0], "data", integer=self._is_integer(node.input[0]))
        self._reshape_to(node, index, source, self.inferred_type(node.output[0]))

    def _reshape_to(
        self, node: onnx.NodeProto, index: int, source: SSAValue, result_type: TensorType
    ) -> None:
        """One rnn.reshape, or none: a reshape of a reshape reads the first one's input."""
        if isinstance(source.owner, ReshapeOp):
            source = source.owner.input
        if result_type == source.type:
            self.alias(node.output[0], source)
            return
        self.add(ReshapeOp(source, result_type, onnx_node=node.name or f"#{index}"), node.output)

    def _transpose(self, node: onnx.NodeProto, index: int) -> None:
        source = self.value(node.input[0], "data", integer=self._is_integer(node.input[0]))
        shape = _shape_of(source)
        rank = len(shape)
        perm = [int(p) for p in _attributes(node).get("perm", range(rank - 1, -1, -1))]
        if sorted(perm) != list(range(rank)):
            raise _Reject(f"perm {perm} is not a permutation of [0, {rank})")
        moved = [p for p in perm if shape[p] != 1]
        if moved == sorted(moved):
            # Only size-1 axes move: the elements keep their order, so this is a reshape.
            result_type = TensorType(_element_of(source), [shape[p] for p in perm])
            self._reshape_to(node, index, source, result_type)
            return
        self.add(TransposeOp(source, perm, onnx_node=node.name or f"#{index}"), node.output)

    def _concat(self, node: onnx.NodeProto, index: int) -> None:
        integer = self._is_integer(node.output[0])
        sources = [self.value(name, "input", integer=integer) for name in node.input if name]
        rank = len(_shape_of(sources[0]))
        axis = int(_attributes(node)["axis"])
        axis = axis + rank if axis < 0 else axis
        joined: list[SSAValue] = []
        for source in sources:
            whole = self._join_slices(joined[-1], source, axis, node, index) if joined else None
            if whole is None:
                joined.append(source)
            else:
                joined[-1] = whole
        if len(joined) == 1:
            self.alias(node.output[0], joined[0])
            return
        self.add(ConcatOp(joined, axis, onnx_node=node.name or f"#{index}"), node.output)

    def _join_slices(
        self, first: SSAValue, second: SSAValue, axis: int, node: onnx.NodeProto, index: int
    ) -> SSAValue | None:
        """Two adjacent slices of one tensor along `axis` as one slice (or as the tensor itself)."""
        a, b = first.owner, second.owner
        if not isinstance(a, SliceOp) or not isinstance(b, SliceOp) or a.input != b.input:
            return None
        source = a.input
        dim = _shape_of(source)[axis]
        span_a, span_b = _unit_step_span(a, axis, dim), _unit_step_span(b, axis, dim)
        if span_a is None or span_b is None or span_a[1] != span_b[0]:
            return None
        start, end = span_a[0], span_b[1]
        if (start, end) == (0, dim):
            return source
        op = SliceOp(source, [start], [end], [axis], [1], onnx_node=node.name or f"#{index}")
        return self.add(op).results[0]

    def _slice(self, node: onnx.NodeProto, index: int) -> None:
        source = self.value(node.input[0], "data", integer=self._is_integer(node.input[0]))
        shape = _shape_of(source)
        if self.graph.opset < 10:
            attrs = _attributes(node)
            starts, ends = list(attrs["starts"]), list(attrs["ends"])
            axes = list(attrs.get("axes", range(len(starts))))
            steps = [1] * len(starts)
        else:
            params = [self._int_list(node, position) for position in range(1, 5)]
            if params[0] is None or params[1] is None:
                raise _Reject("starts and ends must be constants")
            starts, ends = params[0], params[1]
            axes = params[2] if params[2] is not None else list(range(len(starts)))
            steps = params[3] if params[3] is not None else [1] * len(starts)
        rank = len(shape)
        axes = [a + rank if a < 0 else a for a in axes]
        canonical_starts, canonical_ends = [], []
        for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
            if not 0 <= axis < rank or step == 0:
                raise _Reject(f"invalid axis {axis} or step {step}")
            lo, hi, _ = slice(start, end, step).indices(shape[axis])
            # With a negative step, clamping can give -1 ("before index 0"), which ONNX would
            # read as "last"; -dim-1 clamps back to -1.
            canonical_starts.append(lo if lo >= 0 else -shape[axis] - 1)
            canonical_ends.append(hi if hi >= 0 else -shape[axis] - 1)
        self.add(
            SliceOp(
                source, canonical_starts, canonical_ends, axes, steps, onnx_node=node.name or f"#{index}"
            ),
            node.output,
        )

    def _int_list(self, node: onnx.NodeProto, position: int) -> list[int] | None:
        if len(node.input) <= position or not node.input[position]:
            return None
        array = self.constant(node.input[position])
        if array is None:
            if position <= 2:
                return None
            raise _Reject(f"'{node.input[position]}' must be a constant")
        return [int(v) for v in np.asarray(array).reshape(-1)]

    # ---- heads
    def _matmul(self, node: onnx.NodeProto, index: int) -> None:
        a_name, b_name = node.input[0], node.input[1]
        weight = self.constant(b_name)
        if weight is None or a_name in self.graph.constants:
            raise _Reject("only x @ W with a constant W is supported")
        if weight.ndim != 2:
            raise _Reject(f"the weight '{b_name}' must be a rank-2 constant, got rank {weight.ndim}")
        self._linear(node, index, self.value(a_name, "input"), self.value(b_name, "weight"), None)

    def _gemm(self, node: onnx.NodeProto, index: int) -> None:
        attrs = _attributes(node)
        a_name, b_name = node.input[0], node.input[1]
        c_name = node.input[2] if len(node.input) > 2 else ""
        b = self.constant(b_name)
        if b is None or a_name in self.graph.constants:
            raise _Reject("only Gemm with a constant B is supported")
        alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
        x = self.value(a_name, "A")
        if attrs.get("transA", 0):
            x = self.add(TransposeOp(x, [1, 0], onnx_node=node.name or f"#{index}")).results[0]
        if attrs.get("transB", 0) or alpha != 1.0:
            scaled = np.ascontiguousarray(b.T if attrs.get("transB", 0) else b) * np.float32(alpha)
            weight = self._array_constant(f"{b_name}.gemm", scaled.astype(b.dtype))
        else:
            weight = self.value(b_name, "B")
        n = _shape_of(weight)[1]
        bias: SSAValue | None = None
        if c_name:
            c = self.constant(c_name)
            if c is None or c.size not in (1, n) or (c.ndim == 2 and c.shape[0] != 1):
                raise _Reject("C must be a constant broadcast over the rows ([N], [1, N] or a scalar)")
            if c.shape == (n,) and beta == 1.0:
                bias = self.value(c_name, "C")
            else:
                scaled_c = np.broadcast_to(c.reshape(-1), (n,)) * np.float32(beta)
                bias = self._array_constant(f"{c_name}.gemm", scaled_c.astype(c.dtype))
        self._linear(node, index, x, weight, bias)

    def _array_constant(self, label: str, array: np.ndarray) -> SSAValue:
        if array.dtype != np.float32:
            raise _Reject(f"'{label}' is {array.dtype}; only float32 models are supported")
        op = ConstantOp(WeightsAttr.from_array(label, array))
        op.result.name_hint = _hint(label)
        self.block.add_op(op)
        return op.result

    def _linear(
        self, node: onnx.NodeProto, index: int, x: SSAValue, weight: SSAValue, bias: SSAValue | None
    ) -> None:
        """Emit rnn.linear, taking a following `Add` of a constant bias into it."""
        output = node.output[0]
        add_index = self._bias_add(output, _shape_of(weight)[1], len(_shape_of(x))) if bias is None else None
        if add_index is not None:
            add = self.graph.nodes[add_index]
            c_name = add.input[1] if add.input[0] == output else add.input[0]
            c = self.graph.constants[c_name]
            bias = (
                self.value(c_name, "bias")
                if c.ndim == 1
                else self._array_constant(f"{c_name}.bias", c.reshape(-1))
            )
            self.fused.add(add_index)
            output = add.output[0]
        self.add(LinearOp(x, weight, bias, onnx_node=node.name or f"#{index}"), [output])

    def _bias_add(self, output: str, n: int, rank: int) -> int | None:
        """The `Add` that only adds a constant [N]-broadcast bias to `output`, if there is one."""
        users = self.consumers.get(output, [])
        if len(users) != 1 or output in self.graph.outputs:
            return None
        node = self.graph.nodes[users[0]]
        if node.op_type != "Add" or node.domain not in ("", "ai.onnx") or len(node.input) != 2:
            return None
        other = node.input[1] if node.input[0] == output else node.input[0]
        c = self.constant(other)
        if (
            c is None
            or c.dtype != np.float32
            or c.size != n
            or c.ndim > rank
            or (c.ndim and c.shape[-1] != n)
        ):
            return None
        return users[0]

    def _add(self, node: onnx.NodeProto, index: int) -> None:
        computed = [name for name in node.input if name not in self.graph.constants]
        if len(computed) == 1 and computed[0] in self.rejected_values:
            raise _Skip()  # the bias of a MatMul/Gemm that was not taken
        raise _Reject("Add is only supported as a constant bias after MatMul or Gemm")

    def _softmax(self, node: onnx.NodeProto, index: int) -> None:
        source = self.value(node.input[0], "input")
        rank = len(_shape_of(source))
        axis = int(_attributes(node).get("axis", -1 if self.graph.opset >= 13 else 1))
        axis = axis + rank if axis < 0 else axis
        if axis != rank - 1:
            raise _Reject(f"only the last axis is supported, got axis {axis} of rank {rank}")
        log = node.op_type == "LogSoftmax"
        self.add(SoftmaxOp(source, log=log, onnx_node=node.name or f"#{index}"), node.output)

    def _activation(self, node: onnx.NodeProto, index: int) -> None:
        source = self.value(node.input[0], "input")
        self.add(ActivationOp(node.op_type, source, onnx_node=node.name or f"#{index}"), node.output)

    def _gather(self, node: onnx.NodeProto, index: int) -> None:
        table_name, indices_name = node.input[0], node.input[1]
        table = self.constant(table_name)
        if table is None:
            raise _Reject("only a constant embedding table is supported")
        if table.ndim != 2:
            raise _Reject(f"the table must have rank 2, got {table.ndim}")
        axis = int(_attributes(node).get("axis", 0))
        if axis not in (0, -2):
            raise _Reject(f"only axis 0 is supported, got {axis}")
        if indices_name in self.graph.constants:
            raise _Reject("constant indices")
        indices = self.value(indices_name, "indices", integer=True)
        self.add(
            EmbeddingOp(self.value(table_name, "table"), indices, onnx_node=node.name or f"#{index}"),
            node.output,
        )


def _shape_of(value: SSAValue) -> tuple[int, ...]:
    assert isinstance(value.type, TensorType)
    return tuple(value.type.get_shape())


def _element_of(value: SSAValue) -> Attribute:
    assert isinstance(value.type, TensorType)
    return value.type.element_type


def _unit_step_span(op: SliceOp, axis: int, dim: int) -> tuple[int, int] | None:
    """(start, end) of a slice that keeps a non-empty unit-step range on `axis` only."""
    if list(op.axes.get_values()) != [axis] or list(op.steps.get_values()) != [1]:
        return None
    start, end, _ = slice(op.starts.get_values()[0], op.ends.get_values()[0], 1).indices(dim)
    return (start, end) if start < end else None


def _element_name(element: Attribute | None) -> str:
    names = {f32: "float32", i32: "int32", i64: "int64"}
    if element in names:
        return names[element]
    return "not a tensor" if element is None else str(element)
