"""Statistics of a run, as a JSON-ready dict; every metric is defined in ``docs/simulator.md``."""

from __future__ import annotations

import math
from typing import Any

from sharp_compiler.hw import bound as bounds
from sharp_compiler.hw.config import HwConfig
from sharp_compiler.isa.program import DTYPE_SIZES, LayerInfo, Program, TensorKind
from sharp_compiler.isa.spec import TOKEN_UNITS, Opcode, Unit
from sharp_compiler.sim.facts import Facts
from sharp_compiler.sim.timing import Timing

PJ = 1e-12


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def build_stats(
    program: Program, cfg: HwConfig, facts: list[Facts], timing: Timing, cycles: int, mode: str
) -> dict[str, Any]:
    count = timing.count
    seconds = cycles / cfg.clock_hz
    macs = timing.slots["useful"]
    act_ops = sum(n * f.act_ops for n, f in zip(count, facts, strict=True))
    cell_ops = sum(n * f.cell_ops for n, f in zip(count, facts, strict=True))
    memory = {
        "dram_read_bytes": 0, "dram_write_bytes": 0,
        "weight_sram_read_bytes": 0, "weight_sram_write_bytes": 0,
        "vector_sram_read_bytes": 0, "vector_sram_write_bytes": 0,
    }  # fmt: skip
    for n, f in zip(count, facts, strict=True):
        if not n:
            continue
        t = f.traffic
        memory["dram_read_bytes"] += n * t.dram_read
        memory["dram_write_bytes"] += n * t.dram_write
        memory["weight_sram_read_bytes"] += n * t.weight_read
        memory["weight_sram_write_bytes"] += n * t.weight_write
        memory["vector_sram_read_bytes"] += n * t.vector_read
        memory["vector_sram_write_bytes"] += n * t.vector_write
    sram = sum(v for k, v in memory.items() if "sram" in k)
    dram = memory["dram_read_bytes"] + memory["dram_write_bytes"]
    energy = {
        "mac": macs * cfg.pj_per_mac(program.precision) * PJ,
        "sram": sram * cfg.pj_per_sram_byte * PJ,
        "dram": dram * cfg.pj_per_dram_byte * PJ,
        "act": act_ops * cfg.pj_per_act_op * PJ,
        "cell": cell_ops * cfg.pj_per_cell_op * PJ,
        "static": cfg.static_watts * seconds,
    }
    energy_joules = sum(energy.values())
    slots = dict(timing.slots)
    total_slots = cycles * cfg.macs
    slots["non_matrix"] = (cycles - timing.free[Unit.ARRAY]) * cfg.macs  # after the array's last issue
    slots["total"] = total_slots
    breakdown = {key: _ratio(value, total_slots) for key, value in slots.items() if key != "total"}
    if not total_slots:
        breakdown["non_matrix"] = 1.0
    return {
        "config": cfg.name,
        "precision": program.precision,
        "timing_mode": mode,
        "clock_hz": cfg.clock_hz,
        "cycles": cycles,
        "seconds": seconds,
        "instructions": sum(count),
        "macs": macs,
        "padded_mac_slots": slots["padding"],
        "elementwise_ops": {"act": act_ops, "cell": cell_ops},
        "mac_utilization": _ratio(macs, total_slots),
        "utilization_breakdown": breakdown,
        "array_slots": slots,
        "busy_cycles": {u.name.lower(): timing.busy[u] for u in TOKEN_UNITS},
        "memory": memory,
        "energy_joules": energy_joules,
        "energy_breakdown": energy,
        "gflops_per_watt": _ratio(2 * macs, energy_joules) / 1e9,
        "reconfigurations": timing.reconfigurations,
        "bound": bounds.bound(cfg, _program_work(program, cfg, timing, act_ops, cell_ops), cycles),
        "layers": _layers(program, cfg, facts, timing),
    }


RECURRENT_KINDS = ("lstm", "gru", "rnn")


def _loaded_weight_bytes(program: Program, cfg: HwConfig, pcs: range, regions: set[int] | None = None) -> int:
    """Bytes of the distinct constant tensors `loadw` reads in a pc range (into `regions` only,
    when given), at the weight precision."""
    ins, views = program.instructions, program.views
    tensors = {program.dmas[ins[pc].b].tensor for pc in pcs if ins[pc].opcode == Opcode.LOADW
               and (regions is None or views[ins[pc].a].region in regions)}  # fmt: skip
    per = cfg.weight_bytes_per_element(program.precision)
    return sum(math.prod(program.tensors[t].shape) * per for t in tensors)


def _layer_weight_bytes(program: Program, cfg: HwConfig, layer: LayerInfo, own_code: bool = False) -> int:
    """Bytes of the constant tensors loaded into the weight-buffer regions a layer's `mvm`s read.

    Not the loads inside the layer's code: a prefetch there may bring the next layer's weights.
    `own_code`: only those loaded by the layer's own code (a layer's span does not cover a
    prefetch made before it).
    """
    ins, pcs = program.instructions, range(layer.pc_begin, layer.pc_end)
    regions = {program.views[ins[pc].c].region for pc in pcs if ins[pc].opcode == Opcode.MVM}
    return _loaded_weight_bytes(program, cfg, pcs if own_code else range(layer.pc_end), regions)


