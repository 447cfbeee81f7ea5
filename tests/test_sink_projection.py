"""sharp-sink-projection: each step's input projection in the loop, one step ahead, exact and faster where chosen."""

from __future__ import annotations

import numpy as np
import pytest
from e2e_helpers import assert_outputs_close, ort_outputs, save_model, simulate_binary, stack_model

from sharp_compiler.api import emit_binary, import_model, make_context
from sharp_compiler.dialects import sharp
from sharp_compiler.pipeline import PipelineOptions, pipeline_passes
from sharp_compiler.transforms.sharp_sink_projection import SharpSinkProjectionPass


def _compile(model, hw: str, mode: str, precision: str = "fp32") -> tuple[bytes, list[int]]:
    """The binary with `sharp-sink-projection{mode=mode}`, and each layer's loop trips after it."""
    module = import_model(save_model(model))
    ctx = make_context()
    trips: list[int] = []
    for p in pipeline_passes(PipelineOptions(hw=hw, precision=precision)):
        if isinstance(p, SharpSinkProjectionPass):
            p = SharpSinkProjectionPass(mode=mode)
        p.apply(ctx, module)
        if isinstance(p, SharpSinkProjectionPass):
            trips = [o.trips.data for o in module.walk() if isinstance(o, sharp.TimeLoopOp)]
    return emit_binary(module), trips


@pytest.mark.parametrize(
    ("op", "lbr", "bidirectional", "batch"),
    [
        ("GRU", 1, True, 3),
        ("GRU", 0, True, 2),
        ("LSTM", None, True, 1),
        ("LSTM", None, False, 2),
        ("RNN", None, False, 1),
    ],
)
def test_sunk_projections_are_bit_identical_and_match_onnxruntime(
    op: str, lbr: int | None, bidirectional: bool, batch: int
) -> None:
    model, feeds = stack_model(op, layers=2, T=5, B=batch, I=6, H=16, bidirectional=bidirectional,
                               glue="transpose_reshape" if bidirectional else "squeeze", linear_before_reset=lbr)  # fmt: skip
    kept, kept_trips = _compile(model, "sharp-16k", "none")
    sunk, sunk_trips = _compile(model, "sharp-16k", "always")
    assert kept_trips == [5, 5]
    assert sunk_trips == [4, 4]  # every layer sunk: one trip less, the last step peeled
    a = simulate_binary(kept, feeds).outputs  # the hazard checker runs on both
    b = simulate_binary(sunk, feeds).outputs
    for name, value in a.items():
        assert np.array_equal(value, b[name]), name
    assert_outputs_close(b, ort_outputs(model, feeds))


def test_auto_sinks_where_the_cost_model_finds_it_faster() -> None:
    """The zoo's BiGRU shape on the largest array: the loop leaves the array idle, so
    the later layers' projections sink and the run is faster; the first layer, whose own
    weights its projection hides, keeps its projection."""
    model, feeds = stack_model("GRU", layers=3, T=50, B=3, I=40, H=96, bidirectional=True,
                               glue="transpose_reshape", linear_before_reset=1)  # fmt: skip
    kept, kept_trips = _compile(model, "sharp-64k", "none", precision="fp16")
    auto, auto_trips = _compile(model, "sharp-64k", "auto", precision="fp16")
    assert kept_trips == [50, 50, 50]
    assert auto_trips[0] == 50 and 49 in auto_trips[1:]
    assert simulate_binary(auto, feeds).stats["cycles"] < simulate_binary(kept, feeds).stats["cycles"]


def test_a_one_step_loop_keeps_its_projection() -> None:
    model, _feeds = stack_model("LSTM", layers=1, T=1, B=1, I=4, H=8)
    assert _compile(model, "sharp-16k", "always")[1] == [1]


def test_baselines_without_cross_step_overlap_keep_their_projection() -> None:
    """E-PUR projects every step before its recurrence (its MWL) and neither baseline overlaps steps."""
    model, _feeds = stack_model("GRU", layers=2, T=5, B=1, I=6, H=16, linear_before_reset=1)
    for hw in ("epur-like-4k", "brainwave-like-4k"):
        assert _compile(model, hw, "always")[1] == [5, 5], hw
