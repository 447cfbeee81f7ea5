"""Preset families scale by one rule; the baselines keep their structure at every budget and never
beat the bound of that structure; timing-only simulation gives the full simulation's statistics;
the GPU model reproduces its DeepBench calibration points."""

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

from sharp_compiler import sim
from sharp_compiler.baselines import gpu_model
from sharp_compiler.hw.config import load_config
from sharp_compiler.hw.families import FAMILIES, PAPER_BUDGETS, point_name

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import zoo  # noqa: E402

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("budget", [1024, 2048, 16384, 65536])
def test_budget_option_and_preset_are_the_same_machine(family: str, budget: int) -> None:
    base = load_config(point_name(family, 4096))
    scaled = base.with_budget(budget)
    assert scaled == load_config(point_name(family, budget))
    assert scaled.fingerprint() == load_config(point_name(family, budget)).fingerprint()
    assert scaled.with_budget(4096) == base  # the rule composes
    assert scaled.static_watts == pytest.approx(base.static_watts * budget / 4096)
    assert scaled.act_lanes == scaled.cell_lanes == 2 ** (int(math.log2(budget)) // 2)
    assert (scaled.weight_buffer_bytes, scaled.vector_buffer_bytes) == (32 << 20, 8 << 20)


def test_a_custom_file_keeps_its_name_under_budget_scaling() -> None:
    custom = dataclasses.replace(load_config("sharp-4k"), name="my-chip", act_lanes=48)
    scaled = custom.with_budget(16384)
    assert (scaled.name, scaled.act_lanes, scaled.macs) == ("my-chip@16384", 96, 16384)
    assert scaled.with_budget(4096) == dataclasses.replace(custom, name="my-chip@4096")


@pytest.mark.parametrize("budget", PAPER_BUDGETS)
def test_baselines_keep_their_structure(budget: int) -> None:
    epur, bw = load_config(f"epur-like-{budget // 1024}k"), load_config(f"brainwave-like-{budget // 1024}k")
    assert epur.tile_shapes == ((1, budget // 4),) and epur.tiles_for(epur.default_tile) == 4
    n = int(math.isqrt(budget))  # N x N native blocks, 8 tile engines of N/8 lanes of width N
    assert bw.tile_shapes == ((n // 8, n),) and bw.native_rows == n and bw.tiles_for(bw.default_tile) == 8
    for cfg in (epur, bw):
        assert not cfg.reconfigurable and not cfg.cross_step_overlap


def test_every_zoo_layer_fits_twice_on_chip_at_every_budget() -> None:
    for budget in PAPER_BUDGETS:
        cfg = load_config(f"sharp-{budget // 1024}k")
        for spec in zoo.ZOO.values():
            dirs = 2 if spec.bidirectional else 1
            k = max(spec.input_size, dirs * spec.hidden)
            layer = dirs * spec.gates * spec.hidden * (k + spec.hidden) * 2
            assert 2 * layer <= cfg.weight_buffer_bytes, (spec.name, budget)
            # the whole-sequence mode (W x for all steps first): inputs, projections, outputs, 2x headroom
            words = spec.steps * spec.batch * (k + spec.gates * spec.hidden + spec.hidden)
            assert 2 * words <= cfg.vector_buffer_words, (spec.name, budget)


def _small(name: str, steps: int = 6) -> zoo.ZooModel:
    return dataclasses.replace(zoo.ZOO[name], steps=steps)


def _cycles(spec: zoo.ZooModel, hw: str, **options: object) -> dict:
    binary = compile_model(zoo.make_model(spec), hw=hw, **options)
    program = sim.load(binary)
    return sim.simulate(program, zoo.inputs_of(spec), numerics=False).stats


def _epur_row_bound(spec: zoo.ZooModel, width: int) -> int:
    """E-PUR: each of its 4 units finishes one neuron row (of up to `width` inputs) per cycle."""
    dirs = 2 if spec.bidirectional else 1
    total, k = 0, spec.input_size
    for _ in range(spec.layers):
        rows = spec.gates * spec.hidden
        per_vector = math.ceil(rows / 4) * (math.ceil(k / width) + math.ceil(spec.hidden / width))
        total += dirs * per_vector * spec.steps * spec.batch
        k = dirs * spec.hidden
    return total


@pytest.mark.parametrize("name", ["lstm256_t150", "eesen_bilstm5x320", "bigru3x96_b3", "ds2_gru5x512"])
@pytest.mark.parametrize("budget", PAPER_BUDGETS)
def test_no_baseline_beats_the_bound_of_its_structure(name: str, budget: int) -> None:
    spec = _small(name, 4)
    for family in ("epur-like", "brainwave-like"):
        cfg = load_config(point_name(family, budget))
        stats = _cycles(spec, family, budget=budget)
        assert stats["macs"] == spec.macs
        padded = stats["macs"] + stats["padded_mac_slots"]  # every block slot of the fixed tile
        assert stats["cycles"] >= math.ceil(padded / cfg.macs), (family, budget)
        if family == "epur-like":
            assert stats["cycles"] >= _epur_row_bound(spec, budget // 4)
            assert stats["reconfigurations"] == 0


@pytest.mark.parametrize("hw", ["sharp-1k", "sharp-64k", "epur-like", "brainwave-like-16k"])
@pytest.mark.parametrize("name", ["lstm1024_t25", "eesen_bilstm5x320", "bigru3x96_b3"])
def test_timing_only_gives_the_full_statistics(hw: str, name: str) -> None:
    spec = _small(name, 3)
    program = sim.load(compile_model(zoo.make_model(spec), hw=hw))
    full = sim.simulate(program, zoo.inputs_of(spec))
    fast = sim.simulate(program, zoo.inputs_of(spec), numerics=False)
    assert fast.stats == full.stats and fast.outputs == {}
    assert np.isfinite(full.outputs["Y"]).all()


def test_gpu_model_reproduces_deepbench() -> None:
    for case, measured, modelled, error in gpu_model.calibration_table():
        assert abs(error) < 0.25, (case, measured, modelled)
    # the fitted bandwidth is the model's
    sync = gpu_model.PASCAL.sync_seconds
    assert gpu_model.fit_bandwidth(sync) == pytest.approx(gpu_model.PASCAL.bytes_per_second, rel=1e-3)


def test_gpu_model_reads_the_onnx_layers() -> None:
    for spec in zoo.ZOO.values():
        shape = gpu_model.shape_of_onnx(zoo.make_model(spec))
        assert shape == gpu_model.RnnShape.stack(spec.kind, spec.layers, spec.hidden, spec.input_size,
                                                 spec.steps, spec.batch, spec.bidirectional)  # fmt: skip
        assert gpu_model.flops(shape) == 2 * spec.macs


def _tool(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False)


def test_print_config_is_a_hardware_file(tmp_path: Path) -> None:
    proc = _tool(BIN / "sharp-compile", "--print-config", "--hw", "sharp-4k", "--budget", "16384")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == load_config("sharp-16k").to_dict()
    hw = tmp_path / "hw.json"
    hw.write_text(proc.stdout)
    model = tmp_path / "m.onnx"
    import onnx

    onnx.save(zoo.make_model(_small("lstm256_t150", 2)), model)
    for name, option in (("a", hw), ("b", "sharp-16k")):
        assert (
            _tool(BIN / "sharp-compile", model, "-o", tmp_path / f"{name}.sbin", "--hw", option).returncode
            == 0
        )
    assert (tmp_path / "a.sbin").read_bytes() == (tmp_path / "b.sbin").read_bytes()


def test_list_tiles_prints_brainwaves_one_tile() -> None:
    proc = _tool(BIN / "sharp-compile", "--list-tiles", "--hw", "brainwave-like", "--budget", "65536")
    assert (proc.returncode, proc.stdout) == (0, "32x256\n")  # one engine's lanes; native blocks 256x256
    proc = _tool(BIN / "sharp-compile", "--list-tiles", "--hw", "epur-like-1k")
    assert (proc.returncode, proc.stdout) == (0, "1x256\n")


def test_bench_gpu_skips_cleanly_without_cuda(tmp_path: Path) -> None:
    pytest.importorskip("numpy")
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_gpu.py"
    proc = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], capture_output=True, text=True,
                          check=False, cwd=script.parent)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    if "nothing measured" in proc.stdout:  # no torch or no CUDA here: said so, nothing written
        assert not list(tmp_path.iterdir())
    else:
        assert len(list(tmp_path.glob("gpu-*.json"))) == 1
