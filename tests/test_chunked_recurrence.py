"""Intergate pipelining (`chunks` option of convert-rnn-to-sharp): exact, hazard-free, and faster.

With chunks > 1 each recurrent layer's hidden units are cut into blocks whose cell update
overlaps the next block's dispatch under the dataflow scheme. Outputs must match onnxruntime
(fp32, `check_hazards=True`) under both schemes, for every cell variant and odd block sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from e2e_helpers import (
    assert_outputs_close,
    compile_model,
    ort_outputs,
    reference_outputs,
    rnn_model,
    simulate_binary,
    stack_model,
)

SCHEMES = ("sequential", "dataflow")

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "lstm-peephole-clip-states-bidir": ("LSTM", dict(H=7, B=2, T=4, direction="bidirectional", peepholes=True,
                                                     clip=1.5, initial_h=True, initial_c=True)),
    "lstm-input-forget-reverse": ("LSTM", dict(H=33, T=3, I=5, direction="reverse", input_forget=True,
                                               peepholes=True, initial_h=True)),
    "lstm-activations": ("LSTM", dict(H=7, T=3, activations=["HardSigmoid", "LeakyRelu", "Softsign"],
                                      alphas=[0.2, 0.1], betas=[0.5], outputs=["Y", "Y_c"])),
    "gru-lbr0-bidir": ("GRU", dict(H=7, B=2, T=4, direction="bidirectional", linear_before_reset=0,
                                   initial_h=True)),
    "gru-lbr1-bidir": ("GRU", dict(H=33, T=3, direction="bidirectional", linear_before_reset=1, initial_h=True)),
    "gru-lbr0-nobias": ("GRU", dict(H=7, T=3, bias=False, linear_before_reset=0, clip=1.0, outputs=["Y_h"])),
    "rnn-bidir": ("RNN", dict(H=33, B=2, T=3, direction="bidirectional", initial_h=True)),
    "rnn-relu": ("RNN", dict(H=7, T=4, activations=["Relu"], outputs=["Y"])),
}  # fmt: skip


def check_all_schemes(
    model: Any, feeds: dict[str, np.ndarray], chunks: int, oracle: Any = ort_outputs
) -> None:
    want = oracle(model, feeds)
    for scheme in SCHEMES:
        got = simulate_binary(compile_model(model, chunks=chunks, schedule=scheme), feeds).outputs
        assert_outputs_close(dict(got), want)


@pytest.mark.parametrize("chunks", [2, 3, 4, "hidden"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_cells_match_onnxruntime(case: str, chunks: int | str) -> None:
    op, kwargs = CASES[case]
    model, feeds = rnn_model(op, **kwargs)
    check_all_schemes(model, feeds, kwargs["H"] if chunks == "hidden" else int(chunks))


@pytest.mark.parametrize(
    ("op", "kwargs", "chunks"),
    [
        ("LSTM", dict(H=7, bidirectional=True, glue="transpose_reshape"), 3),
        ("GRU", dict(H=7, linear_before_reset=0), 2),
        ("GRU", dict(H=5, bidirectional=True, glue="transpose_reshape", linear_before_reset=1), 5),
        ("RNN", dict(H=33, layers=3), 4),
    ],
)
def test_stacks_match_onnxruntime(op: str, kwargs: dict[str, Any], chunks: int) -> None:
    model, feeds = stack_model(op, **kwargs)
    check_all_schemes(model, feeds, chunks)


@pytest.mark.parametrize(
    "kwargs",
    [dict(layout=1, B=2), dict(seq_lens=[3, 1], B=2), dict(H=4)],
    ids=["layout1", "seq_lens", "clamped"],
)
def test_fallbacks_and_clamping_stay_exact(kwargs: dict[str, Any]) -> None:
    """Layout 1 and sequence_lens keep chunks = 1; more chunks than units give one unit per block."""
    model, feeds = rnn_model("LSTM", T=4, peepholes=True, **kwargs)
    oracle = reference_outputs if kwargs.get("layout") else ort_outputs  # onnxruntime has no layout 1
    check_all_schemes(model, feeds, 9, oracle)


def r_dispatches(model: Any, chunks: int) -> int:
    """Dispatches of R per time step in the lowered IR (one per block)."""
    from e2e_helpers import save_model

    from sharp_compiler.api import compile_onnx

    path = save_model(model)
    try:
        ir = compile_onnx(path, precision="fp32", schedule="intergate", chunks=chunks).ir("sharp")
    finally:
        path.unlink(missing_ok=True)
    return sum("sharp.dispatch" in line and "_Rbuf[" in line for line in ir.splitlines())


@pytest.mark.parametrize(
    ("kwargs", "want"),
    [(dict(H=7), 3), (dict(H=2), 2), (dict(H=7, layout=1), 1), (dict(H=7, seq_lens=[2]), 1)],
    ids=["blocked", "clamped", "layout1", "seq_lens"],
)
def test_blocks_in_the_loop_body(kwargs: dict[str, Any], want: int) -> None:
    model, _ = rnn_model("RNN", **kwargs)
    assert r_dispatches(model, 3) == want


def test_chunks_one_is_the_default_lowering() -> None:
    model, _ = rnn_model("LSTM", H=7, direction="bidirectional")
    for scheme in SCHEMES:
        assert compile_model(model, schedule=scheme) == compile_model(model, schedule=scheme, chunks=0)


def test_bad_chunks_rejected() -> None:
    model, _ = rnn_model("RNN")
    with pytest.raises(Exception, match="chunks must be 0 .* or a positive integer"):
        compile_model(model, chunks=-1)


def test_dataflow_blocks_overlap_and_save_cycles() -> None:
    """LSTM H=256, T=20, B=8 on sharp-4k: the cell update of one block overlaps the next block's
    dispatch, so chunks=4 takes strictly fewer cycles than chunks=1 under the dataflow scheme."""
    model, feeds = rnn_model("LSTM", T=20, B=8, I=64, H=256, scale=0.1)
    runs = {
        chunks: simulate_binary(
            compile_model(model, hw="sharp-4k", schedule="dataflow", chunks=chunks), feeds
        )
        for chunks in (1, 4)
    }
    assert_outputs_close(dict(runs[4].outputs), dict(runs[1].outputs))
    base, blocked = runs[1].stats["cycles"], runs[4].stats["cycles"]
    assert blocked < base, (base, blocked)
    assert blocked < 0.95 * base, (base, blocked)  # measured: 47860 -> 42961 cycles
