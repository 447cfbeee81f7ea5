"""The `rnn` dialect: target-independent recurrent layers and their glue, with ONNX semantics.

A model is a `func.func @main` whose ops are ONNX nodes taken one to one:

    func.func @main(%x: tensor<5x1x3xf32>) -> tensor<5x1x1x4xf32>
        attributes {rnn.input_names = ["x"], rnn.output_names = ["y"]} {
      %w = rnn.constant #rnn.weights<"W", tensor<1x16x3xf32>, elided> : tensor<1x16x3xf32>
      %r = rnn.constant #rnn.weights<"R", tensor<1x16x4xf32>, elided> : tensor<1x16x4xf32>
      %y, %y_h, %y_c = rnn.lstm %x : tensor<5x1x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32>
          hidden_size 4 direction forward layout 0 input_forget 0
          activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [...] activation_beta [...]
          -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>
      func.return %y : tensor<5x1x1x4xf32>
    }

Shapes are static everywhere. The recurrent ops always produce every ONNX output
(`Y`, `Y_h`, and `Y_c` for LSTM); unused ones simply have no users. Their activation
lists are fully expanded (one entry per function per direction) and `activation_alpha`
/ `activation_beta` hold the value each function uses (0.0 where it takes none), so
passes never re-derive ONNX or onnxruntime defaults. See docs/dialects/rnn.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    AnyFloat,
    ArrayAttr,
    DenseArrayBase,
    Float32Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    UnitAttr,
    f32,
    i32,
    i64,
)
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, Dialect, OpResult, SpacedOpaqueSyntaxAttribute, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    Operand,
    VarConstraint,
    base,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.traits import ConstantLike, Pure
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

from sharp_compiler.dialects.weights import WeightsAttr

# --------------------------------------------------------------------------- attributes


class Direction(StrEnum):
    FORWARD = "forward"
    REVERSE = "reverse"
    BIDIRECTIONAL = "bidirectional"


@irdl_attr_definition
class DirectionAttr(EnumAttribute[Direction], SpacedOpaqueSyntaxAttribute):
    """Direction of a recurrent layer: `#rnn<direction bidirectional>` (bare `bidirectional` in ops)."""

    name = "rnn.direction"

    @property
    def num_directions(self) -> int:
        return 2 if self.data == Direction.BIDIRECTIONAL else 1


ACTIVATIONS: dict[str, tuple[float | None, float | None]] = {
    "Relu": (None, None),
    "Tanh": (None, None),
    "Sigmoid": (None, None),
    "Affine": (0.0, 0.0),
    "LeakyRelu": (0.01, None),
    "ThresholdedRelu": (0.0, None),
    "ScaledTanh": (0.0, 0.0),
    "HardSigmoid": (0.2, 0.5),
    "Elu": (1.0, None),
    "Softsign": (None, None),
    "Softplus": (None, None),
}
"""Recurrent activation functions -> (default alpha, default beta); None: the parameter is unused.

The defaults are the values onnxruntime 1.32 uses when `activation_alpha`/`beta` run out,
measured on its RNN, GRU and LSTM kernels. They differ from the standalone ONNX ops for
ThresholdedRelu (0, not 1) and Affine/ScaledTanh (0 and 0).
Formulas: Affine a*x+b; LeakyRelu x<0 ? a*x : x; ThresholdedRelu x>a ? x : 0;
ScaledTanh a*tanh(b*x); HardSigmoid clamp(a*x+b, 0, 1); Elu x<0 ? a*(e^x-1) : x.
"""

ELEMENTWISE_FUNCTIONS = ("Relu", "Sigmoid", "Tanh")
"""Functions of `rnn.activation`."""


# --------------------------------------------------------------------------- helpers


def constant_array(value: SSAValue) -> np.ndarray | None:
    """The numpy array behind `value` when an `rnn.constant` defines it, else None (read-only, no copy)."""
    owner = value.owner
    if not isinstance(owner, ConstantOp):
        return None
    return owner.value.as_array()


def _tensor(value: SSAValue | None) -> TensorType | None:
    if value is None or not isinstance(value.type, TensorType):
        return None
    return value.type


def _shape(value: SSAValue) -> tuple[int, ...]:
    assert isinstance(value.type, TensorType)
    return tuple(value.type.get_shape())


def _is_static(t: TensorType) -> bool:
    return all(d >= 0 for d in t.get_shape())


def _is_float(t: Attribute) -> bool:
    return isinstance(t, AnyFloat)


def _expect(name: str, value: SSAValue, expected: TensorType, doc: str) -> None:
    if value.type != expected:
        raise VerifyException(f"{name} has type {value.type}, expected {expected} ({doc})")


def _expect_result(value: SSAValue, expected: TensorType) -> None:
    if value.type != expected:
        raise VerifyException(f"result has type {value.type}, expected {expected}")


def _static_input(name: str, value: SSAValue) -> TensorType:
    t = _tensor(value)
    if t is None or not _is_static(t):
        raise VerifyException(f"{name} must be a statically shaped tensor, got {value.type}")
    return t


def _bool_prop(name: str, attr: IntegerAttr) -> None:
    if attr.value.data not in (0, 1):
        raise VerifyException(f"{name} must be 0 or 1, got {attr.value.data}")


def _i64(value: int) -> IntegerAttr:
    return IntegerAttr(value, i64)


def _f32_array(values: Sequence[float]) -> ArrayAttr[FloatAttr]:
    return ArrayAttr([FloatAttr(float(v), f32) for v in values])


def _node_name(onnx_node: str | None) -> StringAttr | None:
    return None if onnx_node is None else StringAttr(onnx_node)


# --------------------------------------------------------------------------- constants


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A constant tensor (weights, biases, initial states), exact bytes in memory.

        %w = rnn.constant #rnn.weights<"W", tensor<1x16x3xf32>, elided> : tensor<1x16x3xf32>

    `constant_array(%w)` returns it as a read-only numpy array.
    """

    name = "rnn.constant"

    value = prop_def(WeightsAttr)
    result = result_def(TensorType)

    traits = traits_def(ConstantLike(), Pure())
    assembly_format = "qualified($value) attr-dict `:` type($result)"

    def __init__(self, value: WeightsAttr):
        super().__init__(properties={"value": value}, result_types=[value.type])

    def verify_(self) -> None:
        if self.result.type != self.value.type:
            raise VerifyException(
                f"result type {self.result.type} does not match weights type {self.value.type}"
            )


