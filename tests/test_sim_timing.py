"""The timing engine, the statistics and the trace: hand-derived numbers from the config's fields."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sharp_sim_builders import LstmCase, ProgramBuilder, config, lstm_program, serialize

from sharp_compiler import sim
from sharp_compiler.hw.config import HwConfig
from sharp_compiler.isa.program import LayerInfo, Program, Space, TensorKind
from sharp_compiler.isa.spec import ActFn, Flag, Opcode, Unit
from sharp_compiler.sim import trace as trace_module

M, K = 40, 70


def dram(cfg: HwConfig, nbytes: int) -> int:
    """Occupancy of one DMA transfer: the bytes at the bandwidth (the latency comes on top)."""
    return math.ceil(nbytes / cfg.dram_bytes_per_cycle)


def chain_program() -> Program:
    """loadw W; load x -> mvm -> sigmoid -> store, plus an independent vfill on the cell updater."""
    pb = ProgramBuilder()
    x = pb.tensor("X", TensorKind.INPUT, (1, K))
    w = pb.tensor("W", TensorKind.CONST, (M, K), data=np.ones((M, K), np.float32))
    y = pb.tensor("Y", TensorKind.OUTPUT, (1, M))
    vx, vy, vz = pb.view(pb.region("x", 1, K)), pb.view(pb.region("y", 1, M)), pb.view(pb.region("z", 1, M))
    vw = pb.view(pb.region("W", M, K, Space.WMEM))
    pb.emit(Opcode.LOADW, vw, pb.dma(w, M, K))
    pb.emit(Opcode.LOAD, vx, pb.dma(x, 1, K), push="array")
    pb.emit(Opcode.MVM, vy, vx, vw, pop="dma", push="act")
    pb.emit(Opcode.ACT, vz, vy, pb.param(ActFn.SIGMOID), pop="array", push="dma")
    pb.emit(Opcode.STORE, pb.dma(y, 1, M), vz, pop="act")
    pb.emit(Opcode.VFILL, pb.view(pb.region("other", 1, 8)), imm=0)
    program = pb.build()
    program.layers.append(LayerInfo("head", "Gemm_0", "linear", 0, 5, (32, 32), M * K))
    return program


def run(program: Program, **options: object) -> sim.SimResult:
    inputs = {t.name: np.ones(t.shape, t.dtype) for t in program.inputs()}
    return sim.simulate(program, inputs, check_hazards=True, **options)  # type: ignore[arg-type]


def starts(result: sim.SimResult) -> dict[int, tuple[int, int]]:
    assert result.trace is not None
    return {
        e["args"]["pc"]: (e["args"]["start_cycle"], e["args"]["cycles"])
        for e in result.trace
        if e["ph"] == "X"
    }


def _chain_times(cfg: HwConfig) -> dict[str, int]:
    """The pipelined schedule of `chain_program`, derived by hand from the config's fields.

    loadw and load issue back to back on the DMA unit (no token between them), each completing
    dram_latency after its occupancy; the load's token releases the mvm, whose result is complete
    array_latency after its issue cycles, then act, then the store.
    """
    tile = cfg.default_tile
    tiles = cfg.macs // (tile[0] * tile[1])
    rounds = math.ceil(math.ceil(M / tile[0]) / tiles)  # each tile owns whole row blocks
    t: dict[str, int] = {}
    t["w_occ"], t["x_occ"], t["y_occ"] = dram(cfg, M * K * 4), dram(cfg, K * 4), dram(cfg, M * 4)
    t["x_end"] = t["w_occ"] + t["x_occ"] + cfg.dram_latency
    t["mvm_occ"] = rounds * math.ceil(K / tile[1])
    array_latency = cfg.mult_latency + math.ceil(math.log2(tile[1])) + cfg.accumulate_latency
    t["mvm_end"] = t["x_end"] + t["mvm_occ"] + array_latency
    t["act_occ"] = math.ceil(M / cfg.act_lanes)
    t["act_end"] = t["mvm_end"] + t["act_occ"] + cfg.act_latency
    t["total"] = t["act_end"] + t["y_occ"] + cfg.dram_latency
    return t


def test_hand_derived_cycles() -> None:
    cfg = config()
    t = _chain_times(cfg)
    result = run(chain_program(), trace=True)
    stats = result.stats
    assert stats["cycles"] == t["total"]
    assert stats["seconds"] == t["total"] / cfg.clock_hz
    assert stats["busy_cycles"] == {"dma": t["w_occ"] + t["x_occ"] + t["y_occ"], "array": t["mvm_occ"],
                                    "act": t["act_occ"], "cell": 1}  # fmt: skip
    # the load issues while the weights still stream; tokens delay the rest; the vfill pops
    # nothing and starts at 0 although it comes last (trace slices span the occupancy)
    assert starts(result) == {
        0: (0, t["w_occ"]), 1: (t["w_occ"], t["x_occ"]), 2: (t["x_end"], t["mvm_occ"]),
        3: (t["mvm_end"], t["act_occ"]), 4: (t["act_end"], t["y_occ"]), 5: (0, 1),
    }  # fmt: skip
    assert np.allclose(result.outputs["Y"], 1 / (1 + np.exp(-K)))


def test_utilisation_slots_are_exact() -> None:
    cfg = config()
    t = _chain_times(cfg)
    stats = run(chain_program()).stats
    slots = stats["array_slots"]
    blocks = math.ceil(M / 32) * math.ceil(K / 32)
    tiles = cfg.macs // (32 * 32)
    idle = (t["mvm_occ"] * tiles - blocks) * 32 * 32
    assert slots == {
        "useful": M * K,
        "padding": blocks * 32 * 32 - M * K,
        "idle_tiles": idle,
        "pipeline_fill": 0,  # no array instruction waits for an earlier one's results
        "reconfiguration": 0,
        "dependency_stall": t["x_end"] * cfg.macs,
        "non_matrix": (stats["cycles"] - t["x_end"] - t["mvm_occ"]) * cfg.macs,
        "total": stats["cycles"] * cfg.macs,
    }
    assert stats["macs"] == M * K and stats["padded_mac_slots"] == slots["padding"]
    assert stats["elementwise_ops"] == {"act": M, "cell": 8}
    assert stats["memory"] == {
        "dram_read_bytes": (M * K + K) * 4, "dram_write_bytes": M * 4,
        "weight_sram_read_bytes": M * K * 4, "weight_sram_write_bytes": M * K * 4,
        "vector_sram_read_bytes": (K + M + M) * 4, "vector_sram_write_bytes": (K + M + M + 8) * 4,
    }  # fmt: skip
    layer = dict(stats["layers"][0])
    assert set(layer.pop("bound")) == {
        "compute",
        "recurrence",
        "elementwise",
        "dram",
        "startup",
        "cycles",
        "cycles_over_bound",
    }
    assert layer == {"name": "head", "onnx_node": "Gemm_0", "kind": "linear", "cycles": stats["cycles"],
                     "tile": "32x32", "macs": M * K, "mac_utilization": M * K / (stats["cycles"] * cfg.macs)}  # fmt: skip


def test_scoreboard_holds_a_reader_of_a_running_writer() -> None:
    """Two dependent cell ops wait for the first's latency; an independent one issues at once."""
    cfg = config()
    pb = ProgramBuilder()
    va, vb, vc = (pb.view(pb.region(n, 1, 8)) for n in "abc")
    pb.emit(Opcode.VFILL, va, imm=0)
    pb.emit(Opcode.VADD, vb, va, va)  # reads a: waits for the vfill to complete
    pb.emit(Opcode.VFILL, vc, imm=0)  # independent: issues right after the vadd
    stats = run(pb.build(), trace=True)
    assert starts(stats) == {0: (0, 1), 1: (1 + cfg.cell_latency, 1), 2: (2 + cfg.cell_latency, 1)}
    assert stats.stats["cycles"] == 3 + 2 * cfg.cell_latency  # the last vfill retires after the vadd


