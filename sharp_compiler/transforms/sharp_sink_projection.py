"""sharp-sink-projection: each step's input projection inside the time loop, one step ahead (beyond the paper).

The lowering computes the input projection X W^T (+ bias) of every step before the loop:
one long dispatch that the array runs while the recurrence waits, then the bias add. Where
the loop leaves the array idle between its recurrent products (a small or batched layer on
a large array), that prologue is pure latency. This pass sinks the projection into the
loop, software-pipelined by one step: iteration i projects the rows step i + 1 reads (step
i + 1 forwards, T - 2 - i backwards, each row group of `sharp-interleave-rows` on its own),
step 0's rows are projected in front of the loop, the loop runs T - 1 trips and its last
step follows it, peeled (windows at index T - 1; a reversed DMA in the body moves one
step, as it indexes by the trip count). Projected a step ahead, no projection row, nor
its bias add, waits in a unit's queue behind the step it does not depend on. Every row is
the same one-row product plus the same bias as before, so fp32 outputs are bit-identical.

A projection buffer sinks when the prologue only dispatches into it over all its rows
(any number of column pieces, with no accumulate) and adds one-row biases to it, when the
loop reads it only through windows that move by a fixed number of rows a step and touch
every row exactly once over the loop, when nothing the projection would move past
conflicts with what it reads or writes, when the loop has at least two trips and no
sequence lengths, and when the hardware overlaps time steps (`cross_step_overlap`: the
baselines without it, E-PUR projecting every step first, keep their structure). `mode=auto` (the default pipeline's, for `auto`) sinks a layer's
projections only where the cost model times the layer faster with its weight loads left
out, and only where `sharp-prefetch` will move those loads into the previous layer (one
loop, both layers' weights fit together) and their transfer fits in the previous layer's
time after that layer's own transfers, and in the layer's own time: a layer whose weights
take longer to arrive than it computes, or the first layer, keeps the projection that
overlaps their transfer. `always` sinks every eligible projection; `none` keeps the layers
as they are.

Before::

    sharp.dispatch <@l_xproj[0:150, 0:288]>, <@l0_seq[3:150, 0:192]>, <@l_Wbuf[0:288, 0:192]>
    sharp.add <@l_xproj[0:150, 0:288]>, <@l_xproj[0:150, 0:288]>, <@l_bias[0:1, 0:288]>
    sharp.time_loop 50 {
      sharp.dispatch <@l_xproj[0:3 by 3, 0:192]>, <@l_seq[0:3 by 3, 0:96]>, <@l_Rbuf[0:192, 0:96]> accumulate
      ...
    }

After::

    sharp.dispatch <@l_xproj[0:3, 0:288]>, <@l0_seq[3:3, 0:192]>, <@l_Wbuf[0:288, 0:192]>
    sharp.add <@l_xproj[0:3, 0:288]>, <@l_xproj[0:3, 0:288]>, <@l_bias[0:1, 0:288]>
    sharp.time_loop 49 {
      sharp.dispatch <@l_xproj[0:3 by 3, 0:192]>, <@l_seq[0:3 by 3, 0:96]>, <@l_Rbuf[0:192, 0:96]> accumulate
      ...
      sharp.dispatch <@l_xproj[3:3 by 3, 0:288]>, <@l0_seq[6:3 by 3, 0:192]>, <@l_Wbuf[0:288, 0:192]>
      sharp.add <@l_xproj[3:3 by 3, 0:288]>, <@l_xproj[3:3 by 3, 0:288]>, <@l_bias[0:1, 0:288]>
    }
    sharp.dispatch <@l_xproj[147:3, 0:192]>, <@l_seq[147:3, 0:96]>, <@l_Rbuf[0:192, 0:96]> accumulate
    ...                                   // the rest of step 49
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects.builtin import IntAttr, ModuleOp
from xdsl.ir import Attribute
from xdsl.passes import ModulePass

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import DramWindowAttr, WindowAttr
from sharp_compiler.hw.config import HwConfig
from sharp_compiler.transforms.dataflow_tokens import accesses
from sharp_compiler.transforms.rnn_access import check_mode
from sharp_compiler.transforms.rnn_to_sharp import module_config
from sharp_compiler.transforms.schedule_cost import layer_cycles, op_cost
from sharp_compiler.transforms.sharp_prefetch import prefetchable
from sharp_compiler.transforms.sharp_reconfigure import scheduled_costs

MODES = ("auto", "always", "none")
TRIAL_TILES = 3
"""Tiles the sunk layer is timed under (with the default): those that time the layer as it is fastest."""

RowPattern = tuple[int, int, int]
"""(first row, rows, rows advanced per step) of a loop window."""


@dataclass
class Projection:
    """The prologue ops that compute one buffer's projection, and the loop windows that read it."""

    buffer: str
    ops: list[sharp.InstructionOp]
    rows: tuple[int, int]
    """(first row, rows) the prologue writes."""
    patterns: list[RowPattern]