# --------------------------------------------------------------------------- recurrent layers


class RecurrentOp(IRDLOperation):
    """Shared definition of `rnn.lstm`, `rnn.gru` and `rnn.rnn` (ONNX operand and output order)."""

    GATES: ClassVar[int]
    """Gate blocks stacked in W and R (LSTM 4: i,o,f,c; GRU 3: z,r,h; RNN 1)."""
    FUNCTIONS: ClassVar[int]
    """Activation functions per direction (LSTM f,g,h; GRU f,g; RNN f)."""

    if TYPE_CHECKING:  # each op defines these itself, in ONNX order (xDSL puts a subclass's fields first)
        X: Operand
        W: Operand
        R: Operand
        B: Operand | None
        sequence_lens: Operand | None
        initial_h: Operand | None
        Y: OpResult
        Y_h: OpResult

    hidden_size = prop_def(IntegerAttr[I64])
    direction = prop_def(DirectionAttr)
    layout = prop_def(IntegerAttr[I64])
    activations = prop_def(ArrayAttr[StringAttr])
    activation_alpha = prop_def(ArrayAttr[FloatAttr])
    activation_beta = prop_def(ArrayAttr[FloatAttr])
    clip = opt_prop_def(FloatAttr[Float32Type])
    onnx_node = opt_prop_def(StringAttr)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    traits = traits_def(Pure())

    # ---- sizes, for passes
    @property
    def num_directions(self) -> int:
        return self.direction.num_directions

    @property
    def hidden(self) -> int:
        return self.hidden_size.value.data

    @property
    def seq_length(self) -> int:
        shape = _shape(self.X)
        return shape[0] if self.layout.value.data == 0 else shape[1]

    @property
    def batch_size(self) -> int:
        shape = _shape(self.X)
        return shape[1] if self.layout.value.data == 0 else shape[0]

    @property
    def input_size(self) -> int:
        return _shape(self.X)[2]

    def activation_functions(self) -> list[tuple[str, float, float]]:
        """(name, alpha, beta) per function, direction-major: forward's first."""
        return [
            (name.data, alpha.value.data, beta.value.data)
            for name, alpha, beta in zip(
                self.activations.data, self.activation_alpha.data, self.activation_beta.data, strict=True
            )
        ]

    # ---- verification
    def _state_type(self, element: Attribute, d: int, b: int, h: int) -> TensorType:
        return TensorType(element, [d, b, h] if self.layout.value.data == 0 else [b, d, h])

    def _state_doc(self) -> str:
        if self.layout.value.data == 0:
            return "[num_directions, batch_size, hidden_size]"
        return "[batch_size, num_directions, hidden_size]"

    def verify_(self) -> None:
        h = self.hidden_size.value.data
        if h <= 0:
            raise VerifyException(f"hidden_size must be positive, got {h}")
        layout = self.layout.value.data
        if layout not in (0, 1):
            raise VerifyException(f"layout must be 0 or 1, got {layout}")
        x = _tensor(self.X)
        if x is None or x.get_num_dims() != 3 or not _is_static(x) or not _is_float(x.element_type):
            raise VerifyException(f"X must be a statically shaped rank-3 tensor of floats, got {self.X.type}")
        el = x.element_type
        d = self.num_directions
        g = self.GATES
        t_len, b, i = (x.get_shape()[0], x.get_shape()[1], x.get_shape()[2])
        if layout == 1:
            t_len, b = b, t_len
        gates = "hidden_size" if g == 1 else f"{g}*hidden_size"
        _expect("W", self.W, TensorType(el, [d, g * h, i]), f"[num_directions, {gates}, input_size]")
        _expect("R", self.R, TensorType(el, [d, g * h, h]), f"[num_directions, {gates}, hidden_size]")
        if self.B is not None:
            _expect("B", self.B, TensorType(el, [d, 2 * g * h]), f"[num_directions, {2 * g}*hidden_size]")
        if self.sequence_lens is not None and self.sequence_lens.type not in (
            TensorType(i32, [b]),
            TensorType(i64, [b]),
        ):
            raise VerifyException(
                f"sequence_lens has type {self.sequence_lens.type}, expected {TensorType(i32, [b])} "
                f"or {TensorType(i64, [b])} ([batch_size])"
            )
        state = self._state_type(el, d, b, h)
        if self.initial_h is not None:
            _expect("initial_h", self.initial_h, state, self._state_doc())
        self._verify_extra_operands(el, d, b, h)
        self._verify_activations(d)
        if self.clip is not None and not self.clip.value.data > 0:
            raise VerifyException(f"clip must be positive, got {self.clip.value.data}")
        y_doc = (
            "[seq_length, num_directions, batch_size, hidden_size]"
            if layout == 0
            else "[batch_size, seq_length, num_directions, hidden_size]"
        )
        y_shape = [t_len, d, b, h] if layout == 0 else [b, t_len, d, h]
        _expect("Y", self.Y, TensorType(el, y_shape), y_doc)
        _expect("Y_h", self.Y_h, state, self._state_doc())
        self._verify_extra_results(state)

    def _verify_activations(self, d: int) -> None:
        n = self.FUNCTIONS * d
        names = [a.data for a in self.activations.data]
        if len(names) != n:
            raise VerifyException(
                f"expected {n} activations ({self.FUNCTIONS} per direction), got {len(names)}"
            )
        for name in names:
            if name not in ACTIVATIONS:
                raise VerifyException(
                    f"unknown activation '{name}'; expected one of {', '.join(ACTIVATIONS)}"
                )
        for prop, values in (
            ("activation_alpha", self.activation_alpha),
            ("activation_beta", self.activation_beta),
        ):
            if len(values.data) != n:
                raise VerifyException(
                    f"{prop} has {len(values.data)} entries, expected {n} (one per activation)"
                )
            if any(not isinstance(v.type, Float32Type) for v in values.data):
                raise VerifyException(f"{prop} entries must be f32")

    def _verify_extra_operands(self, element: Attribute, d: int, b: int, h: int) -> None:
        """Operands beyond the shared six (LSTM: initial_c, P)."""

    def _verify_extra_results(self, state: TensorType) -> None:
        """Results beyond Y and Y_h (LSTM: Y_c)."""


