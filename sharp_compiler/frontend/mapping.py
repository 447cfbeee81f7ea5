"""Mapping the folded graph to `rnn` ops: one handler per ONNX op type builds `func.func @main`.

Glue is folded on the way (reshape chains, size-1 transposes, adjacent slices, a constant
bias `Add` after MatMul/Gemm). A node that cannot be taken is recorded, not raised, so that
one `FrontendError` lists every unsupported node.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr, TensorType, f32, i32, i64
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from sharp_compiler.diagnostics import onnx_location
from sharp_compiler.dialects.rnn import (
    ACTIVATIONS,
    ActivationOp,
    ConcatOp,
    ConstantOp,
    Direction,
    EmbeddingOp,
    GRUOp,
    LayerNormOp,
    LinearOp,
    LSTMOp,
    ReshapeOp,
    RNNOp,
    SliceOp,
    SoftmaxOp,
    TransposeOp,
)
from sharp_compiler.dialects.weights import WeightsAttr
from sharp_compiler.frontend.errors import FrontendError, Rejection, rejection_message
from sharp_compiler.frontend.folding import FoldedGraph
from sharp_compiler.frontend.loading import static_shape
from sharp_compiler.hw.numerics import NumericsWarning, count_nonfinite

if TYPE_CHECKING:
    import onnx


class _Reject(Exception):
    """A node cannot be mapped; the message (possibly empty) says why, `hint` what would help."""

    def __init__(self, reason: str = "", hint: str = ""):
        super().__init__(reason)
        self.hint = hint


class _Skip(Exception):
    """A node depends on a node that was rejected; it is not reported on its own."""


# ONNX TensorProto element types (onnx.TensorProto.DataType values), kept here so that
# importing this module does not import onnx.
_FLOAT, _INT32, _INT64 = 1, 6, 7
_ELEMENT_TYPES: dict[int, Attribute] = {_FLOAT: f32, _INT32: i32, _INT64: i64}
_TYPE_NAMES = {_FLOAT: "float32", _INT32: "int32", _INT64: "int64", 9: "bool", 10: "float16", 11: "float64"}


def _node_label(node: onnx.NodeProto, index: int) -> str:
    op = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}::{node.op_type}"
    return f"{op} '{node.name}'" if node.name else f"{op} #{index}"


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


_CONSTANT_WEIGHTS = "export with export_params=True (the default) so that weights are initializers"

_OP_HINTS = {
    "Loop": "export with fixed input shapes and without data-dependent Python control flow",
    "If": "export with fixed input shapes and without data-dependent Python control flow",
    "Scan": "export with fixed input shapes and without data-dependent Python control flow",
}
"""What a PyTorch user can change when the frontend has no handler for the op."""

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


class Mapper:
    """Builds `func.func @main` from the kept nodes, one handler per ONNX op type."""

    def __init__(self, graph: FoldedGraph):
        self.graph = graph
        self.origin = graph.origin
        self.block = Block()
        self.values: dict[str, SSAValue] = {}
        self.rejected_values: set[str] = set()
        self.problems: list[Rejection] = []
        self.fused: set[int] = set()
        self.nonfinite: dict[str, int] = {}  # float constants holding NaN/Inf: name -> count
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
            "Cast": self._cast,
            "LayerNormalization": self._layer_norm,
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
            raise FrontendError(
                f"{self.origin}: {rejection_message(self.problems, hints=self._model_hints())}"
            )
        returned = [v for v in results if v is not None]
        self.block.add_op(func.ReturnOp(*returned))
        self._erase_dead_glue()
        main = func.FuncOp("main", (arg_types, [v.type for v in returned]), Region(self.block))
        main.attributes["rnn.input_names"] = ArrayAttr([StringAttr(vi.name) for vi in self.graph.inputs])
        main.attributes["rnn.output_names"] = ArrayAttr([StringAttr(name) for name in self.graph.outputs])
        module = ModuleOp([main])
        module.verify()
        if self.nonfinite:
            names = ", ".join(f"'{n}'" for n in self.nonfinite)
            warnings.warn(
                NumericsWarning(
                    f"{self.origin}: {sum(self.nonfinite.values())} NaN/Inf weight value(s) in {names}; "
                    f"they are kept and propagate to the outputs (IEEE, docs/precision.md)"
                ),
                stacklevel=2,
            )
        return module

    def _model_hints(self) -> list[str]:
        """What the rejected nodes together suggest to a PyTorch user."""
        kinds = {r.op_type for r in self.problems}
        if {"Split", "Mul"} <= kinds and kinds & {"Sigmoid", "Tanh", "Add"}:
            return ["a cell loop becomes one layer when every step reads x[t] in order with the same weights"]
        return []

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
            hint = _OP_HINTS.get(node.op_type, "")
            self._reject(node, label, f"constant folding failed: {reason}" if reason else "", hint)
            return
        try:
            self._reject_empty(node)
            handler(node, index)
        except _Skip:
            self.rejected_values.update(node.output)
        except _Reject as e:
            self._reject(node, label, str(e), e.hint)

    def _reject(self, node: onnx.NodeProto, label: str, reason: str, hint: str) -> None:
        self.problems.append(Rejection(label, node.op_type, node.name, reason, hint))
        self.rejected_values.update(node.output)

    def _reject_empty(self, node: onnx.NodeProto) -> None:
        """A zero-sized tensor (T = 0, batch 0, input size 0, hidden_size 0) is refused up front."""
        for name in node.input:
            tensor = self.graph.types.get(name) if name else None
            shape = static_shape(tensor) if tensor is not None else None
            if shape is not None and 0 in shape:
                raise _Reject(f"input '{name}' has shape {list(shape)}: zero-sized tensors are not supported")
        hidden = _attributes(node).get("hidden_size")
        if node.op_type in _RECURRENT and hidden is not None and int(hidden) < 1:
            raise _Reject(f"hidden_size is {hidden}; it must be at least 1")

    def _output(self, name: str) -> SSAValue | None:
        if name in self.rejected_values:
            return None
        try:
            return self.value(name, "output", integer=self._is_integer(name))
        except _Reject as e:
            self.problems.append(Rejection(f"graph output '{name}'", "output", name, str(e), e.hint))
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
        shape = static_shape(tensor)
        assert shape is not None, "inputs were checked static"
        return TensorType(element, shape)

    def add(self, op: Operation, outputs: Sequence[str] = ()) -> Operation:
        """Verify `op` (its message becomes the node's rejection reason), append it, name its results."""
        try:
            op.verify()
        except VerifyException as e:
            raise _Reject(str(e)) from None
        node = op.properties.get("onnx_node") or op.attributes.get("onnx_node")
        if isinstance(node, StringAttr):
            op.location = onnx_location(node.data, self.origin)
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
        if count_nonfinite(array):
            self.nonfinite[name] = count_nonfinite(array)
        op = ConstantOp(WeightsAttr.from_array(name, array))
        op.result.name_hint = _hint(name)
        self.block.add_op(op)
        return op.result

    def constant(self, name: str) -> np.ndarray | None:
        return self.graph.constants[name] if name and name in self.graph.constants else None

    def weight(self, name: str, role: str) -> SSAValue:
        """A recurrent weight: a constant, or a graph input (or glue on one) the binary loads by DMA."""
        return self.value(name, role)

    def constant_weight(self, name: str, role: str) -> SSAValue:
        if name not in self.graph.constants:
            raise _Reject(f"{role} '{name}' is not a constant", _CONSTANT_WEIGHTS)
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

    def _cast(self, node: onnx.NodeProto, index: int) -> None:
        """A Cast that keeps the values: int64 <-> int32 (lengths, indices) or float32 -> float32."""
        integer = self._is_integer(node.input[0])
        to = int(_attributes(node).get("to", 0))
        if to not in ((_INT32, _INT64) if integer else (_FLOAT,)):
            source, target = "an integer" if integer else "a float", _TYPE_NAMES.get(to, f"type {to}")
            raise _Reject(f"a Cast of {source} tensor to {target} is not supported (only int32<->int64)")
        source = self.value(node.input[0], "input", integer=integer)
        if node.output[0] in self.graph.outputs and _ELEMENT_TYPES[to] != _element_of(source):
            raise _Reject("a graph output that changes the integer type is not supported")
        self.alias(node.output[0], source)

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
        if a_name in self.graph.constants:
            raise _Reject("only x @ W with a computed x is supported")
        weight = self.value(b_name, "weight")  # a constant, or a weight input the binary loads
        rank = len(_shape_of(weight))
        if rank != 2:
            raise _Reject(f"the weight '{b_name}' must have rank 2 ([K, N]), got rank {rank}")
        self._linear(node, index, self.value(a_name, "input"), weight, None)

    def _gemm(self, node: onnx.NodeProto, index: int) -> None:
        attrs = _attributes(node)
        a_name, b_name = node.input[0], node.input[1]
        c_name = node.input[2] if len(node.input) > 2 else ""
        b = self.constant(b_name)
        if b is None or a_name in self.graph.constants:
            raise _Reject("only Gemm with a constant B is supported", _CONSTANT_WEIGHTS)
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
            c = self.constant(c_name)
            bias = (
                self.value(c_name, "bias")
                if c is None or c.ndim == 1
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
        if c is None and other in self.values and other not in self.rejected_values:
            # A bias input [N] (export_params=False): the binary loads it like the weight.
            value = self.values[other]
            is_vector = isinstance(value.type, TensorType) and tuple(value.type.get_shape()) == (n,)
            return users[0] if is_vector and _element_of(value) == f32 else None
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

    def _layer_norm(self, node: onnx.NodeProto, index: int) -> None:
        """nn.LayerNorm(C) over the last axis with constant weight and bias (elementwise_affine or not)."""
        source = self.value(node.input[0], "input")
        rank = len(_shape_of(source))
        attrs = _attributes(node)
        axis = int(attrs.get("axis", -1))
        if axis + (rank if axis < 0 else 0) != rank - 1:
            raise _Reject(
                f"only normalisation over the last axis is supported (nn.LayerNorm(C)), got axis {axis}"
            )
        if any(name and name in self.consumers for name in node.output[1:]):
            raise _Reject("the Mean and InvStdDev outputs are used")
        if int(attrs.get("stash_type", 1)) != 1:
            raise _Reject("only stash_type 1 (float32 statistics) is supported")
        scale = self.constant_weight(node.input[1], "scale")
        bias_name = node.input[2] if len(node.input) > 2 else ""
        bias = self.constant_weight(bias_name, "bias") if bias_name else None
        epsilon = float(attrs.get("epsilon", 1e-5))
        op = LayerNormOp(source, scale, bias, epsilon=epsilon, onnx_node=node.name or f"#{index}")
        self.add(op, node.output[:1])

    def _activation(self, node: onnx.NodeProto, index: int) -> None:
        source = self.value(node.input[0], "input")
        self.add(ActivationOp(node.op_type, source, onnx_node=node.name or f"#{index}"), node.output)

    def _gather(self, node: onnx.NodeProto, index: int) -> None:
        table_name, indices_name = node.input[0], node.input[1]
        table = self.constant(table_name)
        if table is None:
            picked = self.constant(indices_name)
            if picked is not None:
                self._gather_constant(node, index, picked)
                return
            raise _Reject(
                "indexing a computed tensor by computed indices is not supported; only an embedding "
                "table (nn.Embedding) or a constant index such as y[-1] is"
            )
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

    def _gather_constant(self, node: onnx.NodeProto, index: int, picked: np.ndarray) -> None:
        """Gather of constant indices (`y[-1]`, `h_n[-1]`, `y[:, -1]`): slices (+ concat) + reshape."""
        source = self.value(node.input[0], "data", integer=self._is_integer(node.input[0]))
        shape = _shape_of(source)
        axis = int(_attributes(node).get("axis", 0))
        axis = axis + len(shape) if axis < 0 else axis
        if not 0 <= axis < len(shape):
            raise _Reject(f"axis {axis} is out of range for rank {len(shape)}")
        dim = shape[axis]
        flat = [int(i) for i in np.asarray(picked).reshape(-1)]
        if any(not -dim <= i < dim for i in flat):
            raise _Reject(f"index out of range for axis {axis} of size {dim}: {flat}")
        if not flat:
            raise _Reject("empty indices")
        label = node.name or f"#{index}"
        pieces = [
            self.add(SliceOp(source, [start], [stop], [axis], [step], onnx_node=label)).results[0]
            for start, stop, step in index_runs([i % dim for i in flat], dim)
        ]
        gathered = pieces[0]
        if len(pieces) > 1:
            gathered = self.add(ConcatOp(pieces, axis, onnx_node=label)).results[0]
        self._reshape_to(node, index, gathered, self.inferred_type(node.output[0]))


def index_runs(indices: Sequence[int], dim: int) -> list[tuple[int, int, int]]:
    """Non-negative indices into an axis of size `dim` as (start, stop, step) slices, in order.

    Each run is a maximal arithmetic progression of at least two indices, or a single index:
    [5] -> [(5, 6, 1)]; [0, 1, 2, 7] -> [(0, 3, 1), (7, 8, 1)]; [3, 2, 1, 0] -> [(3, -dim-1, -1)].
    """
    runs: list[tuple[int, int, int]] = []
    position = 0
    while position < len(indices):
        start = indices[position]
        step, length = 1, 1
        if position + 1 < len(indices) and indices[position + 1] != start:
            step = indices[position + 1] - start
            while position + length < len(indices) and indices[position + length] == start + length * step:
                length += 1
        last = start + (length - 1) * step
        stop = last + step if step > 0 or last + step >= 0 else -dim - 1
        runs.append((start, stop, step))
        position += length
    return runs


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
