"""The ONNX frontend: attributes, folding, glue, heads, external data and every error path.

Models are built in-test with onnx.helper; numbers the frontend derives (resolved
activation parameters, folded weights, slice bounds, Gemm weights) are checked against
onnxruntime or onnx.reference running the original node.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType, f32, i32, i64
from xdsl.ir import Operation

from sharp_compiler.dialects.rnn import (
    ACTIVATIONS,
    ActivationOp,
    ConcatOp,
    ConstantOp,
    Direction,
    EmbeddingOp,
    GRUOp,
    LinearOp,
    LSTMOp,
    ReshapeOp,
    RNNOp,
    SliceOp,
    SoftmaxOp,
    TransposeOp,
    constant_array,
)
from sharp_compiler.frontend.onnx_import import FrontendError, import_onnx

FLOAT = TensorProto.FLOAT
RNG = np.random.default_rng(42)


def rand(*shape: int) -> np.ndarray:
    return RNG.uniform(-0.5, 0.5, shape).astype(np.float32)


def make_model(
    nodes: list[onnx.NodeProto],
    inputs: dict[str, tuple[int, list[int | str] | None]],
    outputs: dict[str, tuple[int, list[int | str] | None]],
    initializers: dict[str, np.ndarray] | None = None,
    opset: int = 17,
) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes,
        "test",
        [helper.make_tensor_value_info(n, t, s) for n, (t, s) in inputs.items()],
        [helper.make_tensor_value_info(n, t, s) for n, (t, s) in outputs.items()],
        [numpy_helper.from_array(a, n) for n, a in (initializers or {}).items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    if any(shape is None for _, shape in outputs.values()):
        # The checker wants output shapes; let (lenient) inference fill the ones left out.
        model = onnx.shape_inference.infer_shapes(model)
        model.graph.ClearField("value_info")
    return model


def to_bytes(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString()


def ops_of(module: ModuleOp, kind: type[Operation]) -> list:
    return [op for op in module.walk() if isinstance(op, kind)]


def the(module: ModuleOp, kind: type[Operation]):
    found = ops_of(module, kind)
    assert len(found) == 1, f"expected one {kind.__name__}, got {len(found)}"
    return found[0]


def main_of(module: ModuleOp) -> func.FuncOp:
    return the(module, func.FuncOp)


def import_error(model: onnx.ModelProto | bytes, **kwargs) -> str:
    data = model if isinstance(model, bytes) else to_bytes(model)
    with pytest.raises(FrontendError) as info:
        import_onnx(data, origin="model.onnx", **kwargs)
    message = str(info.value)
    assert "\n" not in message and message.startswith("model.onnx: ")
    return message


def recurrent_model(op_type: str, t=4, b=2, i=3, h=5, direction="forward", inputs=("X", "W", "R"), **attrs):
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op_type]
    d = 2 if direction == "bidirectional" else 1
    inits = {
        "W": rand(d, gates * h, i),
        "R": rand(d, gates * h, h),
        "B": rand(d, 2 * gates * h),
        "P": rand(d, 3 * h),
    }
    used = {k: v for k, v in inits.items() if k in inputs}
    outs = ["Y", "Y_h", "Y_c"] if op_type == "LSTM" else ["Y", "Y_h"]
    node = helper.make_node(
        op_type, list(inputs), outs, name="layer", hidden_size=h, direction=direction, **attrs
    )
    layout = attrs.get("layout", 0)
    x_shape = [t, b, i] if layout == 0 else [b, t, i]
    return make_model([node], {"X": (FLOAT, x_shape)}, {"Y": (FLOAT, None)}, used), used


# --------------------------------------------------------------------------- recurrent nodes


@pytest.mark.parametrize("op_type, op_class", [("LSTM", LSTMOp), ("GRU", GRUOp), ("RNN", RNNOp)])
@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
def test_recurrent_defaults_and_weights(op_type, op_class, direction):
    model, inits = recurrent_model(op_type, direction=direction, inputs=("X", "W", "R", "B"))
    op = the(import_onnx(to_bytes(model)), op_class)
    d = 2 if direction == "bidirectional" else 1
    per_direction = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}[
        op_type
    ]
    assert op.direction.data == Direction(direction)
    assert op.hidden_size.value.data == 5 and op.layout.value.data == 0
    assert [a.data for a in op.activations.data] == per_direction * d
    assert [a.value.data for a in op.activation_alpha.data] == [0.0] * len(per_direction) * d
    assert op.clip is None and op.onnx_node is not None and op.onnx_node.data == "layer"
    for name in ("W", "R", "B"):
        array = constant_array(getattr(op, name))
        assert array is not None and np.array_equal(array, inits[name])
    assert op.sequence_lens is None and op.initial_h is None
    assert op.Y.type == TensorType(f32, [4, d, 2, 5]) and op.Y_h.type == TensorType(f32, [d, 2, 5])


def test_lstm_every_attribute_and_input():
    t, b, i, h = 3, 2, 2, 3
    inits = {"W": rand(2, 4 * h, i), "R": rand(2, 4 * h, h), "B": rand(2, 8 * h), "P": rand(2, 3 * h)}
    inits["lens"] = np.array([3, 1], np.int32)
    acts = ["hardsigmoid", "TANH", "Elu", "Sigmoid", "ScaledTanh", "Affine"]
    node = helper.make_node("LSTM", ["X", "W", "R", "B", "lens", "h0", "c0", "P"], ["Y", "Y_h", "Y_c"], name="l",
                            hidden_size=h, direction="bidirectional", activations=acts, activation_alpha=[0.3, 0.7, 2.0],
                            activation_beta=[0.6], clip=3.0, input_forget=1, layout=1)  # fmt: skip
    model = make_model(
        [node],
        {"X": (FLOAT, [b, t, i]), "h0": (FLOAT, [b, 2, h]), "c0": (FLOAT, [b, 2, h])},
        {"Y": (FLOAT, None), "Y_c": (FLOAT, None)},
        inits,
    )
    module = import_onnx(to_bytes(model))
    op = the(module, LSTMOp)
    assert [a.data for a in op.activations.data] == [
        "HardSigmoid",
        "Tanh",
        "Elu",
        "Sigmoid",
        "ScaledTanh",
        "Affine",
    ]
    alpha = [a.value.data for a in op.activation_alpha.data]
    beta = [b.value.data for b in op.activation_beta.data]
    assert alpha == pytest.approx([0.3, 0.0, 0.7, 0.0, 2.0, 0.0])
    assert beta == pytest.approx([0.6, 0.0, 0.0, 0.0, 0.0, 0.0])
    assert op.clip is not None and op.clip.value.data == 3.0
    assert op.input_forget.value.data == 1 and op.layout.value.data == 1
    args = main_of(module).body.block.args
    assert op.initial_h is args[1] and op.initial_c is args[2]
    lens = constant_array(op.sequence_lens)
    assert lens is not None and lens.dtype == np.int32 and list(lens) == [3, 1]
    p = constant_array(op.P)
    assert p is not None and np.array_equal(p, inits["P"])
    assert op.Y.type == TensorType(f32, [b, t, 2, h]) and op.Y_c.type == TensorType(f32, [b, 2, h])
    assert [r.data for r in main_of(module).attributes["rnn.output_names"].data] == ["Y", "Y_c"]


def test_gru_linear_before_reset_and_rnn_clip():
    model, _ = recurrent_model("GRU", linear_before_reset=1, clip=0.5)
    gru = the(import_onnx(to_bytes(model)), GRUOp)
    assert gru.linear_before_reset.value.data == 1 and gru.clip is not None and gru.clip.value.data == 0.5
    model, _ = recurrent_model("RNN", activations=["Relu"])
    assert [a.data for a in the(import_onnx(to_bytes(model)), RNNOp).activations.data] == ["Relu"]


def test_hidden_size_is_taken_from_r_when_absent():
    node = helper.make_node("GRU", ["X", "W", "R"], ["Y"], name="g")
    model = make_model(
        [node], {"X": (FLOAT, [2, 1, 3])}, {"Y": (FLOAT, None)}, {"W": rand(1, 12, 3), "R": rand(1, 12, 4)}
    )
    assert the(import_onnx(to_bytes(model)), GRUOp).hidden_size.value.data == 4


def test_sequence_lens_covering_every_step_is_dropped_and_partial_kept():
    full = recurrent_model("RNN", inputs=("X", "W", "R", "", "lens"))[0]
    full.graph.initializer.append(numpy_helper.from_array(np.array([4, 4], np.int32), "lens"))
    assert the(import_onnx(to_bytes(full)), RNNOp).sequence_lens is None
    partial = recurrent_model("RNN", inputs=("X", "W", "R", "", "lens"))[0]
    partial.graph.initializer.append(numpy_helper.from_array(np.array([4, 2], np.int32), "lens"))
    lens = constant_array(the(import_onnx(to_bytes(partial)), RNNOp).sequence_lens)
    assert lens is not None and list(lens) == [4, 2]


def test_one_direction_activation_list_on_bidirectional_is_rejected_like_onnxruntime():
    model, _ = recurrent_model("LSTM", direction="bidirectional", activations=["Sigmoid", "Tanh", "Tanh"])
    assert import_error(model) == (
        "model.onnx: unsupported ONNX node(s): LSTM 'layer' (activations lists 3 functions; "
        "a bidirectional LSTM needs 6 (3 per direction))"
    )


def test_unknown_activation_is_rejected():
    model, _ = recurrent_model("RNN", activations=["Swish"])
    assert (
        import_error(model)
        == "model.onnx: unsupported ONNX node(s): RNN 'layer' (unknown activation 'Swish')"
    )


def test_weights_may_be_graph_inputs():
    """W as a graph input is the function argument the layer reads (the binary loads it by DMA)."""
    node = helper.make_node("RNN", ["X", "W", "R"], ["Y"], name="r", hidden_size=2)
    model = make_model(
        [node], {"X": (FLOAT, [2, 1, 3]), "W": (FLOAT, [1, 2, 3])}, {"Y": (FLOAT, None)}, {"R": rand(1, 2, 2)}
    )
    module = import_onnx(to_bytes(model))
    layer = the(module, RNNOp)
    assert layer.W == layer.parent_block().args[1]  # type: ignore[union-attr]


def test_a_linear_head_may_read_weight_inputs():
    node = helper.make_node("MatMul", ["X", "Wl"], ["Y"], name="fc")
    model = make_model([node], {"X": (FLOAT, [2, 3]), "Wl": (FLOAT, [3, 4])}, {"Y": (FLOAT, None)})
    head = the(import_onnx(to_bytes(model)), LinearOp)
    assert head.weight == head.parent_block().args[1]  # type: ignore[union-attr]


def test_a_matmul_of_a_constant_by_an_input_is_rejected():
    node = helper.make_node("MatMul", ["C", "Wl"], ["Y"], name="fc")
    model = make_model([node], {"Wl": (FLOAT, [3, 4])}, {"Y": (FLOAT, None)}, {"C": rand(2, 3)})
    assert import_error(model) == (
        "model.onnx: unsupported ONNX node(s): MatMul 'fc' (only x @ W with a computed x is supported)"
    )


_FORMULAS = {
    "Relu": lambda x, a, b: np.maximum(x, 0),
    "Tanh": lambda x, a, b: np.tanh(x),
    "Sigmoid": lambda x, a, b: 1 / (1 + np.exp(-x)),
    "Affine": lambda x, a, b: a * x + b,
    "LeakyRelu": lambda x, a, b: np.where(x >= 0, x, a * x),
    "ThresholdedRelu": lambda x, a, b: np.where(x > a, x, 0),
    "ScaledTanh": lambda x, a, b: a * np.tanh(b * x),
    "HardSigmoid": lambda x, a, b: np.clip(a * x + b, 0, 1),
    "Elu": lambda x, a, b: np.where(x >= 0, x, a * (np.exp(x) - 1)),
    "Softsign": lambda x, a, b: x / (1 + np.abs(x)),
    "Softplus": lambda x, a, b: np.log1p(np.exp(x)),
}


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize(
    "params", [{}, {"activation_alpha": [0.3]}, {"activation_alpha": [0.3], "activation_beta": [0.7]}]
)
def test_resolved_activation_parameters_match_onnxruntime(activation, params):
    """A 1x1 RNN with W=1, R=0 outputs f(x): the resolved (alpha, beta) must reproduce onnxruntime."""
    ort = pytest.importorskip("onnxruntime")
    xs = np.array([-3, -1.5, -0.4, 0.0, 0.3, 0.8, 1.2, 2.5], np.float32)
    node = helper.make_node("RNN", ["X", "W", "R"], ["Y"], hidden_size=1, activations=[activation], **params)
    model = make_model(
        [node],
        {"X": (FLOAT, [8, 1, 1])},
        {"Y": (FLOAT, None)},
        {"W": np.ones((1, 1, 1), np.float32), "R": np.zeros((1, 1, 1), np.float32)},
    )
    session = ort.InferenceSession(to_bytes(model), providers=["CPUExecutionProvider"])
    expected = session.run(None, {"X": xs.reshape(8, 1, 1)})[0].reshape(-1)
    name, alpha, beta = the(import_onnx(to_bytes(model)), RNNOp).activation_functions()[0]
    assert np.allclose(_FORMULAS[name](xs, alpha, beta), expected, atol=1e-6)


def test_alpha_and_beta_are_consumed_only_by_functions_that_take_them():
    # As onnxruntime does: Tanh takes nothing, so HardSigmoid gets the first alpha and beta.
    model, _ = recurrent_model(
        "GRU", direction="bidirectional", activations=["Tanh", "HardSigmoid", "LeakyRelu", "Tanh"],
        activation_alpha=[0.3, 0.4], activation_beta=[0.9],
    )  # fmt: skip
    functions = the(import_onnx(to_bytes(model)), GRUOp).activation_functions()
    assert [name for name, _, _ in functions] == ["Tanh", "HardSigmoid", "LeakyRelu", "Tanh"]
    assert [a for _, a, _ in functions] == pytest.approx([0.0, 0.3, 0.4, 0.0])
    assert [b for _, _, b in functions] == pytest.approx([0.0, 0.9, 0.0, 0.0])


# --------------------------------------------------------------------------- folding


def _zero_state_chain(x: str, fill: float) -> tuple[list[onnx.NodeProto], dict[str, np.ndarray]]:
    nodes = [
        helper.make_node("Shape", [x], ["shape"]),
        helper.make_node("Gather", ["shape", "one"], ["batch"], axis=0),
        helper.make_node("Unsqueeze", ["batch", "axis0"], ["batch1"]),
        helper.make_node("Concat", ["dirs", "batch1", "hidden"], ["dims"], axis=0),
        helper.make_node(
            "Constant", [], ["fill"], value=numpy_helper.from_array(np.full((1, 1, 4), fill, np.float32))
        ),
        helper.make_node("Expand", ["fill", "dims"], ["h0"]),
    ]
    inits = {"one": np.array(1, np.int64), "axis0": np.array([0], np.int64), "dirs": np.array([1], np.int64),
             "hidden": np.array([4], np.int64)}  # fmt: skip
    return nodes, inits


@pytest.mark.parametrize("fill", [0.0, 0.25])
def test_torchscript_state_chain_folds(fill):
    chain, inits = _zero_state_chain("X", fill)
    inits |= {"W": rand(1, 16, 3), "R": rand(1, 16, 4)}
    lstm = helper.make_node(
        "LSTM", ["X", "W", "R", "", "", "h0", "h0"], ["Y", "Y_h"], name="l", hidden_size=4
    )
    model = make_model([*chain, lstm], {"X": (FLOAT, [5, 3, 3])}, {"Y_h": (FLOAT, [1, 3, 4])}, inits)
    module = import_onnx(to_bytes(model))
    op = the(module, LSTMOp)
    assert {type(o) for o in module.walk()} <= {ModuleOp, func.FuncOp, func.ReturnOp, ConstantOp, LSTMOp}
    if fill == 0.0:  # ONNX's default state: dropped
        assert op.initial_h is None and op.initial_c is None
    else:
        h0 = constant_array(op.initial_h)
        assert h0 is not None and h0.shape == (1, 3, 4) and np.all(h0 == 0.25)
        assert op.initial_c is op.initial_h


def test_dynamo_weight_reorder_folds_to_the_reordered_weights():
    h, i = 2, 3
    w_pt = rand(4 * h, i)
    inits = {"w_pt": w_pt, "R": rand(1, 4 * h, h), "ax0": np.array([0], np.int64)}
    nodes = []
    order = [(0, h), (3 * h, 4 * h), (h, 2 * h), (2 * h, 3 * h)]  # PyTorch i, f, g, o -> ONNX i, o, f, c
    for gate, (lo, hi) in enumerate(order):
        inits[f"lo{gate}"], inits[f"hi{gate}"] = np.array([lo]), np.array([hi])
        nodes.append(helper.make_node("Slice", ["w_pt", f"lo{gate}", f"hi{gate}", "ax0"], [f"w{gate}"]))
    nodes.append(helper.make_node("Concat", [f"w{g}" for g in range(4)], ["W2"], axis=0))
    nodes.append(helper.make_node("Unsqueeze", ["W2", "ax0"], ["W"]))
    nodes.append(helper.make_node("LSTM", ["X", "W", "R"], ["Y"], name="l", hidden_size=h))
    model = make_model(nodes, {"X": (FLOAT, [2, 1, i])}, {"Y": (FLOAT, None)}, inits)
    module = import_onnx(to_bytes(model))
    expected = np.concatenate([w_pt[lo:hi] for lo, hi in order])[None]
    w = constant_array(the(module, LSTMOp).W)
    assert w is not None and np.array_equal(w, expected)
    assert not ops_of(module, SliceOp) and not ops_of(module, ConcatOp)


def test_folding_ignores_dead_nodes_and_constant_outputs_are_materialized():
    nodes = [
        helper.make_node("Relu", ["X"], ["unused"]),
        helper.make_node("Add", ["a", "a"], ["twice"]),
        helper.make_node("Identity", ["X"], ["Y"]),
    ]
    model = make_model(
        nodes, {"X": (FLOAT, [2])}, {"Y": (FLOAT, [2]), "twice": (FLOAT, [2])}, {"a": np.ones(2, np.float32)}
    )
    module = import_onnx(to_bytes(model))
    main = main_of(module)
    ret = the(module, func.ReturnOp)
    assert ret.arguments[0] is main.body.block.args[0]
    twice = constant_array(ret.arguments[1])
    assert twice is not None and list(twice) == [2.0, 2.0]
    assert not ops_of(module, ActivationOp)


def test_float64_constants_off_the_compute_path_are_fine():
    nodes = [
        helper.make_node("Cast", ["w64"], ["w"], to=FLOAT),
        helper.make_node("MatMul", ["X", "w"], ["Y"]),
    ]
    model = make_model(nodes, {"X": (FLOAT, [2, 3])}, {"Y": (FLOAT, None)}, {"w64": np.ones((3, 4))})
    linear = the(import_onnx(to_bytes(model)), LinearOp)
    w = constant_array(linear.weight)
    assert w is not None and w.dtype == np.float32


# --------------------------------------------------------------------------- glue


def test_glue_ops():
    nodes = [
        helper.make_node("Unsqueeze", ["X", "ax0"], ["u"], name="unsq"),
        helper.make_node("Transpose", ["u"], ["t"], name="tr"),
        helper.make_node("Flatten", ["t"], ["f"], name="flat", axis=1),
        helper.make_node("Identity", ["f"], ["i"]),
        helper.make_node("Dropout", ["i"], ["d"]),
        helper.make_node("Concat", ["d", "d"], ["c"], name="cat", axis=-1),
        helper.make_node("Reshape", ["c", "shape"], ["Y"], name="rs"),
    ]
    inits = {"ax0": np.array([0], np.int64), "shape": np.array([-1], np.int64)}
    model = make_model(nodes, {"X": (FLOAT, [2, 3])}, {"Y": (FLOAT, [12])}, inits)
    module = import_onnx(to_bytes(model))
    reshapes = ops_of(module, ReshapeOp)
    assert [r.result.type for r in reshapes] == [
        TensorType(f32, [1, 2, 3]),
        TensorType(f32, [3, 2]),
        TensorType(f32, [12]),
    ]
    transpose = the(module, TransposeOp)
    assert list(transpose.perm.get_values()) == [2, 1, 0]
    concat = the(module, ConcatOp)
    assert concat.axis.value.data == 1 and concat.inputs[0] is concat.inputs[1] is reshapes[1].result


def test_reshape_chains_and_unit_axis_transposes_fold_to_one_reshape():
    """Squeeze -> Unsqueeze cancels; a Transpose that moves only size-1 axes is a reshape."""
    nodes = [
        helper.make_node("Squeeze", ["X", "ax1"], ["s"], name="sq"),
        helper.make_node("Unsqueeze", ["s", "ax1"], ["Y0"], name="unsq"),
        helper.make_node("Transpose", ["X"], ["t"], name="tr", perm=[1, 0, 2, 3]),
        helper.make_node("Reshape", ["t", "shape"], ["Y1"], name="rs"),
        helper.make_node("Transpose", ["X"], ["Y2"], name="real", perm=[0, 1, 3, 2]),
    ]
    inits = {"ax1": np.array([1], np.int64), "shape": np.array([0, 0, -1], np.int64)}
    outputs = {"Y0": (FLOAT, [3, 1, 2, 4]), "Y1": (FLOAT, [1, 3, 8]), "Y2": (FLOAT, [3, 1, 4, 2])}
    model = make_model(nodes, {"X": (FLOAT, [3, 1, 2, 4])}, outputs, inits)
    module = import_onnx(to_bytes(model))
    ret = the(module, func.ReturnOp)
    x = main_of(module).body.block.args[0]
    assert ret.operands[0] is x  # Squeeze -> Unsqueeze gives X back
    reshape = the(module, ReshapeOp)
    assert reshape.input is x and reshape.result.type == TensorType(f32, [1, 3, 8])
    assert list(the(module, TransposeOp).perm.get_values()) == [0, 1, 3, 2]


def test_concat_of_adjacent_slices_is_one_slice_or_the_source():
    nodes = [
        helper.make_node("Slice", ["X", f"s{k}", f"s{k + 1}", "ax0"], [f"p{k}"], name=f"slice{k}")
        for k in range(4)
    ]
    nodes += [
        helper.make_node("Concat", ["p0", "p1", "p2", "p3"], ["Y0"], name="all", axis=0),
        helper.make_node("Concat", ["p1", "p2", "p0"], ["Y1"], name="part", axis=0),
    ]
    inits = {f"s{k}": np.array([k], np.int64) for k in range(5)} | {"ax0": np.array([0], np.int64)}
    outputs = {"Y0": (FLOAT, [4, 2]), "Y1": (FLOAT, [3, 2])}
    module = import_onnx(to_bytes(make_model(nodes, {"X": (FLOAT, [4, 2])}, outputs, inits)))
    x = main_of(module).body.block.args[0]
    ret = the(module, func.ReturnOp)
    assert ret.operands[0] is x
    concat = the(module, ConcatOp)
    joined, last = concat.inputs
    assert isinstance(joined.owner, SliceOp) and isinstance(last.owner, SliceOp)
    assert (list(joined.owner.starts.get_values()), list(joined.owner.ends.get_values())) == ([1], [3])
    assert (list(last.owner.starts.get_values()), list(last.owner.ends.get_values())) == ([0], [1])
    assert len(ops_of(module, SliceOp)) == 2  # the slices that were joined are gone


@pytest.mark.parametrize(
    "starts, ends, axes, steps",
    [
        ([1], [3], [0], [1]),
        ([-1], [-1000], [1], [-2]),
        ([0, 2], [2**63 - 1, 0], [0, 2], [2, -1]),
        ([5], [1], [-1], [1]),
    ],
)
def test_slice_bounds_are_canonical_and_keep_onnx_semantics(starts, ends, axes, steps):
    data = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    node = helper.make_node("Slice", ["X", "starts", "ends", "axes", "steps"], ["Y"], name="s")
    params = {
        k: np.array(v, np.int64)
        for k, v in zip(("starts", "ends", "axes", "steps"), (starts, ends, axes, steps), strict=True)
    }
    model = make_model([node], {"X": (FLOAT, [4, 5, 6])}, {"Y": (FLOAT, None)}, params)
    expected = ReferenceEvaluator(model).run(None, {"X": data})[0]
    op = the(import_onnx(to_bytes(model)), SliceOp)
    index = [slice(None)] * 3
    for s, e, a, st in zip(
        op.starts.get_values(), op.ends.get_values(), op.axes.get_values(), op.steps.get_values(), strict=True
    ):
        assert 0 <= a < 3
        index[a] = slice(s, e if e >= 0 else None, st) if st < 0 and e < 0 else slice(s, e, st)
    assert np.array_equal(data[tuple(index)], expected)
    assert op.result.type == TensorType(f32, list(expected.shape))


# --------------------------------------------------------------------------- heads


@pytest.mark.parametrize(
    "attrs, c_shape",
    [
        ({}, (4,)),
        ({"transB": 1}, (1, 4)),
        ({"alpha": 0.5, "beta": 2.0}, (4,)),
        ({"transA": 1, "beta": 0.5}, ()),
        ({}, None),
    ],
)
def test_gemm_becomes_linear_with_the_same_numbers(attrs, c_shape):
    a_shape = [3, 2] if attrs.get("transA") else [2, 3]
    b = rand(4, 3) if attrs.get("transB") else rand(3, 4)
    inits = {"B": b}
    inputs = ["A", "B"]
    if c_shape is not None:
        inits["C"] = rand(*c_shape)
        inputs.append("C")
    node = helper.make_node("Gemm", inputs, ["Y"], name="gemm", **attrs)
    model = make_model([node], {"A": (FLOAT, a_shape)}, {"Y": (FLOAT, None)}, inits)
    x = rand(*a_shape)
    expected = ReferenceEvaluator(model).run(None, {"A": x})[0]
    module = import_onnx(to_bytes(model))
    linear = the(module, LinearOp)
    w = constant_array(linear.weight)
    bias = constant_array(linear.bias) if linear.bias is not None else 0.0
    assert w is not None
    x_used = x.T if attrs.get("transA") else x
    assert np.allclose(x_used @ w + bias, expected, atol=1e-6)
    assert bool(ops_of(module, TransposeOp)) == bool(attrs.get("transA"))


def test_matmul_add_fuses_and_keeps_initializer_names():
    nodes = [
        helper.make_node("MatMul", ["X", "w"], ["mm"], name="fc"),
        helper.make_node("Add", ["b", "mm"], ["Y"]),
    ]
    model = make_model(
        nodes, {"X": (FLOAT, [5, 1, 3])}, {"Y": (FLOAT, None)}, {"w": rand(3, 4), "b": rand(1, 4)}
    )
    linear = the(import_onnx(to_bytes(model)), LinearOp)
    assert linear.onnx_node is not None and linear.onnx_node.data == "fc"
    assert linear.weight.owner.value.label.data == "w"
    bias = constant_array(linear.bias)
    assert bias is not None and bias.shape == (4,)
    assert linear.result.type == TensorType(f32, [5, 1, 4])


def test_matmul_without_bias_and_an_add_that_is_not_a_bias():
    nodes = [
        helper.make_node("MatMul", ["X", "w"], ["mm"], name="fc"),
        helper.make_node("Add", ["mm", "b"], ["Y"], name="add"),
    ]
    model = make_model(
        nodes, {"X": (FLOAT, [2, 3])}, {"Y": (FLOAT, None)}, {"w": rand(3, 4), "b": rand(2, 4)}
    )
    assert import_error(model) == (
        "model.onnx: unsupported ONNX node(s): Add 'add' (Add is only supported as a constant bias after MatMul or Gemm)"
    )
    model = make_model(nodes[:1], {"X": (FLOAT, [2, 3])}, {"mm": (FLOAT, None)}, {"w": rand(3, 4)})
    assert the(import_onnx(to_bytes(model)), LinearOp).bias is None


@pytest.mark.parametrize("op_type, log", [("Softmax", False), ("LogSoftmax", True)])
def test_softmax_over_the_last_axis(op_type, log):
    model = make_model(
        [helper.make_node(op_type, ["X"], ["Y"], name="sm")], {"X": (FLOAT, [2, 3])}, {"Y": (FLOAT, None)}
    )
    assert (the(import_onnx(to_bytes(model)), SoftmaxOp).log is not None) == log
    # Before opset 13 the default axis is 1, the last axis of a rank-2 input.
    model = make_model(
        [helper.make_node(op_type, ["X"], ["Y"], name="sm")],
        {"X": (FLOAT, [2, 3])},
        {"Y": (FLOAT, None)},
        opset=11,
    )
    assert ops_of(import_onnx(to_bytes(model)), SoftmaxOp)
    node = helper.make_node(op_type, ["X"], ["Y"], name="sm", axis=0)
    model = make_model([node], {"X": (FLOAT, [2, 3])}, {"Y": (FLOAT, None)})
    assert import_error(model).endswith(
        f"{op_type} 'sm' (only the last axis is supported, got axis 0 of rank 2)"
    )


@pytest.mark.parametrize("op_type", ["Tanh", "Sigmoid", "Relu"])
def test_elementwise_activations(op_type):
    model = make_model(
        [helper.make_node(op_type, ["X"], ["Y"])], {"X": (FLOAT, [2, 3])}, {"Y": (FLOAT, None)}
    )
    op = the(import_onnx(to_bytes(model)), ActivationOp)
    assert op.function.data == op_type and op.onnx_node is not None and op.onnx_node.data == "#0"


@pytest.mark.parametrize("index_type, element", [(TensorProto.INT64, i64), (TensorProto.INT32, i32)])
def test_gather_of_a_constant_table_is_an_embedding(index_type, element):
    node = helper.make_node("Gather", ["table", "tokens"], ["Y"], name="emb")
    model = make_model([node], {"tokens": (index_type, [5, 1])}, {"Y": (FLOAT, None)}, {"table": rand(10, 3)})
    op = the(import_onnx(to_bytes(model)), EmbeddingOp)
    assert op.indices.type == TensorType(element, [5, 1]) and op.result.type == TensorType(f32, [5, 1, 3])


def test_gather_rejections():
    node = helper.make_node("Gather", ["table", "tokens"], ["Y"], name="g", axis=1)
    model = make_model(
        [node], {"tokens": (TensorProto.INT64, [5])}, {"Y": (FLOAT, None)}, {"table": rand(10, 3)}
    )
    assert import_error(model).endswith("Gather 'g' (only axis 0 is supported, got 1)")
    node = helper.make_node("Gather", ["X", "idx"], ["Y"], name="g")
    model = make_model(
        [node], {"X": (FLOAT, [4, 3]), "idx": (TensorProto.INT64, [2])}, {"Y": (FLOAT, None)}, {}
    )
    assert import_error(model).endswith(
        "Gather 'g' (indexing a computed tensor by computed indices is not supported; only an embedding "
        "table (nn.Embedding) or a constant index such as y[-1] is)"
    )
    model = make_model([node], {"X": (FLOAT, [4, 3])}, {"Y": (FLOAT, None)}, {"idx": np.array([4], np.int64)})
    assert import_error(model).endswith("Gather 'g' (index out of range for axis 0 of size 4: [4])")


@pytest.mark.parametrize(
    ("indices", "axis", "slices"),
    [
        (np.array(-1, np.int64), 0, [((3,), (4,), (0,), (1,))]),
        (np.array([2], np.int64), 1, [((2,), (3,), (1,), (1,))]),
        (np.array([0, 1, 2], np.int64), 0, [((0,), (3,), (0,), (1,))]),
        (np.array([3, 2, 1, 0], np.int64), 0, [((3,), (-5,), (0,), (-1,))]),
        (np.array([0, 2, 3], np.int64), 0, [((0,), (4,), (0,), (2,)), ((3,), (4,), (0,), (1,))]),
    ],
)
def test_gather_of_constant_indices_is_a_slice(indices, axis, slices):
    """y[-1], y[:, 2], y[[...]]: slices (one per arithmetic run, then a concat) and a reshape."""
    node = helper.make_node("Gather", ["X", "idx"], ["Y"], name="g", axis=axis)
    model = make_model([node], {"X": (FLOAT, [4, 3, 2])}, {"Y": (FLOAT, None)}, {"idx": indices})
    module = import_onnx(to_bytes(model))
    got = [
        (tuple(op.starts.get_values()), tuple(op.ends.get_values()), tuple(op.axes.get_values()),
         tuple(op.steps.get_values()))
        for op in module.walk() if isinstance(op, SliceOp)
    ]  # fmt: skip
    assert got == slices
    expected = np.take(np.zeros((4, 3, 2)), indices, axis=axis).shape
    ret = next(op for op in module.walk() if isinstance(op, func.ReturnOp))
    assert tuple(ret.operands[0].type.get_shape()) == expected


# --------------------------------------------------------------------------- files, external data


def test_paths_bytes_and_external_data_give_the_same_weights(tmp_path: Path):
    model, inits = recurrent_model("LSTM", inputs=("X", "W", "R", "B"))
    single = tmp_path / "single.onnx"
    onnx.save_model(model, single)
    data = to_bytes(model)
    external = tmp_path / "ext" / "model.onnx"
    external.parent.mkdir()
    onnx.save_model(
        model,
        external,
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="weights.bin",
        size_threshold=0,
    )
    for source in (single, str(single), data, external):
        op = the(import_onnx(source), LSTMOp)
        for name in ("W", "R", "B"):
            array = constant_array(getattr(op, name))
            assert array is not None and np.array_equal(array, inits[name])


def test_external_data_is_memory_mapped(tmp_path: Path, monkeypatch):
    from sharp_compiler.frontend import loading

    model, _ = recurrent_model("RNN")
    path = tmp_path / "m.onnx"
    onnx.save_model(
        model,
        path,
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="m.data",
        size_threshold=0,
    )
    seen: list[np.ndarray] = []
    original = loading.external_array

    def spy(*args):
        array = original(*args)
        seen.append(array)
        return array

    monkeypatch.setattr(loading, "external_array", spy)
    import_onnx(path)
    assert any(isinstance(a, np.memmap) for a in seen)


def test_external_data_errors(tmp_path: Path):
    model, _ = recurrent_model("RNN")
    path = tmp_path / "m.onnx"
    onnx.save_model(
        model,
        path,
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="m.data",
        size_threshold=0,
    )
    with pytest.raises(
        FrontendError,
        match=r"^<bytes>: tensor '\w+' is stored in external file 'm.data'; load the model from its path$",
    ):
        import_onnx(path.read_bytes())
    (tmp_path / "m.data").write_bytes(b"\0" * 8)
    with pytest.raises(
        FrontendError, match=r"m.onnx: external data file 'm.data' is too short for tensor '\w+'$"
    ):
        import_onnx(path)
    (tmp_path / "m.data").unlink()
    with pytest.raises(
        FrontendError, match=r"m.onnx: external data file 'm.data' of tensor '\w+' not found$"
    ):
        import_onnx(path)
    tensor = model.graph.initializer[0]
    for entry in tensor.external_data:
        if entry.key == "location":
            entry.value = "../outside.data"
    onnx.save_model(model, path)
    with pytest.raises(
        FrontendError, match=r"external data '../outside.data' of tensor '\w+' is outside the model's folder$"
    ):
        import_onnx(path)


def test_malformed_initializers_are_one_error():
    model, _ = recurrent_model("RNN")
    model.graph.initializer[0].raw_data = b"\0" * 3
    assert import_error(model).startswith(
        "model.onnx: invalid ONNX model: TensorProto (tensor name: W) raw_data size"
    )
    # Large tensors skip the checker (it would serialize them); conversion reports them.
    model, _ = recurrent_model("RNN", i=100, h=50)
    model.graph.initializer[0].raw_data = b"\0" * 3
    assert import_error(model).startswith("model.onnx: initializer 'W' is malformed: ")


# --------------------------------------------------------------------------- errors


def test_unreadable_files(tmp_path: Path):
    model, _ = recurrent_model("RNN")
    data = to_bytes(model)
    assert import_error(data[: len(data) // 2]) == (
        "model.onnx: not an ONNX model (the file is truncated or not an ONNX protobuf)"
    )
    assert (
        import_error(b"\xff\xfegarbage")
        == "model.onnx: not an ONNX model (the file is truncated or not an ONNX protobuf)"
    )
    assert import_error(b"") == "model.onnx: the file is empty, not an ONNX model"
    assert import_error(b"\x08\x08") == (
        "model.onnx: invalid ONNX model: model with IR version >= 3 must specify opset_import for ONNX"
    )
    with pytest.raises(
        FrontendError, match=r"^.*missing.onnx: cannot read the model: No such file or directory$"
    ):
        import_onnx(tmp_path / "missing.onnx")


def test_checker_failure_is_one_line():
    node = helper.make_node("NoSuchOp", ["X"], ["Y"], name="n")
    model = make_model([node], {"X": (FLOAT, [2])}, {"Y": (FLOAT, [2])})
    assert (
        import_error(model)
        == "model.onnx: invalid ONNX model: No Op registered for NoSuchOp with domain_version of 17 "
        "==> Context: Bad node spec for node. Name: n OpType: NoSuchOp"
    )  # every line of the checker's report, joined: it names the node


def test_shape_inference_failure_is_one_line():
    node = helper.make_node("MatMul", ["X", "w"], ["Y"], name="mm")
    model = make_model([node], {"X": (FLOAT, [2, 3])}, {"Y": (FLOAT, [2, 4])}, {"w": rand(5, 4)})
    message = import_error(model)
    assert message.startswith("model.onnx: shape inference failed: [ShapeInferenceError]")


def test_unsupported_nodes_are_listed_in_one_error():
    nodes = [
        helper.make_node("Conv", ["X", "k"], ["c"], name="conv1"),
        helper.make_node("Relu", ["c"], ["r"], name="relu_3"),
        helper.make_node("Floor", ["r"], ["f"]),
        helper.make_node("Exp", ["f"], ["Y"], name="exp"),
    ]
    model = make_model(nodes, {"X": (FLOAT, [1, 1, 6])}, {"Y": (FLOAT, None)}, {"k": rand(2, 1, 3)})
    assert import_error(model) == "model.onnx: unsupported ONNX node(s): Conv 'conv1', Floor #2, Exp 'exp'"


def test_dynamic_dimensions_name_the_fix():
    model, _ = recurrent_model("RNN", b="batch")
    assert import_error(model) == (
        "model.onnx: input 'X' has dynamic dimension 'batch' (axis 1); make it static with --input-shape X=DIMS"
    )
    model.graph.input[0].type.tensor_type.shape.dim[0].ClearField("dim_value")
    assert import_error(model) == (
        "model.onnx: input 'X' has a dynamic dimension (axis 0); make it static with --input-shape X=DIMS; "
        "input 'X' has dynamic dimension 'batch' (axis 1); make it static with --input-shape X=DIMS"
    )
    module = import_onnx(to_bytes(model), input_shapes={"X": (4, 7, 3)})
    assert the(module, RNNOp).Y.type == TensorType(f32, [4, 1, 7, 5])


def test_input_shape_errors():
    model, _ = recurrent_model("RNN", b="batch")
    assert (
        import_error(model, input_shapes={"Z": (1,)})
        == "model.onnx: --input-shape Z=1 names no graph input (inputs: X)"
    )
    assert import_error(model, input_shapes={"X": (4, 2)}) == (
        "model.onnx: --input-shape X=4,2 has rank 2, but input 'X' has rank 3"
    )
    assert import_error(model, input_shapes={"X": (4, 2, 9)}) == (
        "model.onnx: --input-shape X=4,2,9 sets axis 2 to 9, but input 'X' has static size 3 there"
    )
    assert (
        import_error(model, input_shapes={"X": (4, 0, 3)})
        == "model.onnx: --input-shape X=4,0,3: dimensions must be positive"
    )


@pytest.mark.parametrize("elem, name", [(TensorProto.FLOAT16, "float16"), (TensorProto.DOUBLE, "float64")])
def test_non_float32_models_are_rejected(elem, name):
    node = helper.make_node("Tanh", ["X"], ["Y"])
    model = make_model([node], {"X": (elem, [2])}, {"Y": (elem, [2])})
    assert import_error(model) == f"model.onnx: input 'X' is {name}; only float32 models are supported"


def test_float16_constants_on_the_compute_path_are_rejected():
    node = helper.make_node("Gather", ["table", "tokens"], ["Y"], name="emb")
    model = make_model(
        [node],
        {"tokens": (TensorProto.INT64, [3])},
        {"Y": (TensorProto.FLOAT16, None)},
        {"table": rand(5, 2).astype(np.float16)},
    )
    assert import_error(model) == (
        "model.onnx: unsupported ONNX node(s): Gather 'emb' (table 'table' is float16; only float32 models are supported)"
    )


def test_nodes_after_a_rejected_node_are_not_reported_twice():
    nodes = [
        helper.make_node("Cast", ["X"], ["h"], to=FLOAT),
        helper.make_node("Tanh", ["h"], ["Y"], name="t"),
    ]
    model = make_model(nodes, {"X": (TensorProto.INT64, [2])}, {"Y": (FLOAT, None)})
    assert import_error(model) == (
        "model.onnx: unsupported ONNX node(s): Cast #0 (a Cast of an integer tensor to float32 is not "
        "supported (only int32<->int64))"
    )


@pytest.mark.parametrize("op_type", ["MatMul", "Gemm"])
def test_the_bias_add_of_a_skipped_matmul_is_not_reported(op_type):
    """Only the Add of two runtime tensors is named, not the bias Add of the MatMul it feeds."""
    nodes = [
        helper.make_node("Add", ["a", "b"], ["s"], name="add_dyn"),
        helper.make_node(op_type, ["s", "W"], ["m"], name="mm"),
        helper.make_node("Add", ["m", "bias"], ["Y"], name="bias_add"),
    ]
    model = make_model(
        nodes,
        {"a": (FLOAT, [2, 3]), "b": (FLOAT, [2, 3])},
        {"Y": (FLOAT, [2, 4])},
        {"W": rand(3, 4), "bias": rand(4)},
    )
    assert import_error(model) == (
        "model.onnx: unsupported ONNX node(s): Add 'add_dyn' "
        "(Add is only supported as a constant bias after MatMul or Gemm)"
    )


def test_onnx_is_imported_lazily():
    code = "import sys, sharp_compiler.frontend.onnx_import, sharp_compiler.tools.sharp_opt; print('onnx' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"


def test_a_larger_model_imports_quickly_with_exact_weights():
    import time

    h, i = 256, 256
    inits = {"W": rand(1, 4 * h, i), "R": rand(1, 4 * h, h), "B": rand(1, 8 * h)}
    node = helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y"], name="big", hidden_size=h)
    model = make_model([node], {"X": (FLOAT, [25, 1, i])}, {"Y": (FLOAT, None)}, inits)
    data = to_bytes(model)
    start = time.perf_counter()
    op = the(import_onnx(data), LSTMOp)
    assert time.perf_counter() - start < 5.0
    r = constant_array(op.R)
    assert r is not None and np.array_equal(r, inits["R"])