def _buffer(op: sharp.InstructionOp, slot: str) -> str | None:
    attr = op.properties.get(slot)
    return attr.buffer.data if isinstance(attr, WindowAttr) else None


def _whole_rows(win: WindowAttr) -> tuple[int, int] | None:
    return (win.row0.data, win.nrows.data) if win.row_step.data == 0 else None


def _projection_ops(prologue: list[sharp.InstructionOp], buffer: str) -> tuple[list[sharp.InstructionOp], tuple[int, int]] | None:  # fmt: skip
    """The prologue's ops on `buffer` when they are whole-row dispatches and one-row bias adds."""
    ops = [op for op in prologue if any(a.resource == f"buffer @{buffer}" for a in accesses(op))]
    rows: tuple[int, int] | None = None
    for op in ops:
        if isinstance(op, sharp.DispatchOp):
            if op.accumulate is not None or _buffer(op, "src") == buffer or _buffer(op, "weights") == buffer:
                return None
            span, src = _whole_rows(op.dst), _whole_rows(op.src)
            if span is None or src is None or (rows is not None and span != rows):
                return None
        elif isinstance(op, sharp.AddOp):
            span = _whole_rows(op.dst)
            if span is None or op.lhs != op.dst or op.rhs.buffer.data == buffer or op.rhs.nrows.data != 1:
                return None
            if op.rhs.row_step.data or rows is None or span != rows:
                return None
        else:
            return None
        rows = span
    if rows is None or not isinstance(ops[0], sharp.DispatchOp):
        return None
    return ops, rows


def _patterns(loop: sharp.TimeLoopOp, buffer: str, rows: tuple[int, int]) -> list[RowPattern] | None:
    """The loop's row patterns on `buffer`, in body order, when together they touch each row once."""
    found: list[RowPattern] = []
    for op in loop.body.block.ops:
        for attr in op.properties.values():
            if isinstance(attr, WindowAttr) and attr.buffer.data == buffer:
                pattern = (attr.row0.data, attr.nrows.data, attr.row_step.data)
                if pattern[2] == 0:
                    return None
                if pattern not in found:
                    found.append(pattern)
    if not found:
        return None
    first, count = rows
    hits = np.zeros(count, np.int64)
    steps = loop.trips.data
    for r0, n, step in found:
        for i in range(steps):
            lo = r0 + step * i - first
            if lo < 0 or lo + n > count:
                return None
            hits[lo : lo + n] += 1
    return found if bool(np.all(hits == 1)) else None


def _crossed(ops: list[sharp.InstructionOp], prologue: list[sharp.InstructionOp], loop: sharp.TimeLoopOp,
             buffer: str) -> bool:  # fmt: skip
    """Whether an op the projection would move past (the rest of the prologue, the loop body)
    conflicts with what it reads or writes, other than the loop's own use of the projection."""
    mine = f"buffer @{buffer}"
    body = [op for op in loop.body.block.ops if isinstance(op, sharp.InstructionOp)]
    found = {id(op): accesses(op) for op in [*prologue, *body]}
    for op in ops:
        later = [o for o in prologue[prologue.index(op) + 1 :] if o not in ops]
        pairs = [(a, b) for other in later for a in found[id(op)] for b in found[id(other)]]
        pairs += [
            (a, b) for other in body for a in found[id(op)] if a.resource != mine for b in found[id(other)]
        ]
        if any(a.conflicts(b) for a, b in pairs):
            return True
    return False


