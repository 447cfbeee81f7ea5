"""The cost model on the IR (`transforms/schedule_cost.py`) is the simulator's timing, and the bound is a bound."""

from __future__ import annotations

import pytest
from e2e_helpers import compile_model, rnn_model, simulate_binary, stack_model

from sharp_compiler.api import import_model, make_context
from sharp_compiler.dialects import sharp
from sharp_compiler.pipeline import PipelineOptions, pipeline_passes
from sharp_compiler.transforms.rnn_to_sharp import module_config
from sharp_compiler.transforms.schedule_cost import layer_cycles


@pytest.mark.parametrize("scheme", ["sequential", "intergate", "unfolded"])
@pytest.mark.parametrize(
    ("op", "hw", "T"), [("LSTM", "sharp-4k", 7), ("GRU", "sharp-16k", 30), ("RNN", "sharp-1k", 5)]
)
def test_layer_cycles_equal_the_simulator(tmp_path, op, hw, T, scheme) -> None:
    """One layer alone: the IR-level timing gives the simulated cycles exactly (default tile, no
    reconfiguration), also for a loop long enough to be extrapolated from 8 and 16 steps."""
    from e2e_helpers import save_model

    model, feeds = rnn_model(op, T=T, B=2, I=6, H=20, outputs=["Y"])
    stats = simulate_binary(compile_model(model, hw=hw, schedule=scheme, reconfigure="fixed",
                                          interleave=False), feeds).stats  # fmt: skip
    module = import_model(save_model(model, tmp_path))
    pipeline_passes(PipelineOptions(hw=hw, scheme=scheme, precision="fp32"))[0].apply(make_context(), module)
    cfg, precision = module_config(module)
    (layer,) = [o for o in module.body.block.ops if isinstance(o, sharp.LayerOp)]
    assert layer_cycles(cfg, precision, layer, cfg.default_tile, scheme) == stats["cycles"]


@pytest.mark.parametrize("schedule", ["sequential", "intergate", "unfolded", "auto"])
@pytest.mark.parametrize("hw", ["sharp-1k", "sharp-64k", "epur-like", "brainwave-like"])
def test_no_run_beats_its_bound(hw, schedule) -> None:
    """cycles >= bound (total and per layer) for stacked and bidirectional models, fp16 and fp32."""
    for model, feeds, precision in (
        (*stack_model("LSTM", layers=2, T=9, B=1, I=16, H=32), "fp16"),
        (*rnn_model("GRU", T=12, B=3, I=8, H=24, direction="bidirectional"), "fp32"),
    ):
        stats = simulate_binary(
            compile_model(model, hw=hw, schedule=schedule, precision=precision), feeds
        ).stats
        assert stats["bound"]["cycles"] > 0
        assert stats["cycles"] >= stats["bound"]["cycles"], stats["bound"]
        for layer in stats["layers"]:
            assert layer["cycles"] >= layer["bound"]["cycles"], (layer["name"], layer["bound"])
