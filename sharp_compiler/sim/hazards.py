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
from sharp_compiler.isa.spec import OPS, Unit
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
        self.owner = _owner_maps(program.regions, self.aliases)
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
            self.prune(clocks)

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

    def prune(self, clocks: list[list[int]]) -> None:
        """Drop accesses every other unit is already ordered after (no future access can race them)."""
        seen = [min(clocks[w][u] for w in range(len(clocks)) if w != u) for u in range(len(clocks))]
        for region, records in self.records.items():
            self.records[region] = [x for x in records if x.seq > seen[x.unit]]

    def _window(self, access: Access) -> np.ndarray:
        return self.owner[access.region][access.r0 : access.r1, access.c0 : access.c1]

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
    return OPS[facts[pc].op].mnemonic


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


def _owner_maps(regions: list[Region], aliases: dict[int, tuple[int, ...]]) -> dict[int, np.ndarray]:
    """For each aliased region, its [rows, cols] view of a word map shared with the regions it overlaps.

    A map covers one cluster of mutually overlapping regions (connected through overlaps), so
    its size is bounded by the regions' sizes, not by their addresses. Words hold the id of the
    region that last wrote them, -1 before any write.
    """
    cluster: dict[int, int] = {}
    for start in sorted(aliases):
        if start in cluster:
            continue
        stack = [start]
        while stack:
            n = stack.pop()
            if n not in cluster:
                cluster[n] = start
                stack.extend(aliases[n])
    maps: dict[int, np.ndarray] = {}
    for root in set(cluster.values()):
        members = [n for n, c in cluster.items() if c == root]
        lo = min(regions[n].base for n in members)
        hi = max(regions[n].base + regions[n].rows * regions[n].cols for n in members)
        words = np.full(hi - lo, -1, np.int32)
        for n in members:
            r = regions[n]
            maps[n] = words[r.base - lo : r.base - lo + r.rows * r.cols].reshape(r.rows, r.cols)
    return maps


def _words_overlap(ra: Region, a: Access, rb: Region, b: Access) -> bool:
    """Do two windows of different regions touch a common physical word?

    For each row of the window with fewer rows, the rows of the other window whose word
    intervals intersect it form a range computed in closed form (vectorised over rows).
    """
    if a.r1 - a.r0 > b.r1 - b.r0:
        ra, a, rb, b = rb, b, ra, a
    rows = np.arange(a.r0, a.r1, dtype=np.int64)
    start = ra.base + rows * ra.cols + a.c0
    end = start + (a.c1 - a.c0)
    first = np.maximum(b.r0, (start - rb.base - b.c1) // rb.cols + 1)
    last = np.minimum(b.r1, -((rb.base + b.c0 - end) // rb.cols))  # ceil((end - base - c0) / cols)
    return bool(np.any(first < last))
