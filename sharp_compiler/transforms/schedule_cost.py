"""What a scheduled piece of `sharp` code costs: the simulator's timing engine, run on the IR.

The `auto` scheme and schedule-aware reconfiguration need the cycles a layer
takes under a given plan, tokens and tile — with the machine's latencies,
scoreboards and token waits, not just its array cycles. Rather than a second
model, this module feeds the IR's instructions to the simulator's own
`sim.timing.Timing` (the one cost model): each op becomes the `Facts` the
binary would give it (unit, tokens, `hw.cost_model` cost, MVM shape) and the
windows its scoreboard compares, and the loop runs for its trip count (long
loops run 24 iterations and extrapolate the steady state linearly)::

    cycles = layer_cycles(cfg, precision, layer_op, tile=(32, 32))
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from xdsl.ir import Block, Operation

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import WindowAttr
from sharp_compiler.hw import cost_model
from sharp_compiler.hw.config import HwConfig, TileShape
from sharp_compiler.isa.spec import Opcode, Unit
from sharp_compiler.sim.facts import Facts, Traffic
from sharp_compiler.sim.timing import Timing, Window
from sharp_compiler.transforms.dataflow_tokens import accesses, assign_dataflow_tokens
from sharp_compiler.transforms.loop_order import ORDERED_SCHEMES, greedy_order, reorder_body

LONG_LOOP = 16
"""Loops with more trips run this many iterations and half as many, and extrapolate."""

CELL_OPS = (
    sharp.AddOp, sharp.SubOp, sharp.MulOp, sharp.FmaOp, sharp.OneMinusOp, sharp.SelectOp, sharp.SeqMaskOp,
    sharp.FillOp,
)  # fmt: skip


def op_cost(cfg: HwConfig, precision: str, op: sharp.InstructionOp, tile: TileShape) -> tuple[int, int]:
    """(occupancy, latency) of one instruction under `tile`, as the simulator times it."""
    if isinstance(op, sharp.DispatchOp):
        cost = cost_model.mvm_cost(cfg, tile, op.dst.ncols.data, op.src.ncols.data, op.dst.nrows.data)
    else:
        cost = _cost(cfg, precision, op)
    return cost.occupancy, cost.latency


def _elements(win: WindowAttr) -> int:
    return win.nrows.data * win.ncols.data


def _cost(cfg: HwConfig, precision: str, op: sharp.InstructionOp) -> cost_model.Cost:
    """The instruction's cost as `sim.facts` computes it from the binary (DRAM words taken as 4 bytes)."""
    if isinstance(op, sharp.ActivateOp | sharp.SoftmaxOp):
        return cost_model.act_cost(cfg, _elements(op.dst))
    if isinstance(op, CELL_OPS):
        return cost_model.cell_cost(cfg, _elements(op.dst))
    if isinstance(op, sharp.MoveOp):
        return cost_model.onchip_move_cost(cfg, _elements(op.dst) * 4)
    if isinstance(op, sharp.LoadWeightsOp):
        return cost_model.dram_cost(cfg, _elements(op.dst) * cfg.weight_bytes_per_element(precision))
    if isinstance(op, sharp.LoadOp | sharp.StoreOp):
        win = op.dst if isinstance(op, sharp.LoadOp) else op.src
        return cost_model.dram_cost(cfg, _elements(win) * 4)
    if isinstance(op, sharp.GatherOp):
        return cost_model.dram_cost(cfg, _elements(op.dst) * 4)
    if isinstance(op, sharp.CopyOp):
        return cost_model.dram_cost(cfg, math.prod(int(v) for v in op.pattern.sizes.data.split(",")) * 4)
    if isinstance(op, sharp.ConfigureTileOp):
        return cost_model.reconfig_cost(cfg)
    return cost_model.Cost(0, 0)


class _Keys:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __call__(self, resource: str) -> int:
        return self.ids.setdefault(resource, len(self.ids))


