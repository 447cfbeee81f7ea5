"""Recognise nn.LSTMCell / nn.GRUCell stepped over the sequence in a Python loop.

    h, c = zeros, zeros
    for t in range(T):
        h, c = cell(x[t], (h, c))          # GRUCell: h = cell(x[t], h)
        outs.append(h)
    y = torch.stack(outs)

Both exporters trace the loop into T copies of the cell. After constant folding one
LSTMCell step is (PyTorch gate order i, f, g, o; Add and Mul in either operand order)::

    G        = Gemm(h_prev, W_hh, b_hh, transB=1) + Gemm(Gather(x, t), W_ih, b_ih, transB=1)
    i,f,g,o  = Split(G, 4, axis=1)
    c        = Sigmoid(f) * c_prev + Sigmoid(i) * Tanh(g)
    h        = Sigmoid(o) * Tanh(c)

and one GRUCell step (gate order r, z, n)::

    xr,xz,xn = Split(Gemm(Gather(x, t), W_ih, b_ih, transB=1), 3, axis=1)
    hr,hz,hn = Split(Gemm(h_prev, W_hh, b_hh, transB=1), 3, axis=1)
    n        = Tanh(xn + hn * Sigmoid(hr + xr))
    h        = (h_prev - n) * Sigmoid(hz + xz) + n

From a zero state the first step's h_prev terms fold to constants (b_hh broadcast) and
c_prev / h_prev are constant zeros. `find_cell_loops` matches each step by these patterns,
chains the steps through h (and c), checks that every step reads x[t] for t = 0..T-1 with the
same weights and that intermediate states feed only the next step and the stack, and replaces
the loop with one ONNX LSTM (GRU with linear_before_reset=1) node: W, R, B in ONNX gate order,
`Reshape` of Y to [T, B, H] under the stack's name, `Reshape` of Y_h (Y_c) to [B, H] under the
last state's name. Anything else is left alone (the mapper then names the per-step nodes).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sharp_compiler.frontend.graph_links import GraphView
from sharp_compiler.frontend.unrolled_rnn import Rewrite

if TYPE_CHECKING:
    import onnx

Pattern = tuple[Any, ...]
_COMMUTATIVE = {"Add", "Mul"}

# Patterns: ("any", key) binds a tensor; ("const", key) a constant; ("ref", key) must equal a bound
# tensor; ("as", key, p) binds and matches p; ("either", p, q); ("split", k, key, p) output k of one
# Split node (bound to key) whose input matches p; ("gemm", p, w, b) Gemm(p, W, b) with constant
# W and b; ("x_t",) Gather(x, t) of a runtime x at a constant scalar t; (op, p...) a node.
_X_GEMM: Pattern = ("gemm", ("x_t",), "w_ih", "b_ih")
_H_GEMM: Pattern = ("gemm", ("any", "h_prev"), "w_hh", "b_hh")


def _lstm_split(k: int) -> Pattern:
    return ("split", k, "split", ("Add", ("either", _H_GEMM, ("const", "h_term")), _X_GEMM))


_LSTM_C: Pattern = (
    "Add",
    ("Mul", ("Sigmoid", _lstm_split(1)), ("any", "c_prev")),
    ("Mul", ("Sigmoid", _lstm_split(0)), ("Tanh", _lstm_split(2))),
)
_LSTM_H: Pattern = ("Mul", ("Sigmoid", _lstm_split(3)), ("Tanh", ("as", "c", _LSTM_C)))


def _xs(k: int) -> Pattern:
    return ("split", k, "x_split", _X_GEMM)


def _hs(k: int) -> Pattern:
    return ("either", ("split", k, "h_split", _H_GEMM), ("const", f"h_term{k}"))


_GRU_N: Pattern = (
    "as",
    "n",
    ("Tanh", ("Add", _xs(2), ("Mul", _hs(2), ("Sigmoid", ("Add", _hs(0), _xs(0)))))),
)
_GRU_H: Pattern = (
    "Add",
    ("Mul", ("Sub", ("any", "h_prev"), _GRU_N), ("Sigmoid", ("Add", _hs(1), _xs(1)))),
    ("ref", "n"),
)

_CELLS: dict[str, tuple[str, Pattern, int, list[int]]] = {
    # root op, pattern, gates, PyTorch gate blocks in ONNX order (LSTM iofc, GRU zrh)
    "LSTM": ("Mul", _LSTM_H, 4, [0, 3, 1, 2]),
    "GRU": ("Add", _GRU_H, 3, [1, 0, 2]),
}


@dataclass
class _Step:
    h: str
    bound: dict[str, Any]
    nodes: frozenset[int]

    def get(self, key: str) -> Any:
        return self.bound.get(key)


class _Matcher(GraphView):
    """The kept nodes and the step patterns matched on them."""

    def __init__(
        self,
        nodes: Sequence[onnx.NodeProto],
        order: Sequence[int],
        constant: Callable[[str], np.ndarray | None],
        shape: Callable[[str], tuple[int, ...] | None],
        outputs: Collection[str],
    ):
        super().__init__(nodes, order, constant, shape, outputs)
        self.used: set[str] = {n.name for n in nodes if n.name}

    def node(self, name: str, op_type: str) -> tuple[int, onnx.NodeProto] | None:
        return self.produced_by(name, op_type)

    def attr_ints(self, node: onnx.NodeProto, key: str) -> list[int]:
        return next((list(a.ints) for a in node.attribute if a.name == key), [])

    def attr(self, node: onnx.NodeProto, key: str, default: float) -> float:
        for a in node.attribute:
            if a.name == key:
                return a.f if a.type == 1 else a.i
        return default

    def match(self, name: str, pattern: Pattern, bound: dict[str, Any]) -> dict[str, Any] | None:
        kind = pattern[0]
        if kind in ("any", "const", "ref"):
            key = pattern[1]
            if kind == "const" and self.constant(name) is None:
                return None
            if kind == "ref" or key in bound:
                return bound if bound.get(key) == name else None
            return {**bound, key: name}
        if kind == "as":
            if pattern[1] in bound and bound[pattern[1]] != name:
                return None
            return self.match(name, pattern[2], {**bound, pattern[1]: name})
        if kind == "either":
            return self.match(name, pattern[1], bound) or self.match(name, pattern[2], bound)
        if kind == "split":
            return self._split(name, pattern, bound)
        if kind == "gemm":
            return self._gemm(name, pattern, bound)
        if kind == "x_t":
            return self._x_t(name, bound)
        found = self.node(name, kind)
        if found is None or len(found[1].input) != len(pattern) - 1 or len(found[1].output) != 1:
            return None
        index, node = found
        bound = {**bound, "_nodes": bound.get("_nodes", frozenset()) | {index}}
        orders = [list(node.input)]
        if kind in _COMMUTATIVE:
            orders.append(list(node.input)[::-1])
        for inputs in orders:
            result: dict[str, Any] | None = bound
            for input_name, sub in zip(inputs, pattern[1:], strict=True):
                result = self.match(input_name, sub, result)
                if result is None:
                    break
            if result is not None:
                return result
        return None

    def _split(self, name: str, pattern: Pattern, bound: dict[str, Any]) -> dict[str, Any] | None:
        _, k, key, inner = pattern
        found = self.node(name, "Split")
        if found is None or list(found[1].output).index(name) != k:
            return None
        index, node = found
        if key in bound:
            return bound if bound[key] == index else None
        if self.attr(node, "axis", 0) not in (1, -1):
            return None
        shape = self.shape(node.input[0])
        pieces = [self.shape(out) for out in node.output]
        if shape is None or len(shape) != 2 or any(p is None or p != pieces[0] for p in pieces):
            return None
        bound = {**bound, key: index, "_nodes": bound.get("_nodes", frozenset()) | {index}}
        return self.match(node.input[0], inner, bound)

    def _gemm(self, name: str, pattern: Pattern, bound: dict[str, Any]) -> dict[str, Any] | None:
        _, inner, w_key, b_key = pattern
        found = self.node(name, "Gemm")
        if found is None or len(found[1].input) < 2:
            return None
        index, node = found
        if (
            self.attr(node, "transA", 0)
            or self.attr(node, "alpha", 1.0) != 1.0
            or self.attr(node, "beta", 1.0) != 1.0
        ):
            return None
        w = self.constant(node.input[1])
        if w is None or w.ndim != 2 or w.dtype != np.float32:
            return None
        weight = w if self.attr(node, "transB", 0) else np.ascontiguousarray(w.T)  # [rows, K]
        bias = self.constant(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        if bias is not None and (bias.dtype != np.float32 or bias.size != weight.shape[0] or bias.ndim > 1):
            return None
        if w_key in bound and not (np.array_equal(bound[w_key], weight) and _same(bound.get(b_key), bias)):
            return None
        bound = {**bound, w_key: weight, b_key: bias, "_nodes": bound.get("_nodes", frozenset()) | {index}}
        return self.match(node.input[0], inner, bound)

    def _x_t(self, name: str, bound: dict[str, Any]) -> dict[str, Any] | None:
        found = self.node(name, "Gather")
        if found is None or self.attr(found[1], "axis", 0) != 0:
            return None
        index, node = found
        t = self.constant(node.input[1])
        x_shape = self.shape(node.input[0])
        if t is None or t.ndim != 0 or self.constant(node.input[0]) is not None or x_shape is None:
            return None
        step = int(t) % x_shape[0]
        if "x" in bound and bound["x"] != node.input[0]:
            return None
        return {**bound, "x": node.input[0], "t": step, "_nodes": bound.get("_nodes", frozenset()) | {index}}


def _same(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(np.array_equal(a, b))


def find_cell_loops(
    nodes: Sequence[onnx.NodeProto],
    order: Sequence[int],
    constant: Callable[[str], np.ndarray | None],
    shape: Callable[[str], tuple[int, ...] | None],
    outputs: Collection[str],
) -> Rewrite | None:
    """The rewrite that turns every recognised cell loop into one recurrent node, or None."""
    matcher = _Matcher(nodes, order, constant, shape, outputs)
    rewrite = Rewrite()
    taken: set[int] = set()
    for op_type, (root, pattern, gates, blocks) in _CELLS.items():
        steps: dict[str, _Step] = {}
        for index in order:
            node = nodes[index]
            if node.op_type != root or index in taken or not node.output:
                continue
            bound = matcher.match(node.output[0], pattern, {})
            if bound is not None:
                steps[node.output[0]] = _Step(node.output[0], bound, bound["_nodes"])
        for chain in _chains(steps, op_type):
            emitted = _Loop(matcher, op_type, chain, gates, blocks).emit(rewrite, taken)
            if emitted:
                taken |= set().union(*(s.nodes for s in chain))
    return rewrite if rewrite.removed else None


def _chains(steps: dict[str, _Step], op_type: str) -> list[list[_Step]]:
    """Steps linked through h_prev = the previous step's h (and c_prev = its c), from t = 0."""
    by_prev: dict[str, list[_Step]] = {}
    for step in steps.values():
        by_prev.setdefault(step.get("h_prev") or "", []).append(step)
    chains = []
    for step in steps.values():
        if step.get("t") != 0 or step.get("h_prev") in steps:
            continue
        chain = [step]
        while True:
            nxt = [s for s in by_prev.get(chain[-1].h, []) if s.get("t") == len(chain)]
            if op_type == "LSTM":
                nxt = [s for s in nxt if s.get("c_prev") == chain[-1].get("c")]
            if len(nxt) != 1:
                break
            chain.append(nxt[0])
        chains.append(chain)
    return chains


