"""The interpreter: walks the code as a loop tree and runs each instruction's kernel and timing.

Functional execution follows program order; the timing model sees the same
order and derives the parallel schedule from the tokens. Loops are executed
per iteration in Python (time steps are never unrolled in the binary).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

from sharp_compiler.isa.program import Program, TensorKind
from sharp_compiler.isa.spec import Opcode
from sharp_compiler.isa.validate import CodeInfo
from sharp_compiler.sim import trace as trace_module
from sharp_compiler.sim.errors import SimError
from sharp_compiler.sim.facts import instruction_facts
from sharp_compiler.sim.hazards import HazardChecker
from sharp_compiler.sim.kernels import Kernel, build_kernels, check_sequence_lengths
from sharp_compiler.sim.memory import allocate
from sharp_compiler.sim.stats import build_stats
from sharp_compiler.sim.timing import Timing, scoreboard_windows
from sharp_compiler.sim.trace import TraceRecorder

MAX_DYNAMIC_INSTRUCTIONS = 50_000_000
"""Largest number of instructions one simulation executes (loops expanded)."""

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
    return sum(item.trip * dynamic_count(item.body) if isinstance(item, Loop) else 1 for item in tree)


def run(
    program: Program,
    info: CodeInfo,
    inputs: Mapping[str, object],
    *,
    trace: bool,
    check_hazards: bool,
    timing: str,
    numerics: bool = True,
) -> SimResult:
    cfg = info.config
    tree = loop_tree(program, info)
    executed = dynamic_count(tree)
    if executed > MAX_DYNAMIC_INSTRUCTIONS:
        raise SimError(
            f"the program executes {executed} instructions, above the simulator's {MAX_DYNAMIC_INSTRUCTIONS}"
        )
    memory = allocate(program, inputs)
    if numerics:
        check_sequence_lengths(program, info, memory)
    facts = instruction_facts(program, cfg)
    layers = _layer_of_pc(program)
    recorder = TraceRecorder(cfg.clock_hz, layers, trace_module.MAX_TRACE_EVENTS) if trace else None
    hazards = HazardChecker(program, facts) if check_hazards else None
    windows = scoreboard_windows(program, facts)
    clock = Timing(cfg, facts, windows=windows, tile_mode=timing == "tile", trace=recorder, hazards=hazards)
    with np.errstate(all="ignore"):  # inf/nan in the data are results, not warnings
        # Timing never reads data (loop trips and costs are static), so timing-only runs skip the kernels.
        kernels = build_kernels(program, info, memory) if numerics else [None] * len(program.instructions)
        _execute(tree, 0, kernels, clock.step)
    cycles = clock.finish()
    stats = build_stats(program, cfg, facts, clock, cycles, timing)
    outputs = {
        t.name: memory.dram[n].reshape(t.shape)
        for n, t in enumerate(program.tensors)
        if t.kind == TensorKind.OUTPUT and numerics
    }
    events = recorder.events(f"SHARP {cfg.name}") if recorder is not None else None
    return SimResult(outputs, stats, events, recorder.dropped if recorder is not None else 0)


def _execute(tree: Tree, i: int, kernels: list[Kernel | None], step: Callable[[int, int], None]) -> None:
    for item in tree:
        if isinstance(item, Loop):
            for j in range(item.trip):
                _execute(item.body, j, kernels, step)
            continue
        kernel = kernels[item]
        if kernel is not None:
            kernel(i)
        step(item, i)


def _layer_of_pc(program: Program) -> list[str | None]:
    names: list[str | None] = [None] * len(program.instructions)
    for layer in reversed(program.layers):
        for pc in range(layer.pc_begin, layer.pc_end):
            names[pc] = layer.name
    return names
