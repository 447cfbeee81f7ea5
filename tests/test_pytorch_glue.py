"""The index, length, sort and normalisation glue PyTorch code exports around RNNs, against onnxruntime.

Models are built with onnx.helper in the shapes the exporters write (see
shared notes on ONNX export): `y[-1]` / `h_n[-1]` / `y[:, -1]` as a Gather of a constant
index, `pack_padded_sequence` lengths reaching `sequence_lens` through Casts, and the
TopK/Gather/ScatterElements sort and unsort of `enforce_sorted=False`, and nn.LayerNorm between
an LSTM and a Linear head (LayerNormalization, also in row chunks).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from e2e_helpers import check_against_ort, make_model
from onnx import TensorProto, helper, numpy_helper

from sharp_compiler.dialects.rnn import LSTMOp
from sharp_compiler.frontend.errors import Rejection, rejection_message
from sharp_compiler.frontend.onnx_import import FrontendError, import_onnx

I, H, N = 3, 4, 5  # noqa: E741


def _weights(rng: np.random.Generator, op: str, layers: int) -> list[onnx.TensorProto]:
    gates = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    inits = []
    for layer in range(layers):
        inputs = I if layer == 0 else H
        for name, shape in (
            ("W", (1, gates * H, inputs)),
            ("R", (1, gates * H, H)),
            ("B", (1, 2 * gates * H)),
        ):
            inits.append(
                numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), f"{name}{layer}")
            )
    return inits


def _const(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(array), name)


def last_step_classifier(op: str, t: int, b: int, *, batch_first: bool) -> onnx.ModelProto:
    """RNN -> y[-1] (or y[:, -1]) and h_n[-1] -> Linear heads, as the exporters write them."""
    rng = np.random.default_rng(t * 10 + b)
    inits = _weights(rng, op, 1)
    inits += [
        _const("Wl", rng.standard_normal((H, N)).astype(np.float32)),
        _const("bl", rng.standard_normal(N).astype(np.float32)),
        _const("axes1", np.array([1], np.int64)),
        _const("last", np.array(-1, np.int64)),
        _const("perm_shape", np.array([b, t, H], np.int64)),
    ]
    nodes = []
    x = "x"
    if batch_first:
        nodes.append(helper.make_node("Transpose", ["x"], ["x_tb"], perm=[1, 0, 2]))
        x = "x_tb"
    nodes += [
        helper.make_node(op, [x, "W0", "R0", "B0"], ["Y", "Y_h"], hidden_size=H, name="rnn"),
        helper.make_node("Squeeze", ["Y", "axes1"], ["y"]),
    ]
    if batch_first:
        nodes += [
            helper.make_node("Transpose", ["y"], ["y_bt"], perm=[1, 0, 2]),
            helper.make_node("Gather", ["y_bt", "last"], ["y_last"], axis=1, name="y[:, -1]"),
        ]
    else:
        nodes.append(helper.make_node("Gather", ["y", "last"], ["y_last"], axis=0, name="y[-1]"))
    nodes += [
        helper.make_node("Gather", ["Y_h", "last"], ["h_last"], axis=0, name="h_n[-1]"),
        helper.make_node("Gemm", ["y_last", "Wl", "bl"], ["from_y"], name="fc_y"),
        helper.make_node("MatMul", ["h_last", "Wl"], ["mm_h"], name="fc_h"),
        helper.make_node("Add", ["mm_h", "bl"], ["from_h"], name="fc_h_bias"),
    ]
    x_shape = [b, t, I] if batch_first else [t, b, I]
    graph = helper.make_graph(
        nodes, "last_step", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, [b, N]) for n in ("from_y", "from_h")], inits,
    )  # fmt: skip
    return make_model(graph, 17)


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
@pytest.mark.parametrize(("t", "b"), [(1, 1), (5, 3)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_last_step_heads_match_onnxruntime(op: str, t: int, b: int, batch_first: bool) -> None:
    model = last_step_classifier(op, t, b, batch_first=batch_first)
    x_shape = (b, t, I) if batch_first else (t, b, I)
    check_against_ort(model, {"x": np.random.default_rng(1).standard_normal(x_shape).astype(np.float32)})


def packed_lstm(t: int, b: int, *, layers: int, sort: bool) -> onnx.ModelProto:
    """pack_padded_sequence(x, lens[, enforce_sorted=False]) -> nn.LSTM -> pad_packed_sequence.

    As torch.onnx.export(dynamo=False) writes it: the int64 lengths pass Cast(int64) and
    Cast(int32); unsorted, TopK sorts them, Gather sorts the rows of x, ScatterElements
    inverts the permutation and Gathers on the batch axis put the outputs back in order.
    """
    rng = np.random.default_rng(t + 7 * b + layers)
    inits = _weights(rng, "LSTM", layers)
    inits.append(_const("axes1", np.array([1], np.int64)))
    nodes = [helper.make_node("Cast", ["lens"], ["lens64"], to=TensorProto.INT64, name="Cast")]
    x, lengths = "x", "lens64"
    if not sort:
        inits += [
            _const("k", np.array([b], np.int64)),
            _const("scatter_data", np.zeros(b, np.int64)),
            _const("arange", np.arange(b, dtype=np.int64)),
        ]
        nodes += [
            helper.make_node("TopK", ["lens64", "k"], ["sorted", "order"], axis=-1, largest=1, name="TopK"),
            helper.make_node("Cast", ["order"], ["order64"], to=TensorProto.INT64, name="Cast_1"),
            helper.make_node("Gather", ["x", "order64"], ["x_sorted"], axis=1, name="Gather_1"),
            helper.make_node("ScatterElements", ["scatter_data", "order64", "arange"], ["inverse"], axis=0,
                             name="ScatterElements"),
        ]  # fmt: skip
        x, lengths = "x_sorted", "sorted"
    nodes.append(helper.make_node("Cast", [lengths], ["lens32"], to=TensorProto.INT32, name="Cast_2"))
    finals = []
    for layer in range(layers):
        w, r, bias = f"W{layer}", f"R{layer}", f"B{layer}"
        ys, yh = f"Y{layer}", f"Y_h{layer}"
        nodes += [
            helper.make_node("LSTM", [x, w, r, bias, "lens32"], [ys, yh], hidden_size=H, name=f"lstm{layer}"),
            helper.make_node("Squeeze", [ys, "axes1"], [f"y{layer}"], name=f"squeeze{layer}"),
        ]
        x = f"y{layer}"
        finals.append(yh)
    nodes.append(
        helper.make_node("Concat", finals, ["h_sorted" if not sort else "h_n"], axis=0, name="h_cat")
    )
    if not sort:
        nodes += [
            helper.make_node("Gather", [x, "inverse"], ["out"], axis=1, name="unsort_y"),
            helper.make_node("Gather", ["h_sorted", "inverse"], ["h_n"], axis=1, name="unsort_h"),
        ]
    else:
        nodes.append(helper.make_node("Identity", [x], ["out"]))
    graph = helper.make_graph(
        nodes, "packed",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [t, b, I]),
         helper.make_tensor_value_info("lens", TensorProto.INT64, [b])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [t, b, H]),
         helper.make_tensor_value_info("h_n", TensorProto.FLOAT, [layers, b, H])],
        inits,
    )  # fmt: skip
    return make_model(graph, 17)


@pytest.mark.parametrize("sort", [True, False], ids=["sorted", "unsorted"])
@pytest.mark.parametrize(("t", "b", "layers"), [(4, 1, 1), (6, 3, 2), (7, 4, 1)])
def test_packed_batches_match_onnxruntime(sort: bool, t: int, b: int, layers: int) -> None:
    model = packed_lstm(t, b, layers=layers, sort=sort)
    rng = np.random.default_rng(2)
    lens = np.sort(rng.integers(1, t + 1, b))[::-1] if sort else rng.permutation(np.arange(t, t - b, -1))
    lens[0] = t  # pad_packed_sequence(total_length=T): the longest row runs every step
    feeds = {"x": rng.standard_normal((t, b, I)).astype(np.float32), "lens": lens.astype(np.int64)}
    check_against_ort(model, feeds)


def test_unsorted_batch_becomes_one_layer_on_the_original_rows() -> None:
    """The sort, the unsort and the permuted X are gone: the layer reads x and lens directly."""
    module = import_onnx(packed_lstm(5, 3, layers=1, sort=False).SerializeToString())
    (layer,) = [op for op in module.walk() if isinstance(op, LSTMOp)]
    main = layer.parent_block()
    assert main is not None
    assert layer.X == main.args[0] and layer.sequence_lens == main.args[1]


def test_a_sorted_row_used_outside_the_unsort_is_left_alone() -> None:
    """When a sorted output reaches the graph without its unsort, the sort is needed: not folded."""
    model = packed_lstm(5, 3, layers=1, sort=False)
    model.graph.output.append(helper.make_tensor_value_info("Y_h0", TensorProto.FLOAT, [1, 3, H]))
    with pytest.raises(FrontendError, match=r"TopK 'TopK'.*ScatterElements 'ScatterElements'"):
        import_onnx(model.SerializeToString(), origin="model.onnx")


def layer_norm_head(t: int, b: int, *, affine: bool, epsilon: float) -> onnx.ModelProto:
    """nn.LSTM -> nn.LayerNorm(H) -> nn.Linear, as both exporters write it (opset 17)."""
    rng = np.random.default_rng(t + b)
    inits = _weights(rng, "LSTM", 1)
    inits += [
        _const("axes1", np.array([1], np.int64)),
        _const("gamma", (rng.standard_normal(H) if affine else np.ones(H)).astype(np.float32)),
        _const("Wl", rng.standard_normal((H, N)).astype(np.float32)),
        _const("bl", rng.standard_normal(N).astype(np.float32)),
    ]
    norm_inputs = ["y", "gamma"]
    if affine:
        inits.append(_const("beta", rng.standard_normal(H).astype(np.float32)))
        norm_inputs.append("beta")
    nodes = [
        helper.make_node("LSTM", ["x", "W0", "R0", "B0"], ["Y"], hidden_size=H, name="rnn"),
        helper.make_node("Squeeze", ["Y", "axes1"], ["y"]),
        helper.make_node("LayerNormalization", norm_inputs, ["n"], axis=-1, epsilon=epsilon, name="ln"),
        helper.make_node("MatMul", ["n", "Wl"], ["m"], name="fc"),
        helper.make_node("Add", ["m", "bl"], ["out"], name="fc_bias"),
    ]
    graph = helper.make_graph(
        nodes, "layer_norm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [t, b, I])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [t, b, N]),
         helper.make_tensor_value_info("n", TensorProto.FLOAT, [t, b, H])], inits,
    )  # fmt: skip
    return make_model(graph, 17)


@pytest.mark.parametrize(("t", "b"), [(1, 1), (9, 3)])
@pytest.mark.parametrize(("affine", "epsilon"), [(True, 1e-5), (False, 0.25)])
@pytest.mark.parametrize("hw", ["sharp-4k", "small-vmem"])
def test_layer_norm_matches_onnxruntime(
    t: int, b: int, affine: bool, epsilon: float, hw: str, tmp_path
) -> None:  # noqa: ANN001
    import json

    from sharp_compiler.hw.config import load_config

    if hw == "small-vmem":  # 192 words: the rows run as a loop over chunks plus a remainder
        data = load_config().to_dict()
        data.update(name="small-vmem", vector_buffer_bytes=768)
        hw = str(tmp_path / "small.json")
        (tmp_path / "small.json").write_text(json.dumps(data))
    model = layer_norm_head(t, b, affine=affine, epsilon=epsilon)
    x = np.random.default_rng(5).standard_normal((t, b, I)).astype(np.float32) * 3
    check_against_ort(model, {"x": x}, hw=hw)


def test_layer_norm_over_other_axes_is_rejected() -> None:
    model = layer_norm_head(3, 2, affine=True, epsilon=1e-5)
    norm = next(n for n in model.graph.node if n.op_type == "LayerNormalization")
    next(a for a in norm.attribute if a.name == "axis").i = 1
    with pytest.raises(
        FrontendError, match=r"LayerNormalization 'ln' \(only normalisation over the last axis"
    ):
        import_onnx(model.SerializeToString(), origin="model.onnx")


def _rejections(count: int, steps: int) -> list[Rejection]:
    found = []
    for step in range(steps):
        prefix = "/cell" if step == 0 else f"/cell_{step}"
        for k in range(count):
            op = ("Add", "Split", "Mul")[k % 3]
            reason = "Add is only supported as a constant bias after MatMul or Gemm" if op == "Add" else ""
            name = f"{prefix}/{op}" + (f"_{k}" if k else "")
            found.append(Rejection(f"{op} '{name}'", op, name, reason))
    return found


def test_rejection_message_groups_per_step_repeats() -> None:
    message = rejection_message(_rejections(6, 9))
    assert len(message) <= 300
    assert message.startswith(
        "unsupported ONNX node(s): Add '/cell/Add' (Add is only supported as a constant bias after MatMul or "
        "Gemm), Split '/cell/Split_1', Mul '/cell/Mul_2'"
    )
    assert message.endswith(", ... and 51 more of the same per-step pattern")


def test_rejection_message_stays_short_and_counts_the_rest() -> None:
    many = [Rejection(f"Op{k} 'node{k}'", f"Op{k}", f"node{k}", "x" * 40) for k in range(30)]
    message = rejection_message(many)
    assert len(message) <= 300 and message.startswith("unsupported ONNX node(s): Op0 'node0' (")
    assert ", ... and " in message and "more (" in message


def manual_norm_head(t: int, b: int, *, opset: int, square: str, affine: bool) -> onnx.ModelProto:
    """LSTM -> (x - mean) / sqrt(var + eps) [* g + b] written with ReduceMean -> Linear."""
    rng = np.random.default_rng(t * b + opset)
    inits = _weights(rng, "LSTM", 1)
    inits += [
        _const("axes1", np.array([1], np.int64)),
        _const("two", np.array(2.0, np.float32)),
        _const("eps", np.array(1e-5, np.float32)),
        _const("g", rng.standard_normal(H).astype(np.float32)),
        _const("beta", rng.standard_normal(H).astype(np.float32)),
        _const("Wl", rng.standard_normal((H, N)).astype(np.float32)),
        _const("last", np.array([-1], np.int64)),
    ]

    def mean(x: str, out: str) -> onnx.NodeProto:
        if opset >= 18:
            return helper.make_node("ReduceMean", [x, "last"], [out], keepdims=1)
        return helper.make_node("ReduceMean", [x], [out], axes=[-1], keepdims=1)

    nodes = [
        helper.make_node("LSTM", ["x", "W0", "R0", "B0"], ["Y"], hidden_size=H, name="rnn"),
        helper.make_node("Squeeze", ["Y", "axes1"], ["y"]),
        mean("y", "mu"),
        helper.make_node("Sub", ["y", "mu"], ["c"]),
        helper.make_node("Pow", ["c", "two"], ["sq"])
        if square == "pow"
        else helper.make_node("Mul", ["c", "c"], ["sq"]),
        mean("sq", "var"),
        helper.make_node("Add", ["var", "eps"], ["ve"]),
        helper.make_node("Sqrt", ["ve"], ["sd"]),
        helper.make_node("Div", ["c", "sd"], ["n" if not affine else "n0"]),
    ]
    if affine:
        nodes += [
            helper.make_node("Mul", ["g", "n0"], ["n1"]),
            helper.make_node("Add", ["n1", "beta"], ["n"]),
        ]
    nodes.append(helper.make_node("MatMul", ["n", "Wl"], ["out"], name="fc"))
    graph = helper.make_graph(
        nodes, "manual_norm", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [t, b, I])],
        [helper.make_tensor_value_info("out", TensorProto.FLOAT, [t, b, N])], inits,
    )  # fmt: skip
    return make_model(graph, opset)


@pytest.mark.parametrize(
    ("opset", "square", "affine"), [(17, "pow", True), (18, "mul", False), (18, "pow", True)]
)
def test_hand_written_layer_norm_becomes_layer_normalization(opset: int, square: str, affine: bool) -> None:
    from sharp_compiler.dialects.rnn import LayerNormOp

    model = manual_norm_head(6, 2, opset=opset, square=square, affine=affine)
    module = import_onnx(model.SerializeToString())
    assert len([op for op in module.walk() if isinstance(op, LayerNormOp)]) == 1
    x = np.random.default_rng(8).standard_normal((6, 2, I)).astype(np.float32)
    check_against_ort(model, {"x": x})
