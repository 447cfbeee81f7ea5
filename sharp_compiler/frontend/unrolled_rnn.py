"""Recognise the time-unrolled Elman RNN that PyTorch's dynamo exporter writes for `nn.RNN`.

`torch.onnx.export(dynamo=True)` emits no ONNX `RNN` node for `nn.RNN` (tanh or relu). For each
layer and direction it writes, after constant folding:

    P   = X @ Wt  [+ b_ih]                         one MatMul (+ Add) for every step: X [T, B, I]
    P'  = P, or Slice(P, -1::-1 on axis 0)         the reverse direction walks a flipped P
    x_t = Squeeze(Slice(P', t:t+1 on axis 0), 0)   t = 0 .. T-1
    h_0 = f(c + x_0)                               c constant: zero state, c = b_hh broadcast
       or f(h_init @ Rt + [b_hh] + x_0)            an explicit initial state h_init [1, B, H]
    h_t = f(h_{t-1} @ Rt_t + [b_hh] + x_t)         Rt_t: per-step copies of W_hh^T
    Y   = Concat(h_0 .. h_{T-1}, axis 0)           in reverse step order for the reverse direction

with f = Tanh or Relu, every h_t [1, B, H], and h_{T-1} the final state. A bidirectional layer is
a forward and a reverse recurrence on the same X whose Ys meet in one `Concat(axis=-1)`.

`find_unrolled_rnns` matches this structure on the folded graph, through producer/consumer
links only (node order and names do not matter), and replaces each layer with one ONNX `RNN`
node plus the glue the TorchScript exporter would write: `Reshape` of Y to [T, B, H] (or
`Transpose` + `Reshape` to [T, B, 2H] when bidirectional), and the final state as Y_h (a
`Slice` of it per direction when bidirectional).
W, R and B are rebuilt from the per-step weights; the copies must be identical. Anything that
does not match exactly is left alone, so the mapper reports its nodes as unsupported.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sharp_compiler.frontend.graph_links import GraphView

if TYPE_CHECKING:
    import onnx

_ACTIVATIONS = ("Tanh", "Relu")


@dataclass
class Rewrite:
    """What replaces the matched recurrences: removed node indices, new nodes and their constants."""

    removed: set[int] = field(default_factory=set)
    added: list[tuple[int, onnx.NodeProto]] = field(default_factory=list)
    """(anchor, node): each new node is placed where its anchor (a removed node) was, or later."""
    constants: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(eq=False)
class _Chain:
    """One direction of one unrolled layer."""

    x: str
    w: np.ndarray  # [H, I]
    r: np.ndarray  # [H, H]
    b_ih: np.ndarray | None  # [H]
    b_hh: np.ndarray | None  # [H]
    activation: str
    reverse: bool
    initial_h: str | None  # [1, B, H]; None: zero
    states: list[str]  # h_t in step order
    y: int | None  # the Concat that builds Y (none when T == 1 or Y is unused)
    anchor: int  # the x-projection MatMul
    nodes: set[int]
    seq_len: int
    batch: int
    hidden: int

    def bias(self) -> np.ndarray:
        zeros = np.zeros(self.hidden, np.float32)
        b_ih = zeros if self.b_ih is None else self.b_ih
        b_hh = zeros if self.b_hh is None else self.b_hh
        return np.concatenate([b_ih, b_hh]).astype(np.float32)


def find_unrolled_rnns(
    nodes: Sequence[onnx.NodeProto],
    order: Sequence[int],
    constant: Callable[[str], np.ndarray | None],
    shape: Callable[[str], tuple[int, ...] | None],
    outputs: Collection[str],
    opset: int,
) -> Rewrite | None:
    """Match every unrolled RNN layer among the nodes `order` lists (topologically sorted).

    `constant` gives a folded constant's value (None for runtime tensors), `shape` a runtime
    tensor's static shape (None when unknown). Returns None when nothing matches.
    """
    if opset < 5:
        return None
    matcher = _Matcher(nodes, order, constant, shape, outputs, opset)
    chains: list[_Chain] = []
    taken: set[int] = set()
    for index in order:
        if index in taken or not matcher.is_op(index, "MatMul"):
            continue
        chain = matcher.chain(index)
        if chain is None or chain.nodes & taken:
            continue
        chains.append(chain)
        taken |= chain.nodes
    if not chains:
        return None
    return _Emitter(matcher, nodes).emit(matcher.pair_directions(chains))


class _Matcher(GraphView):
    """Producer/consumer links of the graph and the pattern tests on them."""

    def __init__(
        self,
        nodes: Sequence[onnx.NodeProto],
        order: Sequence[int],
        constant: Callable[[str], np.ndarray | None],
        shape: Callable[[str], tuple[int, ...] | None],
        outputs: Collection[str],
        opset: int,
    ):
        super().__init__(nodes, order, constant, shape, outputs)
        self.opset = opset

    # ---- small tests
    def is_op(self, index: int, op_type: str) -> bool:
        node = self.nodes[index]
        return node.op_type == op_type and node.domain in ("", "ai.onnx")

    def sole_consumer(self, name: str) -> int | None:
        """The one node reading `name`, when exactly one does and `name` is no graph output."""
        users = self.consumers.get(name, [])
        if len(users) != 1 or name in self.outputs:
            return None
        return users[0]

    def produced_by_index(self, name: str, op_type: str) -> int | None:
        found = self.produced_by(name, op_type)
        return None if found is None else found[0]

    def float_constant(self, name: str) -> np.ndarray | None:
        array = self.constant(name)
        return array if array is not None and array.dtype == np.float32 else None

    def vector(self, name: str, size: int) -> np.ndarray | None:
        """A float32 constant that broadcasts as a [size] vector over the last axis."""
        array = self.float_constant(name)
        if array is None or array.size != size or (array.ndim and array.shape[-1] != size):
            return None
        return array.reshape(size)

    def ints(
        self, node: onnx.NodeProto, position: int, attribute: str, *, as_input: bool
    ) -> list[int] | None:
        """An int list given as input `position` (`as_input`, newer opsets) or as `attribute`."""
        if not as_input:
            return next((list(a.ints) for a in node.attribute if a.name == attribute), None)
        if len(node.input) <= position or not node.input[position]:
            return None
        array = self.constant(node.input[position])
        if array is None or array.dtype.kind not in "iu":
            return None
        return [int(v) for v in array.reshape(-1)]

    def axis0_range(self, index: int, length: int) -> range | None:
        """The indices (in order) a single-axis Slice on axis 0 of a rank-3 tensor keeps, or None."""
        node = self.nodes[index]
        if not self.is_op(index, "Slice"):
            return None
        new_style = self.opset >= 10
        starts = self.ints(node, 1, "starts", as_input=new_style)
        ends = self.ints(node, 2, "ends", as_input=new_style)
        axes = self.ints(node, 3, "axes", as_input=new_style)
        steps = self.ints(node, 4, "steps", as_input=new_style) if new_style else None
        if starts is None or ends is None or len(starts) != 1 or len(ends) != 1:
            return None
        if axes is not None and (len(axes) != 1 or axes[0] not in (0, -3)):
            return None
        if steps is not None and (len(steps) != 1 or steps[0] == 0):
            return None
        step = steps[0] if steps else 1
        return range(*slice(starts[0], ends[0], step).indices(length))

    def squeezes_axis0(self, index: int) -> bool:
        node = self.nodes[index]
        if not self.is_op(index, "Squeeze"):
            return False
        axes = self.ints(node, 1, "axes", as_input=self.opset >= 13)
        return axes in ([0], [-3])

    # ---- one direction of one layer
    def chain(self, index: int) -> _Chain | None:
        """The recurrence whose x projection is MatMul `index`, or None."""
        mm = self.nodes[index]
        x, wt_name = mm.input[0], mm.input[1]
        wt = self.float_constant(wt_name)
        x_shape = self.shape(x)
        if wt is None or wt.ndim != 2 or self.constant(x) is not None or x_shape is None:
            return None
        if len(x_shape) != 3 or x_shape[2] != wt.shape[0]:
            return None
        seq_len, batch, hidden = x_shape[0], x_shape[1], wt.shape[1]
        nodes = {index}
        projection = mm.output[0]
        b_ih = None
        add = self.sole_consumer(projection)
        if add is not None and self.is_op(add, "Add"):
            b_ih = self.vector(_other(self.nodes[add], projection), hidden)
            if b_ih is not None:
                nodes.add(add)
                projection = self.nodes[add].output[0]
        reverse = False
        flip = self.sole_consumer(projection)
        flipped = None if flip is None else self.axis0_range(flip, seq_len)
        if flip is not None and flipped is not None and flipped.step < 0 and len(flipped) == seq_len:
            reverse = True
            nodes.add(flip)
            projection = self.nodes[flip].output[0]
        inputs = self._step_inputs(projection, seq_len, batch, hidden, nodes)
        if inputs is None:
            return None
        return self._recurrence(x, wt, b_ih, reverse, inputs, nodes, index, (seq_len, batch, hidden))

    def _step_inputs(
        self, projection: str, seq_len: int, batch: int, hidden: int, nodes: set[int]
    ) -> list[str] | None:
        """x_t = Squeeze(Slice(projection, t:t+1)) for t = 0..T-1, each read by one node."""
        users = self.consumers.get(projection, [])
        if projection in self.outputs or len(users) != seq_len:
            return None
        by_step: dict[int, str] = {}
        for user in users:
            kept = self.axis0_range(user, seq_len)
            if kept is None or kept.step < 0 or len(kept) != 1 or kept[0] in by_step:
                return None
            squeeze = self.sole_consumer(self.nodes[user].output[0])
            if squeeze is None or not self.squeezes_axis0(squeeze):
                return None
            x_t = self.nodes[squeeze].output[0]
            if self.shape(x_t) != (batch, hidden) or self.sole_consumer(x_t) is None:
                return None
            by_step[kept[0]] = x_t
            nodes.update((user, squeeze))
        return [by_step[t] for t in range(seq_len)]

    def _recurrence(
        self,
        x: str,
        wt: np.ndarray,
        b_ih: np.ndarray | None,
        reverse: bool,
        inputs: list[str],
        nodes: set[int],
        anchor: int,
        dims: tuple[int, int, int],
    ) -> _Chain | None:
        """Follow h_t = f(h_{t-1} @ Rt + b_hh + x_t) over the steps and check the weight copies."""
        seq_len, batch, hidden = dims
        states: list[str] = []
        readers: list[int] = []  # the MatMul reading h_{t-1}, for each step that has one
        copies: list[tuple[np.ndarray, np.ndarray | None]] = []
        start: np.ndarray | None = None
        initial_h: str | None = None
        activation = ""
        for t, x_t in enumerate(inputs):
            add = self.sole_consumer(x_t)
            if add is None or not self.is_op(add, "Add") or len(self.nodes[add].input) != 2:
                return None
            act = self.sole_consumer(self.nodes[add].output[0])
            if act is None or not any(self.is_op(act, op) for op in _ACTIVATIONS):
                return None
            if activation not in ("", self.nodes[act].op_type):
                return None
            activation = self.nodes[act].op_type
            h = self.nodes[act].output[0]
            if self.shape(h) != (1, batch, hidden):
                return None
            other = _other(self.nodes[add], x_t)
            if t == 0 and self.float_constant(other) is not None:
                start = self.float_constant(other)
            else:
                term = self._recurrent_term(other, add, hidden)
                if term is None:
                    return None
                h_prev, matmul, r, b_hh, term_nodes = term
                if t == 0:
                    if self.shape(h_prev) != (1, batch, hidden):
                        return None
                    initial_h = h_prev
                elif h_prev != states[-1]:
                    return None
                else:
                    readers.append(matmul)
                copies.append((r, b_hh))
                nodes.update(term_nodes)
            nodes.update((add, act))
            states.append(h)
        weights = _recurrent_weights(copies, start, batch, hidden)
        if weights is None:
            return None
        y = self._y_concat(states, reverse)
        if y is not None:
            nodes.add(y)
        # Every h_t but the last feeds only the next step and Y.
        for h, reader in zip(states[:-1], readers, strict=True):
            if h in self.outputs or set(self.consumers[h]) - {reader, y}:
                return None
        return _Chain(
            x=x,
            w=np.ascontiguousarray(wt.T),
            r=weights[0],
            b_ih=b_ih,
            b_hh=weights[1],
            activation=activation,
            reverse=reverse,
            initial_h=initial_h,
            states=states,
            y=y,
            anchor=anchor,
            nodes=nodes,
            seq_len=seq_len,
            batch=batch,
            hidden=hidden,
        )

    def _recurrent_term(
        self, name: str, reader: int, hidden: int
    ) -> tuple[str, int, np.ndarray, np.ndarray | None, set[int]] | None:
        """`name` = h_prev @ Rt [+ b_hh], read only by `reader` -> (h_prev, MatMul, Rt^T, b_hh, nodes)."""
        if self.sole_consumer(name) != reader:
            return None
        nodes: set[int] = set()
        b_hh = None
        add = self.produced_by_index(name, "Add")
        if add is not None and len(self.nodes[add].input) == 2:
            a, b = self.nodes[add].input
            product, bias_name = (a, b) if self.produced_by_index(a, "MatMul") is not None else (b, a)
            b_hh = self.vector(bias_name, hidden)
            if b_hh is None or self.sole_consumer(product) != add:
                return None
            nodes.add(add)
            name = product
        matmul = self.produced_by_index(name, "MatMul")
        if matmul is None:
            return None
        h_prev, rt_name = self.nodes[matmul].input[0], self.nodes[matmul].input[1]
        rt = self.float_constant(rt_name)
        if rt is None or rt.shape != (hidden, hidden) or self.constant(h_prev) is not None:
            return None
        nodes.add(matmul)
        return h_prev, matmul, np.ascontiguousarray(rt.T), b_hh, nodes

    def _y_concat(self, states: list[str], reverse: bool) -> int | None:
        """The Concat(axis 0) of every h_t in time order, if one reads the states."""
        if len(states) == 1:
            return None
        in_time_order = states[::-1] if reverse else states
        for user in self.consumers.get(states[0], []):
            node = self.nodes[user]
            axis = next((a.i for a in node.attribute if a.name == "axis"), None)
            if self.is_op(user, "Concat") and list(node.input) == in_time_order and axis in (0, -3):
                return user
        return None

    # ---- bidirectional layers
    def pair_directions(self, chains: list[_Chain]) -> list[list[_Chain]]:
        """Group a forward and a reverse chain whose Ys meet in one Concat on the last axis."""
        by_y = {self.nodes[c.y].output[0]: c for c in chains if c.y is not None}
        units: list[list[_Chain]] = []
        paired: set[_Chain] = set()
        for chain in chains:
            if chain in paired:
                continue
            partner = self._partner(chain, by_y)
            if partner is None or partner in paired:
                units.append([chain])
                continue
            paired.update((chain, partner))
            units.append([chain, partner] if not chain.reverse else [partner, chain])
        return units

    def _partner(self, chain: _Chain, by_y: dict[str, _Chain]) -> _Chain | None:
        if chain.y is None:
            return None
        concat = self.sole_consumer(self.nodes[chain.y].output[0])
        if concat is None or not self.is_op(concat, "Concat") or len(self.nodes[concat].input) != 2:
            return None
        axis = next((a.i for a in self.nodes[concat].attribute if a.name == "axis"), None)
        forward, backward = (by_y.get(name) for name in self.nodes[concat].input)
        if axis not in (2, -1) or forward is None or backward is None:
            return None
        if forward.reverse or not backward.reverse or chain not in (forward, backward):
            return None
        if any(self.sole_consumer(name) != concat for name in self.nodes[concat].input):
            return None
        if any(getattr(forward, k) != getattr(backward, k) for k in _SAME_IN_BOTH_DIRECTIONS):
            return None
        if (forward.initial_h is None) != (backward.initial_h is None):
            return None
        return backward if chain is forward else forward


_SAME_IN_BOTH_DIRECTIONS = ("x", "activation", "seq_len", "batch", "hidden")


def _other(node: onnx.NodeProto, name: str) -> str:
    """The other input of a two-input node."""
    return node.input[1] if node.input[0] == name else node.input[0]


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    """Both absent, or equal arrays."""
    if a is None or b is None:
        return a is None and b is None
    return bool(np.array_equal(a, b))


def _recurrent_weights(
    copies: list[tuple[np.ndarray, np.ndarray | None]],
    start: np.ndarray | None,
    batch: int,
    hidden: int,
) -> tuple[np.ndarray, np.ndarray | None] | None:
    """R and b_hh from the per-step copies (all identical), checked against a zero-state start."""
    if copies:
        r, b_hh = copies[0]
        if any(not np.array_equal(other_r, r) or not _same(other_b, b_hh) for other_r, other_b in copies):
            return None
    else:
        r, b_hh = np.zeros((hidden, hidden), np.float32), None
    if start is None:
        return r, b_hh
    try:
        start_rows = np.broadcast_to(start, (1, batch, hidden)).reshape(batch, hidden)
    except ValueError:
        return None
    if not copies:
        # T == 1 from a zero state: h_0 = f(x_0 @ W^T + b_ih + b_hh), so the constant is b_hh.
        if not np.all(start_rows == start_rows[0]):
            return None
        return r, (start_rows[0].copy() if np.any(start_rows[0]) else None)
    # A zero initial state: the first step's h_{-1} @ R^T + b_hh folded to b_hh.
    expected = np.zeros(hidden, np.float32) if b_hh is None else b_hh
    if not np.array_equal(start_rows, np.broadcast_to(expected, (batch, hidden))):
        return None
    return r, b_hh


class _Emitter:
    """Builds the replacement nodes: one RNN per layer and the TorchScript-shaped glue."""

    def __init__(self, matcher: _Matcher, nodes: Sequence[onnx.NodeProto]):
        self.matcher = matcher
        self.rewrite = Rewrite()
        self.taken: set[str] = set(matcher.producer) | set(matcher.consumers) | set(matcher.outputs)
        self.taken.update(node.name for node in nodes if node.name)

    def fresh(self, base: str) -> str:
        name, suffix = base, 0
        while name in self.taken:
            suffix += 1
            name = f"{base}_{suffix}"
        self.taken.add(name)
        return name

    def constant(self, base: str, array: np.ndarray) -> str:
        name = self.fresh(base)
        self.rewrite.constants[name] = array
        return name

    def emit(self, units: list[list[_Chain]]) -> Rewrite:
        for unit in units:
            self._unit(unit)
        return self.rewrite

    def _unit(self, unit: list[_Chain]) -> None:
        """One RNN for a layer (one chain, or a forward and a reverse one) and its glue."""
        from onnx import helper

        first = unit[0]
        t, b, h = first.seq_len, first.batch, first.hidden
        base = self.fresh("unrolled_rnn")
        added: list[onnx.NodeProto] = []

        def add(op_type: str, inputs: list[str], outputs: list[str], **attrs: object) -> None:
            node = helper.make_node(op_type, inputs, outputs, name=self.fresh(f"{base}/{op_type}"))
            node.attribute.extend(helper.make_attribute(key, value) for key, value in sorted(attrs.items()))
            added.append(node)

        w = self.constant(f"{base}.W", np.stack([c.w for c in unit]).astype(np.float32))
        r = self.constant(f"{base}.R", np.stack([c.r for c in unit]).astype(np.float32))
        bias = ""
        if any(c.b_ih is not None or c.b_hh is not None for c in unit):
            bias = self.constant(f"{base}.B", np.stack([c.bias() for c in unit]))
        initial_h = ""
        if len(unit) == 1 and first.initial_h is not None:
            initial_h = first.initial_h
        elif first.initial_h is not None:
            initial_h = self.fresh(f"{base}.initial_h")
            add("Concat", [c.initial_h or "" for c in unit], [initial_h], axis=0)
        direction = "bidirectional" if len(unit) == 2 else ("reverse" if first.reverse else "forward")
        y, y_h = self.fresh(f"{base}.Y"), self.fresh(f"{base}.Y_h")
        inputs = [first.x, w, r, bias, "", initial_h]
        while not inputs[-1]:
            inputs.pop()
        added.insert(
            0,
            helper.make_node(
                "RNN",
                inputs,
                [y, y_h],
                name=base,
                hidden_size=h,
                direction=direction,
                activations=[first.activation] * len(unit),
            ),
        )
        if len(unit) == 1 and first.y is not None:
            shape = self.constant(f"{base}.y_shape", np.array([t, b, h], np.int64))
            add("Reshape", [y, shape], [self._y(first)])
        if len(unit) == 2:
            concat = self.matcher.sole_consumer(self._y(first))
            assert concat is not None
            transposed = self.fresh(f"{base}.Y_t")
            add("Transpose", [y], [transposed], perm=[0, 2, 1, 3])
            shape = self.constant(f"{base}.y_shape", np.array([t, b, 2 * h], np.int64))
            add("Reshape", [transposed, shape], [self.matcher.nodes[concat].output[0]])
            self.rewrite.removed.add(concat)
        for d, chain in enumerate(unit):
            final = chain.states[-1]
            readers = set(self.matcher.consumers.get(final, [])) - chain.nodes
            if not readers and final not in self.matcher.outputs:
                continue
            if len(unit) == 1:
                add("Identity", [y_h], [final])
            elif self.matcher.opset >= 10:
                bounds = [self.constant(f"{base}.{k}", np.array([v], np.int64)) for k, v in _bounds(d)]
                add("Slice", [y_h, *bounds], [final])
            else:
                add("Slice", [y_h], [final], starts=[d], ends=[d + 1], axes=[0])
        for chain in unit:
            self.rewrite.removed |= chain.nodes
        anchor = min(c.anchor for c in unit)
        self.rewrite.added.extend((anchor, n) for n in added)

    def _y(self, chain: _Chain) -> str:
        assert chain.y is not None
        return self.matcher.nodes[chain.y].output[0]


def _bounds(direction: int) -> list[tuple[str, int]]:
    return [("start", direction), ("end", direction + 1), ("axis", 0)]
