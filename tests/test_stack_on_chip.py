"""A stack of blocked layers hands its sequence over on chip: same numbers, no Y round trip."""

from __future__ import annotations

import numpy as np
import pytest
from e2e_helpers import assert_outputs_close, compile_model, ort_outputs, simulate_binary, stack_model


@pytest.mark.parametrize(("op", "bidirectional"), [("GRU", True), ("LSTM", False), ("LSTM", True)])
def test_the_stack_stays_on_chip(op: str, bidirectional: bool) -> None:
    """auto (blocked, the sequence buffer read in place) against sequential (Y through DRAM):
    bit-identical outputs that match onnxruntime, and DRAM traffic lower by at least every
    intermediate Y written and read back (fp32 words)."""
    T, B, H, layers = 5, 2, 8, 3
    glue = "transpose_reshape" if bidirectional else "squeeze"
    lbr = 1 if op == "GRU" else None  # PyTorch's GRU (linear_before_reset 0 is never unfolded)
    model, feeds = stack_model(
        op, layers=layers, T=T, B=B, I=6, H=H, bidirectional=bidirectional, glue=glue, linear_before_reset=lbr
    )
    runs = {
        scheme: simulate_binary(compile_model(model, hw="sharp-4k", schedule=scheme), feeds)
        for scheme in ("sequential", "auto")
    }
    for name, value in runs["auto"].outputs.items():
        assert np.array_equal(value, runs["sequential"].outputs[name]), name
    assert_outputs_close(dict(runs["auto"].outputs), ort_outputs(model, feeds))
    dirs = 2 if bidirectional else 1
    round_trips = (layers - 1) * 2 * T * B * dirs * H * 4
    traffic = {
        s: r.stats["memory"]["dram_read_bytes"] + r.stats["memory"]["dram_write_bytes"]
        for s, r in runs.items()
    }
    assert traffic["sequential"] - traffic["auto"] >= round_trips, traffic


@pytest.mark.parametrize(("op", "lbr"), [("GRU", 1), ("GRU", 0), ("LSTM", None), ("RNN", None)])
def test_fp32_outputs_are_bit_identical_across_schemes_and_interleaving(op: str, lbr: int | None) -> None:
    """Issue 6: every scheme, with and without sharp-interleave, gives the same fp32 bits."""
    model, feeds = stack_model(
        op,
        layers=2,
        T=4,
        B=2,
        I=5,
        H=12,
        bidirectional=True,
        glue="transpose_reshape",
        linear_before_reset=lbr,
    )
    runs = [
        simulate_binary(
            compile_model(model, hw="sharp-16k", schedule=scheme, interleave=interleave), feeds
        ).outputs
        for scheme in ("sequential", "intergate", "unfolded", "auto")
        for interleave in (True, False)
    ]
    for outputs in runs[1:]:
        for name, value in outputs.items():
            assert np.array_equal(value, runs[0][name]), name