def _recurrent_properties(
    hidden_size: int,
    direction: Direction,
    layout: int,
    activations: Sequence[str],
    activation_alpha: Sequence[float],
    activation_beta: Sequence[float],
    clip: float | None,
    onnx_node: str | None,
) -> dict[str, Attribute | None]:
    return {
        "hidden_size": _i64(hidden_size),
        "direction": DirectionAttr(direction),
        "layout": _i64(layout),
        "activations": ArrayAttr([StringAttr(a) for a in activations]),
        "activation_alpha": _f32_array(activation_alpha),
        "activation_beta": _f32_array(activation_beta),
        "clip": None if clip is None else FloatAttr(clip, f32),
        "onnx_node": _node_name(onnx_node),
    }


def _recurrent_result_types(
    x: SSAValue, hidden_size: int, direction: Direction, layout: int
) -> tuple[TensorType, TensorType]:
    xt = _tensor(x)
    assert xt is not None, "X must be a tensor"
    s0, s1, _ = xt.get_shape()
    t_len, b = (s0, s1) if layout == 0 else (s1, s0)
    d = DirectionAttr(direction).num_directions
    el = xt.element_type
    y = [t_len, d, b, hidden_size] if layout == 0 else [b, t_len, d, hidden_size]
    state = [d, b, hidden_size] if layout == 0 else [b, d, hidden_size]
    return TensorType(el, y), TensorType(el, state)


_OPERANDS_FORMAT = (
    "$X `:` type($X) `,` $W `:` type($W) `,` $R `:` type($R)"
    " (`bias` $B^ `:` type($B))?"
    " (`sequence_lens` $sequence_lens^ `:` type($sequence_lens))?"
    " (`initial_h` $initial_h^ `:` type($initial_h))?"
)
_PROPS_FORMAT = (
    " `hidden_size` $hidden_size `direction` $direction `layout` $layout"
    " {extra}"
    " `activations` $activations `activation_alpha` $activation_alpha `activation_beta` $activation_beta"
    " (`clip` $clip^)? (`onnx_node` $onnx_node^)? attr-dict"
)


