"""End to end, GRU and RNN: ONNX model built in-test -> compile_onnx -> simulate (fp32) vs an oracle.

onnxruntime (CPU EP) is the oracle (rtol 1e-4, atol 1e-5), and the only one for clip,
activations and sequence_lens; layout=1 (rejected by onnxruntime) is checked against
onnx.reference with the attributes it implements. GRU runs with linear_before_reset 0
(the ONNX default) and 1 (what PyTorch exports).
"""

from __future__ import annotations

import pytest
from e2e_helpers import (
    ACT_PARAMS,
    STATE_OUTPUTS,
    assert_identical_across_hardware,
    assert_outputs_close,
    check_against_ort,
    reference_outputs,
    rnn_model,
    sharp_outputs,
    stack_model,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DIRECTIONS = ("forward", "reverse", "bidirectional")
SIZES = [(1, 1), (1, 3), (3, 7), (7, 17), (17, 33), (33, 3), (100, 7), (7, 100), (100, 100)]
"""(input_size, hidden_size): odd sizes, none a multiple of a tile edge."""
# Each kind as (op, linear_before_reset): GRU both ways, RNN.
KINDS = [("GRU", 0), ("GRU", 1), ("RNN", None)]
KIND_IDS = ["gru-lbr0", "gru-lbr1", "rnn"]
DEFAULTS = {"GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}
PARAMS = {
    "HardSigmoid": (0.3, 0.4), "LeakyRelu": (0.05, None), "ThresholdedRelu": (0.2, None),
    "ScaledTanh": (0.8, 1.3), "Affine": (0.7, 0.1), "Elu": (0.9, None),
}  # fmt: skip


def alpha_beta(functions):
    """activation_alpha/beta lists: consumed in order, only by the functions that take them."""
    alphas = [PARAMS[f][0] for f in functions if f in PARAMS]
    betas = [PARAMS[f][1] for f in functions if f in PARAMS and PARAMS[f][1] is not None]
    return alphas or None, betas or None


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(("I", "H"), SIZES)
@pytest.mark.parametrize(("op", "lbr"), KINDS, ids=KIND_IDS)
def test_sizes(op, lbr, I, H, direction):  # noqa: E741
    batch = (1, 2, 5)[(I + H) % 3]
    model, feeds = rnn_model(op, T=3, B=batch, I=I, H=H, direction=direction, linear_before_reset=lbr,
                             seed=I * 131 + H)  # fmt: skip
    check_against_ort(model, feeds)


@pytest.mark.parametrize("batch", [1, 2, 5])
@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(("op", "lbr"), KINDS, ids=KIND_IDS)
def test_batch_without_bias(op, lbr, batch, direction):
    model, feeds = rnn_model(op, T=4, B=batch, I=5, H=6, direction=direction, bias=False,
                             linear_before_reset=lbr, seed=batch)  # fmt: skip
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(
    ("lens", "extra"),
    [
        ([3, 1], {}),
        ([2, 5, 1, 4, 3], {}),
        ([4, 2, 1], {"initial_h": True}),
        ([5, 3], {"outputs": ["Y"]}),
        ([1, 4], {"outputs": ["Y_h"]}),
        ([2, 3], {"clip": 0.8}),
        ([0, 3, 2], {"initial_h": True}),  # an empty sequence: onnxruntime writes zeros
    ],
)
@pytest.mark.parametrize(("op", "lbr"), KINDS, ids=KIND_IDS)
def test_partial_sequence_lens(op, lbr, lens, extra, direction):
    model, feeds = rnn_model(op, T=5, B=len(lens), I=3, H=5, direction=direction, seq_lens=lens,
                             linear_before_reset=lbr, **extra)  # fmt: skip
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("clip", [0.1, 0.7])
@pytest.mark.parametrize(("op", "lbr"), KINDS, ids=KIND_IDS)
def test_clip(op, lbr, clip, direction):
    model, feeds = rnn_model(op, T=4, B=2, I=3, H=5, direction=direction, clip=clip, scale=1.0,
                             linear_before_reset=lbr)  # fmt: skip
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(("op", "lbr"), KINDS, ids=KIND_IDS)
def test_initial_h(op, lbr, direction):
    model, feeds = rnn_model(
        op, T=3, B=2, I=4, H=3, direction=direction, initial_h=True, linear_before_reset=lbr
    )
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("outputs", [["Y"], ["Y_h"], ["Y", "Y_h"]])
@pytest.mark.parametrize(("op", "lbr"), KINDS, ids=KIND_IDS)
def test_requested_outputs(op, lbr, outputs, direction):
    """Every subset of outputs; the others are empty names in the node's output list."""
    model, feeds = rnn_model(
        op, T=3, B=2, I=3, H=4, direction=direction, outputs=outputs, linear_before_reset=lbr
    )
    got = check_against_ort(model, feeds)
    assert sorted(got) == sorted(outputs)


ACTIVATION_CASES = [
    pytest.param("GRU", lbr, slot, fn, id=f"gru-lbr{lbr}-{'fg'[slot]}={fn}")
    for fn in ACT_PARAMS
    for slot in range(2)
    for lbr in (0, 1)
] + [pytest.param("RNN", None, 0, fn, id=f"rnn-f={fn}") for fn in ACT_PARAMS]


@pytest.mark.parametrize(("op", "lbr", "slot", "fn"), ACTIVATION_CASES)
def test_activation_with_parameters(op, lbr, slot, fn):
    functions = list(DEFAULTS[op])
    functions[slot] = fn
    alphas, betas = alpha_beta(functions)
    model, feeds = rnn_model(op, T=3, B=2, I=3, H=5, activations=functions, alphas=alphas, betas=betas,
                             linear_before_reset=lbr)  # fmt: skip
    check_against_ort(model, feeds)


@pytest.mark.parametrize("fn", list(ACT_PARAMS))
@pytest.mark.parametrize("op", ["GRU", "RNN"])
def test_activation_default_parameters(op, fn):
    """No activation_alpha/beta: every function takes onnxruntime's defaults."""
    functions = [fn] * len(DEFAULTS[op])
    model, feeds = rnn_model(op, T=3, B=2, I=3, H=5, activations=functions)
    check_against_ort(model, feeds)


@pytest.mark.parametrize(("op", "lbr"), KINDS, ids=KIND_IDS)
def test_activations_differ_per_direction_with_clip(op, lbr):
    functions = {"GRU": ["HardSigmoid", "Softsign", "Sigmoid", "ScaledTanh"], "RNN": ["LeakyRelu", "Affine"]}[
        op
    ]
    alphas, betas = alpha_beta(functions)
    model, feeds = rnn_model(
        op, T=4, B=2, I=3, H=5, direction="bidirectional", activations=functions, alphas=alphas, betas=betas,
        clip=1.5, seq_lens=[4, 2], linear_before_reset=lbr,
    )  # fmt: skip
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(
    "extra",
    [{}, {"initial_h": True}, {"outputs": ["Y_h"]}, {"bias": False}],
    ids=["plain", "h0", "Y_h-only", "no-bias"],
)
@pytest.mark.parametrize(("op", "lbr"), KINDS, ids=KIND_IDS)
def test_layout1_against_onnx_reference(op, lbr, extra, direction):
    model, feeds = rnn_model(
        op, T=3, B=2, I=3, H=5, direction=direction, layout=1, linear_before_reset=lbr, **extra
    )
    assert_outputs_close(sharp_outputs(model, feeds), reference_outputs(model, feeds))


@pytest.mark.parametrize(
    ("layers", "bidirectional", "glue", "batch"),
    [(2, False, "squeeze", 1), (3, False, "squeeze", 2), (2, False, "transpose_reshape", 3),
     (2, True, "transpose_reshape", 1), (3, True, "transpose_reshape", 2)],
)  # fmt: skip
@pytest.mark.parametrize(("op", "lbr"), KINDS, ids=KIND_IDS)
def test_multilayer_stack(op, lbr, layers, bidirectional, glue, batch):
    model, feeds = stack_model(op, layers=layers, T=4, B=batch, I=5, H=7, bidirectional=bidirectional, glue=glue,
                               linear_before_reset=lbr)  # fmt: skip
    check_against_ort(model, feeds)


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
@pytest.mark.parametrize(("op", "lbr"), KINDS, ids=KIND_IDS)
def test_budgets_and_presets_give_identical_numerics(op, lbr, precision):
    """Tile geometry changes time, never numbers: every budget and preset gives the same bits."""
    model, feeds = rnn_model(op, T=4, B=3, I=33, H=17, direction="bidirectional", seq_lens=[4, 1, 3],
                             initial_h=True, linear_before_reset=lbr)  # fmt: skip
    assert_identical_across_hardware(model, feeds, precision)


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_random_gru_rnn(data):
    op = data.draw(st.sampled_from(["GRU", "RNN"]), label="op")
    T = data.draw(st.integers(1, 5), label="T")
    B = data.draw(st.integers(1, 4), label="B")
    I = data.draw(st.integers(1, 24), label="I")  # noqa: E741
    H = data.draw(st.integers(1, 24), label="H")
    direction = data.draw(st.sampled_from(DIRECTIONS), label="direction")
    lens = data.draw(st.none() | st.lists(st.integers(1, T), min_size=B, max_size=B), label="seq_lens")
    outputs = data.draw(
        st.lists(st.sampled_from(STATE_OUTPUTS[op]), min_size=1, max_size=2, unique=True), label="outputs"
    )
    options = {
        "bias": data.draw(st.booleans(), label="bias"),
        "initial_h": data.draw(st.booleans(), label="initial_h"),
        "clip": data.draw(st.none() | st.sampled_from([0.3, 1.0, 4.0]), label="clip"),
        "linear_before_reset": data.draw(st.sampled_from([0, 1]), label="lbr") if op == "GRU" else None,
    }
    seed = data.draw(st.integers(0, 2**16), label="seed")
    model, feeds = rnn_model(op, T=T, B=B, I=I, H=H, direction=direction, seq_lens=lens, outputs=outputs,
                             seed=seed, **options)  # fmt: skip
    check_against_ort(model, feeds)
