"""Uninitialised-read detection: no instruction reads a buffer word that no earlier instruction wrote.

Like MemorySanitizer's shadow memory: every region (vector or weight buffer) has a
boolean map of the words written so far; a read through a window that holds an
unwritten word is an error, reported in one line before the instruction runs.

The check costs nothing once it has nothing left to learn: a window that does not
move with the loop index (row_step 0) is checked on its first read and marked on
its first write, and a region whose every word has been written is no longer
tracked, so an instruction whose accesses are all settled gets its plain kernel
back (`wrap` swaps it in place in the kernel list)::

    pc 7 (vadd, iteration 0) reads %bias[0:1, 0:16], which no earlier instruction wrote
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sharp_compiler.isa.program import Program, Space, View
from sharp_compiler.isa.spec import OPS, Flag, Opcode
from sharp_compiler.sim.errors import UninitializedReadError
from sharp_compiler.sim.facts import Facts

Kernel = Callable[[int], None]


class InitChecker:
    """Shadow maps of written words, one per region."""

    def __init__(self, program: Program, facts: list[Facts]) -> None:
        self.p = program
        self.facts = facts
        self.shadow = [np.zeros((r.rows, r.cols), bool) for r in program.regions]
        self.full = [False] * len(program.regions)

    def reads(self, pc: int) -> tuple[int, ...]:
        """Views an instruction reads (an accumulating MVM also reads its destination)."""
        ins, f = self.p.instructions[pc], self.facts[pc]
        if f.op == Opcode.MVM and ins.flags & Flag.ACCUMULATE:
            return (*f.reads, ins.a)
        return f.reads

    def wrap(self, kernels: list[Kernel | None]) -> None:
        """Replace each kernel that touches a buffer by a checking one (which unwraps itself)."""
        for pc, kernel in enumerate(kernels):
            reads, writes = self.reads(pc), self.facts[pc].writes
            if kernel is not None and (reads or writes):
                kernels[pc] = self._guard(pc, kernel, kernels, reads, writes)

    def _guard(
        self,
        pc: int,
        kernel: Kernel,
        kernels: list[Kernel | None],
        reads: tuple[int, ...],
        writes: tuple[int, ...],
    ) -> Kernel:
        views = self.p.views
        pending_reads = list(reads)
        pending_writes = list(writes)

        def guarded(i: int) -> None:
            for view in list(pending_reads):
                v = views[view]
                if self.full[v.region]:
                    pending_reads.remove(view)
                    continue
                window = _window(self.shadow[v.region], v, i)
                if not window.all():
                    raise UninitializedReadError(self._message(pc, i, v, window))
                if v.row_step == 0:
                    pending_reads.remove(view)
            kernel(i)
            for view in list(pending_writes):
                v = views[view]
                if not self.full[v.region]:
                    _window(self.shadow[v.region], v, i)[...] = True
                    self.full[v.region] = bool(self.shadow[v.region].all())
                if v.row_step == 0 or self.full[v.region]:
                    pending_writes.remove(view)
            if not pending_reads and not pending_writes:
                kernels[pc] = kernel

        return guarded

    def _message(self, pc: int, i: int, v: View, window: np.ndarray) -> str:
        region = self.p.regions[v.region]
        r0 = v.row0 + v.row_step * i
        row, col = (int(x[0]) for x in np.nonzero(~window))
        sigil = "@" if region.space == Space.WMEM else "%"
        return (
            f"pc {pc} ({OPS[self.facts[pc].op].mnemonic}, iteration {i}) reads {sigil}{region.name}"
            f"[{r0}:{r0 + v.nrows}, {v.col0}:{v.col0 + v.ncols}], but word [{r0 + row}, {v.col0 + col}] was "
            f"never written (uninitialised read)"
        )


def _window(shadow: np.ndarray, v: View, i: int) -> np.ndarray:
    r0 = v.row0 + v.row_step * i
    return shadow[r0 : r0 + v.nrows, v.col0 : v.col0 + v.ncols]