@irdl_op_definition
class LSTMOp(RecurrentOp):
    """An ONNX LSTM layer (gate order i, o, f, c; functions f, g, h per direction).

    %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<2x16x3xf32>, %r : tensor<2x16x4xf32>
        bias %b : tensor<2x32xf32> initial_h %h0 : tensor<2x2x4xf32> initial_c %c0 : tensor<2x2x4xf32>
        peepholes %p : tensor<2x12xf32>
        hidden_size 4 direction bidirectional layout 0 input_forget 0
        activations ["Sigmoid", "Tanh", "Tanh", "Sigmoid", "Tanh", "Tanh"]
        activation_alpha [0.0 : f32, ...] activation_beta [0.0 : f32, ...] clip 3.0 onnx_node "lstm_0"
        -> tensor<5x2x2x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>
    """

    name = "rnn.lstm"
    GATES: ClassVar[int] = 4
    FUNCTIONS: ClassVar[int] = 3

    X = operand_def(TensorType)
    W = operand_def(TensorType)
    R = operand_def(TensorType)
    B = opt_operand_def(TensorType)
    sequence_lens = opt_operand_def(TensorType)
    initial_h = opt_operand_def(TensorType)
    initial_c = opt_operand_def(TensorType)
    P = opt_operand_def(TensorType)
    Y = result_def(TensorType)
    Y_h = result_def(TensorType)
    Y_c = result_def(TensorType)

    input_forget = prop_def(IntegerAttr[I64])

    assembly_format = (
        _OPERANDS_FORMAT
        + " (`initial_c` $initial_c^ `:` type($initial_c))? (`peepholes` $P^ `:` type($P))?"
        + _PROPS_FORMAT.format(extra="`input_forget` $input_forget")
        + " `->` type($Y) `,` type($Y_h) `,` type($Y_c)"
    )

    def __init__(
        self,
        X: SSAValue,
        W: SSAValue,
        R: SSAValue,
        *,
        hidden_size: int,
        B: SSAValue | None = None,
        sequence_lens: SSAValue | None = None,
        initial_h: SSAValue | None = None,
        initial_c: SSAValue | None = None,
        P: SSAValue | None = None,
        direction: Direction = Direction.FORWARD,
        layout: int = 0,
        activations: Sequence[str] | None = None,
        activation_alpha: Sequence[float] | None = None,
        activation_beta: Sequence[float] | None = None,
        clip: float | None = None,
        input_forget: int = 0,
        onnx_node: str | None = None,
    ):
        d = DirectionAttr(direction).num_directions
        acts = list(activations) if activations is not None else ["Sigmoid", "Tanh", "Tanh"] * d
        y, state = _recurrent_result_types(X, hidden_size, direction, layout)
        props = _recurrent_properties(
            hidden_size,
            direction,
            layout,
            acts,
            activation_alpha if activation_alpha is not None else [0.0] * len(acts),
            activation_beta if activation_beta is not None else [0.0] * len(acts),
            clip,
            onnx_node,
        )
        props["input_forget"] = _i64(input_forget)
        super().__init__(
            operands=[X, W, R, B, sequence_lens, initial_h, initial_c, P],
            result_types=[y, state, state],
            properties=props,
        )

    def _verify_extra_operands(self, element: Attribute, d: int, b: int, h: int) -> None:
        if self.initial_c is not None:
            _expect("initial_c", self.initial_c, self._state_type(element, d, b, h), self._state_doc())
        if self.P is not None:
            _expect("P", self.P, TensorType(element, [d, 3 * h]), "[num_directions, 3*hidden_size]")
        _bool_prop("input_forget", self.input_forget)

    def _verify_extra_results(self, state: TensorType) -> None:
        _expect("Y_c", self.Y_c, state, self._state_doc())


@irdl_op_definition
class GRUOp(RecurrentOp):
    """An ONNX GRU layer (gate order z, r, h; functions f, g per direction).

    %y, %y_h = rnn.gru %x : tensor<5x1x3xf32>, %w : tensor<1x12x3xf32>, %r : tensor<1x12x4xf32>
        bias %b : tensor<1x24xf32>
        hidden_size 4 direction forward layout 0 linear_before_reset 1
        activations ["Sigmoid", "Tanh"] activation_alpha [0.0 : f32, 0.0 : f32]
        activation_beta [0.0 : f32, 0.0 : f32] onnx_node "gru_0"
        -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
    """

    name = "rnn.gru"
    GATES: ClassVar[int] = 3
    FUNCTIONS: ClassVar[int] = 2

    X = operand_def(TensorType)
    W = operand_def(TensorType)
    R = operand_def(TensorType)
    B = opt_operand_def(TensorType)
    sequence_lens = opt_operand_def(TensorType)
    initial_h = opt_operand_def(TensorType)
    Y = result_def(TensorType)
    Y_h = result_def(TensorType)

    linear_before_reset = prop_def(IntegerAttr[I64])

    assembly_format = (
        _OPERANDS_FORMAT
        + _PROPS_FORMAT.format(extra="`linear_before_reset` $linear_before_reset")
        + " `->` type($Y) `,` type($Y_h)"
    )

    def __init__(
        self,
        X: SSAValue,
        W: SSAValue,
        R: SSAValue,
        *,
        hidden_size: int,
        B: SSAValue | None = None,
        sequence_lens: SSAValue | None = None,
        initial_h: SSAValue | None = None,
        direction: Direction = Direction.FORWARD,
        layout: int = 0,
        activations: Sequence[str] | None = None,
        activation_alpha: Sequence[float] | None = None,
        activation_beta: Sequence[float] | None = None,
        clip: float | None = None,
        linear_before_reset: int = 0,
        onnx_node: str | None = None,
    ):
        d = DirectionAttr(direction).num_directions
        acts = list(activations) if activations is not None else ["Sigmoid", "Tanh"] * d
        y, state = _recurrent_result_types(X, hidden_size, direction, layout)
        props = _recurrent_properties(
            hidden_size,
            direction,
            layout,
            acts,
            activation_alpha if activation_alpha is not None else [0.0] * len(acts),
            activation_beta if activation_beta is not None else [0.0] * len(acts),
            clip,
            onnx_node,
        )
        props["linear_before_reset"] = _i64(linear_before_reset)
        super().__init__(
            operands=[X, W, R, B, sequence_lens, initial_h],
            result_types=[y, state],
            properties=props,
        )

    def _verify_extra_operands(self, element: Attribute, d: int, b: int, h: int) -> None:
        _bool_prop("linear_before_reset", self.linear_before_reset)


