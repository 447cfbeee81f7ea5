"""Loop-body list scheduling (`transforms/loop_order.py`): legal orders, faster layers, same numbers."""

from __future__ import annotations

import pytest
from e2e_helpers import (
    assert_outputs_close,
    compile_model,
    ort_outputs,
    rnn_model,
    save_model,
    simulate_binary,
)

from sharp_compiler.api import import_model, make_context
from sharp_compiler.dialects import sharp
from sharp_compiler.pipeline import PipelineOptions, pipeline_passes
from sharp_compiler.transforms.dataflow_tokens import accesses
from sharp_compiler.transforms.loop_order import greedy_order
from sharp_compiler.transforms.rnn_to_sharp import module_config
from sharp_compiler.transforms.schedule_cost import layer_cycles, op_cost

CASES = [("LSTM", 256, 1, "sharp-16k"), ("GRU", 256, 1, "sharp-16k"), ("LSTM", 64, 2, "sharp-1k")]


def _lowered(tmp_path, op: str, hidden: int, batch: int, hw: str):
    model, _feeds = rnn_model(op, T=16, B=batch, I=32, H=hidden, outputs=["Y"])
    module = import_model(save_model(model, tmp_path))
    pipeline_passes(PipelineOptions(hw=hw, scheme="unfolded", precision="fp32"))[0].apply(
        make_context(), module
    )
    cfg, precision = module_config(module)
    (layer,) = [o for o in module.body.block.ops if isinstance(o, sharp.LayerOp)]
    return cfg, precision, layer


@pytest.mark.parametrize(("op", "hidden", "batch", "hw"), CASES)
def test_greedy_order_keeps_every_conflicting_pair_in_order(tmp_path, op, hidden, batch, hw) -> None:
    """A permutation of the body in which any two ops touching the same window (one writing) keep their order."""
    cfg, precision, layer = _lowered(tmp_path, op, hidden, batch, hw)
    (loop,) = [o for o in layer.walk() if isinstance(o, sharp.TimeLoopOp)]
    seq = [o for o in loop.body.block.ops if isinstance(o, sharp.InstructionOp)]
    costs = [op_cost(cfg, precision, o, cfg.default_tile) for o in seq]
    order = greedy_order(seq, loop.trips.data, costs)
    assert sorted(order) == list(range(len(seq)))
    assert order != list(range(len(seq)))  # these bodies have ops that are ready out of order
    position = {k: i for i, k in enumerate(order)}
    found = [accesses(o) for o in seq]
    for j in range(len(seq)):
        for i in range(j):
            if any(x.conflicts(y) for x in found[i] for y in found[j]):
                assert position[i] < position[j], (seq[i].name, seq[j].name)


@pytest.mark.parametrize(("op", "hidden", "batch", "hw"), CASES)
def test_ordered_bodies_time_faster(tmp_path, op, hidden, batch, hw) -> None:
    """On these layers the list-scheduled body is strictly faster under the simulator's timing."""
    cfg, precision, layer = _lowered(tmp_path, op, hidden, batch, hw)
    plain = layer_cycles(cfg, precision, layer, cfg.default_tile, "unfolded", reorder=False)
    ordered = layer_cycles(cfg, precision, layer, cfg.default_tile, "unfolded")
    assert ordered < plain


@pytest.mark.parametrize(("op", "hidden", "batch", "hw"), CASES)
def test_ordered_bodies_compute_the_paper_orders_numbers_bit_for_bit(op, hidden, batch, hw) -> None:
    """Reordering moves only independent ops: fp32 outputs equal the intergate order's exactly."""
    model, feeds = rnn_model(op, T=16, B=batch, I=32, H=hidden, outputs=["Y"])
    runs = {
        scheme: simulate_binary(compile_model(model, hw=hw, schedule=scheme, precision="fp32"), feeds).outputs
        for scheme in ("unfolded", "intergate")
    }
    for name, value in runs["unfolded"].items():
        assert (value == runs["intergate"][name]).all(), name


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_ordered_schedule_matches_onnxruntime(op) -> None:
    model, feeds = rnn_model(op, T=16, B=2, I=32, H=64, outputs=["Y"])
    outputs = simulate_binary(
        compile_model(model, hw="sharp-1k", schedule="unfolded", precision="fp32"), feeds
    ).outputs
    assert_outputs_close(outputs, ort_outputs(model, feeds))
