"""sharp-interleave-rows: a batch's rows as independent recurrences, exact and faster where chosen."""

from __future__ import annotations

import numpy as np
import pytest
from e2e_helpers import assert_outputs_close, ort_outputs, save_model, simulate_binary, stack_model

from sharp_compiler.api import emit_binary, import_model, make_context
from sharp_compiler.dialects import sharp
from sharp_compiler.pipeline import PipelineOptions, pipeline_passes
from sharp_compiler.transforms.sharp_interleave_rows import SharpInterleaveRowsPass


def _compile(model, hw: str, rows: str, precision: str = "fp32", group: int = 1) -> tuple[bytes, int]:
    """The binary with `sharp-interleave-rows{mode=rows group=group}`, and how many loop-body ops it has."""
    module = import_model(save_model(model))
    ctx = make_context()
    body_ops = 0
    for p in pipeline_passes(PipelineOptions(hw=hw, precision=precision)):
        if isinstance(p, SharpInterleaveRowsPass):
            p = SharpInterleaveRowsPass(mode=rows, group=group)
        p.apply(ctx, module)
        if isinstance(p, SharpInterleaveRowsPass):
            loops = [o for o in module.walk() if isinstance(o, sharp.TimeLoopOp)]
            body_ops = sum(len(list(loop.body.block.ops)) for loop in loops)
    return emit_binary(module), body_ops


@pytest.mark.parametrize(("op", "lbr"), [("GRU", 1), ("GRU", 0), ("LSTM", None), ("RNN", None)])
def test_split_rows_are_bit_identical_and_match_onnxruntime(op: str, lbr: int | None) -> None:
    model, feeds = stack_model(op, layers=2, T=5, B=3, I=6, H=16, bidirectional=True, glue="transpose_reshape",
                               linear_before_reset=lbr)  # fmt: skip
    whole, whole_ops = _compile(model, "sharp-16k", "none")
    a = simulate_binary(whole, feeds).outputs
    for group, copies in ((1, 3), (2, 2)):
        split, split_ops = _compile(model, "sharp-16k", "always", group=group)
        assert split_ops > (copies - 1) * whole_ops  # every compute op of the bodies, once per group
        b = simulate_binary(split, feeds).outputs  # the hazard checker runs on both
        for name, value in a.items():
            assert np.array_equal(value, b[name]), (group, name)
    assert_outputs_close(a, ort_outputs(model, feeds))


def test_row_groups_cover_the_batch() -> None:
    from sharp_compiler.transforms.sharp_interleave_rows import group_sizes, row_groups

    assert row_groups(3, 2) == [(0, 2), (2, 1)]
    assert row_groups(4, 1) == [(0, 1), (1, 1), (2, 1), (3, 1)]
    assert group_sizes(3) == [1, 2]
    assert group_sizes(8) == [1, 2, 4]
    assert group_sizes(2) == [1]


def test_auto_splits_where_the_cost_model_finds_it_faster() -> None:
    """A bidirectional GRU stack at batch 3 (the zoo's BiGRU shape, shorter): auto splits, and the
    simulated run is faster than without the split; batch 1 has nothing to split."""
    model, feeds = stack_model("GRU", layers=2, T=12, B=3, I=16, H=48, bidirectional=True,
                               glue="transpose_reshape", linear_before_reset=1)  # fmt: skip
    cycles = {}
    for rows in ("none", "auto"):
        binary, ops = _compile(model, "sharp-16k", rows, precision="fp16")
        cycles[rows] = (simulate_binary(binary, feeds).stats["cycles"], ops)
    assert cycles["auto"][1] > cycles["none"][1]
    assert cycles["auto"][0] < cycles["none"][0]
    single, _ = stack_model("GRU", layers=1, T=4, B=1, I=4, H=8)
    assert _compile(single, "sharp-16k", "always")[1] == _compile(single, "sharp-16k", "none")[1]