@irdl_op_definition
class RNNOp(RecurrentOp):
    """An ONNX RNN (Elman) layer: H_t = f(X_t W^T + H_{t-1} R^T + Wb + Rb).

    %y, %y_h = rnn.rnn %x : tensor<5x1x3xf32>, %w : tensor<1x4x3xf32>, %r : tensor<1x4x4xf32>
        hidden_size 4 direction reverse layout 0
        activations ["Tanh"] activation_alpha [0.0 : f32] activation_beta [0.0 : f32]
        -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
    """

    name = "rnn.rnn"
    GATES: ClassVar[int] = 1
    FUNCTIONS: ClassVar[int] = 1

    X = operand_def(TensorType)
    W = operand_def(TensorType)
    R = operand_def(TensorType)
    B = opt_operand_def(TensorType)
    sequence_lens = opt_operand_def(TensorType)
    initial_h = opt_operand_def(TensorType)
    Y = result_def(TensorType)
    Y_h = result_def(TensorType)

    assembly_format = _OPERANDS_FORMAT + _PROPS_FORMAT.format(extra="") + " `->` type($Y) `,` type($Y_h)"

    def __init__(
        self,
        X: SSAValue,
        W: SSAValue,
        R: SSAValue,
        *,
        hidden_size: int,
        B: SSAValue | None = None,
        sequence_lens: SSAValue | None = None,
        initial_h: SSAValue | None = None,
        direction: Direction = Direction.FORWARD,
        layout: int = 0,
        activations: Sequence[str] | None = None,
        activation_alpha: Sequence[float] | None = None,
        activation_beta: Sequence[float] | None = None,
        clip: float | None = None,
        onnx_node: str | None = None,
    ):
        d = DirectionAttr(direction).num_directions
        acts = list(activations) if activations is not None else ["Tanh"] * d
        y, state = _recurrent_result_types(X, hidden_size, direction, layout)
        props = _recurrent_properties(
            hidden_size,
            direction,
            layout,
            acts,
            activation_alpha if activation_alpha is not None else [0.0] * len(acts),
            activation_beta if activation_beta is not None else [0.0] * len(acts),
            clip,
            onnx_node,
        )
        super().__init__(
            operands=[X, W, R, B, sequence_lens, initial_h],
            result_types=[y, state],
            properties=props,
        )


# --------------------------------------------------------------------------- glue


def _elements_match(name: str, a: TensorType, b: TensorType) -> None:
    if a.element_type != b.element_type:
        raise VerifyException(
            f"{name} element type {b.element_type} differs from input element type {a.element_type}"
        )


@irdl_op_definition
class TransposeOp(IRDLOperation):
    """Permute dimensions: result dim i is input dim perm[i].

    %t = rnn.transpose %y perm [0, 2, 1, 3] : tensor<5x2x1x4xf32> -> tensor<5x1x2x4xf32>
    """

    name = "rnn.transpose"

    input = operand_def(TensorType)
    result = result_def(TensorType)
    perm = prop_def(DenseArrayBase.constr(i64))
    onnx_node = opt_prop_def(StringAttr)

    traits = traits_def(Pure())
    assembly_format = (
        "$input `perm` $perm (`onnx_node` $onnx_node^)? attr-dict `:` type($input) `->` type($result)"
    )

    def __init__(self, input: SSAValue, perm: Sequence[int], *, onnx_node: str | None = None):
        shape = _shape(input)
        it = _tensor(input)
        assert it is not None
        super().__init__(
            operands=[input],
            result_types=[TensorType(it.element_type, [shape[p] for p in perm])],
            properties={
                "perm": DenseArrayBase.from_list(i64, list(perm)),
                "onnx_node": _node_name(onnx_node),
            },
        )

    def verify_(self) -> None:
        it = _static_input("input", self.input)
        perm = list(self.perm.get_values())
        rank = it.get_num_dims()
        if sorted(perm) != list(range(rank)):
            raise VerifyException(f"perm {perm} is not a permutation of [0, {rank})")
        shape = it.get_shape()
        _expect_result(self.result, TensorType(it.element_type, [shape[p] for p in perm]))


