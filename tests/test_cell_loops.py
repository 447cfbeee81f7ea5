"""nn.LSTMCell / nn.GRUCell stepped in a Python loop, as the exporters trace it, against onnxruntime.

The builder writes what torch.onnx.export writes for

    for t in range(T): h, c = cell(x[t], (h, c)); outs.append(h)
    return torch.stack(outs), h

per step (Gather(x, t), Gemm(transB=1), Split, Sigmoid/Tanh, Mul/Add/Sub), with PyTorch's
gate order and [4H, I] weights, from a zero state (a constant that folding turns into b_hh)
or from h0/c0 inputs. The frontend must see one recurrent layer; anything else falls back
to one short error.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from e2e_helpers import check_against_ort, make_model
from onnx import TensorProto, helper, numpy_helper

from sharp_compiler.dialects.rnn import GRUOp, LSTMOp
from sharp_compiler.frontend.onnx_import import FrontendError, import_onnx

I, H = 3, 4  # noqa: E741


def cell_loop(
    kind: str, t: int, b: int, *, state_inputs: bool = False, swap: bool = False
) -> onnx.ModelProto:
    """T traced steps of an LSTMCell/GRUCell; `swap` writes every Add/Mul with its operands swapped."""
    gates = 4 if kind == "LSTM" else 3
    rng = np.random.default_rng(10 * t + b)
    inits = [
        numpy_helper.from_array(rng.standard_normal((gates * H, I)).astype(np.float32), "w_ih"),
        numpy_helper.from_array(rng.standard_normal((gates * H, H)).astype(np.float32), "w_hh"),
        numpy_helper.from_array(rng.standard_normal(gates * H).astype(np.float32), "b_ih"),
        numpy_helper.from_array(rng.standard_normal(gates * H).astype(np.float32), "b_hh"),
        numpy_helper.from_array(np.zeros((b, H), np.float32), "zeros"),
        numpy_helper.from_array(np.array([0], np.int64), "axes0"),
    ]
    nodes: list[onnx.NodeProto] = []

    def add(op: str, inputs: list[str], out: str, **attrs: object) -> str:
        if swap and op in ("Add", "Mul"):
            inputs = inputs[::-1]
        nodes.append(helper.make_node(op, inputs, [out], name=f"/{out}", **attrs))
        return out

    def gemm(x: str, w: str, bias: str, out: str) -> str:
        return add("Gemm", [x, w, bias], out, transB=1)

    h, c = ("h0", "c0") if state_inputs else ("zeros", "zeros")
    stacked = []
    for step in range(t):
        s = f"cell_{step}"
        inits.append(numpy_helper.from_array(np.array(step, np.int64), f"{s}.t"))
        x_t = add("Gather", ["x", f"{s}.t"], f"{s}/x", axis=0)
        xg = gemm(x_t, "w_ih", "b_ih", f"{s}/gx")
        hg = gemm(h, "w_hh", "b_hh", f"{s}/gh")
        if kind == "LSTM":
            g = add("Add", [hg, xg], f"{s}/g")
            parts = [f"{s}/split{k}" for k in range(4)]
            nodes.append(helper.make_node("Split", [g], parts, axis=1, num_outputs=4, name=f"/{s}/Split"))
            i_, f_ = add("Sigmoid", [parts[0]], f"{s}/i"), add("Sigmoid", [parts[1]], f"{s}/f")
            g_, o_ = add("Tanh", [parts[2]], f"{s}/gt"), add("Sigmoid", [parts[3]], f"{s}/o")
            c = add("Add", [add("Mul", [f_, c], f"{s}/fc"), add("Mul", [i_, g_], f"{s}/ig")], f"{s}/c")
            h = add("Mul", [o_, add("Tanh", [c], f"{s}/tc")], f"{s}/h")
        else:
            xs, hs = [f"{s}/xs{k}" for k in range(3)], [f"{s}/hs{k}" for k in range(3)]
            nodes.append(helper.make_node("Split", [xg], xs, axis=1, num_outputs=3, name=f"/{s}/Split"))
            nodes.append(helper.make_node("Split", [hg], hs, axis=1, num_outputs=3, name=f"/{s}/Split_1"))
            r = add("Sigmoid", [add("Add", [hs[0], xs[0]], f"{s}/ar")], f"{s}/r")
            z = add("Sigmoid", [add("Add", [hs[1], xs[1]], f"{s}/az")], f"{s}/z")
            n = add("Tanh", [add("Add", [xs[2], add("Mul", [hs[2], r], f"{s}/rh")], f"{s}/an")], f"{s}/n")
            h = add("Add", [add("Mul", [add("Sub", [h, n], f"{s}/d"), z], f"{s}/dz"), n], f"{s}/h")
        stacked.append(add("Unsqueeze", [h, "axes0"], f"{s}/hu"))
    nodes.append(helper.make_node("Concat", stacked, ["stack"], axis=0, name="/stack"))
    nodes.append(helper.make_node("Identity", [h], ["h_n"], name="/h_n"))
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [t, b, I])]
    if state_inputs:
        inputs.append(helper.make_tensor_value_info("h0", TensorProto.FLOAT, [b, H]))
        if kind == "LSTM":
            inputs.append(helper.make_tensor_value_info("c0", TensorProto.FLOAT, [b, H]))
    outputs = [
        helper.make_tensor_value_info("stack", TensorProto.FLOAT, [t, b, H]),
        helper.make_tensor_value_info("h_n", TensorProto.FLOAT, [b, H]),
    ]
    return make_model(helper.make_graph(nodes, "cell_loop", inputs, outputs, inits), 18)


def _feeds(model: onnx.ModelProto) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        vi.name: rng.standard_normal([d.dim_value for d in vi.type.tensor_type.shape.dim]).astype(np.float32)
        for vi in model.graph.input
    }


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize(("t", "b"), [(1, 1), (2, 3), (7, 2)])
@pytest.mark.parametrize("state_inputs", [False, True], ids=["zero-state", "state-inputs"])
def test_cell_loops_match_onnxruntime(kind: str, t: int, b: int, state_inputs: bool) -> None:
    model = cell_loop(kind, t, b, state_inputs=state_inputs, swap=t == 2)
    check_against_ort(model, _feeds(model))


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_a_cell_loop_is_one_recurrent_layer(kind: str) -> None:
    module = import_onnx(cell_loop(kind, 5, 2).SerializeToString())
    layers = [op for op in module.walk() if isinstance(op, LSTMOp | GRUOp)]
    assert len(layers) == 1 and isinstance(layers[0], LSTMOp if kind == "LSTM" else GRUOp)
    assert tuple(layers[0].X.type.get_shape()) == (5, 2, I)  # type: ignore[union-attr]


def test_a_step_with_other_weights_is_rejected_in_one_short_line() -> None:
    """Step 3 uses a different W_hh: no loop is recognised, and the error groups the per-step nodes."""
    model = cell_loop("LSTM", 6, 2)
    other = numpy_helper.from_array(np.ones((4 * H, H), np.float32), "w_hh_other")
    model.graph.initializer.append(other)
    gemm = next(n for n in model.graph.node if n.name == "/cell_3/gh")
    gemm.input[1] = "w_hh_other"
    with pytest.raises(FrontendError) as info:
        import_onnx(model.SerializeToString(), origin="model.onnx")
    message = str(info.value)
    assert len(message) <= 320 and "\n" not in message
    assert message.startswith("model.onnx: unsupported ONNX node(s): ")
    assert "of the same per-step pattern" in message and "a cell loop becomes one layer when" in message


def test_a_split_with_num_outputs_below_opset_18_names_the_exporter_fix() -> None:
    """torch's dynamo exporter at opset_version=17 writes Split(num_outputs): an invalid model."""
    model = cell_loop("GRU", 2, 1)
    del model.opset_import[:]
    model.opset_import.append(helper.make_opsetid("", 17))
    with pytest.raises(FrontendError) as info:
        import_onnx(model.SerializeToString(), origin="model.onnx")
    assert str(info.value) == (
        "model.onnx: invalid ONNX model: Split '/cell_0/Split' has attribute num_outputs, which opset 17 does "
        "not have (torch.onnx.export(dynamo=True) writes it when it converts down to opset 17); export with "
        "opset_version=18 or later"
    )
