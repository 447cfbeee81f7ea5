"""Producer/consumer links of ONNX nodes, for the matchers that rewrite exporter patterns."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import onnx


class GraphView:
    """The nodes `order` lists (topologically sorted), with folded constants and static shapes.

    `constant` gives a folded constant's value (None for run-time tensors), `shape` a run-time
    tensor's static shape (None when unknown); `producer` / `consumers` link tensors to nodes.
    """

    def __init__(
        self,
        nodes: Sequence[onnx.NodeProto],
        order: Sequence[int],
        constant: Callable[[str], np.ndarray | None],
        shape: Callable[[str], tuple[int, ...] | None],
        outputs: Collection[str],
    ):
        self.nodes, self.constant, self.shape, self.outputs = nodes, constant, shape, set(outputs)
        self.producer: dict[str, int] = {}
        self.consumers: dict[str, list[int]] = {}
        for index in order:
            for name in nodes[index].output:
                if name:
                    self.producer[name] = index
            for name in nodes[index].input:
                if name:
                    self.consumers.setdefault(name, []).append(index)

    def produced_by(self, name: str, op_type: str) -> tuple[int, onnx.NodeProto] | None:
        """(index, node) of the ONNX-domain `op_type` node that writes `name`, or None."""
        index = self.producer.get(name)
        if index is None:
            return None
        node = self.nodes[index]
        if node.op_type != op_type or node.domain not in ("", "ai.onnx"):
            return None
        return index, node