def test_energy_is_the_sum_of_its_table() -> None:
    cfg = config()
    stats = run(chain_program()).stats
    mem = stats["memory"]
    sram = sum(v for k, v in mem.items() if "sram" in k)
    dram_bytes = mem["dram_read_bytes"] + mem["dram_write_bytes"]
    expected = {
        "mac": stats["macs"] * cfg.pj_per_mac_fp32 * 1e-12,
        "sram": sram * cfg.pj_per_sram_byte * 1e-12,
        "dram": dram_bytes * cfg.pj_per_dram_byte * 1e-12,
        "act": stats["elementwise_ops"]["act"] * cfg.pj_per_act_op * 1e-12,
        "cell": stats["elementwise_ops"]["cell"] * cfg.pj_per_cell_op * 1e-12,
        "static": cfg.static_watts * stats["seconds"],
    }
    assert stats["energy_breakdown"] == pytest.approx(expected, rel=1e-12)
    assert stats["energy_joules"] == pytest.approx(sum(expected.values()), rel=1e-12)
    assert stats["gflops_per_watt"] == pytest.approx(2 * stats["macs"] / stats["energy_joules"] / 1e9)


def test_stats_invariants_on_an_lstm() -> None:
    case = LstmCase(seq=6, batch=2, inputs=5, hidden=12)
    for preset in ("sharp-1k", "sharp-4k", "epur-like"):
        program = lstm_program(case, preset=preset)
        stats = sim.simulate(program, {"X": case.x()}, check_hazards=True).stats
        cfg = config(preset)
        assert stats["cycles"] >= stats["macs"] / cfg.macs
        assert stats["macs"] == case.seq * case.batch * 4 * case.hidden * (case.inputs + case.hidden)
        assert sum(stats["utilization_breakdown"].values()) == pytest.approx(1.0, abs=1e-12)
        slots = dict(stats["array_slots"])
        assert (
            sum(v for k, v in slots.items() if k != "total")
            == slots.pop("total")
            == stats["cycles"] * cfg.macs
        )
        assert all(v >= 0 for v in slots.values())
        assert stats["mac_utilization"] == stats["utilization_breakdown"]["useful"]
        assert all(0 < busy <= stats["cycles"] for busy in stats["busy_cycles"].values())
        assert stats["reconfigurations"] == 1
        assert stats["layers"][0]["macs"] == stats["macs"]
        json.dumps(stats)  # JSON-ready


