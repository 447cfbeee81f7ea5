"""Schemes as plans: what the lowering does with each recurrent node, decided in one place.

`SchemeOptions` is what a schedule scheme asks of the lowering as a whole (row blocks,
accumulate R h in place, the prologue's overlap); `RecurrentPlan.make` combines it with one
recurrent node and the hardware into every decision `recurrent` acts on. Adding a scheme is
adding a plan: a new field (or mode) here, decided in `make`, and the code that emits it in
`recurrent`; the emitters take no scheme flags of their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from xdsl.dialects import func
from xdsl.ir import SSAValue

from sharp_compiler.dialects import sharp
from sharp_compiler.hw.config import HwConfig
from sharp_compiler.transforms import rnn_access as rnn
from sharp_compiler.transforms.rnn_to_sharp.blocks import (
    AUTO_BLOCKS,
    MIN_BLOCK_UNITS,
    block_spans,
    gate_permutation,
)
from sharp_compiler.transforms.rnn_to_sharp.builder import Lowering
from sharp_compiler.transforms.rnn_to_sharp.geometry import Geometry

Mode = Literal["blocked", "whole", "per-step"]


@dataclass(frozen=True)
class SchemeOptions:
    """The lowering options a schedule scheme implies, for every recurrent node of the model."""

    chunks: int = 1
    """Row blocks of the nodes not in `blocks_for`."""
    unfold: bool = False
    """The unfolded plan: recurrent dispatches accumulate into the projection by column blocks."""
    column_major: bool = False
    """Unfolded plan: every block's early columns first (`order=column`)."""
    blocks_for: Mapping[str, int] = field(default_factory=dict)
    """Row blocks per recurrent ONNX node (the `auto` plan's choices); `chunks` for the others."""
    overlap: bool = False
    """Lay the prologue out for overlap (R loads while the array computes X W^T); off for `sequential`."""

    @classmethod
    def of(cls, scheme: str, order: str, chunks: int, blocks: Mapping[str, int]) -> SchemeOptions:
        """The options of a pass's `scheme`/`order`, `chunks` row blocks (0: one), per-node `blocks`."""
        return cls(chunks or 1, unfold=scheme in ("unfolded", "auto"), column_major=order == "column",
                   blocks_for=blocks, overlap=scheme != "sequential")  # fmt: skip


@dataclass(frozen=True)
class RecurrentPlan:
    """Every decision about one recurrent node, made once from the options, the node and the hardware.

    The mode: `blocked` (hidden units in row blocks, every step's h kept on chip, T + 1 states),
    else `whole` (the input projection of every step at once, outputs kept on chip: layout 0, no
    sequence_lens, and it fits half the vector buffer), else `per-step` (X loaded and projected
    inside the time loop). Blocks need whole-sequence mode with the T + 1 states fitting too;
    `unfold` also needs resident weights and is off for GRU with linear_before_reset = 0 or with
    a run-time B (no compile-time fold of the biases).
    """

    node: rnn.RecurrentNode
    geo: Geometry
    """Steps, batch, sizes, directions and the DRAM layout of X, Y and the states."""
    y_value: SSAValue
    """The value Y is written to: Y, or the exporters' Transpose(0, 2, 1, 3) of it (`geo.batch_major_y`)."""
    has_y: bool
    masked: bool
    """sequence_lens is given."""
    whole: bool
    blocked: bool
    unfold: bool
    """R h accumulates in place into the projection, one column block of h at a time (implies blocked)."""
    resident: bool
    """W and R fit the weight buffer together (else they stream)."""
    spans: tuple[tuple[int, int], ...]
    """Row blocks of hidden units (first unit, count); one block unless blocked."""
    perm: np.ndarray | slice
    """Gate rows in [block][gate][unit] order when there are several blocks, else the identity."""
    cell_spans: tuple[tuple[int, int], ...]
    """Column blocks of h the unfolded cell dispatches by (fp16: the row blocks; fp32: one)."""
    column_major: bool
    overlap: bool
    per_step_y: bool
    """Blocked and unfolded: each step stores its h to Y in the loop (the DMA is idle there)."""

    @property
    def mode(self) -> Mode:
        return "blocked" if self.blocked else "whole" if self.whole else "per-step"

    @property
    def gate_rows(self) -> int:
        """G * H: rows of W and R, columns of the projection."""
        return self.node.gates * self.geo.hidden

    @property
    def rows(self) -> int:
        """T * B: rows of the whole-sequence buffers."""
        return self.geo.steps * self.geo.batch

    @property
    def h_rows(self) -> int:
        """Rows of the h buffer: T + 1 states of B rows when blocked, else one."""
        return self.rows + self.geo.batch if self.blocked else self.geo.batch

    @property
    def fold_zr(self) -> bool:
        """GRU lbr = 1: Rb of z and r joins Wb in the projection (compile-time biases).

        Every scheme folds, so z and r sum the same terms in the same order whether R h
        accumulates into the projection (unfolded) or is added to it (sequential): fp32
        outputs stay bit-identical across schemes.
        """
        return self.node.kind == "gru" and bool(self.node.linear_before_reset)

    @classmethod
    def make(cls, lw: Lowering, options: SchemeOptions, node: rnn.RecurrentNode) -> RecurrentPlan:
        op, cfg = node.op, lw.cfg
        x_val = rnn.operand(op, "X")
        assert x_val is not None
        x_shape = rnn.shape_of(x_val)
        steps, batch = (x_shape[0], x_shape[1]) if node.layout == 0 else (x_shape[1], x_shape[0])
        input_size, hidden = x_shape[2], node.hidden
        transposed = batch_major_consumer(op.results[0]) if node.layout == 0 else None
        if transposed is None or op.results[0] in lw.output_names:
            transposed = None
        y_value = transposed if transposed is not None else op.results[0]
        has_y = bool(y_value.uses)
        masked = rnn.operand(op, "sequence_lens") is not None
        geo = Geometry(
            node.layout, steps, batch, hidden, len(node.directions), input_size, transposed is not None
        )
        gh, rows = node.gates * hidden, steps * batch
        half = cfg.vector_buffer_words // 2
        words = rows * (input_size + gh + (hidden if has_y else 0))
        whole = node.layout == 0 and not masked and words <= half
        state_words = (rows + batch) * hidden  # every step's h kept on chip, and the initial state
        spans = block_spans(hidden, options.blocks_for.get(node.onnx_node, options.chunks))
        fits = whole and rows * (input_size + gh) + state_words <= half
        wbytes = cfg.weight_bytes_per_element(lw.precision)
        resident = gh * (input_size + hidden) * wbytes <= cfg.weight_buffer_bytes
        b_val = rnn.operand(op, "B")
        gru_runtime_bias = node.kind == "gru" and b_val is not None and rnn.weights_attr_of(b_val) is None
        unfold = (
            options.unfold
            and fits
            and resident
            and not (node.kind == "gru" and (not node.linear_before_reset or gru_runtime_bias))
        )
        blocked = (len(spans) > 1 or unfold) and fits
        perm = gate_permutation(node.gates, hidden, spans) if len(spans) > 1 and blocked else slice(None)
        unfold = unfold and blocked
        return cls(
            node, geo, y_value, has_y, masked, whole, blocked, unfold, resident, tuple(spans), perm,
            tuple(spans) if lw.precision == "fp16" else ((0, hidden),), options.column_major, options.overlap,
            per_step_y=has_y and unfold and cfg.cross_step_overlap,
        )  # fmt: skip


