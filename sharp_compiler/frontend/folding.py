"""Constant folding: every node whose inputs are all constant is evaluated by `onnx.reference`.

`FoldedGraph` keeps the nodes that some graph output still needs, with the constants they
read and the types of their values: `fold` evaluates constant nodes (`Shape`/`Size` of a
statically shaped tensor count as constant), `fold_exporter_patterns` replaces the dynamo
exporter's time-unrolled nn.RNN layers by RNN nodes (`unrolled_rnn`), nn.LSTMCell/GRUCell
loops by LSTM/GRU nodes (`cell_loops`), hand-written ReduceMean layer norms by
LayerNormalization (`manual_norms`) and drops the sort/unsort glue of unsorted packed
batches (`batch_sort`), and
`infer_remaining` re-infers the types of what is left.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sharp_compiler.frontend.batch_sort import find_batch_sorts
from sharp_compiler.frontend.cell_loops import find_cell_loops
from sharp_compiler.frontend.errors import one_line
from sharp_compiler.frontend.loading import (
    SMALL_CONSTANT,
    Constants,
    graph_inputs,
    infer_shapes,
    static_shape,
    tensor_types,
)
from sharp_compiler.frontend.manual_norms import find_manual_norms
from sharp_compiler.frontend.unrolled_rnn import Rewrite, find_unrolled_rnns

if TYPE_CHECKING:
    import onnx

_NEVER_FOLD = {
    "RandomNormal",
    "RandomUniform",
    "RandomNormalLike",
    "RandomUniformLike",
    "Multinomial",
    "Bernoulli",
}


class FoldedGraph:
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
        self.inputs = graph_inputs(model)
        self.outputs = [vi.name for vi in model.graph.output]
        self.constants = Constants(model.graph.initializer, base_dir, origin)
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
        """Evaluate every needed node whose inputs are constant; keep the rest in `kept`.

        A second round runs after re-inferring the types of what is left: a `Shape` becomes
        constant once folding made its input's shape static (e.g. a TopK whose K was a `Shape`).
        """
        self._fold(range(len(self.nodes)))
        before = list(self.kept)
        self.infer_remaining()
        self._fold(before)
        if self.kept != before:
            self.infer_remaining()

    def _fold(self, candidates: Iterable[int]) -> None:
        live = self._live(candidates, lambda name: name in self.constants)
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
                self.fold_errors[index] = one_line(e)
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
            shape = None if tensor is None else static_shape(tensor)
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

    def fold_exporter_patterns(self) -> None:
        """Rewrite what the exporters unroll or wrap into the nodes the mapper takes, in this order:
        dynamo's time-unrolled nn.RNN -> RNN (`unrolled_rnn`), nn.LSTMCell/GRUCell loops ->
        LSTM/GRU (`cell_loops`), hand-written ReduceMean norms -> LayerNormalization
        (`manual_norms`), and the sort/unsort glue of unsorted packed batches dropped (`batch_sort`)."""
        view = (self._constant, self._shape, self.outputs)
        finders: list[Callable[[], Rewrite | None]] = [
            lambda: find_unrolled_rnns(self.nodes, self.kept, *view, self.opset),
            lambda: find_cell_loops(self.nodes, self.kept, *view),
            lambda: find_manual_norms(self.nodes, self.kept, *view, self.opset),
            lambda: find_batch_sorts(self.nodes, self.kept, *view),
        ]
        for find in finders:
            rewrite = find()
            if rewrite is not None:
                self._apply(rewrite)

    def _constant(self, name: str) -> np.ndarray | None:
        return self.constants[name] if name in self.constants else None

    def _shape(self, name: str) -> tuple[int, ...] | None:
        tensor = self.types.get(name)
        return None if tensor is None else static_shape(tensor)

    def _apply(self, rewrite: Rewrite) -> None:
        """Replace the removed nodes by the added ones, each placed at its anchor's rank."""
        for name, array in rewrite.constants.items():
            self.constants[name] = array
        rank = {index: position for position, index in enumerate(self.kept)}
        placed = [(rank[index], index) for index in self.kept if index not in rewrite.removed]
        for anchor, node in rewrite.added:
            self.nodes.append(node)
            placed.append((rank[anchor], len(self.nodes) - 1))
        order = self._topological(placed)
        # What the rewrite left without readers (the sort of a batch, say) goes too.
        needed = {name for name in self.outputs if name not in self.constants}
        live: list[int] = []
        for index in reversed(order):
            node = self.nodes[index]
            if any(out in needed for out in node.output if out):
                live.append(index)
                needed.update(name for name in node.input if name and name not in self.constants)
        self.kept = live[::-1]

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
            if array.size <= SMALL_CONSTANT and array.dtype.kind in "biuf":
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
        inferred = infer_shapes(light, self.origin, "shape inference after constant folding failed")
        self.types.update(tensor_types(inferred))
