"""Dependency tokens from data dependences: the `dataflow` scheme of `sharp-schedule`.

The program is cut into segments: the straight-line code between loops, and
each loop body (one iteration). A segment is bracketed by two DMA syncs, a
*fork* that every unit's first instruction in the segment waits for and a
*join* that waits for every unit's last instruction, so no token crosses a
segment boundary and every iteration of a loop pops and pushes the same
queues. Inside a segment an instruction waits only for the latest instruction
of each other unit that it truly depends on: it reads what that one writes
(RAW), or writes what it reads or writes (WAR, WAW), judged on the buffer
windows (rows and columns) and DRAM tensors each instruction touches; a
window that moves with the loop index is compared by rows only with windows
moving by the same step (in one iteration both are shifted alike), and
conservatively (any row) with the others. Units
are in order, so a dependence already implied by the waits kept so far (on any
queue, transitively) is dropped; this also keeps every queue's pushes and pops
paired in FIFO order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.ir import Attribute, Block

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


def segments(block: Block) -> list[list[sharp.InstructionOp]]:
    """The straight-line runs between loops, and each loop body, in program order."""
    runs: list[list[sharp.InstructionOp]] = [[]]

    def walk(inner: Block, in_loop: bool) -> None:
        for op in inner.ops:
            if isinstance(op, sharp.TimeLoopOp):
                if in_loop:
                    raise LoweringError("the dataflow scheme handles one level of time loops")
                runs.append([])
                walk(op.body.block, True)
                runs.append([])
            elif isinstance(op, sharp.LayerOp):
                walk(op.body.block, in_loop)
            elif isinstance(op, sharp.InstructionOp):
                runs[-1].append(op)

    walk(block, False)
    return [run for run in runs if run]


def _bracket(run: list[sharp.InstructionOp]) -> list[sharp.InstructionOp]:
    """Insert the fork before and the join after a segment; returns the bracketed list."""
    fork, join = sharp.SyncOp(Unit.DMA), sharp.SyncOp(Unit.DMA)
    first, last = run[0], run[-1]
    first_block, last_block = first.parent_block(), last.parent_block()
    assert first_block is not None and last_block is not None
    first_block.insert_op_before(fork, first)
    last_block.insert_op_after(join, last)
    return [fork, *run, join]


def _dependences(seq: list[sharp.InstructionOp]) -> list[dict[Unit, int]]:
    """Per instruction: for each other unit, the index of the latest instruction it waits for."""
    found = [accesses(op) for op in seq]
    deps: list[dict[Unit, int]] = [{} for _ in seq]
    first_of: dict[Unit, int] = {}
    last_of: dict[Unit, int] = {}
    for c in range(1, len(seq) - 1):
        unit = seq[c].unit
        first_of.setdefault(unit, c)
        last_of[unit] = c
        for p in range(c - 1, -1, -1):
            producer = seq[p].unit
            if producer == unit or producer in deps[c]:
                continue
            if any(a.conflicts(b) for a in found[c] for b in found[p]):
                deps[c][producer] = p
    for unit, c in first_of.items():
        if unit != Unit.DMA:
            deps[c].setdefault(Unit.DMA, 0)  # waits for the fork (or something later on DMA)
    join = len(seq) - 1
    deps[join] = {unit: c for unit, c in last_of.items() if unit != Unit.DMA}
    return deps


def assign_dataflow_tokens(block: Block) -> dict[sharp.InstructionOp, list[int]]:
    """Bracket every segment and return each instruction's [pop, push] masks.

    A wait is kept only when nothing already kept guarantees it: `known[c][u]` is the latest
    instruction of unit u that has finished before c starts (through its own unit's earlier
    instructions and the waits they and c keep), so the result is a transitive reduction.
    """
    masks: dict[sharp.InstructionOp, list[int]] = {}
    for run in segments(block):
        seq = _bracket(run)
        for op in seq:
            masks[op] = [0, 0]
        known: list[dict[Unit, int]] = []
        previous_on: dict[Unit, int] = {}
        for c, waits in enumerate(_dependences(seq)):
            unit = seq[c].unit
            mine: dict[Unit, int] = {}
            if unit in previous_on:  # units are in order: c starts after its predecessor ended
                mine = dict(known[previous_on[unit]])
                mine[unit] = previous_on[unit]
            for producer_unit, p in sorted(waits.items(), key=lambda item: -item[1]):
                if mine.get(producer_unit, -1) >= p:
                    continue  # already guaranteed
                masks[seq[c]][0] |= 1 << producer_unit
                masks[seq[p]][1] |= 1 << unit
                for u, index in known[p].items():
                    mine[u] = max(mine.get(u, -1), index)
                mine[producer_unit] = max(mine.get(producer_unit, -1), p)
            known.append(mine)
            previous_on[unit] = c
    return masks
