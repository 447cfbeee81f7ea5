"""Dependency tokens from data dependences, across loop iterations: the engine of the pipelined schemes.

The program is a sequence of *pieces*: straight-line segments (code between
loops, across layer boundaries) and time loops. Consecutive pieces are
separated by a **barrier** (every unit's work before it completes before any
unit's work after it), built from `sharp.sync` ops outside the loops, so no
token crosses a piece boundary.

Inside a piece an instruction waits only for the latest instruction of each
other unit that it truly depends on: it reads what that one writes (RAW), or
writes what it reads or writes (WAR, WAW), judged on the buffer windows (rows
and columns) and DRAM tensors each instruction touches. Units are in order, so
a dependence already implied by the waits kept so far (on any queue,
transitively) is dropped; this keeps every queue's pushes and pops paired in
FIFO order. Same-unit dependences need no token (in-order issue and the
scoreboard of the machine model).

In a loop body, dependences also reach back into the **previous iteration**
(a window that moves by `by` rows per iteration is compared at the two
iterations' positions, at every distance the trip count allows; windows moving
by different steps conservatively). Such a *loop-carried* token is pushed in
iteration i and popped in i+1: before the loop, `sync` ops on the producing
unit *prime* each carried queue (iteration 0's pops find a token), and after
it `sync` ops on the consuming unit *drain* the last iteration's tokens, so
the code is the same every iteration and independent of the trip count.
A queue whose carried producers do not all follow its same-iteration
producers in body order (FIFO pairing would break) carries one token from a
`sync` at the end of the producer's body instead.

With `cross_step=False` (hardware without cross-step overlap, E-PUR-like) a
loop body starts with a barrier instead and keeps only same-iteration tokens.

    sharp.time_loop 150 {
      sharp.dispatch <@acc[0:1, 0:64]>, <@h[0:1 by 1, 0:16]>, ... tokens <pop [cell], push [cell]>
      ...                                           // pops h block 0 of the previous step
    }
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.ir import Attribute, Block, Operation

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import CopyAttr, DramWindowAttr, WindowAttr
from sharp_compiler.isa.spec import OPS, Opcode, OperandKind, Unit
from sharp_compiler.transforms.rnn_access import LoweringError

WRITES = (OperandKind.VIEW_W, OperandKind.WVIEW_W, OperandKind.DMA_W)
Rect = tuple[float, float, float, float]  # rows [r0, r1) x cols [c0, c1)
WHOLE: Rect = (0, math.inf, 0, math.inf)


@dataclass(frozen=True)
class Access:
    resource: str
    rect: Rect
    write: bool
    row_step: int = 0
    """Rows advanced per loop iteration: rows of accesses with different steps are compared conservatively."""

    def conflicts(self, other: Access) -> bool:
        if self.resource != other.resource or not (self.write or other.write):
            return False
        a, b = self.rect, other.rect
        rows = self.row_step != other.row_step or (a[0] < b[1] and b[0] < a[1])
        return rows and a[2] < b[3] and b[2] < a[3]


def touched(op: Operation) -> tuple[set[str], set[str]]:
    """(resources read, resources written) by the instructions inside an op (e.g. a layer)."""
    reads: set[str] = set()
    writes: set[str] = set()
    for inner in op.walk():
        if isinstance(inner, sharp.InstructionOp):
            for access in accesses(inner):
                (writes if access.write else reads).add(access.resource)
    return reads, writes


def _window_rect(win: WindowAttr) -> Rect:
    return (win.row0.data, win.row0.data + win.nrows.data, win.col0.data, win.col0.data + win.ncols.data)


def _slot_accesses(attr: Attribute, kind: OperandKind) -> list[Access]:
    write = kind in WRITES
    if isinstance(attr, WindowAttr):
        return [Access(f"buffer @{attr.buffer.data}", _window_rect(attr), write, attr.row_step.data)]
    if isinstance(attr, DramWindowAttr):
        found = [Access(f"tensor @{attr.tensor.data}", WHOLE, write)]
        if attr.lens.data:
            found.append(Access(f"tensor @{attr.lens.data}", WHOLE, False))
        return found
    if isinstance(attr, CopyAttr):
        return [
            Access(f"tensor @{attr.src.data}", WHOLE, False),
            Access(f"tensor @{attr.dst.data}", WHOLE, True),
        ]
    return []


def accesses(op: sharp.InstructionOp) -> list[Access]:
    """What an instruction reads and writes."""
    kinds = [k for k in OPS[op.OPCODE].operands if k is not OperandKind.NONE]
    found: list[Access] = []
    for attr, kind in zip(op.slot_attrs(), kinds, strict=False):
        found.extend(_slot_accesses(attr, kind))
    if op.OPCODE == Opcode.MVM and op.properties.get("accumulate") is not None:
        found.extend(Access(a.resource, a.rect, False, a.row_step) for a in found[:1])  # dst is read too
    return found


Pos = int  # dynamic position: index in the body, minus N per iteration back
UNITS = (Unit.DMA, Unit.ARRAY, Unit.ACT, Unit.CELL)


@dataclass
class _Piece:
    ops: list[sharp.InstructionOp]
    loop: sharp.TimeLoopOp | None = None


def pieces(block: Block) -> list[_Piece]:
    """Straight-line segments and loop bodies, in program order (layers do not cut segments)."""
    found: list[_Piece] = [_Piece([])]

    def walk(inner: Block) -> None:
        for op in inner.ops:
            if isinstance(op, sharp.TimeLoopOp):
                body = [o for o in op.body.block.ops if isinstance(o, sharp.InstructionOp)]
                if any(isinstance(o, sharp.TimeLoopOp) for o in op.body.block.ops):
                    raise LoweringError("the dataflow scheme handles one level of time loops")
                found.append(_Piece(body, op))
                found.append(_Piece([]))
            elif isinstance(op, sharp.LayerOp):
                walk(op.body.block)
            elif isinstance(op, sharp.InstructionOp):
                found[-1].ops.append(op)

    walk(block)
    return [p for p in found if p.ops]


def carried_conflict(c: Access, p: Access, trips: int) -> bool:
    """Does access c at iteration i conflict with access p at some iteration i - d, 1 <= d < trips?"""
    if c.resource != p.resource or not (c.write or p.write) or trips < 2:
        return False
    a, b = p.rect, c.rect
    if not (a[2] < b[3] and b[2] < a[3]):
        return False
    if c.row_step != p.row_step:
        return True
    s = p.row_step
    if s == 0:
        return a[0] < b[1] and b[0] < a[1]
    # rows of p shifted back by d*s overlap rows of c: a0 - d s < b1 and b0 < a1 - d s
    lo, hi = (a[0] - b[1]) / s, (a[1] - b[0]) / s
    if s < 0:
        lo, hi = hi, lo
    first = max(1, math.floor(lo) + 1)
    last = min(trips - 1, math.ceil(hi) - 1)
    return first <= last


def _waits(seq: list[sharp.InstructionOp], trips: int) -> list[dict[Unit, Pos]]:
    """Per instruction, per other unit: the latest position it depends on (same or previous iteration)."""
    n = len(seq)
    found = [accesses(op) for op in seq]
    units = [op.unit for op in seq]
    deps: list[dict[Unit, Pos]] = [{} for _ in seq]
    for c in range(n):
        unit = units[c]
        for p in range(c - 1, -1, -1):
            producer = units[p]
            if producer == unit or producer in deps[c]:
                continue
            if any(x.conflicts(y) for x in found[c] for y in found[p]):
                deps[c][producer] = p
        if trips < 2:
            continue
        for p in range(n - 1, -1, -1):
            producer = units[p]
            if producer == unit or producer in deps[c]:
                continue
            if any(carried_conflict(x, y, trips) for x in found[c] for y in found[p]):
                deps[c][producer] = p - n
    return deps


@dataclass
class TokenPlan:
    """Masks per instruction and the sync ops to insert: (anchor op, before?, unit, pop, push)."""

    masks: dict[sharp.InstructionOp, list[int]]
    syncs: list[tuple[Operation, bool, Unit, int, int]]


def _reduce(seq: list[sharp.InstructionOp], deps: list[dict[Unit, Pos]],
            masks: dict[sharp.InstructionOp, list[int]]) -> dict[tuple[Unit, Unit], list[int]]:  # fmt: skip
    """Keep the waits nothing already guarantees; set masks; returns each queue's carried producers.

    `known[c][u]`: the latest position of unit u known complete when c starts (its own unit's
    predecessor, the waits kept so far, transitively within the iteration). At the body's
    head a unit knows only its own last instruction of the previous iteration.
    """
    n = len(seq)
    last_of: dict[Unit, int] = {}
    for c, op in enumerate(seq):
        last_of[op.unit] = c
    known: list[dict[Unit, Pos]] = []
    previous_on: dict[Unit, int] = {}
    carried: dict[tuple[Unit, Unit], list[int]] = {}
    for c, waits in enumerate(deps):
        unit = seq[c].unit
        if unit in previous_on:
            mine = dict(known[previous_on[unit]])
            mine[unit] = previous_on[unit]
        else:
            mine = {unit: last_of[unit] - n} if unit in last_of else {}
        for producer_unit, pos in sorted(waits.items(), key=lambda item: -item[1]):
            if mine.get(producer_unit, -(1 << 60)) >= pos:
                continue  # already guaranteed
            masks[seq[c]][0] |= 1 << producer_unit
            if pos >= 0:
                masks[seq[pos]][1] |= 1 << unit
                for u, index in known[pos].items():
                    mine[u] = max(mine.get(u, -(1 << 60)), index)
            else:
                carried.setdefault((producer_unit, unit), []).append(pos + n)
            mine[producer_unit] = max(mine.get(producer_unit, -(1 << 60)), pos)
        known.append(mine)
        previous_on[unit] = c
    return carried


def _fifo_safe(seq: list[sharp.InstructionOp], masks: dict[sharp.InstructionOp, list[int]], src: Unit,
               dst: Unit, producers: list[int]) -> bool:  # fmt: skip
    """Carried producers of queue src->dst must follow every same-iteration producer in body order."""
    same = [k for k, op in enumerate(seq) if op.unit == src and masks[op][1] >> dst & 1]
    return not same or min(producers) > max(same)


def _loop_tokens(piece: _Piece, masks: dict[sharp.InstructionOp, list[int]],
                 syncs: list[Item]) -> None:  # fmt: skip
    """Same-iteration and loop-carried tokens of one loop body, with primes and drains."""
    assert piece.loop is not None
    seq, trips = piece.ops, piece.loop.trips.data
    body = piece.loop.body.block
    deps = _waits(seq, trips)
    carried = _reduce(seq, deps, masks)
    unsafe = [q for q, producers in carried.items() if not _fifo_safe(seq, masks, *q, producers)]
    if unsafe:  # those queues carry one token from a sync at the end of the producer's body
        tails = {src: sharp.SyncOp(src) for src, _dst in unsafe}
        for tail in tails.values():
            body.add_op(tail)
        seq = [o for o in body.ops if isinstance(o, sharp.InstructionOp)]
        piece.ops = seq
        for op in seq:
            masks[op] = [0, 0]
        deps = _waits(seq, trips)
        for c, waits in enumerate(deps):
            for src, dst in unsafe:
                if seq[c].unit == dst and waits.get(src, 0) < 0:
                    waits[src] = seq.index(tails[src]) - len(seq)
        carried = _reduce(seq, deps, masks)
    for (src, dst), producers in carried.items():
        for k in producers:
            masks[seq[k]][1] |= 1 << dst
        for _ in producers:
            syncs.append((piece.loop, True, src, 0, 1 << dst))  # prime before the loop
            syncs.append((piece.loop, False, dst, 1 << src, 0))  # drain after it


def _segment_tokens(seq: list[sharp.InstructionOp], masks: dict[sharp.InstructionOp, list[int]]) -> None:
    _reduce(seq, _waits(seq, 1), masks)


Sync = tuple[Operation, bool, Unit, int, int]  # (anchor op, before?, unit, pop mask, push mask)
Item = Sync | tuple[Operation, sharp.InstructionOp]  # ... or (anchor op, an instruction moved before it)


def _barrier(
    anchor: Operation, before: bool, syncs: list[Item], floats: list[sharp.InstructionOp] = ()
) -> None:
    """Every unit's earlier work completes before any unit's later work: joined and forked on a hub.

    The hub is the DMA unit, or the array when DMA work *floats* across the barrier: those DMA
    ops run after the DMA's join and before its fork, so no unit waits for them.
    """
    hub_unit = Unit.ARRAY if floats else Unit.DMA
    others = [u for u in UNITS if u != hub_unit]
    hub = sum(1 << u for u in others)
    for u in others:
        syncs.append((anchor, before, u, 0, 1 << hub_unit))
    syncs.append((anchor, before, hub_unit, hub, hub))
    syncs.extend((anchor, op) for op in floats)
    for u in others:
        syncs.append((anchor, before, u, 1 << hub_unit, 0))


def floating_dma(
    segment: list[sharp.InstructionOp], loop: list[sharp.InstructionOp]
) -> list[sharp.InstructionOp]:
    """DMA ops of a segment that may run across the barrier into the following loop.

    They conflict with nothing the loop touches and with no other op of the segment except
    DMA ops that float too (the DMA unit keeps their order), e.g. the next layer's weights
    that `sharp-prefetch` placed in front of the loop: the barrier then waits only for the
    work the loop needs, and the transfer overlaps the loop::

        DMA:   loadw R0 | join | loadw W1, loadw R1 (floating) | fork | store y ...
        array: dispatch ... | join, fork | time_loop ...
    """
    found = {id(op): accesses(op) for op in [*segment, *loop]}

    def clash(a: sharp.InstructionOp, b: sharp.InstructionOp) -> bool:
        return any(x.conflicts(y) for x in found[id(a)] for y in found[id(b)])

    floats = [op for op in segment if op.unit == Unit.DMA and not any(clash(op, other) for other in loop)]
    while True:
        keep = set(map(id, floats))
        stay = [op for op in segment if id(op) not in keep]
        kept = [op for op in floats if not any(clash(op, other) for other in stay)]
        if len(kept) == len(floats):
            return kept
        floats = kept


def assign_dataflow_tokens(block: Block, cross_step: bool = True) -> dict[sharp.InstructionOp, list[int]]:
    """Insert barriers, primes and drains, and return every instruction's [pop, push] masks."""
    masks: dict[sharp.InstructionOp, list[int]] = {}
    syncs: list[Item] = []
    runs = pieces(block)
    floats: dict[int, list[sharp.InstructionOp]] = {}
    for k, piece in enumerate(runs[:-1]):
        if piece.loop is None and runs[k + 1].loop is not None:
            floats[k + 1] = floating_dma(piece.ops, runs[k + 1].ops)
            moved = set(map(id, floats[k + 1]))
            piece.ops = [op for op in piece.ops if id(op) not in moved]
    for k, piece in enumerate(runs):
        for op in [*piece.ops, *floats.get(k, [])]:
            masks[op] = [0, 0]
        if piece.loop is None:
            _segment_tokens(piece.ops, masks)
            continue
        if k > 0:
            _barrier(piece.loop, True, syncs, floats.get(k, []))
        if cross_step:
            _loop_tokens(piece, masks, syncs)
        else:
            head = piece.loop.body.block.first_op
            assert head is not None
            _barrier(head, True, syncs)
        if k < len(runs) - 1:
            _barrier(piece.loop, False, syncs)
    after: dict[Operation, list[Operation]] = {}
    for item in syncs:
        if len(item) == 2:  # a floating DMA op, moved in front of its loop
            anchor, op = item
            op.detach()
            before = True
        else:
            anchor, before, unit, pop, push = item
            op = sharp.SyncOp(unit)
            masks[op] = [pop, push]
        parent = anchor.parent_block()
        assert parent is not None
        if before:
            parent.insert_op_before(op, anchor)
        else:
            chain = after.setdefault(anchor, [])
            parent.insert_op_after(op, chain[-1] if chain else anchor)
            chain.append(op)
    if not cross_step:
        for piece in runs:
            if piece.loop is not None:
                seq = [o for o in piece.loop.body.block.ops if isinstance(o, sharp.InstructionOp)]
                head = [o for o in seq if isinstance(o, sharp.SyncOp) and masks.get(o)]
                rest = [o for o in seq if o not in head]
                _segment_tokens(rest, masks)
    return masks
