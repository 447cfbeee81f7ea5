"""The discrete-event timing model: in-order units, VTA dependency tokens, one cost model.

Every unit (DMA, ARRAY, ACT, CELL) executes its instructions in program order,
one at a time. An instruction starts when its unit is free and every token it
pops has arrived; it ends `duration` cycles later (`hw.cost_model`) and then
pushes a token, stamped with its end time, to each queue in its push mask.
Instructions are fed in program order, so a pop finds its token only if an
earlier instruction pushed it: an empty queue is a deadlock.

`mode="tile"` replaces the closed-form MVM cost by an event simulation of the
dispatcher handing weight blocks to tiles (`tile_dispatch`), for cross-checks.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from sharp_compiler.hw import cost_model
from sharp_compiler.hw.config import HwConfig, TileShape
from sharp_compiler.isa.spec import OPS, Opcode, Unit
from sharp_compiler.sim.errors import SimError
from sharp_compiler.sim.facts import Facts
from sharp_compiler.sim.trace import TraceRecorder

UNITS = 4
MAX_TILE_DISPATCHES = 1 << 22
"""Largest number of block dispatches tile mode simulates in one run."""

HazardHook = Callable[[int, int, int, list[list[int]]], None]
Token = tuple[int, int, tuple[int, ...] | None]  # (arrival cycle, pushing pc, vector clock)


def unit_name(unit: int) -> str:
    return Unit(unit).name.lower()


class Timing:
    """Per-unit clocks, token queues and the counters the statistics need."""

    def __init__(
        self,
        cfg: HwConfig,
        facts: list[Facts],
        *,
        tile_mode: bool = False,
        trace: TraceRecorder | None = None,
        hazards: HazardHook | None = None,
    ) -> None:
        self.cfg = cfg
        self.facts = facts
        self.tile_mode = tile_mode
        self.trace = trace
        self.hazards = hazards
        self.free = [0] * UNITS
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
        self._mvm_cache: dict[tuple[int, TileShape], tuple[int, int, int, int]] = {}

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
        if f.mvm is not None:
            duration = self._mvm(pc, f.mvm, start)
        else:
            duration = f.cycles
            if f.op == Opcode.CFGTILE:
                self._reconfigure(pc)
        end = start + duration
        self.free[unit] = end
        self.busy[unit] += duration
        if unit == Unit.ARRAY and start > free:
            self.slots["dependency_stall"] += (start - free) * self.cfg.macs
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
        if self.trace is not None:
            self.trace.instruction(unit, OPS[f.op].mnemonic, start, end, pc, i)

    def _reconfigure(self, pc: int) -> None:
        """CFGTILE: its imm was validated against the config's tile shapes."""
        tile = self.facts[pc].tile
        assert tile is not None
        self.tile = tile
        self.reconfigurations += 1
        self.slots["reconfiguration"] += self.facts[pc].cycles * self.cfg.macs

    def _mvm(self, pc: int, shape: tuple[int, int, int], start: int) -> int:
        m, k, n = shape
        tile = self.tile
        cached = self._mvm_cache.get((pc, tile))
        if cached is None:
            duration = cost_model.mvm_cycles(self.cfg, tile, m, k, n)
            padding = cost_model.mvm_padded_slots(self.cfg, tile, m, k, n)
            idle = cost_model.mvm_idle_tile_slots(self.cfg, tile, m, k, n)
            cached = (duration, padding, m * k * n, idle)
            self._mvm_cache[(pc, tile)] = cached
        duration, padding, useful, idle = cached
        if self.tile_mode:
            duration = self.tile_dispatch(tile, m, k, n, start, pc)
        if self.mvm_tile[pc] is None:
            self.mvm_tile[pc] = tile
        slots = self.slots
        slots["useful"] += useful
        slots["padding"] += padding
        slots["idle_tiles"] += idle
        slots["pipeline_fill"] += duration * self.cfg.macs - useful - padding - idle
        return duration

    def tile_dispatch(self, tile: TileShape, m: int, k: int, n: int, start: int, pc: int) -> int:
        """Simulate the dispatcher block by block: tile (b mod tiles) owns row block b and walks its K blocks.

        A tile is busy one cycle per (vector, block); the MVM ends when the last
        block has left its tile and passed the multiplier, adder tree and
        accumulator (`array_latency`). Returns the duration in cycles.
        """
        tiles = self.cfg.tiles_for(tile)
        blocks_m, blocks_k = math.ceil(m / tile[0]), math.ceil(k / tile[1])
        count = n * blocks_m * blocks_k
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
                    if self.trace is not None:
                        self.trace.dispatch(tile_id, start + free[tile_id], pc, vector, bm, bk)
                    free[tile_id] += 1
        return max(free, default=0) + self.cfg.array_latency(tile)

    def finish(self) -> int:
        """Check that every token was consumed; returns the total cycle count."""
        for (src, dst), queue in self.queues.items():
            if queue:
                raise SimError(
                    f"{len(queue)} token(s) left in the {unit_name(src)}->{unit_name(dst)} queue at the end "
                    f"of the program (first pushed by pc {queue[0][1]})"
                )
        return max(self.free)
