"""The discrete-event timing model: pipelined in-order units, VTA dependency tokens, one cost model.

Every unit (DMA, ARRAY, ACT, CELL) issues its instructions in program order.
An instruction issues when its unit is free to issue, every token it pops has
arrived, and the unit's **scoreboard** clears: it waits for the completion of
any earlier, still running instruction of its own unit whose writes it reads
(a `mvm` accumulating into its destination is not held up by the earlier
`mvm`s writing it: partial sums are added in order at the end of the array
pipeline). The instruction then occupies the unit for its *occupancy* and
completes its *latency* later (`hw.cost_model.Cost`); the unit may issue the
next one as soon as the occupancy is over. A unit retires in order
(completion times never decrease), and at completion the instruction pushes
a token, stamped with that time, to each queue in its push mask.
`cfgtile` drains the array first. Instructions are fed in program order, so
a pop finds its token only if an earlier instruction pushed it: an empty
queue is a deadlock.

`mode="tile"` replaces the closed-form MVM occupancy by an event simulation of
the dispatcher handing weight blocks to tiles (`tile_dispatch`), for cross-checks.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from sharp_compiler.hw import cost_model
from sharp_compiler.hw.config import HwConfig, TileShape
from sharp_compiler.isa.program import Program
from sharp_compiler.isa.spec import OPS, Opcode, Unit
from sharp_compiler.sim.errors import SimError
from sharp_compiler.sim.facts import Facts
from sharp_compiler.sim.trace import TraceRecorder

UNITS = 4
MAX_TILE_DISPATCHES = 1 << 22
"""Largest number of block dispatches tile mode simulates in one run."""

HazardHook = Callable[[int, int, int, list[list[int]]], None]
Token = tuple[int, int, tuple[int, ...] | None]  # (arrival cycle, pushing pc, vector clock)
Window = tuple[int, int, int, int, int, int]  # (key, row0, row_step, nrows, col0, ncols); key < 0: DRAM
_ALL = 1 << 62


def unit_name(unit: int) -> str:
    return Unit(unit).name.lower()


def scoreboard_windows(
    program: Program, facts: list[Facts]
) -> list[tuple[tuple[Window, ...], tuple[Window, ...]]]:
    """Per pc: the (reads, writes) windows the scoreboard compares (buffer regions, whole DRAM tensors)."""

    def view(v: int) -> Window:
        w = program.views[v]
        return (w.region, w.row0, w.row_step, w.nrows, w.col0, w.ncols)

    def dram(t: int) -> Window:
        return (-1 - t, 0, 0, _ALL, 0, _ALL)

    return [
        (
            tuple(view(v) for v in f.reads) + tuple(dram(t) for t in f.dram_reads),
            tuple(view(v) for v in f.writes) + tuple(dram(t) for t in f.dram_writes),
        )
        for f in facts
    ]


def _overlap(a: Window, ia: int, b: Window, ib: int) -> bool:
    if a[0] != b[0]:
        return False
    ra, rb = a[1] + a[2] * ia, b[1] + b[2] * ib
    return ra < rb + b[3] and rb < ra + a[3] and a[4] < b[4] + b[5] and b[4] < a[4] + a[5]


class Timing:
    """Per-unit clocks, token queues, scoreboards and the counters the statistics need."""

    def __init__(
        self,
        cfg: HwConfig,
        facts: list[Facts],
        *,
        windows: list[tuple[tuple[Window, ...], tuple[Window, ...]]] | None = None,
        tile_mode: bool = False,
        trace: TraceRecorder | None = None,
        hazards: HazardHook | None = None,
    ) -> None:
        self.cfg = cfg
        self.facts = facts
        self.windows = windows if windows is not None else [((), ())] * len(facts)
        self.tile_mode = tile_mode
        self.trace = trace
        self.hazards = hazards
        self.free = [0] * UNITS  # next cycle each unit can issue
        self.retired = [0] * UNITS  # completion of each unit's latest instruction
        self.inflight: list[deque[tuple[int, int, int]]] = [deque() for _ in range(UNITS)]  # (end, pc, i)
        self.busy = [0] * UNITS
        self.queues: dict[tuple[int, int], deque[Token]] = {
            (s, d): deque() for s in range(UNITS) for d in range(UNITS) if s != d
        }
        self.clocks = [[0] * UNITS for _ in range(UNITS)]  # vector clocks (hazard checking only)
        self.tile: TileShape = cfg.default_tile
        npc = len(facts)
        self.count = [0] * npc
        self.first_start: list[int | None] = [None] * npc
        self.last_end = [0] * npc
        self.mvm_tile: list[TileShape | None] = [None] * npc
        self.slots = {
            "useful": 0,
            "padding": 0,
            "idle_tiles": 0,
            "pipeline_fill": 0,
            "reconfiguration": 0,
            "dependency_stall": 0,
        }
        self.reconfigurations = 0
        self.dispatches = 0
        self._mvm_cache: dict[tuple[int, TileShape], tuple[int, int, int, int, int]] = {}

    def _scoreboard(self, unit: int, pc: int, i: int, start: int) -> int:
        """The issue cycle once every running same-unit writer of what pc reads has completed."""
        flight = self.inflight[unit]
        while flight and flight[0][0] <= start:
            flight.popleft()
        if not flight:
            return start
        reads = self.windows[pc][0]
        if not reads:
            return start
        ready = start
        for end, other, j in flight:
            if end <= ready:
                continue
            writes = self.windows[other][1]
            if any(_overlap(r, i, w, j) for r in reads for w in writes):
                ready = end
        return ready

    def step(self, pc: int, i: int) -> None:
        """Time one execution of the instruction at pc (loop index i)."""
        f = self.facts[pc]
        unit = f.unit
        free = self.free[unit]
        start = free
        clock = self.clocks[unit] if self.hazards is not None else None
        for src in f.pops:
            queue = self.queues[(src, unit)]
            if not queue:
                raise SimError(
                    f"deadlock: pc {pc} ({OPS[f.op].mnemonic} on {unit_name(unit)}) pops a token from the "
                    f"{unit_name(src)}->{unit_name(unit)} queue, but no earlier instruction pushed one"
                )
            arrival, _pusher, stamp = queue.popleft()
            if arrival > start:
                start = arrival
            if clock is not None and stamp is not None:
                for k in range(UNITS):
                    if stamp[k] > clock[k]:
                        clock[k] = stamp[k]
        waited = start
        start = self._scoreboard(unit, pc, i, start)
        if f.mvm is not None:
            occupancy, latency = self._mvm(pc, f.mvm, start)
        else:
            occupancy, latency = f.cost
            if f.op == Opcode.CFGTILE:
                start = max(start, self.retired[unit])  # drain the array
                self._reconfigure(pc)
        end = max(start + occupancy + latency, self.retired[unit])
        self.retired[unit] = end
        self.free[unit] = start + occupancy
        if latency and self.windows[pc][1]:
            self.inflight[unit].append((end, pc, i))
        self.busy[unit] += occupancy
        if unit == Unit.ARRAY and start > free:
            self.slots["dependency_stall"] += (waited - free) * self.cfg.macs
            self.slots["pipeline_fill"] += (start - waited) * self.cfg.macs
        self.count[pc] += 1
        if self.first_start[pc] is None:
            self.first_start[pc] = start
        self.last_end[pc] = end
        if self.hazards is not None and clock is not None:
            self.hazards(pc, i, unit, self.clocks)
            clock[unit] += 1
        stamp_out = tuple(clock) if clock is not None else None
        for dst in f.pushes:
            self.queues[(unit, dst)].append((end, pc, stamp_out))
        if self.trace is not None and occupancy:
            self.trace.instruction(unit, OPS[f.op].mnemonic, start, start + occupancy, pc, i)

    def _reconfigure(self, pc: int) -> None:
        """CFGTILE: its imm was validated against the config's tile shapes."""
        tile = self.facts[pc].tile
        assert tile is not None
        self.tile = tile
        self.reconfigurations += 1
        self.slots["reconfiguration"] += self.facts[pc].cost.occupancy * self.cfg.macs

    def _mvm(self, pc: int, shape: tuple[int, int, int], start: int) -> tuple[int, int]:
        """(occupancy, latency) of one MVM under the current tile; counts its multiplier slots."""
        m, k, n = shape
        tile = self.tile
        cached = self._mvm_cache.get((pc, tile))
        if cached is None:
            occupancy, latency = cost_model.mvm_cost(self.cfg, tile, m, k, n)
            padding = cost_model.mvm_padded_slots(self.cfg, tile, m, k, n)
            idle = cost_model.mvm_idle_tile_slots(self.cfg, tile, m, k, n)
            cached = (occupancy, latency, padding, m * k * n, idle)
            self._mvm_cache[(pc, tile)] = cached
        occupancy, latency, padding, useful, idle = cached
        if self.tile_mode:
            occupancy = self.tile_dispatch(tile, m, k, n, start, pc)
        if self.mvm_tile[pc] is None:
            self.mvm_tile[pc] = tile
        slots = self.slots
        slots["useful"] += useful
        slots["padding"] += padding
        slots["idle_tiles"] += idle
        return occupancy, latency

    def tile_dispatch(self, tile: TileShape, m: int, k: int, n: int, start: int, pc: int) -> int:
        """Simulate the dispatcher block by block: tile (b mod tiles) owns row block b and walks its K blocks.

        A block is `cost_model.mvm_block_shape` (native_rows x cols with native blocks, else the
        tile's own shape); a tile is busy `mvm_block_cycles` cycles per (vector, block), one per
        group of `rows` block rows through its lanes. The MVM ends when the last block has left
        its tile and passed the multiplier, adder tree and accumulator (`array_latency`).
        Returns the issue cycles (the occupancy).
        """
        tiles = self.cfg.tiles_for(tile)
        block_rows, _cols = cost_model.mvm_block_shape(self.cfg, tile)
        steps = cost_model.mvm_block_cycles(self.cfg, tile)
        blocks_m, blocks_k = math.ceil(m / block_rows), math.ceil(k / tile[1])
        count = n * blocks_m * blocks_k * steps
        self.dispatches += count
        if self.dispatches > MAX_TILE_DISPATCHES:
            raise SimError(
                f"tile timing mode is for small cases: over {MAX_TILE_DISPATCHES} block dispatches"
            )
        free = [0] * min(tiles, blocks_m)
        for bm in range(blocks_m):
            tile_id = bm % tiles
            for bk in range(blocks_k):
                for vector in range(n):
                    for _step in range(steps):
                        if self.trace is not None:
                            self.trace.dispatch(tile_id, start + free[tile_id], pc, vector, bm, bk)
                        free[tile_id] += 1
        return max(1, max(free, default=0))

    def finish(self) -> int:
        """Check that every token was consumed; returns the total cycle count."""
        for (src, dst), queue in self.queues.items():
            if queue:
                raise SimError(
                    f"{len(queue)} token(s) left in the {unit_name(src)}->{unit_name(dst)} queue at the end "
                    f"of the program (first pushed by pc {queue[0][1]})"
                )
        return max(self.retired)