@irdl_op_definition
class ReshapeOp(IRDLOperation):
    """Reinterpret the row-major elements under the result's shape (ONNX Reshape, Squeeze, Unsqueeze, Flatten).

    %s = rnn.reshape %y : tensor<5x1x1x4xf32> -> tensor<5x1x4xf32>
    """

    name = "rnn.reshape"

    input = operand_def(TensorType)
    result = result_def(TensorType)
    onnx_node = opt_prop_def(StringAttr)

    traits = traits_def(Pure())
    assembly_format = "$input (`onnx_node` $onnx_node^)? attr-dict `:` type($input) `->` type($result)"

    def __init__(self, input: SSAValue, result_type: TensorType, *, onnx_node: str | None = None):
        super().__init__(
            operands=[input], result_types=[result_type], properties={"onnx_node": _node_name(onnx_node)}
        )

    def verify_(self) -> None:
        it = _static_input("input", self.input)
        rt = _static_input("result", self.result)
        _elements_match("result", it, rt)
        n_in, n_out = math.prod(it.get_shape()), math.prod(rt.get_shape())
        if n_in != n_out:
            raise VerifyException(f"cannot reshape {it} ({n_in} elements) into {rt} ({n_out} elements)")


@irdl_op_definition
class ConcatOp(IRDLOperation):
    """Join tensors along `axis`; every other dimension must agree.

    %h = rnn.concat %h0, %h1 axis 0 : tensor<1x1x4xf32>, tensor<1x1x4xf32> -> tensor<2x1x4xf32>
    """

    name = "rnn.concat"

    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    onnx_node = opt_prop_def(StringAttr)

    traits = traits_def(Pure())
    assembly_format = (
        "$inputs `axis` $axis (`onnx_node` $onnx_node^)? attr-dict `:` type($inputs) `->` type($result)"
    )

    def __init__(self, inputs: Sequence[SSAValue], axis: int, *, onnx_node: str | None = None):
        first = _tensor(inputs[0])
        assert first is not None
        shape = list(first.get_shape())
        shape[axis] = sum(_shape(v)[axis] for v in inputs)
        super().__init__(
            operands=[list(inputs)],
            result_types=[TensorType(first.element_type, shape)],
            properties={"axis": _i64(axis), "onnx_node": _node_name(onnx_node)},
        )

    def verify_(self) -> None:
        if not self.inputs:
            raise VerifyException("concat needs at least one input")
        first = _static_input("input 0", self.inputs[0])
        rank = first.get_num_dims()
        axis = self.axis.value.data
        if not 0 <= axis < rank:
            raise VerifyException(f"axis {axis} is out of range for rank {rank}")
        total = 0
        for index, value in enumerate(self.inputs):
            t = _static_input(f"input {index}", value)
            shape, ref = list(t.get_shape()), list(first.get_shape())
            if len(shape) == rank:
                total += shape[axis]
                shape[axis] = ref[axis] = 0
            if t.element_type != first.element_type or shape != ref:
                raise VerifyException(
                    f"input {index} has type {t}, incompatible with input 0 ({first}) outside axis {axis}"
                )
        result = list(first.get_shape())
        result[axis] = total
        _expect_result(self.result, TensorType(first.element_type, result))


def slice_length(dim: int, start: int, end: int, step: int) -> int:
    """Elements an ONNX Slice keeps on one axis (negative indices count from the end, then clamp)."""
    return len(range(*slice(start, end, step).indices(dim)))


