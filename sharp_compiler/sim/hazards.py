"""The hazard checker: buffer accesses on different units must be ordered by tokens.

Each unit keeps a vector clock (how many instructions of every unit it knows
to have finished); a token carries its pusher's clock and popping it merges
that clock in. An earlier access X (unit u, the s-th instruction of u) is
ordered before a later access Y on unit v != u iff Y's clock[u] >= s, which
is exactly when the timing model guarantees end(X) <= start(Y). Two unordered
accesses that overlap (same region windows intersect, or regions sharing
physical addresses whose words intersect) and include a write are a RAW, WAR
or WAW hazard. Separately, a read through a region whose words were last
written through another region that shares its addresses reads clobbered data
(the regions' lifetimes overlap): also reported. Every report is one line.
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

import numpy as np

from sharp_compiler.isa.program import Program, Region, Space, View
from sharp_compiler.isa.spec import Unit
from sharp_compiler.sim.errors import HazardError
from sharp_compiler.sim.facts import Facts

PRUNE_EVERY = 64


class Access(NamedTuple):
    unit: int
    seq: int
    pc: int
    iteration: int
    write: bool
    region: int
    r0: int
    r1: int
    c0: int
    c1: int


class HazardChecker:
    def __init__(self, program: Program, facts: list[Facts]) -> None:
        self.p = program
        self.facts = facts
        self.records: dict[int, list[Access]] = defaultdict(list)
        self.aliases = _aliases(program.regions)
        self.owner = {
            space: np.full(_extent(program.regions, space, self.aliases), -1, np.int32) for space in Space
        }
        self.last_writer: dict[int, int] = {}
        self.steps = 0
        self.accesses = [
            tuple((v, False) for v in f.reads) + tuple((v, True) for v in f.writes) for f in facts
        ]

    def __call__(self, pc: int, i: int, unit: int, clocks: list[list[int]]) -> None:
        clock = clocks[unit]
        seq = clock[unit] + 1
        for view, write in self.accesses[pc]:
            access = self._access(view, unit, seq, pc, i, write)
            self._check(access, clock)
            if access.region in self.aliases:
                self._check_owner(access)
            self._record(access)
        self.steps += 1
        if self.steps % PRUNE_EVERY == 0:
            self._prune(clocks)

    def _access(self, view: int, unit: int, seq: int, pc: int, i: int, write: bool) -> Access:
        v: View = self.p.views[view]
        r0 = v.row0 + v.row_step * i
        return Access(unit, seq, pc, i, write, v.region, r0, r0 + v.nrows, v.col0, v.col0 + v.ncols)

    def _check(self, y: Access, clock: list[int]) -> None:
        for region in (y.region, *self.aliases.get(y.region, ())):
            for x in self.records[region]:
                if x.unit == y.unit or clock[x.unit] >= x.seq or not (x.write or y.write):
                    continue
                if self._overlap(x, y):
                    raise HazardError(self._message(x, y))

    def _overlap(self, x: Access, y: Access) -> bool:
        if x.region == y.region:
            return x.r0 < y.r1 and y.r0 < x.r1 and x.c0 < y.c1 and y.c0 < x.c1
        return _words_overlap(self.p.regions[x.region], x, self.p.regions[y.region], y)

    def _record(self, access: Access) -> None:
        records = self.records[access.region]
        key = access[:1] + access[4:]
        for n, old in enumerate(records):
            if old[:1] + old[4:] == key:
                records[n] = access  # a later identical access of the same unit supersedes it
                return
        records.append(access)

    def _prune(self, clocks: list[list[int]]) -> None:
        """Drop accesses every other unit is already ordered after (no future access can race them)."""
        seen = [min(clocks[w][u] for w in range(len(clocks)) if w != u) for u in range(len(clocks))]
        for region, records in self.records.items():
            self.records[region] = [x for x in records if x.seq > seen[x.unit]]

    def _window(self, access: Access) -> np.ndarray:
        region = self.p.regions[access.region]
        words = self.owner[Space(region.space)][region.base : region.base + region.rows * region.cols]
        return words.reshape(region.rows, region.cols)[access.r0 : access.r1, access.c0 : access.c1]

    def _check_owner(self, access: Access) -> None:
        window = self._window(access)
        if access.write:
            window[...] = access.region
            self.last_writer[access.region] = access.pc
            return
        foreign = window[(window != access.region) & (window >= 0)]
        if foreign.size:
            other = int(foreign[0])
            raise HazardError(
                f"pc {access.pc} ({_op(self.facts, access.pc)}) reads {self._where(access)}, but those words were "
                f"last written through region '{self.p.regions[other].name}' (pc {self.last_writer.get(other, '?')}): "
                f"the regions share addresses while both are live"
            )

    def _where(self, a: Access) -> str:
        region = self.p.regions[a.region]
        sigil = "@" if region.space == Space.WMEM else "%"
        return f"{sigil}{region.name}[{a.r0}:{a.r1}, {a.c0}:{a.c1}]"

    def _message(self, x: Access, y: Access) -> str:
        kind = "WAW" if x.write and y.write else ("RAW" if x.write else "WAR")
        verb_x, verb_y = ("writes" if x.write else "reads"), ("writes" if y.write else "reads")
        return (
            f"hazard ({kind}): pc {y.pc} ({_op(self.facts, y.pc)} on {Unit(y.unit).name.lower()}, iteration {y.iteration}) "
            f"{verb_y} {self._where(y)} while pc {x.pc} ({_op(self.facts, x.pc)} on {Unit(x.unit).name.lower()}, "
            f"iteration {x.iteration}) {verb_x} {self._where(x)}, and no token orders them"
        )


def _op(facts: list[Facts], pc: int) -> str:
    return facts[pc].op.name.lower()


def _aliases(regions: list[Region]) -> dict[int, tuple[int, ...]]:
    """Regions that share physical words with another region of the same space."""
    spans = sorted((r.space, r.base, r.base + r.rows * r.cols, n) for n, r in enumerate(regions))
    found: dict[int, list[int]] = defaultdict(list)
    for a, (space, _lo, hi, n) in enumerate(spans):
        for space_b, lo_b, _hi_b, m in spans[a + 1 :]:
            if space_b != space or lo_b >= hi:
                break
            found[n].append(m)
            found[m].append(n)
    return {n: tuple(sorted(others)) for n, others in found.items()}


def _extent(regions: list[Region], space: Space, aliases: dict[int, tuple[int, ...]]) -> int:
    ends = [r.base + r.rows * r.cols for n, r in enumerate(regions) if n in aliases and r.space == space]
    return max(ends, default=0)


def _words_overlap(ra: Region, a: Access, rb: Region, b: Access) -> bool:
    """Do two windows of different regions touch a common physical word?"""
    first = [(ra.base + r * ra.cols + a.c0, ra.base + r * ra.cols + a.c1) for r in range(a.r0, a.r1)]
    second = [(rb.base + r * rb.cols + b.c0, rb.base + r * rb.cols + b.c1) for r in range(b.r0, b.r1)]
    x = y = 0
    while x < len(first) and y < len(second):
        if first[x][0] < second[y][1] and second[y][0] < first[x][1]:
            return True
        if first[x][1] <= second[y][1]:
            x += 1
        else:
            y += 1
    return False