def _windows(op: sharp.InstructionOp, keys: _Keys) -> tuple[tuple[Window, ...], tuple[Window, ...]]:
    reads: list[Window] = []
    writes: list[Window] = []
    found = accesses(op)
    if isinstance(op, sharp.DispatchOp) and op.properties.get("accumulate") is not None:
        found = found[:-1]  # the accumulator read is not a scoreboard dependence (sim.timing)
    for access in found:
        r0, r1, c0, c1 = access.rect
        if math.isinf(r1):
            window: Window = (-1 - keys(access.resource), 0, 0, 1 << 62, 0, 1 << 62)
        else:
            window = (keys(access.resource), int(r0), access.row_step, int(r1 - r0), int(c0), int(c1 - c0))
        (writes if access.write else reads).append(window)
    return tuple(reads), tuple(writes)


def _facts(cfg: HwConfig, precision: str, op: sharp.InstructionOp, mask: list[int]) -> Facts:
    units = tuple(int(u) for u in (Unit.DMA, Unit.ARRAY, Unit.ACT, Unit.CELL))
    pops = tuple(u for u in units if mask[0] >> u & 1)
    pushes = tuple(u for u in units if mask[1] >> u & 1)
    mvm = None
    if isinstance(op, sharp.DispatchOp):
        mvm = (op.dst.ncols.data, op.src.ncols.data, op.dst.nrows.data)
    tile = (op.tile.rows.data, op.tile.cols.data) if isinstance(op, sharp.ConfigureTileOp) else None
    return Facts(Opcode(op.OPCODE), op.unit, pops, pushes, _cost(cfg, precision, op), mvm, Traffic(), 0, 0,
                 (), (), tile)  # fmt: skip


def _walk(block: Block, limit: int | None) -> Iterator[tuple[sharp.InstructionOp, int]]:
    for op in block.ops:
        if isinstance(op, sharp.TimeLoopOp):
            trips = op.trips.data if limit is None else min(op.trips.data, limit)
            for i in range(trips):
                for inner in op.body.block.ops:
                    if isinstance(inner, sharp.InstructionOp):
                        yield inner, i
        elif isinstance(op, sharp.LayerOp):
            yield from _walk(op.body.block, limit)
        elif isinstance(op, sharp.InstructionOp):
            yield op, 0


def _simulate(cfg: HwConfig, precision: str, block: Block, masks: dict[sharp.InstructionOp, list[int]],
              tile: TileShape, limit: int | None) -> tuple[int, int]:  # fmt: skip
    """(cycles, when the last loop instruction completes) of the block, loops cut at `limit` trips."""
    index: dict[sharp.InstructionOp, int] = {}
    facts: list[Facts] = []
    windows: list[tuple[tuple[Window, ...], tuple[Window, ...]]] = []
    keys = _Keys()
    order = list(_walk(block, limit))
    for op, _ in order:
        if op not in index:
            index[op] = len(facts)
            facts.append(_facts(cfg, precision, op, masks.get(op, [0, 0])))
            windows.append(_windows(op, keys))
    timing = Timing(cfg, facts, windows=windows)
    timing.tile = tile
    for op, i in order:
        timing.step(index[op], i)
    in_loops = [index[op] for loop in block.walk() if isinstance(loop, sharp.TimeLoopOp)
                for op in loop.body.block.ops if op in index]  # fmt: skip
    return max(timing.retired), max((timing.last_end[k] for k in in_loops), default=0)


def _longest_loop(block: Block) -> int:
    trips = [op.trips.data for op in block.walk() if isinstance(op, sharp.TimeLoopOp)]
    return max(trips, default=0)