@irdl_op_definition
class SliceOp(IRDLOperation):
    """ONNX Slice with static parameters: on each `axes[i]`, keep start:end:step (Python semantics).

    %h1 = rnn.slice %h0 starts [1] ends [2] axes [0] steps [1] : tensor<3x1x4xf32> -> tensor<1x1x4xf32>
    """

    name = "rnn.slice"

    input = operand_def(TensorType)
    result = result_def(TensorType)
    starts = prop_def(DenseArrayBase.constr(i64))
    ends = prop_def(DenseArrayBase.constr(i64))
    axes = prop_def(DenseArrayBase.constr(i64))
    steps = prop_def(DenseArrayBase.constr(i64))
    onnx_node = opt_prop_def(StringAttr)

    traits = traits_def(Pure())
    assembly_format = (
        "$input `starts` $starts `ends` $ends `axes` $axes `steps` $steps (`onnx_node` $onnx_node^)?"
        " attr-dict `:` type($input) `->` type($result)"
    )

    def __init__(
        self,
        input: SSAValue,
        starts: Sequence[int],
        ends: Sequence[int],
        axes: Sequence[int],
        steps: Sequence[int],
        *,
        onnx_node: str | None = None,
    ):
        it = _tensor(input)
        assert it is not None
        shape = list(it.get_shape())
        for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
            shape[a] = slice_length(shape[a], s, e, st)
        super().__init__(
            operands=[input],
            result_types=[TensorType(it.element_type, shape)],
            properties={
                "starts": DenseArrayBase.from_list(i64, list(starts)),
                "ends": DenseArrayBase.from_list(i64, list(ends)),
                "axes": DenseArrayBase.from_list(i64, list(axes)),
                "steps": DenseArrayBase.from_list(i64, list(steps)),
                "onnx_node": _node_name(onnx_node),
            },
        )

    def verify_(self) -> None:
        it = _static_input("input", self.input)
        starts, ends = list(self.starts.get_values()), list(self.ends.get_values())
        axes, steps = list(self.axes.get_values()), list(self.steps.get_values())
        if not len(starts) == len(ends) == len(axes) == len(steps):
            raise VerifyException(
                f"starts, ends, axes and steps must have the same length, got "
                f"{len(starts)}, {len(ends)}, {len(axes)}, {len(steps)}"
            )
        rank = it.get_num_dims()
        if len(set(axes)) != len(axes) or any(not 0 <= a < rank for a in axes):
            raise VerifyException(f"axes {axes} must be distinct axes in [0, {rank})")
        if 0 in steps:
            raise VerifyException("steps must be non-zero")
        shape = list(it.get_shape())
        for s, e, a, st in zip(starts, ends, axes, steps, strict=True):
            shape[a] = slice_length(shape[a], s, e, st)
        _expect_result(self.result, TensorType(it.element_type, shape))


# --------------------------------------------------------------------------- heads around the layers


@irdl_op_definition
class LinearOp(IRDLOperation):
    """y = x @ weight + bias over the last axis (ONNX MatMul/Gemm with a constant weight, + Add).

    %l = rnn.linear %s : tensor<5x1x4xf32>, %w : tensor<4x10xf32> bias %b : tensor<10xf32>
        onnx_node "fc" -> tensor<5x1x10xf32>
    """

    name = "rnn.linear"

    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    result = result_def(TensorType)
    onnx_node = opt_prop_def(StringAttr)

    traits = traits_def(Pure())
    assembly_format = (
        "$input `:` type($input) `,` $weight `:` type($weight) (`bias` $bias^ `:` type($bias))?"
        " (`onnx_node` $onnx_node^)? attr-dict `->` type($result)"
    )

    def __init__(
        self, input: SSAValue, weight: SSAValue, bias: SSAValue | None = None, *, onnx_node: str | None = None
    ):
        it = _tensor(input)
        assert it is not None
        shape = [*it.get_shape()[:-1], _shape(weight)[1]]
        super().__init__(
            operands=[input, weight, bias],
            result_types=[TensorType(it.element_type, shape)],
            properties={"onnx_node": _node_name(onnx_node)},
        )

    def verify_(self) -> None:
        it = _static_input("input", self.input)
        if it.get_num_dims() < 1 or not _is_float(it.element_type):
            raise VerifyException(f"input must be a tensor of floats of rank >= 1, got {it}")
        k = it.get_shape()[-1]
        wt = _static_input("weight", self.weight)
        if wt.get_num_dims() != 2 or wt.element_type != it.element_type or wt.get_shape()[0] != k:
            raise VerifyException(f"weight has type {wt}, expected tensor<{k}xNx{it.element_type}> ([K, N])")
        n = wt.get_shape()[1]
        if self.bias is not None:
            _expect("bias", self.bias, TensorType(it.element_type, [n]), "[N]")
        _expect_result(self.result, TensorType(it.element_type, [*it.get_shape()[:-1], n]))


@irdl_op_definition
class SoftmaxOp(IRDLOperation):
    """Softmax over the last axis; with `log`, LogSoftmax.

    %p = rnn.softmax %l log : tensor<5x1x10xf32>
    """

    name = "rnn.softmax"

    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    result = result_def(T)
    log = opt_prop_def(UnitAttr)
    onnx_node = opt_prop_def(StringAttr)

    traits = traits_def(Pure())
    assembly_format = "$input (`log` $log^)? (`onnx_node` $onnx_node^)? attr-dict `:` type($result)"

    def __init__(self, input: SSAValue, *, log: bool = False, onnx_node: str | None = None):
        super().__init__(
            operands=[input],
            result_types=[input.type],
            properties={"log": UnitAttr() if log else None, "onnx_node": _node_name(onnx_node)},
        )

    def verify_(self) -> None:
        it = _static_input("input", self.input)
        if it.get_num_dims() < 1 or not _is_float(it.element_type):
            raise VerifyException(f"input must be a tensor of floats of rank >= 1, got {it}")


