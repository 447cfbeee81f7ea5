"""sharp-interleave-rows: the rows of a batch as independent recurrences in one loop (beyond the paper).

Each batch row of a recurrent layer depends only on its own previous state, yet a
step's instructions cover all B rows at once, so row 1's gates wait for row 0's
whole step. The pass rewrites a time loop whose body works on windows of B rows
into B copies of the body, copy r on row r of each of those windows (a window
of one row that every row reads, such as a bias, stays as it is; per-step DMA
transfers stay whole, after the copies). The dataflow tokens then let row r's
cell update overlap row r + 1's matrix work, and `sharp-schedule`'s list
scheduling interleaves the copies. Each row's arithmetic is unchanged, so fp32
outputs are bit-identical.

Copies may also take groups of rows (`row_groups`): fewer, wider instructions
use more of the units' lanes, one row per copy gives the shortest chain.
`mode=auto` (the default pipeline's, for `auto`/`unfolded`) tries groups of one
row, two, and half the batch, and rewrites a layer only where the cost model
times one faster than the whole rows: the whole rows under every tile that
`sharp-reconfigure{scheme=...}` prices, each grouping under the default tile and
the three tiles that time the whole rows fastest. `always` rewrites every
eligible loop, `group` rows per copy (default 1); `none` keeps layers as they are.

Before (B = 3)::

    sharp.time_loop 50 {
      sharp.dispatch <@l_xproj[0:3 by 3, 0:192]>, <@l_seq[0:3 by 3, 0:96]>, <@l_Rbuf[0:192, 0:96]> accumulate
      sharp.activate <@l_gates[0:3, 0:192]>, <@l_xproj[0:3 by 3, 0:192]> <sigmoid>
      ...
    }

After::

    sharp.time_loop 50 {
      sharp.dispatch <@l_xproj[0:1 by 3, 0:192]>, <@l_seq[0:1 by 3, 0:96]>, <@l_Rbuf[0:192, 0:96]> accumulate
      sharp.activate <@l_gates[0:1, 0:192]>, <@l_xproj[0:1 by 3, 0:192]> <sigmoid>
      ...
      sharp.dispatch <@l_xproj[1:1 by 3, 0:192]>, <@l_seq[1:1 by 3, 0:96]>, <@l_Rbuf[0:192, 0:96]> accumulate
      ...
    }
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import WindowAttr
from sharp_compiler.isa.spec import Unit
from sharp_compiler.transforms.rnn_access import LoweringError, check_mode
from sharp_compiler.transforms.rnn_to_sharp import module_config
from sharp_compiler.transforms.schedule_cost import layer_cycles
from sharp_compiler.transforms.sharp_reconfigure import scheduled_costs

MODES = ("auto", "always", "none")
TRIAL_TILES = 3
"""Tiles each grouping is timed under (with the default): those that time the whole rows fastest."""

ROW_WISE = (
    sharp.DispatchOp, sharp.ActivateOp, sharp.AddOp, sharp.SubOp, sharp.MulOp, sharp.FmaOp, sharp.OneMinusOp,
    sharp.FillOp,
)  # fmt: skip
"""Instructions whose every output row depends on the same row of each input (or a broadcast row)."""


def _windows(op: Operation) -> list[WindowAttr]:
    return [attr for attr in op.properties.values() if isinstance(attr, WindowAttr)]


def batch_rows(loop: sharp.TimeLoopOp, vector: set[str]) -> int:
    """B when every vector-memory window of the body spans B rows (or is one broadcast row read
    by a row-wise op), moving windows by B rows a step, and B > 1; else 0."""
    ops = list(loop.body.block.ops)
    steps = {
        abs(w.row_step.data)
        for op in ops
        for w in _windows(op)
        if w.buffer.data in vector and w.row_step.data
    }
    if len(steps) != 1:
        return 0
    (batch,) = steps
    if batch < 2:
        return 0
    for op in ops:
        if not isinstance(op, sharp.InstructionOp):
            return 0
        if op.unit == Unit.DMA:
            continue
        if not isinstance(op, ROW_WISE):
            return 0
        wins = [w for w in _windows(op) if w.buffer.data in vector]
        dst = getattr(op, "dst", None)
        if not isinstance(dst, WindowAttr) or dst.nrows.data != batch:
            return 0
        if any(w.nrows.data not in (1, batch) or (w.nrows.data == 1 and w.row_step.data) for w in wins):
            return 0
    return batch


def _rows(attr: WindowAttr, r: int, n: int) -> WindowAttr:
    return WindowAttr(
        attr.buffer.data, attr.row0.data + r, n, attr.row_step.data, attr.col0.data, attr.ncols.data
    )


def row_groups(batch: int, group: int) -> list[tuple[int, int]]:
    """(first row, rows) of each copy: groups of `group` rows, the last one takes the rest."""
    return [(r, min(group, batch - r)) for r in range(0, batch, group)]


def group_sizes(batch: int) -> list[int]:
    """The group sizes `mode=auto` tries: one row, two, and half the batch."""
    return sorted({g for g in (1, 2, (batch + 1) // 2) if g < batch})


def split_rows(loop: sharp.TimeLoopOp, batch: int, vector: set[str], group: int = 1) -> None:
    """Replace the body by one copy of its compute per group of `group` rows, then its DMA transfers."""
    body = loop.body.block
    ops = [op for op in body.ops if isinstance(op, sharp.InstructionOp)]
    compute = [op for op in ops if op.unit != Unit.DMA]
    transfers = [op for op in ops if op.unit == Unit.DMA]
    copies: list[Operation] = []
    for r, n in row_groups(batch, group):
        for op in compute:
            copy = op.clone()
            for key, attr in list(copy.properties.items()):
                if isinstance(attr, WindowAttr) and attr.buffer.data in vector and attr.nrows.data == batch:
                    copy.properties[key] = _rows(attr, r, n)
            copies.append(copy)
    for op in compute:
        op.detach()
        op.erase()
    for op in transfers:
        op.detach()
    for op in [*copies, *transfers]:
        body.add_op(op)


@dataclass(frozen=True)
class SharpInterleaveRowsPass(ModulePass):
    """Run the rows of a batch as independent recurrences in each time loop."""

    name = "sharp-interleave-rows"
    mode: str = "auto"
    scheme: str = "auto"
    """The schedule the cost model times the layers under (`mode=auto`)."""
    group: int = 1
    """Rows per copy under `mode=always`."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_mode("sharp-interleave-rows", self.mode, MODES)
        if self.mode == "none":
            return
        if self.group < 1:
            raise LoweringError(f"sharp-interleave-rows: group must be at least 1, got {self.group}")
        cfg, precision = module_config(op)
        vector = {
            b.sym_name.data
            for b in op.body.block.ops
            if isinstance(b, sharp.BufferOp) and b.space.data == "vmem"
        }
        for layer in [o for o in op.body.block.ops if isinstance(o, sharp.LayerOp)]:
            loops = [(loop, batch_rows(loop, vector)) for loop in _loops(layer)]
            loops = [(loop, b) for loop, b in loops if b]
            if not loops:
                continue
            if self.mode == "always":
                for loop, b in loops:
                    split_rows(loop, b, vector, min(self.group, b))
                continue
            # the whole rows under the tiles sharp-reconfigure would price; each grouping under
            # the default tile and the few that time the whole rows fastest
            costs = scheduled_costs(cfg, precision, [layer], self.scheme)[0]
            tiles = {cfg.default_tile, *sorted(costs, key=costs.__getitem__)[:TRIAL_TILES]}
            best, chosen = min(costs.values()), 0
            for group in group_sizes(min(b for _loop, b in loops)):
                trial = layer.clone()
                for loop, b in zip(_loops(trial), [b for _loop, b in loops], strict=True):
                    split_rows(loop, b, vector, group)
                cycles = min(layer_cycles(cfg, precision, trial, tile, self.scheme) for tile in tiles)
                trial.erase()
                if cycles < best:
                    best, chosen = cycles, group
            if chosen:
                for loop, b in loops:
                    split_rows(loop, b, vector, chosen)


def _loops(layer: sharp.LayerOp) -> list[sharp.TimeLoopOp]:
    return [op for op in layer.walk() if isinstance(op, sharp.TimeLoopOp)]
