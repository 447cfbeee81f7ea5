"""End to end, LSTM: ONNX model built in-test -> compile_onnx -> simulate (fp32) vs an oracle.

The oracle is onnxruntime (CPU EP), rtol 1e-4, atol 1e-5. It is the only one that honours
clip, input_forget, activations and sequence_lens (onnx.reference silently ignores them);
onnxruntime rejects layout=1, so layout=1 is checked against onnx.reference, and only with
attributes onnx.reference implements.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from e2e_helpers import (
    ACT_PARAMS,
    assert_identical_across_hardware,
    assert_outputs_close,
    check_against_ort,
    compile_model,
    ort_outputs,
    reference_outputs,
    rnn_model,
    sharp_outputs,
    simulate_binary,
    stack_model,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DIRECTIONS = ("forward", "reverse", "bidirectional")
SIZES = [(1, 1), (1, 3), (3, 7), (7, 17), (17, 33), (33, 3), (100, 7), (7, 100), (100, 100)]
"""(input_size, hidden_size): odd sizes, none a multiple of a tile edge."""

# Non-default parameters for the activations that take them (alpha, beta).
PARAMS = {
    "HardSigmoid": (0.3, 0.4), "LeakyRelu": (0.05, None), "ThresholdedRelu": (0.2, None),
    "ScaledTanh": (0.8, 1.3), "Affine": (0.7, 0.1), "Elu": (0.9, None),
}  # fmt: skip
DEFAULTS = ["Sigmoid", "Tanh", "Tanh"]


def alpha_beta(functions):
    """activation_alpha/beta lists: consumed in order, only by the functions that take them."""
    alphas = [PARAMS[f][0] for f in functions if f in PARAMS]
    betas = [PARAMS[f][1] for f in functions if f in PARAMS and PARAMS[f][1] is not None]
    return alphas or None, betas or None


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(("I", "H"), SIZES)
def test_sizes(I, H, direction):  # noqa: E741
    batch = (1, 2, 5)[(I + H) % 3]
    model, feeds = rnn_model("LSTM", T=3, B=batch, I=I, H=H, direction=direction, seed=I * 131 + H)
    check_against_ort(model, feeds)


@pytest.mark.parametrize("batch", [1, 2, 5])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_batch_without_bias(batch, direction):
    model, feeds = rnn_model("LSTM", T=4, B=batch, I=5, H=6, direction=direction, bias=False, seed=batch)
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(
    ("lens", "extra"),
    [
        ([3, 1], {}),
        ([2, 5, 1, 4, 3], {}),
        ([4, 2, 1], {"initial_h": True, "initial_c": True}),
        ([5, 3], {"outputs": ["Y"]}),
        ([1, 4], {"outputs": ["Y_h", "Y_c"]}),
        ([2, 3], {"peepholes": True, "clip": 0.8}),
        ([5, 5, 5], {}),  # full length, given explicitly
        ([0, 3, 2], {"initial_h": True, "initial_c": True}),  # an empty sequence: onnxruntime writes zeros
    ],
)
def test_partial_sequence_lens(lens, extra, direction):
    model, feeds = rnn_model("LSTM", T=5, B=len(lens), I=3, H=5, direction=direction, seq_lens=lens, **extra)
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("clip", [0.1, 0.5, 2.0])
def test_clip(clip, direction):
    model, feeds = rnn_model("LSTM", T=4, B=2, I=3, H=5, direction=direction, clip=clip, scale=1.0)
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(
    "extra",
    [
        {"input_forget": True},
        {"peepholes": True},
        {"peepholes": True, "input_forget": True},
        {"peepholes": True, "initial_h": True, "initial_c": True},
        {"input_forget": True, "clip": 0.5, "seq_lens": [4, 2]},
    ],
    ids=["input_forget", "peepholes", "peepholes+input_forget", "peepholes+states", "input_forget+clip+lens"],
)
def test_input_forget_and_peepholes(extra, direction):
    model, feeds = rnn_model("LSTM", T=4, B=2, I=3, H=5, direction=direction, **extra)
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(
    "states",
    [{"initial_h": True}, {"initial_c": True}, {"initial_h": True, "initial_c": True}],
    ids=["h", "c", "h+c"],
)
def test_initial_states(states, direction):
    model, feeds = rnn_model("LSTM", T=3, B=2, I=4, H=3, direction=direction, **states)
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(
    "outputs", [list(c) for r in (1, 2, 3) for c in itertools.combinations(("Y", "Y_h", "Y_c"), r)]
)
def test_requested_outputs(outputs, direction):
    """Every subset of outputs; the others are empty names in the node's output list."""
    model, feeds = rnn_model("LSTM", T=3, B=2, I=3, H=4, direction=direction, outputs=outputs)
    got = check_against_ort(model, feeds)
    assert sorted(got) == sorted(outputs)


ACTIVATION_CASES = [
    pytest.param(slot, fn, id=f"{'fgh'[slot]}={fn}") for fn in ACT_PARAMS for slot in range(3)
]


@pytest.mark.parametrize(("slot", "fn"), ACTIVATION_CASES)
def test_activation_with_parameters(slot, fn):
    functions = list(DEFAULTS)
    functions[slot] = fn
    alphas, betas = alpha_beta(functions)
    model, feeds = rnn_model("LSTM", T=3, B=2, I=3, H=5, activations=functions, alphas=alphas, betas=betas)
    check_against_ort(model, feeds)