class _Loop:
    """One matched chain of steps: its checks and the nodes that replace it."""

    def __init__(self, matcher: _Matcher, op_type: str, chain: list[_Step], gates: int, blocks: list[int]):
        self.m, self.op_type, self.chain, self.gates, self.blocks = matcher, op_type, chain, gates, blocks
        first = chain[0]
        self.x = first.get("x")
        self.w_ih, self.b_ih = first.get("w_ih"), first.get("b_ih")
        self.hidden = self.w_ih.shape[0] // gates
        later = [s for s in chain if s.get("w_hh") is not None]
        self.w_hh = later[0].get("w_hh") if later else None
        self.b_hh = later[0].get("b_hh") if later else None

    def _reorder(self, matrix: np.ndarray) -> np.ndarray:
        h = self.hidden
        return np.concatenate([matrix[b * h : (b + 1) * h] for b in self.blocks])

    def _checks(self) -> tuple[np.ndarray, np.ndarray, str, str] | None:
        """(R, b_hh, initial_h, initial_c) when the chain is one whole layer, else None."""
        x_shape = self.m.shape(self.x)
        seq, hidden = len(self.chain), self.hidden
        if x_shape is None or len(x_shape) != 3 or x_shape[0] != seq or self.w_ih.shape[1] != x_shape[2]:
            return None
        batch = x_shape[1]
        if any(s.get("x") != self.x or not np.array_equal(s.get("w_ih"), self.w_ih) for s in self.chain):
            return None
        if any(not _same(s.get("b_ih"), self.b_ih) for s in self.chain):
            return None
        if any(s.get("w_hh") is None for s in self.chain[1:]):
            return None
        if any(
            s.get("w_hh") is not None
            and not (np.array_equal(s.get("w_hh"), self.w_hh) and _same(s.get("b_hh"), self.b_hh))
            for s in self.chain
        ):
            return None
        if self.w_hh is not None and self.w_hh.shape != (self.gates * hidden, hidden):
            return None
        if self.m.shape(self.chain[-1].h) != (batch, hidden):
            return None
        first = self.chain[0]
        b_hh = self.b_hh
        if first.get("w_hh") is None:  # zero initial h: the h terms folded to b_hh
            terms = self._first_terms(first)
            if terms is None:
                return None
            rows = np.broadcast_to(terms, (batch, self.gates * hidden)) if terms.size else terms
            if b_hh is None and self.w_hh is None:  # T = 1: nothing else says what b_hh is
                if not np.all(rows == rows[0]):
                    return None
                b_hh = rows[0].copy()
            expected = np.zeros(self.gates * hidden, np.float32) if b_hh is None else b_hh
            if not np.array_equal(rows, np.broadcast_to(expected, rows.shape)):
                return None
            initial_h = ""
            h_prev = first.get("h_prev")
            if h_prev is not None and (self.m.constant(h_prev) is None or np.any(self.m.constant(h_prev))):
                return None
        else:
            initial_h = first.get("h_prev")
            if self.m.shape(initial_h) != (batch, hidden):
                return None
        initial_c = ""
        if self.op_type == "LSTM":
            c_prev = first.get("c_prev")
            c0 = self.m.constant(c_prev)
            if c0 is None:
                initial_c = c_prev
                if self.m.shape(c_prev) != (batch, hidden):
                    return None
            elif np.any(c0):
                return None
        r = self.w_hh if self.w_hh is not None else np.zeros((self.gates * hidden, hidden), np.float32)
        return r, b_hh, initial_h, initial_c

    def _first_terms(self, first: _Step) -> np.ndarray | None:
        if self.op_type == "LSTM":
            return self.m.constant(first.get("h_term"))
        parts = [self.m.constant(first.get(f"h_term{k}") or "") for k in range(3)]
        if any(p is None for p in parts):
            return None
        try:
            return np.concatenate([np.atleast_2d(p) for p in parts], axis=-1)
        except ValueError:
            return None

    def emit(self, rewrite: Rewrite, taken: set[int]) -> bool:
        from onnx import helper

        checked = self._checks()
        if checked is None:
            return False
        r, b_hh, initial_h, initial_c = checked
        nodes: set[int] = set().union(*(s.nodes for s in self.chain))
        if nodes & taken:
            return False
        seq, batch, hidden = len(self.chain), self.m.shape(self.x)[1], self.hidden  # type: ignore[index]
        stack = self._stack(nodes)
        finals = {self.chain[-1].h, self.chain[-1].get("c")}
        allowed = nodes | (set(stack) if stack else set())
        for index in nodes:
            for out in self.m.nodes[index].output:
                if not out or out in finals:
                    continue
                if out in self.m.outputs or set(self.m.consumers.get(out, [])) - allowed:
                    return False
        base = self._fresh(f"{self.op_type.lower()}_cell_loop")
        zeros = np.zeros(self.gates * hidden, np.float32)
        w = self._reorder(self.w_ih)[None]
        bias = np.concatenate([
            self._reorder(zeros if self.b_ih is None else self.b_ih),
            self._reorder(zeros if b_hh is None else b_hh),
        ])[None]  # fmt: skip
        names = {k: self._constant(rewrite, f"{base}.{k}", v.astype(np.float32))
                 for k, v in (("W", w), ("R", self._reorder(r)[None]), ("B", bias))}  # fmt: skip
        added: list[onnx.NodeProto] = []
        inputs = [self.x, names["W"], names["R"], names["B"], ""]
        for state in (initial_h, initial_c):
            if state:
                unsqueezed = self._fresh(f"{base}.{state}")
                axes = self._constant(rewrite, f"{base}.axes", np.array([0], np.int64))
                added.append(helper.make_node("Unsqueeze", [state, axes], [unsqueezed], name=unsqueezed))
                inputs.append(unsqueezed)
            else:
                inputs.append("")
        while not inputs[-1]:
            inputs.pop()
        y, y_h, y_c = (self._fresh(f"{base}.{k}") for k in ("Y", "Y_h", "Y_c"))
        attrs: dict[str, Any] = {"hidden_size": hidden}
        if self.op_type == "GRU":
            attrs["linear_before_reset"] = 1
        outs = [y, y_h, y_c] if self.op_type == "LSTM" else [y, y_h]
        added.insert(0, helper.make_node(self.op_type, inputs, outs, name=base, **attrs))
        if stack:
            shape = self._constant(rewrite, f"{base}.y_shape", np.array([seq, batch, hidden], np.int64))
            out = self.m.nodes[stack[-1]].output[0]
            added.append(helper.make_node("Reshape", [y, shape], [out], name=self._fresh(f"{base}/Y")))
        state_shape = self._constant(rewrite, f"{base}.state_shape", np.array([batch, hidden], np.int64))
        for final, source in ((self.chain[-1].h, y_h), (self.chain[-1].get("c"), y_c)):
            if final and (set(self.m.consumers.get(final, [])) - allowed or final in self.m.outputs):
                added.append(
                    helper.make_node(
                        "Reshape", [source, state_shape], [final], name=self._fresh(f"{source}/final")
                    )
                )
        rewrite.removed |= nodes | set(stack)
        anchor = min(nodes)
        rewrite.added.extend((anchor, node) for node in added)
        return True

    def _stack(self, nodes: set[int]) -> list[int]:
        """[Unsqueeze(h_t, 0) for each t..., the Concat(axis 0) of them] (torch.stack), or []."""
        unsqueezes: list[int] = []
        for step in self.chain:
            found = [
                u for u in self.m.consumers.get(step.h, [])
                if self.m.nodes[u].op_type == "Unsqueeze" and u not in nodes
            ]  # fmt: skip
            if len(found) != 1:
                return []
            unsqueezes.append(found[0])
        names = [self.m.nodes[u].output[0] for u in unsqueezes]
        for u in unsqueezes:
            node = self.m.nodes[u]
            axes = self.m.constant(node.input[1]) if len(node.input) > 1 else None
            axes_list = list(axes.reshape(-1)) if axes is not None else list(self.m.attr_ints(node, "axes"))
            if axes_list != [0] or len(self.m.consumers.get(node.output[0], [])) != 1:
                return []
        concat = self.m.consumers.get(names[0], [None])[0]
        if concat is None:
            return []
        node = self.m.nodes[concat]
        if node.op_type != "Concat" or list(node.input) != names or self.m.attr(node, "axis", 0) != 0:
            return []
        return [*unsqueezes, concat]

    def _fresh(self, base: str) -> str:
        name, suffix = base, 0
        while name in self.m.producer or name in self.m.consumers or name in self.m.used:
            suffix += 1
            name = f"{base}_{suffix}"
        self.m.used.add(name)
        return name

    def _constant(self, rewrite: Rewrite, base: str, array: np.ndarray) -> str:
        name = self._fresh(base)
        rewrite.constants[name] = array
        return name
