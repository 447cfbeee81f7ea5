"""Native blocks (`HwConfig.native_rows`): BrainWave-like tile engines own whole N x N blocks and
take N / lanes cycles per block; native_rows = 0 is the plain tiled dispatch, unchanged."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from e2e_helpers import compile_model
from sharp_sim_builders import ProgramBuilder, config

from sharp_compiler import sim
from sharp_compiler.hw import cost_model
from sharp_compiler.hw.config import HwConfig, HwConfigError, config_from_dict, config_from_json, load_config
from sharp_compiler.hw.families import PAPER_BUDGETS, point_name
from sharp_compiler.isa.program import Space, TensorKind
from sharp_compiler.isa.spec import Flag, Opcode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import zoo  # noqa: E402

SHAPES = [(1, 1, 1), (128, 128, 1), (130, 128, 1), (1024, 128, 1), (1024, 512, 3), (1000, 300, 2),
          (2048, 1024, 1), (300, 70, 5), (17, 9, 3), (4096, 1024, 1)]  # fmt: skip


def _single_tile(cfg: HwConfig) -> HwConfig:
    """Today's brainwave-like: one native N x N tile doing a whole block per cycle."""
    n, cols = cfg.native_rows, cfg.default_tile[1]
    return dataclasses.replace(cfg, tile_shapes=((n, cols),), default_tile=(n, cols), native_rows=0)


def test_one_native_block_takes_eight_cycles_per_vector() -> None:
    cfg = load_config("brainwave-like-16k")
    tile = cfg.default_tile
    assert (tile, cfg.native_rows, cfg.tiles_for(tile)) == ((16, 128), 128, 8)
    for n in (1, 2, 5):
        assert cost_model.mvm_issue_cycles(cfg, tile, 128, 128, n) == 8 * n
        assert cost_model.mvm_issue_cycles(cfg, tile, 1, 1, n) == 8 * n  # one padded block
    # the lone block keeps one engine of eight busy: 7/8 of the issue slots are idle tiles
    idle = cost_model.mvm_idle_tile_slots(cfg, tile, 128, 128, 1)
    assert idle == 7 * 8 * tile[0] * tile[1]


@pytest.mark.parametrize("budget", PAPER_BUDGETS)
def test_eight_or_more_row_blocks_cost_what_the_single_tile_did(budget: int) -> None:
    cfg = load_config(point_name("brainwave-like", budget))
    old = _single_tile(cfg)
    n = cfg.native_rows
    for row_blocks in (8, 16, 24):
        for k, vectors in ((n, 1), (3 * n + 1, 4)):
            m = row_blocks * n
            assert cost_model.mvm_issue_cycles(cfg, cfg.default_tile, m, k, vectors) == (
                cost_model.mvm_issue_cycles(old, old.default_tile, m, k, vectors)
            )
    for m, k, vectors in SHAPES:  # never faster than the single native tile
        new = cost_model.mvm_issue_cycles(cfg, cfg.default_tile, m, k, vectors)
        assert new >= cost_model.mvm_issue_cycles(old, old.default_tile, m, k, vectors)


@pytest.mark.parametrize("hw", ["brainwave-like-1k", "brainwave-like-16k", "brainwave-like-64k", "sharp-4k",
                                "epur-like"])  # fmt: skip
def test_slots_of_a_dispatch_sum_to_its_issue_cycles(hw: str) -> None:
    cfg = load_config(hw)
    for tile in cfg.tile_shapes:
        for m, k, n in SHAPES:
            useful = m * k * n
            padding = cost_model.mvm_padded_slots(cfg, tile, m, k, n)
            idle = cost_model.mvm_idle_tile_slots(cfg, tile, m, k, n)
            assert padding >= 0 and idle >= 0
            assert useful + padding + idle == cost_model.mvm_issue_cycles(cfg, tile, m, k, n) * cfg.macs


def test_padding_counts_rows_to_native_rows() -> None:
    cfg = load_config("brainwave-like-16k")
    tile = cfg.default_tile  # 16 x 128, native 128 rows
    # 130 rows: two native blocks of 128 rows (not nine of 16): 126 padded rows of 128 columns
    assert cost_model.mvm_padded_slots(cfg, tile, 130, 128, 1) == (2 * 128 - 130) * 128
    assert cost_model.mvm_padded_slots(cfg, tile, 130, 100, 3) == (2 * 128 * 128 - 130 * 100) * 3
    assert cost_model.mvm_blocks(cost_model.mvm_block_shape(cfg, tile), 130, 100) == 2


@pytest.mark.parametrize("hw", ["sharp-1k", "sharp-4k", "sharp-16k", "sharp-64k", "epur-like-16k"])
def test_presets_without_native_blocks_keep_the_tiled_dispatch(hw: str) -> None:
    cfg = load_config(hw)
    assert cfg.native_rows == 0
    for tile in cfg.tile_shapes:
        rows, cols = tile
        assert cost_model.mvm_block_shape(cfg, tile) == tile and cost_model.mvm_block_cycles(cfg, tile) == 1
        for m, k, n in SHAPES:
            old = math.ceil(math.ceil(m / rows) / cfg.tiles_for(tile)) * math.ceil(k / cols) * n
            assert cost_model.mvm_issue_cycles(cfg, tile, m, k, n) == old
            blocks = math.ceil(m / rows) * math.ceil(k / cols)
            assert cost_model.mvm_padded_slots(cfg, tile, m, k, n) == (blocks * rows * cols - m * k) * n


