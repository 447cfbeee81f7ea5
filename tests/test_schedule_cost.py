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


def test_dependent_steps_follow_the_directions() -> None:
    """Unidirectional stacks are a wavefront; a bidirectional node makes the next one wait for its last step."""
    from sharp_compiler.hw.bound import dependent_steps, step_chain
    from sharp_compiler.hw.config import load_config

    cfg = load_config("sharp-4k")
    lstm, gru = step_chain(cfg, "lstm"), step_chain(cfg, "gru")
    assert dependent_steps(cfg, (("lstm", 1),) * 3, 10) == lstm * 12
    assert dependent_steps(cfg, (("gru", 2),) * 3, 10) == gru * 30
    assert dependent_steps(cfg, (("gru", 2), ("gru", 1)), 10) == gru * 20
    assert dependent_steps(cfg, (("gru", 1), ("lstm", 1)), 10) == gru + lstm * 10  # the slower layer paces it
    assert dependent_steps(cfg, (("lstm", 2),), 1) == lstm


@pytest.mark.parametrize("interleave", [True, False])
def test_bidirectional_stacks_bound_counts_every_layers_steps(interleave) -> None:
    """The binary's layer table keeps the node's directions, and the bound's recurrence term uses them."""
    from sharp_compiler.hw.bound import step_chain
    from sharp_compiler.hw.config import load_config
    from sharp_compiler.isa.binary import decode

    model, feeds = stack_model(
        "GRU", layers=2, T=6, B=1, I=8, H=16, bidirectional=True, glue="transpose_reshape"
    )
    binary = compile_model(model, hw="sharp-16k", interleave=interleave)
    program = decode(binary)
    recurrent = [layer for layer in program.layers if layer.kind == "gru"]
    assert recurrent and all(layer.directions == 2 for layer in recurrent)
    stats = simulate_binary(binary, feeds).stats
    assert stats["bound"]["recurrence"] == step_chain(load_config("sharp-16k"), "gru") * 2 * 6
    assert stats["cycles"] >= stats["bound"]["cycles"]


def test_startup_waits_for_every_recurrent_layers_weights() -> None:
    """The run's startup term: all recurrent layers' weight bytes stream in before the layer whose
    weights arrive last runs its T - 1 remaining steps; each layer's own term counts its own loads."""
    import math

    from sharp_compiler.hw.bound import step_chain
    from sharp_compiler.hw.config import load_config

    T, H, inputs = 9, 32, 16
    model, feeds = stack_model("LSTM", layers=3, T=T, B=1, I=inputs, H=H)
    cfg = load_config("sharp-64k")
    stats = simulate_binary(compile_model(model, hw="sharp-64k", precision="fp16"), feeds).stats
    weights = 2 * 4 * H * ((inputs + H) + 2 * (H + H))  # fp16 W and R of three layers
    step = max(step_chain(cfg, "lstm"), math.ceil(4 * H * H / cfg.macs))
    want = cfg.dram_latency + math.ceil(weights / cfg.dram_bytes_per_cycle) + (T - 1) * step
    assert stats["bound"]["startup"] == want
    assert all(layer["bound"]["startup"] < want for layer in stats["layers"])
    assert stats["cycles"] >= want