def block_cycles(cfg: HwConfig, precision: str, block: Block, masks: dict[sharp.InstructionOp, list[int]],
                 tile: TileShape) -> int:  # fmt: skip
    """Cycles of scheduled code (a block of layers or instructions) under one tile geometry.

    A long loop is timed for `LONG_LOOP` and half as many trips and extrapolated linearly, as
    long as the whole block grows as the loop does; where something else ends last at those
    lengths (a transfer floating across the loop, `dataflow_tokens.floating_dma`), the block
    is timed for every trip instead.
    """
    trips = _longest_loop(block)
    if trips <= LONG_LOOP:
        return _simulate(cfg, precision, block, masks, tile, None)[0]
    half = LONG_LOOP // 2
    (short, short_loop), (long, long_loop) = (
        _simulate(cfg, precision, block, masks, tile, n) for n in (half, LONG_LOOP)
    )
    if long - short != long_loop - short_loop:
        return _simulate(cfg, precision, block, masks, tile, None)[0]
    return long + (trips - LONG_LOOP) * (long - short) // (LONG_LOOP - half)


def layer_cycles(cfg: HwConfig, precision: str, layer: sharp.LayerOp, tile: TileShape,
                 scheme: str = "unfolded", reorder: bool = True) -> int:  # fmt: skip
    """Cycles of one layer alone, scheduled by `scheme` (tokens assigned on a copy), under `tile`.

    `unfolded` and `auto` first order the loop bodies as `sharp-schedule` does (`loop_order`).
    """
    copy = layer.clone()
    for sync in [o for o in copy.walk() if isinstance(o, sharp.SyncOp)]:
        sync.detach()
        sync.erase()
    block = Block([copy])
    if reorder and scheme in ORDERED_SCHEMES:
        order_loop_bodies(copy, cfg, precision, tile, scheme)
    if scheme == "sequential":
        from sharp_compiler.transforms.sharp_schedule import sequential_tokens

        masks = sequential_tokens(block)
    else:
        masks = assign_dataflow_tokens(
            block, scheme not in ("intergate", "dataflow") and cfg.cross_step_overlap
        )
    cycles = block_cycles(cfg, precision, block, masks, tile)
    copy.detach()
    copy.erase()
    return cycles


def order_loop_bodies(
    layer: sharp.LayerOp, cfg: HwConfig, precision: str, tile: TileShape, scheme: str
) -> None:
    """List-schedule every time loop's body of a layer (`loop_order`) where that times the layer faster."""
    for loop in [o for o in layer.walk() if isinstance(o, sharp.TimeLoopOp)]:
        seq = [o for o in loop.body.block.ops if isinstance(o, sharp.InstructionOp)]
        if len(seq) < 3 or len(seq) != len(loop.body.block.ops):
            continue
        costs = [op_cost(cfg, precision, o, tile) for o in seq]
        order = greedy_order(seq, loop.trips.data, costs)
        if order == list(range(len(seq))):
            continue
        before = layer_cycles(cfg, precision, layer, tile, scheme, reorder=False)
        reorder_body(loop, order)
        if layer_cycles(cfg, precision, layer, tile, scheme, reorder=False) >= before:
            reorder_body(loop, sorted(range(len(order)), key=order.__getitem__))


def dispatch_costs(layer: Operation, cfg: HwConfig, tile: TileShape) -> tuple[int, ...]:
    """Occupancy of each dispatch of a layer under `tile`, then the array latency (for dominance)."""
    found = [
        cost_model.mvm_issue_cycles(cfg, tile, op.dst.ncols.data, op.src.ncols.data, op.dst.nrows.data)
        for op in layer.walk()
        if isinstance(op, sharp.DispatchOp)
    ]
    return (*found, cfg.array_latency(tile))


def dominated(costs: dict[TileShape, tuple[int, ...]]) -> set[TileShape]:
    """Tiles no faster than another on every dispatch and in latency (the timing model is monotone
    in every occupancy and latency, so they cannot win); ties keep the first in menu order."""
    out: set[TileShape] = set()
    tiles = list(costs)
    for a in tiles:
        for b in tiles:
            if a == b or b in out:
                continue
            ca, cb = costs[a], costs[b]
            if all(x >= y for x, y in zip(ca, cb, strict=True)) and (
                ca != cb or tiles.index(b) < tiles.index(a)
            ):
                out.add(a)
                break
    return out
