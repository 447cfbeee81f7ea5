"""sharp-dse: a tiny sweep writes its CSV, JSON and figures, resumes from its cache, and gives the
same rows on every executor that is installed."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest

from sharp_compiler.dse import sweep
from sharp_compiler.transforms.sharp_schedule import SCHEMES

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import zoo  # noqa: E402

BIN = Path(sys.executable).parent
SCHEDULES = list(SCHEMES[:2])
TINY = (
    zoo.ZooModel("tiny_lstm", "lstm", 1, 24, 10, 4, 1),
    zoo.ZooModel("tiny_bigru", "gru", 2, 16, 8, 3, 2, True),
)


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("dse-models")
    paths = []
    for spec in TINY:
        path = directory / f"{spec.name}.onnx"
        onnx.save(zoo.make_model(spec), path)
        paths.append(path)
    return paths


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_tiny_sweep_writes_csv_json_and_figures(models: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(BIN / "sharp-dse"), *map(str, models), "--hw", "sharp-1k,sharp-4k", "--schedule", ",".join(SCHEDULES),
         "--baselines", "--jobs", "2", "--out", str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = _read_csv(out / "results.csv")
    sharp = [r for r in rows if r["family"] == "sharp"]
    assert len(sharp) == 2 * 2 * 2
    assert {r["family"] for r in rows} == {"sharp", "epur-like", "brainwave-like", "gpu-like"}
    for r in sharp:
        assert int(r["cycles"]) > 0 and float(r["energy_joules"]) > 0
        for key in ("speedup_over_epur-like", "speedup_over_brainwave-like", "speedup_over_gpu-like"):
            assert float(r[key]) > 0
    data = json.loads((out / "results.json").read_text())
    assert len(data["rows"]) == len(rows) and data["summary"]["points"] == 4
    assert len(list(out.glob("*.png"))) >= 2
    assert "4/4" not in proc.stderr and f"{len(rows) - 2}/{len(rows) - 2}" in proc.stderr  # the progress bar


def test_sweep_resumes_from_its_cache(models: list[Path], tmp_path: Path) -> None:
    options = dict(hw=["sharp-1k"], schedules=SCHEDULES[:1], out=tmp_path, plots=False, progress=None)
    first = sweep(models[:1], **options)
    cached = next((tmp_path / "points").glob("*.json"))
    entry = json.loads(cached.read_text())
    entry["row"]["cycles"] = -7  # a reused row is read back, never recomputed
    cached.write_text(json.dumps(entry))
    again = sweep(models[:1], **options)
    assert again[0]["cycles"] == -7 and first[0]["cycles"] > 0
    changed = sweep(models, **options)  # a new model only adds its own points
    assert {r["model"]: r["cycles"] for r in changed}[models[0].stem] == -7 and len(changed) == 2


def _rows(models: list[Path], out: Path, executor: str) -> list[dict]:
    return sweep(models, hw=["sharp-1k", "epur-like-1k"], schedules=SCHEDULES, out=out, jobs=2,
                 executor=executor, plots=False, progress=None)  # fmt: skip


def test_dask_executor_gives_the_same_rows(models: list[Path], tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed", reason="the [dask] extra is not installed")
    assert _rows(models, tmp_path / "dask", "dask") == _rows(models, tmp_path / "local", "local")


def test_ray_executor_gives_the_same_rows(models: list[Path], tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the [ray] extra is not installed")
    assert _rows(models, tmp_path / "ray", "ray") == _rows(models, tmp_path / "local", "local")


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--budget", "1000"], "budget 1000 is not a positive power of two"),
     (["--hw", "nope"], "nope: not a preset"),
     (["--jobs", "0"], "--jobs must be a positive integer"),
     (["--schedule", "sequential,bogus"], "schedule 'bogus' is not one of"),
     (["--set", "dram_bytes_per_cycle=0"], "--set on sharp-1k: dram_bytes_per_cycle = 0 is outside its range"),
     (["--set", "tile_shapes=1"], "--set tile_shapes: not overridable")],
)  # fmt: skip
def test_bad_options_are_one_line(models: list[Path], tmp_path: Path, args: list[str], message: str) -> None:
    base = {"--hw": "sharp-1k", "--out": str(tmp_path / "o")}
    for key, value in zip(args[::2], args[1::2], strict=True):
        base[key] = value
    argv = [str(BIN / "sharp-dse"), str(models[0])] + [x for kv in base.items() for x in kv]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "o").exists()


def test_measured_gpu_times_become_a_column(models: list[Path], tmp_path: Path) -> None:
    measured = {"device": "test GPU", "models": {models[0].stem: {"median_ms": 2.5}}}
    rows = sweep(models[:1], hw=["sharp-1k"], schedules=SCHEDULES[:1], baselines=True, out=tmp_path,
                 plots=False, progress=None, gpu_measured=measured)  # fmt: skip
    sharp = next(r for r in rows if r["family"] == "sharp")
    gpu = next(r for r in rows if r["family"] == "gpu-measured")
    assert gpu["config"] == "test GPU" and gpu["seconds"] == 2.5e-3
    assert sharp["speedup_over_gpu-measured"] == pytest.approx(2.5e-3 / sharp["seconds"])
    assert sharp["speedup_over_epur-like"] > 0 and sharp["speedup_over_gpu-like"] > 0


def test_set_changes_every_machine_alike(models: list[Path], tmp_path: Path) -> None:
    """`--set` reaches SHARP and both baselines; a starved DRAM slows each, a wide one never does."""
    options = dict(hw=["sharp-1k"], schedules=SCHEDULES[:1], baselines=True, plots=False, progress=None)
    plain = sweep(models[:1], out=tmp_path / "plain", **options)
    slow = sweep(models[:1], out=tmp_path / "slow", overrides={"dram_bytes_per_cycle": "1"}, **options)
    wide = sweep(models[:1], out=tmp_path / "wide", overrides={"dram_bytes_per_cycle": "x64"}, **options)
    simulated = [(p, s, w) for p, s, w in zip(plain, slow, wide, strict=True) if "cycles" in p]
    assert {p["family"] for p, _, _ in simulated} == {"sharp", "epur-like", "brainwave-like"}
    for p, s, w in simulated:
        assert (s["hw"], w["hw"], s["budget"]) == (p["hw"], p["hw"], p["budget"]) and "overrides" not in p
        assert (
            s["config"] == p["config"] + "+dram_bytes_per_cycle=1"
            and w["overrides"] == "dram_bytes_per_cycle=x64"
        )
        assert w["cycles"] <= p["cycles"] < s["cycles"], (p["config"], w["cycles"], p["cycles"], s["cycles"])
    meta = json.loads((tmp_path / "slow" / "results.json").read_text())
    assert meta["set"] == {"dram_bytes_per_cycle": "1"} and "set" not in json.loads(
        (tmp_path / "plain" / "results.json").read_text()
    )
