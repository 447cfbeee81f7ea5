"""One design point: a model compiled for one machine and schedule, then simulated (timing only).

A point is a plain dict (it crosses process and cluster boundaries)::

    {"model": "/abs/m.onnx", "model_hash": "ab12...", "hw": "epur-like", "budget": 16384,
     "schedule": "sequential"}

plus `"set": {"dram_bytes_per_cycle": "x4"}` when the sweep overrides hardware fields
(`hw.overrides`, applied after the budget's scaling).

`run_point` returns its result row: cycles, seconds, utilisation breakdown, bounds, energy,
GFLOPS/W. Rows hold only simulated quantities, so the same point gives the same row on any
executor. Imports no xDSL at module level (the compiler is imported inside the worker).
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from pathlib import Path
from typing import Any

from sharp_compiler.hw.config import HwConfig, load_config
from sharp_compiler.hw.overrides import apply_overrides, override_label

Point = dict[str, Any]
Row = dict[str, Any]


def file_hash(path: str | Path) -> str:
    return hashlib.blake2b(Path(path).read_bytes(), digest_size=8).hexdigest()


def toolchain_hash() -> str:
    """A digest of the compiler and simulator themselves (every source and data file of the package).

    Part of every point's cache key: a row cached by another version of the toolchain (a
    changed schedule, cost model or preset) is recomputed, never reused.
    """
    global _TOOLCHAIN
    if _TOOLCHAIN is None:
        root = Path(__file__).resolve().parent.parent
        digest = hashlib.blake2b(digest_size=8)
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".json"):
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
        _TOOLCHAIN = digest.hexdigest()
    return _TOOLCHAIN


_TOOLCHAIN: str | None = None


def point_key(point: Point) -> str:
    """A stable file name for a point's cached row (resumable sweeps): the point and the toolchain."""
    text = json.dumps({**point, "toolchain": toolchain_hash()}, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


def zero_inputs(program: Any) -> dict[str, Any]:
    """Inputs of the declared shapes and dtypes (a timing-only run never reads them)."""
    import numpy as np

    return {t.name: np.zeros(t.shape, t.dtype) for t in program.inputs()}


def compile_point(point: Point) -> tuple[HwConfig, bytes]:
    """(effective HwConfig, binary) of a point: its machine at its budget, with its `set` overrides."""
    from sharp_compiler.api import compile_onnx

    cfg = load_config(point["hw"]).with_budget(point["budget"])
    overrides = point.get("set") or {}
    if not overrides:
        result = compile_onnx(
            point["model"], hw=point["hw"], budget=point["budget"], schedule=point["schedule"]
        )
        return cfg, result.binary
    cfg = apply_overrides(cfg, overrides)
    with tempfile.TemporaryDirectory(prefix="sharp-dse-") as tmp:  # the pipeline takes a preset or a file
        path = Path(tmp) / "hw.json"
        path.write_text(json.dumps(cfg.to_dict(), sort_keys=True))
        return cfg, compile_onnx(point["model"], hw=str(path), schedule=point["schedule"]).binary


def run_point(point: Point) -> Row:
    """Compile and simulate one point; returns its row (raises on a compile or simulation error)."""
    from sharp_compiler import sim

    cfg, binary = compile_point(point)
    program = sim.load(binary)
    stats = sim.simulate(program, zero_inputs(program), numerics=False).stats
    return row_of(point, cfg.family, cfg.name, cfg.macs, stats)


class PointError(ValueError):
    """A point that cannot be compiled or simulated; the message names it, in one line."""


def run_point_checked(point: Point) -> Row:
    """`run_point`, with a failure rephrased as one line naming the point."""
    try:
        return run_point(point)
    except Exception as err:  # noqa: BLE001 — crosses process boundaries as one line
        first = (str(err).strip() or type(err).__name__).splitlines()[0]
        raise PointError(
            f"{Path(point['model']).name} on {point['hw']} at {point['budget']} ({point['schedule']}): {first}"
        ) from None


def row_of(point: Point, family: str, config: str, hw_macs: int, stats: dict[str, Any]) -> Row:
    """The CSV/JSON row of a simulated point."""
    slots = stats["macs"] + stats["padded_mac_slots"]
    structure_bound = math.ceil(slots / hw_macs)
    bound = stats.get("bound") or {}
    row: Row = {
        "model": Path(point["model"]).stem,
        "hw": point["hw"],
        "family": family,
        "config": config,
        "budget": point["budget"],
        "schedule": point["schedule"],
        "cycles": stats["cycles"],
        "seconds": stats["seconds"],
        "macs": stats["macs"],
        "mac_utilization": stats["mac_utilization"],
        "structure_bound_cycles": structure_bound,
        "cycles_over_structure_bound": stats["cycles"] / structure_bound if structure_bound else 0.0,
        "bound_cycles": bound.get("cycles", structure_bound),
        "cycles_over_bound": bound.get("cycles_over_bound", stats["cycles"] / max(1, structure_bound)),
        "energy_joules": stats["energy_joules"],
        "gflops_per_watt": stats["gflops_per_watt"],
        "reconfigurations": stats["reconfigurations"],
    }
    if point.get("set"):
        row["overrides"] = override_label(point["set"])
    for key, value in sorted(stats["utilization_breakdown"].items()):
        row[f"util_{key}"] = value
    return row