def test_activations_differ_per_direction_with_clip():
    functions = ["HardSigmoid", "LeakyRelu", "Elu", "Sigmoid", "ScaledTanh", "Affine"]
    alphas, betas = alpha_beta(functions)
    model, feeds = rnn_model(
        "LSTM", T=4, B=2, I=3, H=5, direction="bidirectional", activations=functions, alphas=alphas,
        betas=betas, clip=1.5, seq_lens=[4, 2],
    )  # fmt: skip
    check_against_ort(model, feeds)


@pytest.mark.parametrize("fn", list(ACT_PARAMS))
def test_activation_default_parameters(fn):
    """No activation_alpha/beta: every function takes onnxruntime's defaults."""
    functions = [fn, fn, "Tanh"]
    model, feeds = rnn_model("LSTM", T=3, B=2, I=3, H=5, activations=functions)
    check_against_ort(model, feeds)


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"initial_h": True, "initial_c": True},
        {"outputs": ["Y_h", "Y_c"]},
        {"peepholes": True},
        {"bias": False},
    ],
    ids=["plain", "states", "states-only-outputs", "peepholes", "no-bias"],
)
def test_layout1_against_onnx_reference(extra, direction):
    model, feeds = rnn_model("LSTM", T=3, B=2, I=3, H=5, direction=direction, layout=1, **extra)
    assert_outputs_close(sharp_outputs(model, feeds), reference_outputs(model, feeds))


def test_layout1_matches_layout0_transposed():
    """The same weights and data in both layouts give the same numbers (onnxruntime for layout 0)."""
    m0, f0 = rnn_model(
        "LSTM", T=4, B=3, I=3, H=5, direction="bidirectional", initial_h=True, initial_c=True, seed=7
    )
    m1, _ = rnn_model("LSTM", T=4, B=3, I=3, H=5, direction="bidirectional", initial_h=True, initial_c=True,
                      seed=7, layout=1)  # fmt: skip
    for init0, init1 in zip(m0.graph.initializer, m1.graph.initializer, strict=True):
        init1.CopyFrom(init0)
    f1 = {"X": f0["X"].transpose(1, 0, 2), "initial_h": f0["initial_h"].transpose(1, 0, 2),
          "initial_c": f0["initial_c"].transpose(1, 0, 2)}  # fmt: skip
    want = ort_outputs(m0, f0)
    got = sharp_outputs(m1, f1)
    assert_outputs_close(
        {
            "Y": got["Y"].transpose(1, 2, 0, 3),
            "Y_h": got["Y_h"].transpose(1, 0, 2),
            "Y_c": got["Y_c"].transpose(1, 0, 2),
        },
        want,
    )


@pytest.mark.parametrize(
    ("layers", "bidirectional", "glue", "batch"),
    [(2, False, "squeeze", 1), (3, False, "squeeze", 2), (2, False, "transpose_reshape", 3),
     (2, True, "transpose_reshape", 1), (3, True, "transpose_reshape", 2)],
)  # fmt: skip
def test_multilayer_stack(layers, bidirectional, glue, batch):
    model, feeds = stack_model(
        "LSTM", layers=layers, T=4, B=batch, I=5, H=7, bidirectional=bidirectional, glue=glue
    )
    check_against_ort(model, feeds)


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_budgets_and_presets_give_identical_numerics(precision):
    """Tile geometry changes time, never numbers: every budget and preset gives the same bits."""
    model, feeds = rnn_model("LSTM", T=4, B=3, I=33, H=17, direction="bidirectional", seq_lens=[4, 1, 3],
                             peepholes=True, initial_h=True)  # fmt: skip
    assert_identical_across_hardware(model, feeds, precision)


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_property_random_lstm(data):
    T = data.draw(st.integers(1, 5), label="T")
    B = data.draw(st.integers(1, 4), label="B")
    I = data.draw(st.integers(1, 24), label="I")  # noqa: E741
    H = data.draw(st.integers(1, 24), label="H")
    direction = data.draw(st.sampled_from(DIRECTIONS), label="direction")
    lens = data.draw(st.none() | st.lists(st.integers(1, T), min_size=B, max_size=B), label="seq_lens")
    outputs = data.draw(
        st.lists(st.sampled_from(["Y", "Y_h", "Y_c"]), min_size=1, max_size=3, unique=True), label="outputs"
    )
    options = {
        "bias": data.draw(st.booleans(), label="bias"),
        "initial_h": data.draw(st.booleans(), label="initial_h"),
        "initial_c": data.draw(st.booleans(), label="initial_c"),
        "peepholes": data.draw(st.booleans(), label="peepholes"),
        "input_forget": data.draw(st.booleans(), label="input_forget"),
        "clip": data.draw(st.none() | st.sampled_from([0.3, 1.0, 4.0]), label="clip"),
    }
    seed = data.draw(st.integers(0, 2**16), label="seed")
    model, feeds = rnn_model("LSTM", T=T, B=B, I=I, H=H, direction=direction, seq_lens=lens, outputs=outputs,
                             seed=seed, **options)  # fmt: skip
    check_against_ort(model, feeds)


@pytest.mark.parametrize("bad", [[6, 1], [-1, 2]])
def test_sequence_lens_out_of_range_is_an_input_error(bad):
    """onnxruntime rejects lengths outside [0, T]; so does the simulator, naming the input."""
    from sharp_compiler import sim

    model, feeds = rnn_model("LSTM", T=5, B=2, I=3, H=4, seq_lens=[5, 1])
    binary = compile_model(model)
    feeds["sequence_lens"] = np.asarray(bad, dtype=np.int32)
    with pytest.raises(sim.SimInputError, match="sequence_lens"):
        simulate_binary(binary, feeds)