def test_reconfiguration_changes_mvm_cost() -> None:
    costs = {}
    for tile in ((8, 8), (32, 32)):
        pb = ProgramBuilder()
        vy, vx = pb.view(pb.region("y", 1, 24)), pb.view(pb.region("x", 1, 24))
        vw = pb.view(pb.region("W", 24, 24, Space.WMEM))
        pb.cfgtile(*tile)
        pb.emit(Opcode.MVM, vy, vx, vw)
        stats = run(pb.build()).stats
        costs[tile] = stats["cycles"] - config().reconfig_cycles  # the mvm alone: issue + array latency
        assert stats["busy_cycles"]["array"] == config().reconfig_cycles + costs[
            tile
        ] - config().array_latency(tile)
        assert stats["reconfigurations"] == 1
        assert stats["array_slots"]["reconfiguration"] == config().reconfig_cycles * config().macs
    cfg = config()
    # 24x24 on 8x8 tiles: 3 row blocks, each owned by one of 64 tiles, each walking 3 K blocks
    assert costs[(8, 8)] == math.ceil(3 / cfg.tiles_for((8, 8))) * 3 + cfg.array_latency((8, 8))
    assert costs[(32, 32)] == 1 + cfg.array_latency((32, 32))


def test_deadlock_names_the_pc() -> None:
    pb = ProgramBuilder()
    v = pb.view(pb.region("v", 1, 4))
    pb.emit(Opcode.VFILL, v, imm=0, push="act")
    pb.emit(Opcode.ACT, v, v, pb.param(ActFn.RELU), pop=("cell", "array"))
    with pytest.raises(sim.SimError) as info:
        sim.simulate(pb.build(), {})
    message = str(info.value)
    assert (
        message.startswith("deadlock: pc 1 (act on act)")
        and "array->act queue" in message
        and "\n" not in message
    )


