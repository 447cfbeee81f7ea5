"""Drop the sort/unsort glue of `pack_padded_sequence(..., enforce_sorted=False)`.

For an unsorted batch the TorchScript exporter sorts the rows by length, runs the recurrence
on the sorted batch and puts the rows back (after constant folding; `L` is the lengths input)::

    v, p   = TopK(Cast(L), K=B, largest=1)             sorted lengths, the sorting permutation
    inv    = ScatterElements(_, Cast(p), arange(B))    the inverse permutation
    Y, Y_h = LSTM(Gather(X, Cast(p), axis=1), ..., sequence_lens=Cast(v))
    out    = Gather(Squeeze(Y, 1), inv, axis=1)        every output: Gather(.., inv) on the batch axis

A recurrent layer treats the batch rows independently, so sorting them, running, and
unsorting is the same as running the original rows with their own lengths:
`find_batch_sorts` rewrites that to `LSTM(X, ..., sequence_lens=L)` and each unsorting Gather to
an `Identity`. It follows the permuted batch through stacked layers and the reshapes between
them, and leaves the graph alone unless every path from the sorted rows ends in an unsorting
Gather on the batch axis (the mapper then names the nodes it cannot take).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

import numpy as np

from sharp_compiler.frontend.graph_links import GraphView
from sharp_compiler.frontend.unrolled_rnn import Rewrite

if TYPE_CHECKING:
    import onnx

_RECURRENT = ("LSTM", "GRU", "RNN")
_SEQUENCE_LENS, _INITIAL_H, _INITIAL_C = 4, 5, 6


class _Graph(GraphView):
    """The kept nodes, and the tests the sort pattern needs."""

    def op(self, name: str, op_type: str) -> onnx.NodeProto | None:
        found = self.produced_by(name, op_type)
        return None if found is None else found[1]

    def through_casts(self, name: str) -> str:
        """The tensor a chain of Casts starts from."""
        while (cast := self.op(name, "Cast")) is not None:
            name = cast.input[0]
        return name

    def attr(self, node: onnx.NodeProto, key: str, default: int) -> int:
        return next((int(a.i) for a in node.attribute if a.name == key), default)


def find_batch_sorts(
    nodes: Sequence[onnx.NodeProto],
    order: Sequence[int],
    constant: Callable[[str], np.ndarray | None],
    shape: Callable[[str], tuple[int, ...] | None],
    outputs: Collection[str],
) -> Rewrite | None:
    """The rewrite that removes every sort/unsort pair around recurrent layers, or None."""
    graph = _Graph(nodes, order, constant, shape, outputs)
    rewrite = Rewrite()
    for index in order:
        node = nodes[index]
        if node.op_type not in _RECURRENT or node.domain not in ("", "ai.onnx") or index in rewrite.removed:
            continue
        if len(node.input) <= _SEQUENCE_LENS or not node.input[_SEQUENCE_LENS]:
            continue
        _match(graph, index, rewrite)
    return rewrite if rewrite.removed else None


def _match(graph: _Graph, index: int, rewrite: Rewrite) -> None:
    from onnx import helper

    node = graph.nodes[index]
    values = graph.through_casts(node.input[_SEQUENCE_LENS])
    topk = graph.op(values, "TopK")
    if topk is None or topk.output[0] != values or graph.attr(topk, "largest", 1) != 1:
        return
    lengths = topk.input[0]
    length_shape = graph.shape(lengths)
    if length_shape is None or len(length_shape) != 1 or graph.attr(topk, "axis", -1) not in (0, -1):
        return
    batch = length_shape[0]
    k = graph.constant(topk.input[1])
    if k is None or int(np.asarray(k).reshape(-1)[0]) != batch:
        return
    permutation = topk.output[1]
    gather = graph.op(node.input[0], "Gather")
    if (
        gather is None
        or graph.through_casts(gather.input[1]) != permutation
        or graph.attr(gather, "axis", 0) != 1
        or node.input[0] in graph.outputs
    ):
        return
    walk = _Walk(graph, _inverse_names(graph, permutation, batch), values)
    if not _zero_states(graph, node) or not walk.run(index):
        return
    if set(graph.consumers.get(node.input[0], [])) != {index}:
        return
    # ONNX wants int32 lengths; the Cast to it reads the lengths input in its own order.
    lens32 = f"{topk.output[0]}.unsorted_int32"
    rewrite.added.append((index, helper.make_node("Cast", [lengths], [lens32], to=6, name=lens32)))
    inputs = list(node.input)
    inputs[0], inputs[_SEQUENCE_LENS] = gather.input[0], lens32
    replaced = helper.make_node(node.op_type, inputs, list(node.output), name=node.name, domain=node.domain)
    replaced.attribute.extend(node.attribute)
    rewrite.removed |= {index, graph.producer[node.input[0]], *walk.unsorts}
    rewrite.added.append((index, replaced))
    for unsort in sorted(walk.unsorts):
        old = graph.nodes[unsort]
        identity = helper.make_node("Identity", [old.input[0]], [old.output[0]], name=old.name or None)
        rewrite.added.append((unsort, identity))
    for layer in walk.layers - {index}:
        # A later layer reads the sorted Y and the sorted lengths: give it the originals too.
        later = graph.nodes[layer]
        later_inputs = list(later.input)
        later_inputs[_SEQUENCE_LENS] = lens32
        again = helper.make_node(later.op_type, later_inputs, list(later.output), name=later.name)
        again.attribute.extend(later.attribute)
        rewrite.removed.add(layer)
        rewrite.added.append((layer, again))


def _inverse_names(graph: _Graph, permutation: str, batch: int) -> set[str]:
    """Tensors holding the inverse of `permutation`: ScatterElements(_, p, arange(B)) (+ Casts)."""
    found: set[str] = set()
    pending = [permutation]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for user in graph.consumers.get(name, []):
            node = graph.nodes[user]
            if node.op_type == "Cast":
                pending.append(node.output[0])
            elif node.op_type == "ScatterElements" and node.input[1] == name:
                data, updates = graph.constant(node.input[0]), graph.constant(node.input[2])
                if (
                    data is not None
                    and updates is not None
                    and data.shape == (batch,)
                    and np.array_equal(updates.reshape(-1), np.arange(batch))
                    and graph.attr(node, "axis", 0) == 0
                ):
                    found.add(node.output[0])
    for name in list(found):
        pending = [name]
        while pending:
            for user in graph.consumers.get(pending.pop(), []):
                if graph.nodes[user].op_type == "Cast":
                    found.add(graph.nodes[user].output[0])
                    pending.append(graph.nodes[user].output[0])
    return found


def _zero_states(graph: _Graph, node: onnx.NodeProto) -> bool:
    """Initial states absent or constant zeros (a permutation leaves them unchanged)."""
    for name in node.input[_INITIAL_H : _INITIAL_C + 1]:
        if not name:
            continue
        state = graph.constant(name)
        if state is None or np.any(state):
            return False
    return True


class _Walk:
    """Follows tensors whose batch rows are in sorted order, from a layer to the unsorting Gathers."""

    def __init__(self, graph: _Graph, inverse: set[str], sorted_lengths: str):
        self.graph, self.inverse, self.sorted_lengths = graph, inverse, sorted_lengths
        self.layers: set[int] = set()
        self.unsorts: set[int] = set()
        self.sorted: dict[str, int] = {}  # tensors in sorted row order -> their batch axis
        self.concats: set[int] = set()

    def run(self, layer: int) -> bool:
        """`follow`, then check that every Concat it passed joins only sorted tensors."""
        if not self.follow(layer):
            return False
        return all(
            all(
                self.sorted.get(name) == self.sorted[self.graph.nodes[c].output[0]]
                for name in self.graph.nodes[c].input
            )
            for c in self.concats
        )

    def follow(self, layer: int) -> bool:
        """Every output of recurrent `layer` (batch on axis 2 of Y, 1 of Y_h/Y_c) reaches an unsort."""
        self.layers.add(layer)
        node = self.graph.nodes[layer]
        axes = [2, 1, 1]
        return all(self._tensor(name, axis) for name, axis in zip(node.output, axes, strict=False) if name)

    def _tensor(self, name: str, axis: int) -> bool:
        if name in self.graph.outputs:
            return False
        if name in self.sorted:
            return self.sorted[name] == axis
        self.sorted[name] = axis
        for user in self.graph.consumers.get(name, []):
            if not self._user(user, name, axis):
                return False
        return True

    def _user(self, user: int, name: str, axis: int) -> bool:
        node = self.graph.nodes[user]
        out = node.output[0] if node.output else ""
        if node.op_type == "Gather" and node.input[0] == name and node.input[1] in self.inverse:
            if self.graph.attr(node, "axis", 0) != axis:
                return False
            self.unsorts.add(user)
            return True
        if node.op_type in _RECURRENT and node.input[0] == name and axis == 1:
            if user in self.layers:
                return True
            lens = node.input[_SEQUENCE_LENS] if len(node.input) > _SEQUENCE_LENS else ""
            if not lens or self.graph.through_casts(lens) != self.sorted_lengths:
                return False
            return _zero_states(self.graph, node) and self.follow(user)
        if node.op_type == "Concat":
            rank = len(self.graph.shape(out) or ())
            concat_axis = self.graph.attr(node, "axis", 0)
            if concat_axis % max(rank, 1) == axis:
                return False
            self.concats.add(user)
            return self._tensor(out, axis)
        if node.op_type in ("Squeeze", "Reshape", "Unsqueeze", "Transpose"):
            moved = self._moved_axis(node, name, axis)
            return moved is not None and self._tensor(out, moved)
        return False

    def _moved_axis(self, node: onnx.NodeProto, name: str, axis: int) -> int | None:
        """Where the batch axis of `name` is in the node's output (None when it cannot tell)."""
        if node.input[0] != name:
            return None
        before, after = self.graph.shape(name), self.graph.shape(node.output[0])
        if before is None or after is None:
            return None
        if node.op_type == "Transpose":
            perm = next((list(a.ints) for a in node.attribute if a.name == "perm"), None)
            return None if perm is None else perm.index(axis)
        # A reshape keeps the batch axis where the dimensions up to it are unchanged, or where
        # only size-1 axes before it are dropped or added.
        kept_before = [d for d in before[:axis] if d != 1]
        for candidate, dim in enumerate(after):
            if dim == before[axis] and [d for d in after[:candidate] if d != 1] == kept_before:
                if int(np.prod(after[candidate + 1 :])) == int(np.prod(before[axis + 1 :])):
                    return candidate
        return None