def batch_major_consumer(y: SSAValue) -> SSAValue | None:
    """The result of the one `rnn.transpose` with perm [0, 2, 1, 3] that is Y's only use, if so."""
    uses = list(y.uses)
    if len(uses) != 1:
        return None
    user = uses[0].operation
    if user.name != "rnn.transpose" or rnn.int_list_prop(user, "perm") != [0, 2, 1, 3]:
        return None
    return user.results[0]


def choose_blocks(cfg: HwConfig, fn: func.FuncOp, lowered: Callable[[HwConfig, dict[str, int], int], Lowering],
                  scheme: str) -> dict[str, int]:  # fmt: skip
    """Per recurrent ONNX node, the row-block count whose layers the cost model times fastest.

    `lowered(cfg, {}, n)` lowers the model once with n blocks per node; every layer direction is
    timed alone, scheduled by `scheme`, by the simulator's timing engine
    (`schedule_cost.layer_cycles`) at the default tile; ties keep fewer blocks. The bodies of
    unidirectional layers are ordered first (`loop_order`), as `sharp-schedule` will; those of
    the directions `sharp-interleave` may fuse are timed as lowered.
    """
    from sharp_compiler.transforms.schedule_cost import layer_cycles

    hidden = {
        node.onnx_node: node.hidden
        for op in fn.body.block.ops
        if op.name in rnn.RECURRENT_OPS
        for node in (rnn.read_recurrent(op),)
    }
    counts = {
        name: [n for n in AUTO_BLOCKS if n == 1 or h // n >= MIN_BLOCK_UNITS] for name, h in hidden.items()
    }
    best: dict[str, tuple[int, int]] = {}
    for n in AUTO_BLOCKS:
        if not any(n in ns and len(ns) > 1 for ns in counts.values()):
            continue
        lowering = lowered(cfg, {}, n)
        per_node: dict[str, int] = {}
        directions = Counter(la.onnx_node.data for la in lowering.layers if isinstance(la, sharp.LayerOp))
        for layer in lowering.layers:
            assert isinstance(layer, sharp.LayerOp)
            node = layer.onnx_node.data
            if (
                layer.kind.data in rnn.RECURRENT_OPS.values()
                and n in counts.get(node, ())
                and len(counts[node]) > 1
            ):
                # a direction timed alone would overstate how its body's order fares in the fused loop
                alone = directions[node] == 1
                cycles = layer_cycles(cfg, cfg.precision, layer, cfg.default_tile, scheme, reorder=alone)
                per_node[layer.onnx_node.data] = per_node.get(layer.onnx_node.data, 0) + cycles
        for node, cycles in per_node.items():
            if node not in best or cycles < best[node][0]:
                best[node] = (cycles, n)
        for old in [*lowering.layers, *lowering.buffers, *lowering.tensors]:
            old.erase()
    return {node: n for node, (_cycles, n) in best.items()}