def test_leftover_tokens_are_an_error() -> None:
    pb = ProgramBuilder()
    pb.loop(3)
    pb.nop("dma", push="array")
    pb.endloop()
    with pytest.raises(
        sim.SimError, match=r"^3 token\(s\) left in the dma->array queue .* \(first pushed by pc 1\)$"
    ):
        sim.simulate(pb.build(), {})


def test_dynamic_instruction_limit() -> None:
    pb = ProgramBuilder()
    pb.loop(10**5)
    pb.loop(10**5)
    pb.nop("dma")
    pb.endloop()
    pb.endloop()
    with pytest.raises(sim.SimError, match="executes 10000000000 instructions"):
        sim.simulate(pb.build(), {})


def mvm_mix() -> Program:
    """MVMs of several shapes and batch sizes under two tile geometries."""
    pb = ProgramBuilder(config("sharp-1k"))
    vw = pb.view(pb.region("W", 70, 50, Space.WMEM))
    for tile in ((16, 16), (8, 32)):
        pb.cfgtile(*tile)
        for n, m, k in ((1, 70, 50), (3, 17, 9), (5, 64, 48), (2, 1, 1)):
            dst, src = pb.view(pb.region(f"y{n}{tile}", n, m)), pb.view(pb.region(f"x{n}{tile}", n, k))
            w = pb.view(0, rows=(0, m), cols=(0, k)) if (m, k) != (70, 50) else vw
            pb.emit(Opcode.MVM, dst, src, w, flags=Flag.ACCUMULATE if n == 3 else 0)
    return pb.build()


def test_fast_and_tile_modes_agree_on_mvm_cycles() -> None:
    fast = run(mvm_mix(), trace=True)
    tile = run(mvm_mix(), trace=True, timing="tile")
    assert fast.stats["cycles"] == tile.stats["cycles"]
    assert fast.stats["array_slots"] == tile.stats["array_slots"]
    fast_mvm = {pc: c for pc, c in starts(fast).items()}
    tile_mvm = {e["args"]["pc"]: (e["args"]["start_cycle"], e["args"]["cycles"])
                for e in tile.trace or [] if e["ph"] == "X" and e["tid"] < trace_module.TILE_TID_BASE}  # fmt: skip
    assert fast_mvm == tile_mvm
    dispatches = [e for e in tile.trace or [] if e["ph"] == "X" and e["tid"] >= trace_module.TILE_TID_BASE]
    cfg = config("sharp-1k")
    expected = sum(n * math.ceil(m / r) * math.ceil(k / c) for r, c in ((16, 16), (8, 32))
                   for n, m, k in ((1, 70, 50), (3, 17, 9), (5, 64, 48), (2, 1, 1)))  # fmt: skip
    assert len(dispatches) == expected
    assert max(e["tid"] for e in dispatches) - trace_module.TILE_TID_BASE < cfg.tiles_for((8, 32))


def _executed_nops(program: Program) -> int:
    """Dynamic count of `nop`s (token-only instructions get no trace slice)."""
    from sharp_compiler.isa.validate import validate
    from sharp_compiler.sim.engine import Loop, loop_tree

    def count(tree: list) -> int:
        return sum(
            item.trip * count(item.body) if isinstance(item, Loop)
            else int(program.instructions[item].opcode == Opcode.NOP)
            for item in tree
        )  # fmt: skip

    return count(loop_tree(program, validate(program)))


