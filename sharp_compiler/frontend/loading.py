"""Reading an ONNX model: the protobuf, its input shapes, checks and shape inference, its tensors.

The checker and shape inference run on a weightless view of the model (`weightless_view`);
initializers stored as external data are memory-mapped, not read (`external_array`), and
`Constants` converts each initializer only when something asks for it. Imports onnx only
inside the functions that need it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sharp_compiler.frontend.errors import FrontendError, one_line

if TYPE_CHECKING:
    import onnx

# ONNX TensorProto element types (onnx.TensorProto.DataType values), kept here so that
# importing this module does not import onnx.
_FLOAT16, _DOUBLE, _BFLOAT16 = 10, 11, 16
_NON_FP32_FLOATS = {_FLOAT16: "float16", _DOUBLE: "float64", _BFLOAT16: "bfloat16"}
SMALL_CONSTANT = 4096
"""Constants up to this size go into the re-inference model with their values (shape operands)."""


# --------------------------------------------------------------------------- load, check, shapes


def load_model(
    path_or_bytes: str | os.PathLike[str] | bytes, origin: str
) -> tuple[onnx.ModelProto, Path | None]:
    """The model protobuf (external data stays on disk) and the folder it was read from (None for bytes)."""
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


def check_model(view: onnx.ModelProto, origin: str) -> None:
    """`onnx.checker` on the weightless view."""
    import onnx

    try:
        onnx.checker.check_model(view)
    except (onnx.checker.ValidationError, ValueError) as e:
        opset = next((o.version for o in view.opset_import if o.domain in ("", "ai.onnx")), 1)
        split = next(
            (
                n
                for n in view.graph.node
                if n.op_type == "Split" and any(a.name == "num_outputs" for a in n.attribute)
            ),
            None,
        )
        if split is not None and opset < 18:
            raise FrontendError(
                f"{origin}: invalid ONNX model: Split '{split.name}' has attribute num_outputs, which opset "
                f"{opset} does not have (torch.onnx.export(dynamo=True) writes it when it converts down to "
                "opset 17); export with opset_version=18 or later"
            ) from None
        raise FrontendError(f"{origin}: invalid ONNX model: {one_line(e)}") from None


def graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    """The real inputs: graph inputs that no initializer provides."""
    initialized = {t.name for t in model.graph.initializer}
    return [vi for vi in model.graph.input if vi.name not in initialized]


def set_input_shapes(model: onnx.ModelProto, shapes: Mapping[str, Sequence[int]], origin: str) -> None:
    """Replace the declared shapes of the named inputs (`--input-shape NAME=DIMS`), checking each."""
    inputs = {vi.name: vi for vi in graph_inputs(model)}
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


def check_inputs(model: onnx.ModelProto, origin: str) -> None:
    """Every real input must be a tensor with a static shape; float16/64 inputs are refused."""
    problems: list[str] = []
    for vi in graph_inputs(model):
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


def weightless_view(model: onnx.ModelProto, base_dir: Path | None, origin: str) -> onnx.ModelProto:
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
        if math.prod(tensor.dims) > SMALL_CONSTANT:
            if tensor.name not in listed:
                graph.input.append(
                    helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims))
                )
        elif tensor.data_location == 1:
            array = np.array(external_array(tensor, base_dir, origin))
            graph.initializer.append(numpy_helper.from_array(array, tensor.name))
        else:
            graph.initializer.append(tensor)
    return view


def infer_shapes(model: onnx.ModelProto, origin: str, what: str) -> onnx.ModelProto:
    """Strict shape inference with data propagation; a failure's message starts with `what`."""
    import onnx

    try:
        return onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError) as e:
        raise FrontendError(f"{origin}: {what}: {one_line(e)}") from None


def static_shape(tensor: onnx.TypeProto.Tensor) -> tuple[int, ...] | None:
    """The dimensions of a tensor type, or None unless every one is static."""
    if not tensor.HasField("shape"):
        return None
    dims = tensor.shape.dim
    if not all(d.HasField("dim_value") for d in dims):
        return None
    return tuple(d.dim_value for d in dims)


def tensor_types(model: onnx.ModelProto) -> dict[str, onnx.TypeProto.Tensor]:
    """The tensor type of every value the model declares (inputs, value_info, outputs)."""
    g = model.graph
    return {
        vi.name: vi.type.tensor_type
        for vi in (*g.input, *g.value_info, *g.output)
        if vi.type.HasField("tensor_type")
    }


# --------------------------------------------------------------------------- constants


def external_array(tensor: onnx.TensorProto, base_dir: Path | None, origin: str) -> np.ndarray:
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


class Constants:
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
            return external_array(tensor, self._base_dir, self._origin)
        try:
            return numpy_helper.to_array(tensor)
        except (ValueError, TypeError) as e:
            raise FrontendError(
                f"{self._origin}: initializer '{tensor.name}' is malformed: {one_line(e)}"
            ) from None
