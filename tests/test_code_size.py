"""Time steps stay a loop at every level: code and IR size do not grow with the sequence length."""

from __future__ import annotations

import pytest
from e2e_helpers import compile_model, rnn_model, stack_model

from sharp_compiler import sim


def instruction_count(model, schedule: str = "auto") -> int:  # noqa: ANN001
    return len(sim.load(compile_model(model, reconfigure="fixed", schedule=schedule)).instructions)


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_code_size_does_not_depend_on_the_sequence_length(op: str) -> None:
    short, _ = rnn_model(op, T=2, B=2, I=5, H=6, direction="bidirectional", seq_lens=[2, 1])
    long, _ = rnn_model(op, T=400, B=2, I=5, H=6, direction="bidirectional", seq_lens=[400, 9])
    assert instruction_count(short) == instruction_count(long)


def test_whole_sequence_code_size_does_not_depend_on_the_sequence_length() -> None:
    # `unfolded`: under `auto` the cost model, which sees the length, decides whether sinking the
    # second layer's projection into its loop (and peeling its last step) pays off
    short, _ = stack_model("LSTM", layers=2, T=3, B=1, I=4, H=8)
    long, _ = stack_model("LSTM", layers=2, T=300, B=1, I=4, H=8)
    assert instruction_count(short, "unfolded") == instruction_count(long, "unfolded")


def test_ir_size_does_not_depend_on_the_sequence_length(tmp_path) -> None:  # noqa: ANN001
    from e2e_helpers import save_model

    from sharp_compiler import compile_onnx

    sizes = []
    for steps in (3, 300):
        model, _ = rnn_model("GRU", T=steps, B=1, I=4, H=5, linear_before_reset=1)
        # fixed tiles: whether a reconfiguration pays off does depend on the amount of work
        program = compile_onnx(save_model(model, tmp_path), reconfigure="fixed")
        sizes.append({stage: len(program.ir(stage).splitlines()) for stage in program.stage_names})
    assert sizes[0] == sizes[1]
