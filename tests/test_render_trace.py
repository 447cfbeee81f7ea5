"""tools/render_trace.py: a `sharp-run --trace` timeline read back in cycles and drawn to a PNG.

Reading, windowing and the error paths need no matplotlib; the drawing tests skip without it
(`pip install -e '.[plot]'`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import ROOT, compile_model, load_script, simulate_binary, stack_model

from sharp_compiler.sim import trace_document

SCRIPT = ROOT / "tools" / "render_trace.py"
rt = load_script("tools/render_trace.py")


@pytest.fixture(scope="module")
def trace_file(tmp_path_factory) -> Path:
    """The timeline of a small 2-layer LSTM, tile timing mode (unit tracks and a tile track)."""
    model, feeds = stack_model("LSTM", layers=2, T=3, B=1, I=5, H=12)
    result = simulate_binary(compile_model(model), feeds, trace=True, timing="tile")
    path = tmp_path_factory.mktemp("trace") / "trace.json"
    path.write_text(json.dumps(trace_document(result.trace or [], result.trace_dropped)))
    return path


def render(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def test_lanes_and_slices_come_from_the_trace(trace_file) -> None:
    document = json.loads(trace_file.read_text())
    timeline = rt.load_trace(trace_file)
    assert timeline.lanes[:4] == ["DMA", "ARRAY", "ACT", "CELL"]
    assert any(lane.startswith("tile ") for lane in timeline.lanes[4:])
    assert all(lane.startswith(("tile ", "layers")) for lane in timeline.lanes[4:])
    complete = [e for e in document["traceEvents"] if e["ph"] == "X"]
    assert sum(len(s) for s in timeline.slices.values()) == len(complete)
    mvms = sorted((s, d) for k, s, d in timeline.slices["ARRAY"] if k == "mvm")
    want = sorted((e["args"]["start_cycle"], e["args"]["cycles"]) for e in complete if e["name"] == "mvm")
    assert mvms == want and mvms
    assert "block" in timeline.kinds
    assert timeline.end_cycle == max(e["args"]["start_cycle"] + e["args"]["cycles"] for e in complete)


def test_window_clips_slices_at_its_edges() -> None:
    doc = {"traceEvents": [
        {"ph": "M", "tid": 1, "name": "thread_name", "args": {"name": "ARRAY"}},
        {"ph": "M", "tid": 0, "name": "thread_name", "args": {"name": "DMA"}},
        {"ph": "X", "tid": 1, "name": "mvm", "args": {"start_cycle": 5, "cycles": 10}},
        {"ph": "X", "tid": 1, "name": "mvm", "args": {"start_cycle": 30, "cycles": 5}},
        {"ph": "X", "tid": 0, "name": "nop", "args": {"start_cycle": 8, "cycles": 0}},
        {"ph": "X", "tid": 0, "name": "load", "args": {"start_cycle": 0, "cycles": 40}},
    ], "otherData": {"dropped_events": 3}}  # fmt: skip
    timeline = rt.parse_trace(doc, "doc")
    assert timeline.lanes == ["DMA", "ARRAY"]  # by track id when no sort index is given
    assert timeline.dropped == 3
    window = timeline.window(10, 32)
    assert window.slices == {"DMA": [("load", 10, 22)], "ARRAY": [("mvm", 10, 5), ("mvm", 30, 2)]}


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [("{not json", [], "not JSON"),
     ('{"traceEvents": 3}', [], "no traceEvents"),
     ('[{"ph": "X", "tid": 1, "name": "mvm", "ts": 0, "dur": 1}]', [], "event 0 (mvm) has no start_cycle"),
     ("[]", ["--start", "10", "--end", "5"], "need 0 <= START < END")],
    ids=["not-json", "no-events", "no-cycles", "bad-window"],
)  # fmt: skip
def test_bad_input_is_one_line_and_no_file(tmp_path, content, args, words) -> None:
    (tmp_path / "t.json").write_text(content)
    proc = render(tmp_path / "t.json", "-o", tmp_path / "out.png", *args)
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("render_trace: error: ") and words in lines[0], proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.json"]


def test_png_shows_each_kind_in_its_colour(trace_file, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib import image

    proc = render(trace_file, "-o", tmp_path / "all.png")
    assert proc.returncode == 0, proc.stderr
    pixels = image.imread(tmp_path / "all.png")[..., :3]
    colours = rt.kind_colours()
    for kind in ("mvm", "act", "loadw", "block"):
        want = colours[kind][:3]
        assert (abs(pixels - want).max(axis=-1) < 0.02).any(), kind
    again = render(trace_file, "-o", tmp_path / "again.png")
    assert again.returncode == 0
    assert (tmp_path / "again.png").read_bytes() == (tmp_path / "all.png").read_bytes()


def test_png_window(trace_file, tmp_path) -> None:
    pytest.importorskip("matplotlib")
    end = rt.load_trace(trace_file).end_cycle
    proc = render(trace_file, "-o", tmp_path / "w.png", "--start", end // 2, "--end", end, "--title", "half")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "w.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