def test_trace_is_chrome_json_with_one_track_per_unit() -> None:
    case = LstmCase(seq=4, batch=1, inputs=3, hidden=4)
    result = sim.simulate(lstm_program(case), {"X": case.x()}, trace=True)
    document = json.loads(json.dumps(sim.trace_document(result.trace or [])))
    events = document["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {int(u): u.name for u in (Unit.DMA, Unit.ARRAY, Unit.ACT, Unit.CELL)}
    spans = [e for e in events if e["ph"] == "X"]
    assert len(spans) == result.stats["instructions"] - _executed_nops(lstm_program(case))
    assert all(e["dur"] > 0 for e in spans)
    assert {e["tid"] for e in spans} == set(names)
    assert all({"pc", "layer", "iteration"} <= set(e["args"]) and e["dur"] >= 0 for e in spans)
    assert {e["args"]["layer"] for e in spans} == {"lstm_0"}
    assert max(e["args"]["iteration"] for e in spans) == case.seq - 1
    clock = config().clock_hz
    last = max(spans, key=lambda e: e["ts"] + e["dur"])
    assert last["name"] == "store"  # the run ends when the last store completes, dram_latency after its slice
    ends = (result.stats["cycles"] - config().dram_latency) / clock * 1e6
    assert last["ts"] + last["dur"] == pytest.approx(ends)


def test_trace_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trace_module, "MAX_TRACE_EVENTS", 10)
    case = LstmCase(seq=4, batch=1, inputs=3, hidden=4)
    result = sim.simulate(lstm_program(case), {"X": case.x()}, trace=True)
    events = result.trace or []
    assert len([e for e in events if e["ph"] == "X"]) == 10
    assert result.trace_dropped == result.stats["instructions"] - _executed_nops(lstm_program(case)) - 10
    assert events[-1]["ph"] == "i" and "truncated" in events[-1]["name"]


def test_durations_of_the_other_instruction_classes() -> None:
    """dcopy, gather, move, softmax, nop: each duration from the config's fields."""
    cfg = config()
    pb = ProgramBuilder()
    a = pb.tensor("A", TensorKind.INPUT, (6, 5))
    b = pb.tensor("B", TensorKind.OUTPUT, (5, 6))
    table = pb.tensor("T", TensorKind.CONST, (10, 3), "float16", np.zeros((10, 3)))
    ids, rows, wide = (
        pb.view(pb.region("ids", 4, 1)),
        pb.view(pb.region("rows", 4, 3)),
        pb.region("w", 2, 100),
    )
    pb.emit(Opcode.DCOPY, pb.copy(a, b, (1, 1, 5, 6), (0, 0, 1, 5), (0, 0, 6, 1)))
    pb.emit(Opcode.GATHER, rows, ids, pb.dma(table, 10, 3))
    pb.emit(Opcode.MOVE, pb.view(wide, rows=(1, 2)), pb.view(wide, rows=(0, 1)))
    pb.emit(Opcode.SOFTMAX, pb.view(wide), pb.view(wide), flags=Flag.LOG)
    pb.nop("cell")
    result = run(serialize(pb.build()), trace=True)
    durations = {pc: cycles for pc, (_start, cycles) in starts(result).items()}
    assert durations == {
        0: dram(cfg, 30 * 4),
        1: dram(cfg, 4 * 3 * 2),
        2: math.ceil(100 * 4 / cfg.onchip_bytes_per_cycle),
        3: math.ceil(200 / cfg.act_lanes),
    }  # trace slices span the occupancy; the nop occupies nothing and has no slice
    assert result.stats["memory"]["dram_read_bytes"] == 30 * 4 + 4 * 3 * 2
    assert result.stats["memory"]["dram_write_bytes"] == 30 * 4
