"""Recognise a layer norm written by hand with ReduceMean, as the exporters trace it.

    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)        # or (x - mean) * (x - mean)
    y = (x - mean) / torch.sqrt(var + eps) [* weight] [+ bias]

becomes (after constant folding, Mul and Add in either operand order)::

    c = Sub(x, ReduceMean(x, axes=[-1], keepdims=1))
    y = Div(c, Sqrt(Add(ReduceMean(Pow(c, 2) | Mul(c, c), axes=[-1]), eps))) [Mul weight] [Add bias]

`find_manual_norms` replaces each match by one LayerNormalization(axis=-1) node (scale and
bias constant [C], ones/zeros when absent), so it runs on the activation unit like nn.LayerNorm.
Intermediate values must have no readers outside the pattern; anything else is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sharp_compiler.frontend.graph_links import GraphView
from sharp_compiler.frontend.unrolled_rnn import Rewrite

if TYPE_CHECKING:
    import onnx


class _Norms(GraphView):
    def __init__(self, *args: object, opset: int):
        super().__init__(*args)  # type: ignore[arg-type]
        self.opset = opset

    def input_of(self, name: str, op_type: str) -> tuple[int, onnx.NodeProto] | None:
        return self.produced_by(name, op_type)

    def last_axis_mean(self, name: str, rank: int) -> tuple[int, str] | None:
        """(node index, input) when `name` is ReduceMean over the last axis with keepdims."""
        found = self.produced_by(name, "ReduceMean")
        if found is None:
            return None
        index, node = found
        attrs = {a.name: a for a in node.attribute}
        if "keepdims" in attrs and attrs["keepdims"].i != 1:
            return None
        if self.opset >= 18:
            axes_value = self.constant(node.input[1]) if len(node.input) > 1 and node.input[1] else None
            axes = None if axes_value is None else [int(a) for a in axes_value.reshape(-1)]
        else:
            axes = list(attrs["axes"].ints) if "axes" in attrs else None
        if axes is None or [a % rank for a in axes] != [rank - 1]:
            return None
        return index, node.input[0]

    def other(self, node: onnx.NodeProto, name: str) -> str:
        return node.input[1] if node.input[0] == name else node.input[0]

    def vector(self, name: str, size: int) -> np.ndarray | None:
        array = self.constant(name)
        if (
            array is None
            or array.dtype != np.float32
            or array.size != size
            or (array.ndim and array.shape[-1] != size)
        ):
            return None
        return array.reshape(size)

    def sole_reader(self, name: str, op_type: str) -> tuple[int, onnx.NodeProto] | None:
        users = self.consumers.get(name, [])
        if len(users) != 1 or name in self.outputs:
            return None
        node = self.nodes[users[0]]
        return (users[0], node) if node.op_type == op_type and node.domain in ("", "ai.onnx") else None

    def match(self, div_index: int) -> tuple[set[int], str, str, float, np.ndarray, np.ndarray] | None:
        """(nodes, x, output name, epsilon, scale, bias) of the norm whose Div is `div_index`."""
        div = self.nodes[div_index]
        if len(div.input) != 2:
            return None
        centred, denominator = div.input
        shape = self.shape(centred)
        if shape is None or not shape:
            return None
        rank, size = len(shape), shape[-1]
        sub = self.produced_by(centred, "Sub")
        sqrt = self.produced_by(denominator, "Sqrt")
        if sub is None or sqrt is None:
            return None
        x = sub[1].input[0]
        mean = self.last_axis_mean(sub[1].input[1], rank)
        add_eps = self.produced_by(sqrt[1].input[0], "Add")
        if mean is None or mean[1] != x or add_eps is None:
            return None
        nodes = {div_index, sub[0], sqrt[0], mean[0], add_eps[0]}
        var_name = next((n for n in add_eps[1].input if self.constant(n) is None), None)
        eps = self.constant(self.other(add_eps[1], var_name)) if var_name else None
        if var_name is None or eps is None or eps.size != 1:
            return None
        variance = self.last_axis_mean(var_name, rank)
        if variance is None:
            return None
        nodes.add(variance[0])
        square = self.produced_by(variance[1], "Pow") or self.produced_by(variance[1], "Mul")
        if square is None:
            return None
        index, node = square
        if node.op_type == "Pow":
            exponent = self.constant(node.input[1])
            if (
                node.input[0] != centred
                or exponent is None
                or exponent.size != 1
                or float(exponent.reshape(-1)[0]) != 2.0
            ):
                return None
        elif list(node.input) != [centred, centred]:
            return None
        nodes.add(index)
        out = div.output[0]
        scale, bias = np.ones(size, np.float32), np.zeros(size, np.float32)
        for op_type in ("Mul", "Add"):
            reader = self.sole_reader(out, op_type)
            value = None if reader is None else self.vector(self.other(reader[1], out), size)
            if reader is None or value is None:
                continue
            if op_type == "Mul":
                scale = value
            else:
                bias = value
            nodes.add(reader[0])
            out = reader[1].output[0]
        # Only the pattern reads its intermediates (x - mean may be read by the square and the Div).
        for index in nodes:
            for name in self.nodes[index].output:
                if name != out and (name in self.outputs or set(self.consumers.get(name, [])) - nodes):
                    return None
        return nodes, x, out, float(eps.reshape(-1)[0]), scale, bias


def find_manual_norms(
    nodes: Sequence[onnx.NodeProto],
    order: Sequence[int],
    constant: Callable[[str], np.ndarray | None],
    shape: Callable[[str], tuple[int, ...] | None],
    outputs: Collection[str],
    opset: int,
) -> Rewrite | None:
    """The rewrite that turns each hand-written layer norm into LayerNormalization, or None."""
    from onnx import helper

    if opset < 17:  # LayerNormalization is an opset-17 op
        return None
    view = _Norms(nodes, order, constant, shape, outputs, opset=opset)
    rewrite = Rewrite()
    used = {n.name for n in nodes if n.name} | set(view.producer) | set(view.consumers)
    for index in order:
        node = nodes[index]
        if node.op_type != "Div" or node.domain not in ("", "ai.onnx") or index in rewrite.removed:
            continue
        found = view.match(index)
        if found is None or found[0] & rewrite.removed:
            continue
        matched, x, out, epsilon, scale, bias = found
        base, suffix = "manual_layer_norm", 0
        while f"{base}_{suffix}" in used:
            suffix += 1
        name = f"{base}_{suffix}"
        used.add(name)
        rewrite.constants[f"{name}.scale"] = scale
        rewrite.constants[f"{name}.bias"] = bias
        norm = helper.make_node(
            "LayerNormalization",
            [x, f"{name}.scale", f"{name}.bias"],
            [out],
            name=name,
            axis=-1,
            epsilon=epsilon,
        )
        rewrite.removed |= matched
        rewrite.added.append((min(matched), norm))
    return rewrite if rewrite.removed else None
