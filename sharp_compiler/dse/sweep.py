"""A sweep: the points of models x hardware x budgets x schedules (+ baselines), resumable.

Each finished point's row is cached in `OUT/points/<key>.json` (the key hashes the point,
model file contents included), so an interrupted or extended sweep reruns only what is new.
Writes `OUT/results.csv`, `OUT/results.json` and the figures of `plots`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from sharp_compiler.dse import results
from sharp_compiler.dse.executors import run_all
from sharp_compiler.dse.points import Point, Row, file_hash, point_key
from sharp_compiler.hw.config import load_config
from sharp_compiler.hw.families import BASELINE_FAMILIES
from sharp_compiler.hw.overrides import apply_overrides
from sharp_compiler.tools.cli import atomic_write


def make_points(models: Sequence[str | Path], hw: Sequence[str], budgets: Sequence[int],
                schedules: Sequence[str], baselines: bool,
                overrides: Mapping[str, str] | None = None) -> list[Point]:  # fmt: skip
    """Every (model, hw, budget, schedule); budgets scale each hw (none: each hw's own budget).

    `overrides` (`hw.overrides`) apply to every machine, baselines included, after scaling.
    """
    from sharp_compiler.transforms.sharp_schedule import SCHEMES

    for schedule in schedules:
        if schedule not in (*SCHEMES, "dataflow"):
            raise ValueError(f"schedule '{schedule}' is not one of {', '.join(SCHEMES)}")
    if not schedules:
        raise ValueError("no schedule to sweep")
    machines: list[tuple[str, int]] = []
    for name in hw:
        cfg = load_config(name)
        for budget in budgets or [cfg.macs]:
            apply_overrides(cfg.with_budget(budget), overrides or {})  # reject bad input before anything runs
            machines.append((name, budget))
    if baselines:
        families = {load_config(n).family for n, _ in machines}
        for budget in sorted({b for _, b in machines}):
            for family in BASELINE_FAMILIES:
                if family not in families:
                    apply_overrides(load_config(family).with_budget(budget), overrides or {})
                    machines.append((family, budget))
    points: list[Point] = []
    for model in models:
        path = Path(model).resolve()
        digest = file_hash(path)
        for name, budget in dict.fromkeys(machines):
            for schedule in schedules:
                point: Point = {"model": str(path), "model_hash": digest, "hw": name, "budget": budget,
                                "schedule": schedule}  # fmt: skip
                if overrides:
                    point["set"] = dict(overrides)
                points.append(point)
    return points


class Progress:
    """A one-line progress bar on stderr (a line per update when stderr is not a terminal)."""

    def __init__(self, total: int, stream: TextIO | None, reused: int) -> None:
        self.total, self.done, self.stream = total, reused, stream
        self.tty = bool(stream and stream.isatty())
        self.show()

    def advance(self, label: str) -> None:
        self.done += 1
        self.show(label)

    def show(self, label: str = "") -> None:
        if self.stream is None or not self.total:
            return
        filled = 30 * self.done // self.total
        bar = "#" * filled + "-" * (30 - filled)
        text = f"sharp-dse: [{bar}] {self.done}/{self.total} {label}"
        self.stream.write(("\r" + text.ljust(100)) if self.tty else text + "\n")
        if self.tty and self.done == self.total:
            self.stream.write("\n")
        self.stream.flush()


def gpu_rows(models: Sequence[str | Path], measured: dict[str, Any] | None) -> list[Row]:
    """One analytic gpu-like row per model (and a gpu-measured row where a measurement exists)."""
    import onnx

    from sharp_compiler.baselines import gpu_model

    rows: list[Row] = []
    for model in models:
        path = Path(model)
        shape = gpu_model.shape_of_onnx(onnx.load(str(path), load_external_data=False))
        base = {"model": path.stem, "budget": 0, "schedule": ""}
        rows.append({**base, "hw": results.GPU, "family": results.GPU, "config": gpu_model.PASCAL.name,
                     "seconds": gpu_model.seconds(shape),
                     "gflops_per_watt": gpu_model.gflops_per_watt(shape)})  # fmt: skip
        entry = (measured or {}).get("models", {}).get(path.stem)
        if entry:
            rows.append({**base, "hw": results.GPU_MEASURED, "family": results.GPU_MEASURED,
                         "config": measured.get("device", "") if measured else "",
                         "seconds": entry["median_ms"] * 1e-3})  # fmt: skip
    return rows


def sweep(models: Sequence[str | Path], *, hw: Sequence[str], budgets: Sequence[int] = (),
          schedules: Sequence[str], baselines: bool = False, out: str | Path, jobs: int = 1,
          executor: str = "local", address: str = "", plots: bool = True,
          gpu_measured: dict[str, Any] | None = None, progress: TextIO | None = sys.stderr,
          overrides: Mapping[str, str] | None = None) -> list[Row]:  # fmt: skip
    """Run (or reuse) every point and write the results; returns the rows.

    `overrides` ({field: "VALUE" or "xF"}, `hw.overrides`) change every machine alike.
    """
    outdir = Path(out)
    cache = outdir / "points"
    points = make_points(models, hw, budgets, schedules, baselines, overrides)
    cache.mkdir(parents=True, exist_ok=True)
    rows: list[Row | None] = [None] * len(points)
    todo: list[int] = []
    for i, point in enumerate(points):
        cached = cache / f"{point_key(point)}.json"
        if cached.is_file():
            entry = json.loads(cached.read_text())
            if entry.get("point") == point:
                rows[i] = entry["row"]
                continue
        todo.append(i)
    bar = Progress(len(points), progress, len(points) - len(todo))
    for j, row in run_all([points[i] for i in todo], executor, jobs, address):
        point = points[todo[j]]
        rows[todo[j]] = row
        entry = json.dumps({"point": point, "row": row}, sort_keys=True)
        atomic_write(cache / f"{point_key(point)}.json", entry.encode())
        bar.advance(f"{row['model']} {row['config']} {row['schedule']}")
    done = [r for r in rows if r is not None]
    if baselines:
        done.extend(gpu_rows(models, gpu_measured))
    table = results.add_speedups(results.sort_rows(done))
    meta = {"models": [Path(m).stem for m in models], "hw": list(hw), "budgets": list(budgets),
            "schedules": list(schedules), "baselines": baselines}  # fmt: skip
    if overrides:
        meta["set"] = dict(overrides)
    atomic_write(outdir / "results.csv", results.csv_text(table).encode())
    atomic_write(outdir / "results.json", results.json_text(table, meta).encode())
    if plots:
        from sharp_compiler.dse.plots import write_figures

        write_figures(table, outdir)
    return table