def test_native_rows_is_validated_and_round_trips() -> None:
    cfg = load_config("brainwave-like-16k")
    assert config_from_json(cfg.canonical_json()) == cfg
    data = json.loads(cfg.canonical_json())
    assert data["native_rows"] == 128
    for bad in (100, -8, 1 << 20):
        with pytest.raises(HwConfigError, match="native_rows"):
            config_from_dict({**data, "native_rows": bad})
    with pytest.raises(HwConfigError, match="missing field.*native_rows"):
        config_from_dict({key: value for key, value in data.items() if key != "native_rows"})
    with pytest.raises(HwConfigError, match="native_rows"):
        config_from_dict({**data, "native_rows": True})
    # a multiple of the lanes is legal; the fingerprint (stored in binaries) tells the machines apart
    other = config_from_dict({**data, "native_rows": 256})
    assert other.fingerprint() != cfg.fingerprint()
    assert dataclasses.replace(cfg, native_rows=0).fingerprint() != cfg.fingerprint()


def _mvm_mix(cfg: HwConfig):  # noqa: ANN202
    pb = ProgramBuilder(cfg)
    vw = pb.view(pb.region("W", 300, 70, Space.WMEM))
    weights = pb.tensor("W", TensorKind.CONST, (300, 70), data=np.ones((300, 70)))
    pb.emit(Opcode.LOADW, vw, pb.dma(weights, 300, 70), push="array")
    pb.nop("cell", push="array")
    pb.cfgtile(*cfg.default_tile, pop=("dma", "cell"))
    for n, m, k in ((1, 300, 70), (3, 17, 9), (5, 64, 48), (2, 1, 1)):
        dst, src = pb.view(pb.region(f"y{n}", n, m)), pb.view(pb.region(f"x{n}", n, k))
        pb.emit(Opcode.VFILL, src, imm=0)
        pb.emit(Opcode.VFILL, dst, imm=0)
        w = pb.view(0, rows=(0, m), cols=(0, k)) if (m, k) != (300, 70) else vw
        pb.emit(Opcode.MVM, dst, src, w, flags=Flag.ACCUMULATE if n == 3 else 0)
    return pb.build()


def test_tile_mode_agrees_with_fast_mode_on_native_blocks() -> None:
    cfg = config("brainwave-like-1k")  # 8 engines of 4 lanes x 32, native 32 x 32
    program = _mvm_mix(cfg)
    inputs = {t.name: np.ones(t.shape, t.dtype) for t in program.inputs()}
    fast = sim.simulate(program, inputs, trace=True)
    tile = sim.simulate(program, inputs, trace=True, timing="tile")
    assert fast.stats["cycles"] == tile.stats["cycles"]
    assert fast.stats["array_slots"] == tile.stats["array_slots"]
    dispatches = [e for e in tile.trace or [] if e["ph"] == "X" and e["tid"] >= sim.trace.TILE_TID_BASE]
    expected = sum(n * math.ceil(m / 32) * math.ceil(k / 32) * 8 for n, m, k in
                   ((1, 300, 70), (3, 17, 9), (5, 64, 48), (2, 1, 1)))  # fmt: skip
    assert len(dispatches) == expected
    assert max(e["tid"] for e in dispatches) - sim.trace.TILE_TID_BASE < 8


@pytest.mark.parametrize(("name", "idles"), [("lstm256_t150", False), ("bigru3x96_b3", True)])
def test_brainwave_runs_sum_their_utilisation_to_one(name: str, idles: bool) -> None:
    spec = dataclasses.replace(zoo.ZOO[name], steps=3)
    program = sim.load(compile_model(zoo.make_model(spec), hw="brainwave-like-16k"))
    stats = sim.simulate(program, zoo.inputs_of(spec), numerics=False).stats
    breakdown = stats["utilization_breakdown"]
    assert sum(breakdown.values()) == pytest.approx(1.0, abs=1e-12)
    assert min(breakdown.values()) >= 0.0
    # 4 x 256 LSTM rows are 8 native 128-row blocks: every engine busy; 3 x 96 GRU rows are 3
    assert (stats["array_slots"]["idle_tiles"] > 0) == idles
    tile = sim.simulate(program, zoo.inputs_of(spec), numerics=False, timing="tile").stats
    assert tile["cycles"] == stats["cycles"]


def test_print_config_and_list_tiles_show_the_engines() -> None:
    tool = Path(sys.executable).parent / "sharp-compile"
    proc = subprocess.run([str(tool), "--print-config", "--hw", "brainwave-like-16k"], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert config_from_json(proc.stdout) == load_config("brainwave-like-16k")
    assert json.loads(proc.stdout)["native_rows"] == 128
    proc = subprocess.run([str(tool), "--list-tiles", "--hw", "brainwave-like-16k"], capture_output=True,
                          text=True, check=False)  # fmt: skip
    assert (proc.returncode, proc.stdout) == (0, "16x128\n")
