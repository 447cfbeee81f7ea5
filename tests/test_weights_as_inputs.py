"""W, R, B and P as graph inputs: the binary loads them from its input tensors by DMA.

Checked against onnxruntime (fp32) for every recurrent kind and the options that change how
weights are laid out on chip (bidirectional, peepholes, GRU linear_before_reset, sequence
lengths, row blocks that permute the gate rows, weights streamed through a small weight
buffer); against the constant-weight binary bit for bit (fp16 too); one binary with two
weight sets; and PyTorch-layout weight inputs reordered by the dynamo exporter's
Slice/Concat glue, which become strided copies.
"""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from e2e_helpers import (
    assert_outputs_close,
    compile_model,
    make_model,
    ort_outputs,
    rnn_model,
    simulate_binary,
)
from onnx import TensorProto, helper, numpy_helper

from sharp_compiler import sim
from sharp_compiler.hw.config import load_config
from sharp_compiler.isa.spec import Opcode

WEIGHT_NAMES = ("W", "R", "B", "P")


def weights_as_inputs(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> tuple[onnx.ModelProto, dict]:
    """Move the W/R/B/P initializers into graph inputs (as export_params=False writes them)."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    moved = [t for t in model.graph.initializer if t.name in WEIGHT_NAMES]
    del out.graph.initializer[:]
    out.graph.initializer.extend(t for t in model.graph.initializer if t.name not in WEIGHT_NAMES)
    out.graph.input.extend(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in moved)
    onnx.checker.check_model(out)
    return out, {**feeds, **{t.name: numpy_helper.to_array(t) for t in moved}}


CASES = {
    "lstm": dict(op="LSTM", T=5, B=2, H=4),
    "lstm-bidir-peepholes-lens": dict(op="LSTM", T=4, B=3, H=5, direction="bidirectional", peepholes=True,
                                      seq_lens=[4, 1, 3], initial_h=True, initial_c=True),
    "gru-lbr0": dict(op="GRU", T=4, B=2, H=3, linear_before_reset=0),
    "gru-lbr1-reverse": dict(op="GRU", T=4, B=2, H=3, linear_before_reset=1, direction="reverse"),
    "rnn-no-bias": dict(op="RNN", T=3, B=1, H=4, bias=False),
}  # fmt: skip


@pytest.mark.parametrize("chunks", [1, 2], ids=["unblocked", "row-blocks"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_weight_inputs_match_onnxruntime(case: dict, chunks: int) -> None:
    model, feeds = weights_as_inputs(*rnn_model(**case))
    result = simulate_binary(compile_model(model, chunks=chunks), feeds)
    assert_outputs_close(result.outputs, ort_outputs(model, feeds))


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
@pytest.mark.parametrize("chunks", [1, 2], ids=["unblocked", "row-blocks"])
def test_weight_inputs_give_the_bits_of_constant_weights(precision: str, chunks: int) -> None:
    constant, feeds = rnn_model("LSTM", T=6, B=2, H=6, peepholes=True, direction="bidirectional", seed=4)
    inputs, all_feeds = weights_as_inputs(constant, feeds)
    want = simulate_binary(compile_model(constant, precision=precision, chunks=chunks), feeds).outputs
    got = simulate_binary(compile_model(inputs, precision=precision, chunks=chunks), all_feeds).outputs
    for name, value in want.items():
        assert np.array_equal(got[name], value), name


def test_one_binary_runs_two_weight_sets() -> None:
    model, feeds = weights_as_inputs(*rnn_model("GRU", T=5, B=2, H=4, linear_before_reset=1, seed=1))
    program = sim.load(compile_model(model))
    rng = np.random.default_rng(9)
    other = {**feeds, **{k: rng.standard_normal(feeds[k].shape).astype(np.float32) for k in ("W", "R", "B")}}
    first = sim.simulate(program, feeds).outputs
    second = sim.simulate(program, other).outputs
    assert_outputs_close(first, ort_outputs(model, feeds))
    assert_outputs_close(second, ort_outputs(model, other))
    assert not np.allclose(first["Y"], second["Y"])


def test_streamed_weight_inputs(tmp_path) -> None:  # noqa: ANN001
    """A weight buffer smaller than W and R: the rows stream from the input tensors per step."""
    data = load_config().to_dict()
    data.update(name="tiny-wmem", weight_buffer_bytes=256)
    (tmp_path / "hw.json").write_text(json.dumps(data))
    model, feeds = weights_as_inputs(*rnn_model("LSTM", T=3, B=1, H=8, direction="bidirectional", seed=2))
    binary = compile_model(model, hw=str(tmp_path / "hw.json"))
    program = sim.load(binary)
    loads = [i for i in program.instructions if i.opcode == Opcode.LOADW]
    assert len(loads) > 2 * 2  # more than one load per matrix and direction
    assert_outputs_close(simulate_binary(binary, feeds).outputs, ort_outputs(model, feeds))


def dynamo_style_weight_inputs(t: int, b: int, i: int, h: int) -> tuple[onnx.ModelProto, dict]:
    """nn.LSTM weights as PyTorch-layout inputs [4H, I] reordered i, f, g, o -> i, o, f, c by Slice/Concat."""
    rng = np.random.default_rng(t + b)
    feeds = {
        "x": rng.standard_normal((t, b, i)).astype(np.float32),
        "weight_ih": rng.standard_normal((4 * h, i)).astype(np.float32),
        "weight_hh": rng.standard_normal((4 * h, h)).astype(np.float32),
    }
    inits = [numpy_helper.from_array(np.array([0], np.int64), "axes0")]
    nodes = []
    for matrix in ("weight_ih", "weight_hh"):
        parts = []
        for gate, block in zip("ifgo", range(4), strict=True):
            for key, value in (("start", block * h), ("end", (block + 1) * h)):
                inits.append(numpy_helper.from_array(np.array([value], np.int64), f"{matrix}.{gate}.{key}"))
            part = f"{matrix}.{gate}"
            nodes.append(helper.make_node("Slice", [matrix, f"{part}.start", f"{part}.end", "axes0"], [part]))
            parts.append(part)
        i_, f_, g_, o_ = parts
        nodes.append(helper.make_node("Concat", [i_, o_, f_, g_], [f"{matrix}.onnx"], axis=0))
        nodes.append(helper.make_node("Unsqueeze", [f"{matrix}.onnx", "axes0"], [f"{matrix}.3d"]))
    nodes.append(helper.make_node("LSTM", ["x", "weight_ih.3d", "weight_hh.3d"], ["Y", "Y_h"], hidden_size=h))
    graph = helper.make_graph(
        nodes, "dynamo_weights",
        [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v.shape)) for k, v in feeds.items()],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [t, 1, b, h]),
         helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, b, h])], inits,
    )  # fmt: skip
    return make_model(graph, 17), feeds


def test_reordered_weight_inputs_become_strided_copies() -> None:
    model, feeds = dynamo_style_weight_inputs(5, 2, 3, 4)
    binary = compile_model(model)
    program = sim.load(binary)
    assert any(i.opcode == Opcode.DCOPY for i in program.instructions)
    assert_outputs_close(simulate_binary(binary, feeds).outputs, ort_outputs(model, feeds))


def constant_copy(
    model: onnx.ModelProto, feeds: dict[str, np.ndarray], names: tuple[str, ...]
) -> onnx.ModelProto:
    """The same model with the named inputs as initializers holding the feeds' values."""
    out = onnx.ModelProto()
    out.CopyFrom(model)
    del out.graph.input[:]
    out.graph.input.extend(vi for vi in model.graph.input if vi.name not in names)
    out.graph.initializer.extend(numpy_helper.from_array(feeds[n], n) for n in names)
    return out


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_reordered_weight_inputs_give_the_bits_of_folded_constants(precision: str) -> None:
    """In fp16 too: the strided copy is read when the load runs, and rounded then."""
    model, feeds = dynamo_style_weight_inputs(4, 3, 3, 5)
    folded = constant_copy(model, feeds, ("weight_ih", "weight_hh"))
    want = simulate_binary(compile_model(folded, precision=precision), {"x": feeds["x"]}).outputs
    got = simulate_binary(compile_model(model, precision=precision), feeds).outputs
    for name, value in want.items():
        assert np.array_equal(got[name], value), name


def linear_head_on_inputs(t: int, b: int) -> tuple[onnx.ModelProto, dict]:
    """LSTM -> Squeeze -> MatMul(., fc_w) + fc_b with every weight a graph input (export_params=False)."""
    model, feeds = weights_as_inputs(*rnn_model("LSTM", T=t, B=b, H=4, seed=6))
    rng = np.random.default_rng(7)
    feeds = {**feeds, "fc_w": rng.standard_normal((4, 6)).astype(np.float32),
             "fc_b": rng.standard_normal(6).astype(np.float32)}  # fmt: skip
    graph = model.graph
    graph.initializer.append(numpy_helper.from_array(np.array([1], np.int64), "axes1"))
    graph.node.extend([
        helper.make_node("Squeeze", ["Y", "axes1"], ["ys"]),
        helper.make_node("MatMul", ["ys", "fc_w"], ["mm"], name="fc"),
        helper.make_node("Add", ["mm", "fc_b"], ["logits"], name="fc_bias"),
    ])  # fmt: skip
    graph.input.extend([helper.make_tensor_value_info("fc_w", TensorProto.FLOAT, [4, 6]),
                        helper.make_tensor_value_info("fc_b", TensorProto.FLOAT, [6])])  # fmt: skip
    del graph.output[:]
    graph.output.append(helper.make_tensor_value_info("logits", TensorProto.FLOAT, [t, b, 6]))
    onnx.checker.check_model(model)
    return model, feeds


@pytest.mark.parametrize(("t", "b"), [(1, 1), (6, 3)])
def test_linear_head_weight_inputs_match_onnxruntime(t: int, b: int) -> None:
    model, feeds = linear_head_on_inputs(t, b)
    binary = compile_model(model)
    kinds = [layer.kind for layer in sim.load(binary).layers]
    assert kinds == ["lstm", "linear"]  # the bias input is fused into the head
    assert_outputs_close(simulate_binary(binary, feeds).outputs, ort_outputs(model, feeds))


def test_linear_head_weight_inputs_give_the_bits_of_constants_in_fp16() -> None:
    model, feeds = linear_head_on_inputs(5, 2)
    names = ("W", "R", "B", "fc_w", "fc_b")
    folded = constant_copy(model, feeds, names)
    want = simulate_binary(compile_model(folded, precision="fp16"), {"X": feeds["X"]}).outputs
    got = simulate_binary(compile_model(model, precision="fp16"), feeds).outputs
    assert np.array_equal(got["logits"], want["logits"])