@irdl_op_definition
class LayerNormOp(IRDLOperation):
    """ONNX LayerNormalization over the last axis: (x - mean) / sqrt(var + epsilon) * scale + bias.

    %n = rnn.layer_norm %y : tensor<5x1x16xf32>, %g : tensor<16xf32> bias %b : tensor<16xf32>
        epsilon 1.000000e-05 onnx_node "ln" -> tensor<5x1x16xf32>
    """

    name = "rnn.layer_norm"

    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    result = result_def(TensorType)
    epsilon = prop_def(FloatAttr[Float32Type])
    onnx_node = opt_prop_def(StringAttr)

    traits = traits_def(Pure())
    assembly_format = (
        "$input `:` type($input) `,` $scale `:` type($scale) (`bias` $bias^ `:` type($bias))?"
        " `epsilon` $epsilon (`onnx_node` $onnx_node^)? attr-dict `->` type($result)"
    )

    def __init__(
        self,
        input: SSAValue,
        scale: SSAValue,
        bias: SSAValue | None = None,
        *,
        epsilon: float = 1e-5,
        onnx_node: str | None = None,
    ):
        super().__init__(
            operands=[input, scale, bias],
            result_types=[input.type],
            properties={"epsilon": FloatAttr(epsilon, f32), "onnx_node": _node_name(onnx_node)},
        )

    def verify_(self) -> None:
        it = _static_input("input", self.input)
        if it.get_num_dims() < 1 or not _is_float(it.element_type):
            raise VerifyException(f"input must be a tensor of floats of rank >= 1, got {it}")
        c = it.get_shape()[-1]
        _expect("scale", self.scale, TensorType(it.element_type, [c]), "[C], the last axis")
        if self.bias is not None:
            _expect("bias", self.bias, TensorType(it.element_type, [c]), "[C], the last axis")
        if not self.epsilon.value.data >= 0:
            raise VerifyException(f"epsilon must be non-negative, got {self.epsilon.value.data}")
        _expect_result(self.result, it)


@irdl_op_definition
class ActivationOp(IRDLOperation):
    """An elementwise function on a tensor: Relu, Sigmoid or Tanh.

    %a = rnn.activation "Tanh" %l : tensor<5x1x10xf32>
    """

    name = "rnn.activation"

    T: ClassVar = VarConstraint("T", base(TensorType))
    input = operand_def(T)
    result = result_def(T)
    function = prop_def(StringAttr)
    onnx_node = opt_prop_def(StringAttr)

    traits = traits_def(Pure())
    assembly_format = "$function $input (`onnx_node` $onnx_node^)? attr-dict `:` type($result)"

    def __init__(self, function: str, input: SSAValue, *, onnx_node: str | None = None):
        super().__init__(
            operands=[input],
            result_types=[input.type],
            properties={"function": StringAttr(function), "onnx_node": _node_name(onnx_node)},
        )

    def verify_(self) -> None:
        if self.function.data not in ELEMENTWISE_FUNCTIONS:
            raise VerifyException(
                f"unsupported function '{self.function.data}'; expected one of {', '.join(ELEMENTWISE_FUNCTIONS)}"
            )
        it = _static_input("input", self.input)
        if not _is_float(it.element_type):
            raise VerifyException(f"input must be a tensor of floats, got {it}")


@irdl_op_definition
class EmbeddingOp(IRDLOperation):
    """Rows of a [V, E] table picked by integer indices (ONNX Gather, axis 0; negative indices count from V).

    %e = rnn.embedding %table : tensor<100x8xf32>, %tokens : tensor<5x1xi64> -> tensor<5x1x8xf32>
    """

    name = "rnn.embedding"

    table = operand_def(TensorType)
    indices = operand_def(TensorType)
    result = result_def(TensorType)
    onnx_node = opt_prop_def(StringAttr)

    traits = traits_def(Pure())
    assembly_format = (
        "$table `:` type($table) `,` $indices `:` type($indices) (`onnx_node` $onnx_node^)? attr-dict"
        " `->` type($result)"
    )

    def __init__(self, table: SSAValue, indices: SSAValue, *, onnx_node: str | None = None):
        tt = _tensor(table)
        assert tt is not None
        super().__init__(
            operands=[table, indices],
            result_types=[TensorType(tt.element_type, [*_shape(indices), _shape(table)[1]])],
            properties={"onnx_node": _node_name(onnx_node)},
        )

    def verify_(self) -> None:
        tt = _static_input("table", self.table)
        if tt.get_num_dims() != 2 or not _is_float(tt.element_type):
            raise VerifyException(f"table must be a rank-2 tensor of floats ([V, E]), got {tt}")
        it = _static_input("indices", self.indices)
        if not isinstance(it.element_type, IntegerType) or it.element_type not in (i32, i64):
            raise VerifyException(f"indices must be a tensor of i32 or i64, got {it}")
        _expect_result(self.result, TensorType(tt.element_type, [*it.get_shape(), tt.get_shape()[1]]))


RNN = Dialect(
    "rnn",
    [
        ConstantOp,
        LSTMOp,
        GRUOp,
        RNNOp,
        TransposeOp,
        ReshapeOp,
        ConcatOp,
        SliceOp,
        LinearOp,
        SoftmaxOp,
        LayerNormOp,
        ActivationOp,
        EmbeddingOp,
    ],
    [WeightsAttr, DirectionAttr],
)
