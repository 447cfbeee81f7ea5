"""Read `rnn` ops as plain Python values (the lowering's view of the model level).

Keeps the lowering independent of how each `rnn` property is spelled in
xDSL (IntAttr or IntegerAttr, enum or string), and turns constant operands
into numpy arrays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from xdsl.dialects.builtin import ArrayAttr, FloatAttr, IntAttr, IntegerAttr, StringAttr, TensorType
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.utils.exceptions import PassFailedException

RECURRENT_OPS = {"rnn.lstm": "lstm", "rnn.gru": "gru", "rnn.rnn": "rnn"}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


class LoweringError(PassFailedException, ValueError):
    """A model the lowering cannot map onto the hardware; one line, located at `op` when known."""

    def __init__(self, message: str, op: Operation | None = None) -> None:
        super().__init__(message)
        self.op = op


def check_mode(pass_name: str, mode: str, modes: tuple[str, ...]) -> None:
    """A pass option that must be one of `modes`: one line naming the pass otherwise."""
    if mode not in modes:
        raise LoweringError(f"{pass_name}: mode must be one of {', '.join(modes)}, got '{mode}'")


def attr_of(op: Operation, name: str) -> Attribute | None:
    """A property or, failing that, an attribute of an op (None when absent)."""
    value = op.properties.get(name)
    return value if value is not None else op.attributes.get(name)


def symbol(text: str) -> str:
    """A valid symbol name derived from an ONNX name."""
    cleaned = re.sub(r"[^A-Za-z0-9_]", "_", text)
    return cleaned if cleaned and not cleaned[0].isdigit() else f"t_{cleaned}"


def shape_of(value: SSAValue) -> tuple[int, ...]:
    ttype = value.type
    if not isinstance(ttype, TensorType):
        raise LoweringError(f"expected a tensor value, got {ttype}")
    return tuple(int(d) for d in ttype.get_shape())


def int_prop(op: Operation, name: str, default: int | None = None) -> int:
    attr = attr_of(op, name)
    if attr is None:
        if default is None:
            raise LoweringError(f"{op.name} is missing '{name}'")
        return default
    if isinstance(attr, IntAttr):
        return attr.data
    if isinstance(attr, IntegerAttr):
        return attr.value.data
    raise LoweringError(f"{op.name} property '{name}' is not an integer")


def str_prop(op: Operation, name: str, default: str | None = None) -> str:
    attr = attr_of(op, name)
    if attr is None:
        if default is None:
            raise LoweringError(f"{op.name} is missing '{name}'")
        return default
    if isinstance(attr, StringAttr):
        return attr.data
    data = getattr(attr, "data", None)
    if data is not None:
        return str(data.value if hasattr(data, "value") else data)
    raise LoweringError(f"{op.name} property '{name}' is not a string")


def float_list(op: Operation, name: str) -> list[float]:
    attr = attr_of(op, name)
    if attr is None:
        return []
    assert isinstance(attr, ArrayAttr)
    return [float(a.value.data) for a in attr.data if isinstance(a, FloatAttr)]


def str_list(op: Operation, name: str) -> list[str]:
    attr = attr_of(op, name)
    if attr is None:
        return []
    assert isinstance(attr, ArrayAttr)
    return [a.data for a in attr.data if isinstance(a, StringAttr)]


def optional_float(op: Operation, name: str) -> float | None:
    attr = attr_of(op, name)
    if isinstance(attr, FloatAttr):
        return float(attr.value.data)
    return None


def operand(op: Operation, name: str) -> SSAValue | None:
    for spelling in (name, name.lower()):
        value = getattr(op, spelling, None)
        if isinstance(value, SSAValue):
            return value
    return None


def weights_attr_of(value: SSAValue) -> Attribute | None:
    """The WeightsAttr behind a value produced by `rnn.constant`, else None."""
    owner = value.owner
    if isinstance(owner, Operation) and owner.name == "rnn.constant":
        return attr_of(owner, "value")
    return None


class ElidedArray(np.ndarray):
    """Zeros standing in for weights that were elided in printed IR (structure-only lowering)."""


def constant_array(value: SSAValue, what: str) -> np.ndarray:
    """A constant operand as numpy; elided weights give an `ElidedArray` of zeros."""
    attr = weights_attr_of(value)
    if attr is None:
        raise LoweringError(f"{what} must be a constant (an initializer), not a run-time input")
    if getattr(attr, "is_elided", False):
        return np.zeros(attr.shape, attr.dtype).view(ElidedArray)  # type: ignore[attr-defined]
    return np.asarray(attr.as_array())  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RecurrentNode:
    """An `rnn.lstm` / `rnn.gru` / `rnn.rnn` op as plain values."""

    op: Operation
    kind: str
    onnx_node: str
    hidden: int
    directions: tuple[bool, ...]  # reverse flag per direction index d
    layout: int
    activations: list[tuple[str, float, float]]  # (name, alpha, beta) per activation slot
    clip: float | None
    input_forget: bool
    linear_before_reset: bool

    @property
    def gates(self) -> int:
        return GATES[self.kind]

    @property
    def per_direction(self) -> int:
        return {"lstm": 3, "gru": 2, "rnn": 1}[self.kind]


def read_recurrent(op: Operation) -> RecurrentNode:
    kind = RECURRENT_OPS[op.name]
    direction = str_prop(op, "direction", "forward")
    dirs = {"forward": (False,), "reverse": (True,), "bidirectional": (False, True)}.get(direction)
    if dirs is None:
        raise LoweringError(f"{op.name}: unknown direction '{direction}'")
    names = str_list(op, "activations")
    alphas = float_list(op, "activation_alpha")
    betas = float_list(op, "activation_beta")
    acts = [
        (n, alphas[i] if i < len(alphas) else 0.0, betas[i] if i < len(betas) else 0.0)
        for i, n in enumerate(names)
    ]
    return RecurrentNode(
        op=op, kind=kind, onnx_node=str_prop(op, "onnx_node", op.name), hidden=int_prop(op, "hidden_size"),
        directions=dirs, layout=int_prop(op, "layout", 0), activations=acts, clip=optional_float(op, "clip"),
        input_forget=bool(int_prop(op, "input_forget", 0)),
        linear_before_reset=bool(int_prop(op, "linear_before_reset", 0)),
    )  # fmt: skip


def int_list_prop(op: Operation, name: str) -> list[int]:
    attr = attr_of(op, name)
    if attr is None:
        raise LoweringError(f"{op.name} is missing '{name}'")
    data = getattr(attr, "data", None)
    if isinstance(attr, ArrayAttr):
        return [a.value.data if isinstance(a, IntegerAttr) else int(a.data) for a in attr.data]  # type: ignore[union-attr]
    if data is not None and hasattr(attr, "get_values"):
        return [int(v) for v in attr.get_values()]  # type: ignore[attr-defined]
    if isinstance(data, (tuple, list)):
        return [int(v) for v in data]
    raise LoweringError(f"{op.name} property '{name}' is not an integer list")
