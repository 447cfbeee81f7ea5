"""Embeddings, linear heads, log-softmax and activations around an LSTM, also in row chunks.

A configuration with a 2 KiB vector buffer forces every row-wise layer to run as a loop over
chunks plus a remainder chunk; the answers must not change.
"""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from e2e_helpers import assert_outputs_close, compile_model, ort_outputs, simulate_binary
from onnx import TensorProto, helper, numpy_helper

from sharp_compiler.hw.config import load_config

T, B, V, E, H, N = 23, 3, 30, 6, 5, 7


def language_model() -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    rng = np.random.default_rng(3)
    weights = {
        "W": rng.standard_normal((1, 4 * H, E)), "R": rng.standard_normal((1, 4 * H, H)),
        "emb": rng.standard_normal((V, E)), "Wl": rng.standard_normal((H, N)), "bl": rng.standard_normal(N),
    }  # fmt: skip
    inits = [numpy_helper.from_array(v.astype(np.float32), k) for k, v in weights.items()]
    inits.append(numpy_helper.from_array(np.array([1], np.int64), "axes"))
    nodes = [
        helper.make_node("Gather", ["emb", "tokens"], ["x"], name="embedding"),
        helper.make_node("LSTM", ["x", "W", "R"], ["Y"], hidden_size=H, name="lstm"),
        helper.make_node("Squeeze", ["Y", "axes"], ["ys"], name="squeeze"),
        helper.make_node("MatMul", ["ys", "Wl"], ["m"], name="head"),
        helper.make_node("Add", ["m", "bl"], ["logits"], name="head_bias"),
        helper.make_node("LogSoftmax", ["logits"], ["log_probs"], axis=-1, name="log_softmax"),
        helper.make_node("Tanh", ["logits"], ["squashed"], name="tanh"),
    ]
    graph = helper.make_graph(
        nodes, "lm", [helper.make_tensor_value_info("tokens", TensorProto.INT64, [T, B])],
        [helper.make_tensor_value_info("log_probs", TensorProto.FLOAT, [T, B, N]),
         helper.make_tensor_value_info("squashed", TensorProto.FLOAT, [T, B, N])],
        inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    tokens = np.random.default_rng(4).integers(0, V, (T, B)).astype(np.int64)
    return model, {"tokens": tokens}


@pytest.fixture(scope="module")
def small_vmem(tmp_path_factory) -> str:  # noqa: ANN001
    data = load_config().to_dict()
    data.update(name="small-vmem", vector_buffer_bytes=2048)
    path = tmp_path_factory.mktemp("hw") / "small-vmem.json"
    path.write_text(json.dumps(data))
    return str(path)


@pytest.mark.parametrize("hw", ["sharp-4k", "small-vmem"])
def test_language_model_matches_onnxruntime(hw: str, small_vmem: str) -> None:
    model, feeds = language_model()
    binary = compile_model(model, hw=small_vmem if hw == "small-vmem" else hw)
    result = simulate_binary(binary, feeds)
    assert_outputs_close(result.outputs, ort_outputs(model, feeds))
    kinds = [layer["kind"] for layer in result.stats["layers"]]
    assert kinds == ["embedding", "lstm", "linear", "log_softmax", "tanh"]


def test_small_vector_buffer_runs_row_layers_in_chunks(small_vmem: str) -> None:
    from sharp_compiler import sim
    from sharp_compiler.isa.spec import Opcode

    model, _ = language_model()
    program = sim.load(compile_model(model, hw=small_vmem))
    head = next(layer for layer in program.layers if layer.kind == "linear")
    loops = [i for i in program.instructions[head.pc_begin : head.pc_end] if i.opcode == Opcode.LOOP]
    assert loops and all(loop.imm > 1 for loop in loops)
