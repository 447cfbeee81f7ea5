"""The dataflow scheme: units overlap where the data allows, the answers do not change.

Every program is simulated with the hazard checker on, which fails when the tokens let two
units touch overlapping windows in the wrong order; outputs must equal the sequential
schedule's bit for bit (same instructions, only their timing differs) and the run must not
take longer.
"""

from __future__ import annotations

import numpy as np
import pytest
from e2e_helpers import (
    assert_outputs_close,
    compile_model,
    ort_outputs,
    rnn_model,
    simulate_binary,
    stack_model,
)

CASES = {
    "lstm-bidir-lens": lambda: rnn_model("LSTM", T=5, B=3, I=4, H=6, direction="bidirectional", seq_lens=[5, 2, 0],
                                         initial_h=True, initial_c=True, peepholes=True),
    "lstm-clip-forget": lambda: rnn_model("LSTM", T=6, B=2, I=7, H=5, clip=0.7, input_forget=True),
    "gru-lbr0-reverse": lambda: rnn_model("GRU", T=4, B=2, I=3, H=9, direction="reverse", linear_before_reset=0),
    "gru-lbr1": lambda: rnn_model("GRU", T=4, B=1, I=5, H=8, linear_before_reset=1, initial_h=True),
    "rnn-relu-lens": lambda: rnn_model("RNN", T=5, B=2, I=3, H=4, activations=["Relu"], seq_lens=[3, 5]),
    "lstm-stack-bidir": lambda: stack_model("LSTM", layers=3, T=4, B=2, I=5, H=6, bidirectional=True,
                                            glue="transpose_reshape"),
    "gru-stack": lambda: stack_model("GRU", layers=2, T=6, B=1, I=4, H=7, linear_before_reset=1),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_dataflow_matches_sequential_and_is_not_slower(name: str) -> None:
    model, feeds = CASES[name]()
    sequential = simulate_binary(compile_model(model, schedule="sequential"), feeds)
    dataflow = simulate_binary(compile_model(model, schedule="dataflow"), feeds)
    for key, value in sequential.outputs.items():
        np.testing.assert_array_equal(dataflow.outputs[key], value)
    assert_outputs_close(dataflow.outputs, ort_outputs(model, feeds))
    assert dataflow.stats["cycles"] <= sequential.stats["cycles"]


def test_dataflow_overlaps_units() -> None:
    """Somewhere in a bidirectional LSTM stack two units work at once: fewer cycles than sequential."""
    model, feeds = CASES["lstm-stack-bidir"]()
    sequential = simulate_binary(compile_model(model, schedule="sequential"), feeds).stats["cycles"]
    dataflow = simulate_binary(compile_model(model, schedule="dataflow"), feeds).stats["cycles"]
    assert dataflow < sequential