def projections(layer: sharp.LayerOp, loop: sharp.TimeLoopOp) -> list[Projection]:
    """Every projection in front of `loop` that may sink into it."""
    top = list(layer.body.block.ops)
    prologue = [op for op in top[: top.index(loop)] if isinstance(op, sharp.InstructionOp)]
    found: list[Projection] = []
    for dispatch in prologue:
        if not isinstance(dispatch, sharp.DispatchOp) or dispatch.accumulate is not None:
            continue
        buffer = dispatch.dst.buffer.data
        if any(p.buffer == buffer for p in found):
            continue
        matched = _projection_ops(prologue, buffer)
        if matched is None:
            continue
        ops, rows = matched
        patterns = _patterns(loop, buffer, rows)
        if patterns is None:
            continue
        if _crossed(ops, prologue, loop, buffer):
            continue
        found.append(Projection(buffer, ops, rows, patterns))
    return found


MOVING_SLOTS = {sharp.DispatchOp: ("dst", "src"), sharp.AddOp: ("dst", "lhs")}
"""The windows of a projection op that follow its rows (a dispatch's weights and an add's bias stay)."""


def _moved(win: WindowAttr, dst_first: int, pattern: RowPattern) -> WindowAttr:
    """`win`, aligned row for row with a destination from row `dst_first`, narrowed to `pattern`."""
    r0, n, step = pattern
    return WindowAttr(win.buffer.data, win.row0.data + r0 - dst_first, n, step, win.col0.data, win.ncols.data)


def _at(attr: Attribute, i: int, dram_i: int, keep_step: bool) -> Attribute:
    """A window at loop index `i` (a DRAM window at `dram_i`), its step kept when it stays in a
    loop and dropped when peeled."""
    if isinstance(attr, WindowAttr) and attr.row_step.data:
        step = attr.row_step.data
        return WindowAttr(attr.buffer.data, attr.row0.data + step * i, attr.nrows.data,
                          step if keep_step else 0, attr.col0.data, attr.ncols.data)  # fmt: skip
    if isinstance(attr, DramWindowAttr) and attr.step_stride.data:
        step = attr.step_stride.data
        return DramWindowAttr(attr.tensor.data, attr.base.data + step * dram_i, attr.nrows.data, attr.row_stride.data,
                              attr.ncols.data, step if keep_step else 0, attr.lens.data)  # fmt: skip
    return attr


def _shift(op: sharp.InstructionOp, i: int, dram_i: int, keep_step: bool) -> None:
    for key, attr in list(op.properties.items()):
        op.properties[key] = _at(attr, i, dram_i, keep_step)


def _shifted(op: sharp.InstructionOp, i: int, keep_step: bool) -> sharp.InstructionOp:
    copy = op.clone()
    _shift(copy, i, i, keep_step)
    return copy


def peelable(loop: sharp.TimeLoopOp) -> bool:
    """At least two trips, and only windows that move with the loop index (no sequence lengths)."""
    if loop.trips.data < 2:
        return False
    for op in loop.body.block.ops:
        if not isinstance(op, sharp.InstructionOp) or isinstance(op, sharp.SeqMaskOp):
            return False
        if any(isinstance(a, DramWindowAttr) and a.lens.data for a in op.properties.values()):
            return False
    return True


def sink(loop: sharp.TimeLoopOp, found: list[Projection]) -> None:
    """Move the projections into `loop`, one step ahead: iteration i projects the rows step i + 1 reads.

    Step 0's rows are projected in front of the loop, the loop runs T - 1 trips, and its last
    step follows it, peeled (its windows at index T - 1): no projection of step i + 1 waits
    for step i's cell updates in the units' queues. A reversed DMA in the body indexes by
    the trip count (T - 1 - i), so its base moves one step to keep its addresses.
    """
    trips = loop.trips.data
    block = loop.parent_block()
    assert block is not None
    body = loop.body.block
    ahead: list[sharp.InstructionOp] = []
    for projection in found:
        for pattern in projection.patterns:
            for op in projection.ops:
                copy = op.clone()
                for slot in MOVING_SLOTS[type(op)]:
                    attr = copy.properties[slot]
                    assert isinstance(attr, WindowAttr)
                    copy.properties[slot] = _moved(attr, projection.rows[0], pattern)
                ahead.append(copy)
    for copy in ahead:
        block.insert_op_before(_shifted(copy, 0, False), loop)
    after = loop.next_op
    for op in list(body.ops):
        assert isinstance(op, sharp.InstructionOp)
        peeled = op.clone()
        if op.properties.get("reverse") is not None:
            # reversed, index T - 1 is DRAM index 0; in the loop of T - 1 trips each index moves a step
            del peeled.properties["reverse"]
            _shift(peeled, trips - 1, 0, False)
            _shift(op, 0, 1, True)
        else:
            _shift(peeled, trips - 1, trips - 1, False)
        if after is None:
            block.add_op(peeled)
        else:
            block.insert_op_before(peeled, after)
    for copy in ahead:
        _shift(copy, 1, 1, True)
        body.add_op(copy)
    loop.properties["trips"] = IntAttr(trips - 1)
    for projection in found:
        for op in projection.ops:
            op.detach()
            op.erase()


