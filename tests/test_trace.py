"""The timeline follows the Trace Event Format (the JSON object form Chrome and Perfetto load).

Checked without Perfetto's trace processor (it downloads a binary on first use): every event
well-formed for its phase, every track named, no overlapping slices within a track, no
zero-length slices, a layer track and counter tracks for MAC utilization and DRAM bandwidth.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sharp_compiler
from sharp_compiler.sim import trace as trace_module

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"X": {"name", "ph", "ts", "dur", "pid", "tid"}, "C": {"name", "ph", "ts", "pid", "args"},
            "M": {"name", "ph", "pid", "args"}, "i": {"name", "ph", "ts", "pid", "s"}}  # fmt: skip


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    program = sharp_compiler.compile_onnx(ROOT / "examples" / "lstm_2layer.onnx", schedule="intergate")
    x = np.random.default_rng(0).standard_normal((10, 1, 40)).astype(np.float32)
    result = sharp_compiler.simulate(program, {"X": x}, trace=True)
    assert result.trace is not None
    return json.loads(json.dumps(result.trace))  # what a file holds


def test_events_are_well_formed(document: dict[str, Any]) -> None:
    assert set(document) >= {"traceEvents", "displayTimeUnit"} and document["displayTimeUnit"] in ("ms", "ns")
    for event in document["traceEvents"]:
        assert event["ph"] in REQUIRED, event
        assert REQUIRED[event["ph"]] <= set(event), event
        if "ts" in event:
            assert isinstance(event["ts"], int | float) and event["ts"] >= 0
        if event["ph"] == "C":
            assert all(isinstance(v, int | float) for v in event["args"].values())


def test_tracks_are_named_and_slices_never_overlap(document: dict[str, Any]) -> None:
    events = document["traceEvents"]
    named = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    slices: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for e in events:
        if e["ph"] == "X":
            assert e["tid"] in named, f"slice on unnamed track {e['tid']}"
            assert e["dur"] > 0, e
            slices[e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
    for tid, spans in slices.items():
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert start >= end - 1e-9, f"overlapping slices on track {named[tid]}"


def test_layer_track_and_counter_tracks(document: dict[str, Any]) -> None:
    events = document["traceEvents"]
    layers = [e for e in events if e["ph"] == "X" and e["tid"] >= trace_module.LAYER_TID_BASE
              and e["tid"] < trace_module.TILE_TID_BASE]  # fmt: skip
    assert {e["name"] for e in layers} >= {"lstm_0_fwd", "lstm_1_fwd"} or len(layers) >= 2
    counters = defaultdict(list)
    for e in events:
        if e["ph"] == "C":
            counters[e["name"]].append(next(iter(e["args"].values())))
    assert set(counters) == {"MAC utilization", "DRAM bandwidth"}
    assert 0 < max(counters["MAC utilization"]) <= 1.0 + 1e-9
    assert max(counters["DRAM bandwidth"]) > 0