def _steps(program: Program, pcs: range) -> int:
    trips = [program.instructions[pc].imm for pc in pcs if program.instructions[pc].opcode == Opcode.LOOP]
    return max(trips, default=0)


def _layer_work(
    program: Program, cfg: HwConfig, facts: list[Facts], timing: Timing, layer: LayerInfo
) -> bounds.Work:
    pcs = range(layer.pc_begin, layer.pc_end)
    count = timing.count
    kind = layer.kind if layer.kind in RECURRENT_KINDS else ""
    steps = _steps(program, pcs) if kind else 0
    return bounds.Work(
        macs=sum(count[pc] * math.prod(facts[pc].mvm or (0,)) for pc in pcs),
        act_elements=sum(count[pc] * facts[pc].act_ops for pc in pcs),
        cell_elements=sum(count[pc] * facts[pc].cell_ops for pc in pcs),
        cold_bytes=_loaded_weight_bytes(program, cfg, pcs),
        recurrent_kind=kind,
        steps=steps,
        stack=((kind, layer.directions),) if kind else (),
        startup_bytes=_layer_weight_bytes(program, cfg, layer, own_code=True) if kind else 0,
        step_macs=_step_macs(facts, timing, layer, steps) if kind else 0,
    )


def _program_work(
    program: Program, cfg: HwConfig, timing: Timing, act_ops: int, cell_ops: int
) -> bounds.Work:
    """The whole run: stacked recurrent nodes (distinct ONNX nodes, in order) form the wavefront."""
    everything = range(len(program.instructions))
    io = sum(math.prod(t.shape) * DTYPE_SIZES[t.dtype] for t in program.tensors
             if t.kind in (TensorKind.INPUT, TensorKind.OUTPUT))  # fmt: skip
    recurrent = [layer for layer in program.layers if layer.kind in RECURRENT_KINDS]
    nodes = list(dict.fromkeys(layer.onnx_node for layer in recurrent))
    first = [layer for layer in recurrent if nodes and layer.onnx_node == nodes[0]]
    node_of = {layer.onnx_node: layer for layer in recurrent}
    stack = tuple((node_of[n].kind, node_of[n].directions) for n in nodes)
    steps = max((_steps(program, range(la.pc_begin, la.pc_end)) for la in first), default=0)
    kinds = {layer.kind for layer in recurrent}
    chains = {k: bounds.step_chain(cfg, k) for k in kinds}
    return bounds.Work(
        macs=timing.slots["useful"],
        act_elements=act_ops,
        cell_elements=cell_ops,
        cold_bytes=_loaded_weight_bytes(program, cfg, everything) + io,
        recurrent_kind=min(chains, key=lambda k: (chains[k], k)) if chains else "",
        steps=steps,
        stack=stack,
        startup_bytes=_loaded_weight_bytes(program, cfg, everything, _mvm_regions(program, recurrent)),
        step_macs=min((_step_macs(timing.facts, timing, la, steps) for la in recurrent), default=0),
    )


def _mvm_regions(program: Program, layers: list[LayerInfo]) -> set[int]:
    """The weight-buffer regions the layers' `mvm`s read."""
    ins = program.instructions
    return {
        program.views[ins[pc].c].region
        for layer in layers
        for pc in range(layer.pc_begin, layer.pc_end)
        if ins[pc].opcode == Opcode.MVM
    }


def _step_macs(facts: list[Facts], timing: Timing, layer: LayerInfo, steps: int) -> int:
    """MACs of one time step of a recurrent layer: its `mvm`s that run once per step."""
    pcs = range(layer.pc_begin, layer.pc_end)
    return sum(math.prod(facts[pc].mvm or (0,)) for pc in pcs if facts[pc].mvm and timing.count[pc] == steps)


def _layers(program: Program, cfg: HwConfig, facts: list[Facts], timing: Timing) -> list[dict[str, Any]]:
    out = []
    for layer in program.layers:
        pcs = [pc for pc in range(layer.pc_begin, layer.pc_end) if timing.first_start[pc] is not None]
        starts = [timing.first_start[pc] for pc in pcs]
        cycles = (
            max(timing.last_end[pc] for pc in pcs) - min(s for s in starts if s is not None) if pcs else 0
        )
        macs, tile = 0, None
        for pc in pcs:
            shape = facts[pc].mvm
            if shape is None:
                continue
            macs += timing.count[pc] * shape[0] * shape[1] * shape[2]
            tile = tile or timing.mvm_tile[pc]
        rows, cols = tile or layer.tile
        out.append({
            "name": layer.name,
            "onnx_node": layer.onnx_node,
            "kind": layer.kind,
            "cycles": cycles,
            "tile": f"{rows}x{cols}",
            "macs": macs,
            "mac_utilization": _ratio(macs, cycles * cfg.macs),
            "bound": bounds.bound(cfg, _layer_work(program, cfg, facts, timing, layer), cycles),
        })  # fmt: skip
    return out
