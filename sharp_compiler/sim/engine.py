"""The interpreter: walks the code as a loop tree and runs each instruction's kernel and timing.

Functional execution follows program order; the timing model sees the same
order and derives the parallel schedule from the tokens. Loops are executed
per iteration in Python (time steps are never unrolled in the binary).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from sharp_compiler.hw.numerics import NumericsWarning, count_nonfinite
from sharp_compiler.isa.program import Program, TensorKind
from sharp_compiler.isa.spec import Opcode
from sharp_compiler.isa.validate import CodeInfo
from sharp_compiler.sim import trace as trace_module
from sharp_compiler.sim.errors import SimError
from sharp_compiler.sim.facts import instruction_facts
from sharp_compiler.sim.hazards import HazardChecker
from sharp_compiler.sim.init_check import InitChecker
from sharp_compiler.sim.kernels import Kernel, build_kernels, check_sequence_lengths
from sharp_compiler.sim.memory import allocate
from sharp_compiler.sim.periodic import Periodic, shift_invariant
from sharp_compiler.sim.stats import build_stats
from sharp_compiler.sim.timing import Timing, scoreboard_windows
from sharp_compiler.sim.trace import TraceRecorder

DEFAULT_MAX_INSTRUCTIONS = 5_000_000
"""Default limit on the instructions one simulation executes (loops expanded, each iteration counts
one): with the hazard checker on, about a minute on the project machine at worst (docs/simulator.md)."""
PROGRESS_SECONDS = 5.0
"""A long run calls its `progress` callback this often."""
Progress = Callable[[int, int], None]  # (instructions done, instructions in all)

Tree = list[Union[int, "Loop"]]


@dataclass(frozen=True)
class Loop:
    trip: int
    body: Tree


@dataclass
class SimResult:
    """What a simulation returns."""

    outputs: dict[str, np.ndarray]  # keyed by ONNX output name, shaped and typed as declared
    stats: dict[str, Any]  # JSON-ready statistics (docs/simulator.md)
    trace: list[dict[str, Any]] | None = None  # Chrome trace events when requested
    trace_dropped: int = field(default=0)  # events beyond the trace cap


def loop_tree(program: Program, info: CodeInfo) -> Tree:
    """The code as nested blocks: pcs of unit instructions and `Loop`s (LOOP/ENDLOOP vanish)."""

    def block(start: int, stop: int) -> Tree:
        items: Tree = []
        pc = start
        while pc < stop:
            ins = program.instructions[pc]
            if ins.opcode == Opcode.LOOP:
                end = info.loop_end[pc]
                items.append(Loop(ins.imm, block(pc + 1, end)))
                pc = end + 1
                continue
            items.append(pc)
            pc += 1
        return items

    return block(0, len(program.instructions))


def dynamic_count(tree: Tree) -> int:
    """Instructions executed, loops expanded; every loop iteration also costs one (its branch)."""
    return sum(item.trip * (1 + dynamic_count(item.body)) if isinstance(item, Loop) else 1 for item in tree)


def run(
    program: Program,
    info: CodeInfo,
    inputs: Mapping[str, object],
    *,
    trace: bool,
    check_hazards: bool,
    timing: str,
    max_instructions: int = DEFAULT_MAX_INSTRUCTIONS,
    fast_forward: bool = True,
    progress: Progress | None = None,
    numerics: bool = True,
) -> SimResult:
    cfg = info.config
    tree = loop_tree(program, info)
    executed = dynamic_count(tree)
    if executed > max_instructions:
        raise SimError(
            f"the program executes {executed} instructions (loops expanded), above the limit of "
            f"{max_instructions} (sharp-run --max-instructions N raises it)"
        )
    memory = allocate(program, inputs)
    if numerics:
        check_sequence_lengths(program, info, memory)
    facts = instruction_facts(program, cfg)
    layers = _layer_of_pc(program)
    recorder = None
    if trace:
        recorder = TraceRecorder(
            cfg.clock_hz, layers, trace_module.MAX_TRACE_EVENTS, array_macs=cfg.macs,
            macs_of_pc=[math.prod(f.mvm) if f.mvm else 0 for f in facts],
            dram_bytes_of_pc=[f.traffic.dram_read + f.traffic.dram_write for f in facts],
        )  # fmt: skip
    hazards = HazardChecker(program, facts) if check_hazards else None
    windows = scoreboard_windows(program, facts)
    clock = Timing(cfg, facts, windows=windows, tile_mode=timing == "tile", trace=recorder, hazards=hazards)
    with np.errstate(all="ignore"):  # inf/nan in the data are results, not warnings
        # Timing never reads data (loop trips and costs are static), so timing-only runs skip the kernels.
        if numerics:
            kernels, saturated = build_kernels(program, info, memory)
            InitChecker(program, facts).wrap(kernels)
        else:
            kernels, saturated = [None] * len(program.instructions), [0]
        executor = _Executor(program, facts, kernels, clock, hazards, fast_forward and recorder is None
                             and timing == "fast", progress, executed)  # fmt: skip
        executor.block(tree, 0)
    cycles = clock.finish()
    stats = build_stats(program, cfg, facts, clock, cycles, timing)
    outputs = {
        t.name: memory.dram[n].reshape(t.shape)
        for n, t in enumerate(program.tensors)
        if t.kind == TensorKind.OUTPUT and numerics
    }
    stats["fp16"] = fp16_stats(program, saturated[0], outputs)
    events = recorder.events(f"SHARP {cfg.name}") if recorder is not None else None
    return SimResult(outputs, stats, events, recorder.dropped if recorder is not None else 0)


def fp16_stats(program: Program, saturated: int, outputs: Mapping[str, np.ndarray]) -> dict[str, int]:
    """`stats["fp16"]`: operand values saturated, NaN/Inf output values; one warning line if any."""
    nonfinite = sum(count_nonfinite(v) for v in outputs.values())
    if saturated or nonfinite:
        warnings.warn(
            NumericsWarning(
                f"{program.precision}: {saturated} array operand value(s) saturated to +-65504, "
                f"{nonfinite} output value(s) are NaN or Inf (docs/precision.md)"
            ),
            stacklevel=3,
        )
    return {"saturated": saturated, "nonfinite": nonfinite}


class _Executor:
    """Walks the loop tree: kernels in program order, timing per instruction, loops fast-forwarded
    once their timing is proven periodic (`periodic`), progress reported on long runs."""

    def __init__(self, program: Program, facts: list, kernels: list[Kernel | None], timing: Timing,
                 hazards: HazardChecker | None, fast_forward: bool, progress: Progress | None, total: int) -> None:  # fmt: skip
        self.p, self.facts, self.kernels, self.timing, self.hazards = program, facts, kernels, timing, hazards
        self.fast_forward, self.progress, self.total = fast_forward, progress, total
        self.done = 0
        self.reported = time.monotonic()

    def block(self, tree: Tree, i: int) -> None:
        kernels, step = self.kernels, self.timing.step
        for item in tree:
            if isinstance(item, Loop):
                self.loop(item)
                continue
            kernel = kernels[item]
            if kernel is not None:
                kernel(i)
            step(item, i)
        self.done += len(tree)

    def loop(self, loop: Loop) -> None:
        flat = all(not isinstance(item, Loop) for item in loop.body)
        body: list[int] = [item for item in loop.body if not isinstance(item, Loop)]
        periodic = None
        if flat and self.fast_forward and shift_invariant(self.p, self.facts, body, self.hazards):
            periodic = Periodic(self.p, self.facts, body, self.timing, self.hazards)
        previous = None
        for j in range(loop.trip):
            self.block(loop.body, j)
            self.done += 1
            self.tick()
            if periodic is None or not _checked(j):
                previous = None
                continue
            current = periodic.snapshot(j)
            if previous is not None and previous.key == current.key and j + 1 < loop.trip:
                self.kernels_only(body, j + 1, loop.trip)
                periodic.advance(previous, current, loop.trip - 1 - j, j)
                return
            previous = current

    def kernels_only(self, body: list[int], first: int, trip: int) -> None:
        """The functional work of iterations [first, trip) (their timing is fast-forwarded)."""
        kernels, per_iteration = self.kernels, len(body) + 1
        calls: list[Kernel] = []
        for j in range(first, trip):
            if (j - first) % 32 == 0:  # re-read: a checking kernel swaps itself out once settled
                calls = [k for k in (kernels[pc] for pc in body) if k is not None]
                self.tick()
            for kernel in calls:
                kernel(j)
            self.done += per_iteration

    def tick(self) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if now - self.reported >= PROGRESS_SECONDS:
            self.reported = now
            self.progress(self.done, self.total)


def _checked(j: int) -> bool:
    """Iterations after which a snapshot is taken: every one of the first 16, then pairs every 16."""
    return j < 16 or j % 16 in (0, 1)


def _layer_of_pc(program: Program) -> list[str | None]:
    names: list[str | None] = [None] * len(program.instructions)
    for layer in reversed(program.layers):
        for pc in range(layer.pc_begin, layer.pc_end):
            names[pc] = layer.name
    return names
