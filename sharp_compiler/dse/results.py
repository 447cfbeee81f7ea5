"""Sweep rows -> speedups over each baseline at equal budget, geomeans, CSV and JSON files.

A row's `speedup_over_<baseline>` is the baseline's best time on the same model at the same
budget (the fastest of the swept schedules: each baseline gets its strongest schedule)
divided by the row's time; `speedup_over_gpu-like` uses the analytic GPU model
(`baselines.gpu_model`), `speedup_over_gpu-measured` a measured `bench_gpu.py` file when given.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from typing import Any

from sharp_compiler.dse.points import Row
from sharp_compiler.hw.families import BASELINE_FAMILIES, FAMILIES

GPU = "gpu-like"
GPU_MEASURED = "gpu-measured"
ORDER = {name: i for i, name in enumerate([*FAMILIES, GPU, GPU_MEASURED])}


def sort_rows(rows: Iterable[Row]) -> list[Row]:
    return sorted(
        rows, key=lambda r: (r["model"], ORDER.get(r["family"], 99), r["budget"], r["hw"], r["schedule"])
    )


def add_speedups(rows: list[Row]) -> list[Row]:
    """Fill `speedup_over_*` for every simulated row (in place; returns the rows)."""
    best: dict[tuple[str, str, int], float] = {}
    gpu: dict[tuple[str, str], float] = {}
    for r in rows:
        if r["family"] in (GPU, GPU_MEASURED):
            gpu[(r["family"], r["model"])] = r["seconds"]
        elif r["family"] in BASELINE_FAMILIES:
            key = (r["family"], r["model"], r["budget"])
            best[key] = min(best.get(key, math.inf), r["seconds"])
    baselines = sorted({k[0] for k in best}, key=ORDER.__getitem__)
    gpus = sorted({k[0] for k in gpu}, key=ORDER.__getitem__)
    for r in rows:
        if r["family"] in (GPU, GPU_MEASURED):
            continue
        for b in baselines:
            ref = best.get((b, r["model"], r["budget"]))
            r[f"speedup_over_{b}"] = ref / r["seconds"] if ref and r["seconds"] else None
        for g in gpus:
            ref = gpu.get((g, r["model"]))
            r[f"speedup_over_{g}"] = ref / r["seconds"] if ref and r["seconds"] else None
    return rows


def best_rows(rows: list[Row], family: str) -> dict[tuple[str, int], Row]:
    """The fastest row of a family per (model, budget) (its best schedule)."""
    out: dict[tuple[str, int], Row] = {}
    for r in rows:
        if r["family"] != family:
            continue
        key = (r["model"], r["budget"])
        if key not in out or r["seconds"] < out[key]["seconds"]:
            out[key] = r
    return out


def geomean(values: Iterable[float]) -> float:
    vals = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in vals) / len(vals)) if vals else 0.0


def summary(rows: list[Row], family: str = "sharp") -> dict[str, Any]:
    """Geomean speedups of a family's best schedule over each baseline, and its mean GFLOPS/W."""
    chosen = list(best_rows(rows, family).values())
    keys = sorted({k for r in chosen for k in r if k.startswith("speedup_over_")})
    out: dict[str, Any] = {"family": family, "points": len(chosen)}
    for k in keys:
        out[f"geomean_{k}"] = geomean(r[k] for r in chosen if r.get(k))
    out["geomean_gflops_per_watt"] = geomean(r["gflops_per_watt"] for r in chosen)
    out["max_gflops_per_watt"] = max((r["gflops_per_watt"] for r in chosen), default=0.0)
    return out


def columns(rows: list[Row]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        cols.extend(k for k in r if k not in cols)
    return cols


def csv_text(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(rows), lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _cell(v) for k, v in r.items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def json_text(rows: list[Row], meta: dict[str, Any]) -> str:
    return json.dumps({**meta, "summary": summary(rows), "rows": rows}, indent=1, sort_keys=True) + "\n"
