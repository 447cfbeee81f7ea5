"""Steady-state fast-forward: time the first iterations of a loop, prove the rest periodic, skip them.

The timing model and the hazard checker do not look at data: given their state at the
start of an iteration, an iteration of a flat loop body (no nested loop) does the same
thing every time, up to a shift of every time by the period P, of every unit's instruction
count by its per-iteration count, of every loop index by 1 and of every moving window by its
`row_step`. This holds when, in every buffer region the body touches, all views have the
same `row_step` (then whether two windows of iterations i and j overlap depends on i - j
only), the array's tile is part of the state, tile timing and tracing are off, and (with the
hazard checker) the body touches no region that shares addresses with another.

So after each iteration the engine takes a *normalised* snapshot of that state (times minus
the latest retirement, counts minus the units' own counts, indices minus the iteration,
windows minus their shift); when two consecutive snapshots are equal, every remaining
iteration would repeat the last one exactly, and `advance` applies R repetitions at once::

    free, retired, in-flight ends, token arrivals  += R * P
    vector clocks, token stamps, access seqs        += R * (instructions per unit per iteration)
    counts, busy cycles, array slots                += R * (their per-iteration increase)

The functional kernels still run for every iteration (the data are not periodic); only
`Timing.step` and the hazard checker are skipped. Deadlocks, leftover tokens and hazards
cannot first appear in a skipped iteration, since it would repeat an iteration that had none.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from sharp_compiler.isa.program import Program
from sharp_compiler.sim.facts import Facts
from sharp_compiler.sim.hazards import Access, HazardChecker
from sharp_compiler.sim.timing import UNITS, Timing


def shift_invariant(
    program: Program, facts: list[Facts], body: list[int], hazards: HazardChecker | None
) -> bool:
    """Whether the timing and hazard checks of `body` (pcs of a flat loop body) can be proven periodic.

    Every region the body touches has one `row_step` in it. With the hazard checker, a region
    that shares addresses with others and has a moving window in the body is only written
    there, and none of the regions it shares addresses with is read there (the checker's
    word-owner map then cannot make a later read differ from an earlier one).
    """
    steps: dict[int, set[int]] = {}
    reads: set[int] = set()
    for pc in body:
        for view in (*facts[pc].reads, *facts[pc].writes):
            v = program.views[view]
            steps.setdefault(v.region, set()).add(v.row_step)
        reads.update(program.views[view].region for view in facts[pc].reads)
    if any(len(s) > 1 for s in steps.values()):
        return False
    if hazards is None:
        return True
    for region, region_steps in steps.items():
        if region not in hazards.aliases or region_steps == {0}:
            continue
        if region in reads or reads.intersection(hazards.aliases[region]):
            return False
    return True


@dataclass
class Snapshot:
    key: tuple[Any, ...]  # the normalised state (equal keys: the same future up to the shift)
    base: int  # the time the key is relative to
    units: tuple[int, ...]  # instructions each unit has executed (hazard checking; else zeros)
    counters: tuple[int, ...]  # everything that only accumulates


class Periodic:
    """Snapshots and fast-forward for one flat loop body whose units are `units`."""

    def __init__(self, program: Program, facts: list[Facts], body: list[int], timing: Timing,
                 hazards: HazardChecker | None) -> None:  # fmt: skip
        self.timing, self.hazards, self.body, self.facts = timing, hazards, body, facts
        self.body_pcs = frozenset(body)
        self.units = sorted({int(facts[pc].unit) for pc in body if int(facts[pc].unit) < UNITS})
        self.queues = [q for q in timing.queues if q[0] in self.units or q[1] in self.units]
        self.steps: dict[int, int] = {}
        for pc in body:
            for view in (*facts[pc].reads, *facts[pc].writes):
                v = program.views[view]
                self.steps[v.region] = v.row_step
        # regions a moving window of the body can reach: its own, and those sharing its addresses
        self.moving = {r for r, step in self.steps.items() if step}
        if hazards is not None:
            self.moving |= {a for r in list(self.moving) for a in hazards.aliases.get(r, ())}

    def snapshot(self, iteration: int) -> Snapshot:
        """The normalised state after `iteration` of the loop (a unit the body does not run is
        left out: nothing in the loop reads or changes its clock, in-flight work or records)."""
        t, units = self.timing, self.units
        base = max(t.retired[u] for u in units)
        n = tuple(t.clocks[u][u] for u in range(UNITS)) if self.hazards is not None else (0,) * UNITS

        def stamp(s: tuple[int, ...] | None) -> tuple[int, ...] | None:
            return None if s is None else tuple(s[u] - n[u] for u in range(UNITS))

        key: list[Any] = [
            tuple(t.free[u] - base for u in units),
            tuple(t.retired[u] - base for u in units),
            t.tile,
            tuple(tuple((end - base, pc, i - iteration) for end, pc, i in t.inflight[u]) for u in units),
            tuple(
                tuple((arrival - base, pc, stamp(s)) for arrival, pc, s in t.queues[q]) for q in self.queues
            ),
        ]
        if self.hazards is not None:
            self.hazards.prune(t.clocks)
            key.append(tuple(tuple(t.clocks[w][u] - n[u] for u in range(UNITS)) for w in units))
            key.append(
                tuple(
                    (region, tuple(sorted(self._record_key(a, n, iteration, region) for a in records)))
                    for region, records in sorted(self.hazards.records.items())
                    if records
                )
            )
        counters = (*t.busy, *t.count, *t.slots.values(), t.reconfigurations, t.dispatches)
        return Snapshot(tuple(key), base, n, counters)

    def _replay_owner_writes(self, first: int, stop: int) -> None:
        """The hazard checker's word-owner map as the skipped iterations leave it (their writes
        into regions that share addresses), so reads after the loop are judged as without skipping."""
        hazards = self.hazards
        assert hazards is not None
        program = hazards.p
        for pc in self.body:
            for view in self.facts[pc].writes:
                v = program.views[view]
                if v.region not in hazards.aliases:
                    continue
                owner = hazards.owner[v.region]
                for i in range(first, stop) if v.row_step else range(0):
                    r0 = v.row0 + v.row_step * i
                    owner[r0 : r0 + v.nrows, v.col0 : v.col0 + v.ncols] = v.region
                hazards.last_writer[v.region] = pc

    def _record_key(self, a: Access, n: tuple[int, ...], iteration: int, region: int) -> tuple[Any, ...]:
        """A hazard record as the future sees it.

        A record of the body is normalised. A record from before the loop does not move: it is
        left out once every unit of the body is ordered after it (it can no longer race), kept
        as is in a region whose windows do not move (it can only become ordered, so a hazard
        can only disappear), and otherwise blocks the fast-forward (a moving window could reach it).
        """
        if a.pc in self.body_pcs:
            shift = self.steps.get(region, 0) * iteration  # r0 = row0 + step * a.iteration
            return (0, a.unit, a.seq - n[a.unit], a.pc, a.iteration - iteration, a.write, a.r0 - shift,
                    a.r1 - shift, a.c0, a.c1)  # fmt: skip
        clocks = self.timing.clocks
        if all(clocks[v][a.unit] >= a.seq for v in self.units if v != a.unit):
            return (1,)
        if region not in self.moving:
            return (2, *a)
        return (3, iteration)  # never equal twice

    def advance(self, before: Snapshot, after: Snapshot, repeats: int, after_iteration: int) -> None:
        """Apply `repeats` more iterations equal to the one between `before` and `after` (taken
        after iteration `after_iteration`)."""
        t = self.timing
        shift = (after.base - before.base) * repeats
        per_unit = [(a - b) * repeats for a, b in zip(after.units, before.units, strict=True)]
        for u in self.units:
            t.free[u] += shift
            t.retired[u] += shift
            t.inflight[u] = deque((end + shift, pc, i + repeats) for end, pc, i in t.inflight[u])

        def stamp(s: tuple[int, ...] | None) -> tuple[int, ...] | None:
            return None if s is None else tuple(s[u] + per_unit[u] for u in range(UNITS))

        for q in self.queues:
            t.queues[q] = deque((arrival + shift, pc, stamp(s)) for arrival, pc, s in t.queues[q])
        delta = [(a - b) * repeats for a, b in zip(after.counters, before.counters, strict=True)]
        nbusy, npc = len(t.busy), len(t.count)
        t.busy = [b + d for b, d in zip(t.busy, delta[:nbusy], strict=True)]
        t.count = [c + d for c, d in zip(t.count, delta[nbusy : nbusy + npc], strict=True)]
        for k, name in enumerate(t.slots):
            t.slots[name] += delta[nbusy + npc + k]
        t.reconfigurations += delta[-2]
        t.dispatches += delta[-1]
        for pc in self.body:
            t.last_end[pc] += shift
        if self.hazards is None:
            return
        self._replay_owner_writes(after_iteration + 1, after_iteration + 1 + repeats)
        for w in self.units:
            row = t.clocks[w]
            for u in range(UNITS):
                row[u] += per_unit[u]
        for region, records in self.hazards.records.items():
            step = self.steps.get(region, 0) * repeats
            self.hazards.records[region] = [
                a._replace(seq=a.seq + per_unit[a.unit], iteration=a.iteration + repeats, r0=a.r0 + step,
                           r1=a.r1 + step) if a.pc in self.body_pcs else a
                for a in records
            ]  # fmt: skip