def _weight_loads(layer: sharp.LayerOp) -> list[sharp.LoadWeightsOp]:
    return [op for op in layer.body.block.ops if isinstance(op, sharp.LoadWeightsOp)]


def _transfer_cycles(cfg: HwConfig, precision: str, layer: sharp.LayerOp) -> int:
    return sum(op_cost(cfg, precision, op, cfg.default_tile)[0] for op in _weight_loads(layer))


def _without_weight_loads(layer: sharp.LayerOp) -> sharp.LayerOp:
    copy = layer.clone()
    for op in _weight_loads(copy):
        op.detach()
        op.erase()
    return copy


@dataclass(frozen=True)
class SharpSinkProjectionPass(ModulePass):
    """Compute each step's input projection inside the time loop, beside the recurrence."""

    name = "sharp-sink-projection"
    mode: str = "auto"
    scheme: str = "auto"
    """The schedule the cost model times the layers under (`mode=auto`)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_mode("sharp-sink-projection", self.mode, MODES)
        if self.mode == "none":
            return
        cfg, precision = module_config(op)
        if not cfg.cross_step_overlap:
            return  # projecting step i + 1 during step i overlaps steps (and E-PUR projects first)
        layers = [o for o in op.body.block.ops if isinstance(o, sharp.LayerOp)]
        for index, layer in enumerate(layers):
            loops = [o for o in layer.body.block.ops if isinstance(o, sharp.TimeLoopOp)]
            if len(loops) != 1:
                continue
            found = projections(layer, loops[0]) if peelable(loops[0]) else []
            if not found:
                continue
            if self.mode == "auto" and not self._faster(cfg, precision, layers, index):
                continue
            sink(loops[0], found)

    def _faster(self, cfg: HwConfig, precision: str, layers: list[sharp.LayerOp], index: int) -> bool:
        """Whether the layer with its projections sunk times faster (weights prefetched where they will be)."""
        layer = layers[index]
        prefetched = index > 0 and prefetchable(cfg, precision, layers[index - 1], layer)
        if not prefetched:
            return False  # its prologue's projection hides its own weights' transfer
        transfers = _transfer_cycles(cfg, precision, layer)
        previous = layers[index - 1]
        # the previous layer's DMA is free once its own weights are in (unless they are prefetched too)
        busy = (
            0
            if index > 1 and prefetchable(cfg, precision, layers[index - 2], previous)
            else (_transfer_cycles(cfg, precision, previous))
        )
        if busy + transfers > layer_cycles(cfg, precision, previous, cfg.default_tile, self.scheme):
            return False  # the transfer would outlast the previous layer
        as_is = _without_weight_loads(layer)
        costs = scheduled_costs(cfg, precision, [as_is], self.scheme)[0]
        before = min(costs.values())
        trial = as_is.clone()
        loop = next(o for o in trial.body.block.ops if isinstance(o, sharp.TimeLoopOp))
        sink(loop, projections(trial, loop))
        tiles = {cfg.default_tile, *sorted(costs, key=costs.__getitem__)[:TRIAL_TILES]}
        after = min(layer_cycles(cfg, precision, trial, tile, self.scheme) for tile in tiles)
        as_is.erase()
        trial.erase()
        # weights that take longer to arrive than the layer computes: the prologue's projection
        # overlapping their transfer is what the layer needs
        return transfers <= after < before
