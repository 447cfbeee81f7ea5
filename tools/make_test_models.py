"""Build the small ONNX models that the frontend's lit tests read (deterministic).

    python tools/make_test_models.py [OUTDIR]        # default: tests/filecheck/Inputs

Each model is a few KB, built with onnx.helper the way PyTorch's exporters wire RNNs:
lstm_small.onnx             LSTM + TorchScript zero-state chain (Shape-Gather-Unsqueeze-Concat-Expand) + Squeeze
lstm_2layer.onnx            two LSTM layers with Squeeze glue and Concat of the final states
gru_bidir.onnx              bidirectional GRU (linear_before_reset=1) + Transpose-Reshape glue
rnn_attrs.onnx              reverse RNN with activations, alpha, clip and a sequence_lens input
lstm_all_attrs.onnx         bidirectional LSTM with every input and attribute (peepholes, states, clip, input_forget)
lstm_dynamo.onnx            dynamo-style weights: PyTorch-layout initializers reordered by Slice/Concat/Unsqueeze
lm_head.onnx                Gather embedding -> LSTM -> Squeeze -> MatMul+Add -> LogSoftmax
lstm_external.onnx(.data)   lstm_small with its weights saved as external data
unsupported.onnx            Conv, a custom-domain op, an Add of two tensors and a MatMul by a weight input (taken)
truncated.onnx              the first 64 bytes of lstm_small.onnx
dynamic.onnx                an input with a symbolic 'batch' dimension
float16.onnx                a float16 LSTM
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
OPSET = [helper.make_opsetid("", 17)]
FLOAT = TensorProto.FLOAT


def _rand(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.uniform(-0.5, 0.5, shape).astype(np.float32)


def _init(name: str, array: np.ndarray | list[int] | int) -> onnx.TensorProto:
    value = np.asarray(array, np.int64) if not isinstance(array, np.ndarray) else array
    return numpy_helper.from_array(value, name)


def _model(graph: onnx.GraphProto) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="sharp-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _zero_state_chain(prefix: str, x: str, hidden: int, directions: int) -> tuple[list[onnx.NodeProto], list]:
    """TorchScript's initial state: Expand(zeros[D,1,H], Concat([D], Unsqueeze(Gather(Shape(x), 1)), [H]))."""
    nodes = [
        helper.make_node("Shape", [x], [f"{prefix}_shape"]),
        helper.make_node("Gather", [f"{prefix}_shape", f"{prefix}_one"], [f"{prefix}_batch"], axis=0),
        helper.make_node("Unsqueeze", [f"{prefix}_batch", f"{prefix}_axis0"], [f"{prefix}_batch1"]),
        helper.make_node("Concat", [f"{prefix}_dirs", f"{prefix}_batch1", f"{prefix}_hidden"], [f"{prefix}_dims"], axis=0),
        helper.make_node("Constant", [], [f"{prefix}_zeros"], value=_init("z", np.zeros((directions, 1, hidden), np.float32))),
        helper.make_node("Expand", [f"{prefix}_zeros", f"{prefix}_dims"], [f"{prefix}_state"]),
    ]  # fmt: skip
    inits = [
        _init(f"{prefix}_one", 1),
        _init(f"{prefix}_axis0", [0]),
        _init(f"{prefix}_dirs", [directions]),
        _init(f"{prefix}_hidden", [hidden]),
    ]
    return nodes, inits


def lstm_small() -> onnx.ModelProto:
    rng = np.random.default_rng(1)
    t, b, i, h = 5, 1, 3, 4
    chain, inits = _zero_state_chain("s", "X", h, 1)
    inits += [
        _init("W", _rand(rng, 1, 4 * h, i)),
        _init("R", _rand(rng, 1, 4 * h, h)),
        _init("B", _rand(rng, 1, 8 * h)),
    ]
    inits.append(_init("squeeze_axes", [1]))
    nodes = [
        *chain,
        helper.make_node("LSTM", ["X", "W", "R", "B", "", "s_state", "s_state"], ["Y", "Y_h", "Y_c"],
                         name="lstm_0", hidden_size=h),
        helper.make_node("Squeeze", ["Y", "squeeze_axes"], ["output"], name="squeeze_0"),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes,
        "lstm_small",
        [helper.make_tensor_value_info("X", FLOAT, [t, b, i])],
        [
            helper.make_tensor_value_info("output", FLOAT, [t, b, h]),
            helper.make_tensor_value_info("Y_h", FLOAT, [1, b, h]),
        ],
        inits,
    )
    return _model(graph)


def lstm_2layer() -> onnx.ModelProto:
    rng = np.random.default_rng(2)
    t, b, i, h = 4, 2, 3, 4
    nodes, inits, finals_h, finals_c = [], [_init("axes1", [1])], [], []
    layer_in, size = "X", i
    for layer in range(2):
        names = [f"W{layer}", f"R{layer}", f"B{layer}"]
        inits += [_init(names[0], _rand(rng, 1, 4 * h, size)), _init(names[1], _rand(rng, 1, 4 * h, h))]
        inits.append(_init(names[2], _rand(rng, 1, 8 * h)))
        out = "output" if layer == 1 else f"X{layer + 1}"
        nodes.append(helper.make_node("LSTM", [layer_in, *names], [f"Y{layer}", f"Y_h{layer}", f"Y_c{layer}"],
                                      name=f"lstm_{layer}", hidden_size=h))  # fmt: skip
        nodes.append(helper.make_node("Squeeze", [f"Y{layer}", "axes1"], [out], name=f"squeeze_{layer}"))
        finals_h.append(f"Y_h{layer}")
        finals_c.append(f"Y_c{layer}")
        layer_in, size = out, h
    nodes.append(helper.make_node("Concat", finals_h, ["h_n"], axis=0, name="concat_h"))
    nodes.append(helper.make_node("Concat", finals_c, ["c_n"], axis=0, name="concat_c"))
    graph = helper.make_graph(
        nodes,
        "lstm_2layer",
        [helper.make_tensor_value_info("X", FLOAT, [t, b, i])],
        [
            helper.make_tensor_value_info("output", FLOAT, [t, b, h]),
            helper.make_tensor_value_info("h_n", FLOAT, [2, b, h]),
            helper.make_tensor_value_info("c_n", FLOAT, [2, b, h]),
        ],
        inits,
    )
    return _model(graph)


def gru_bidir() -> onnx.ModelProto:
    rng = np.random.default_rng(3)
    t, b, i, h = 3, 1, 2, 3
    inits = [
        _init("W", _rand(rng, 2, 3 * h, i)),
        _init("R", _rand(rng, 2, 3 * h, h)),
        _init("B", _rand(rng, 2, 6 * h)),
        _init("shape", [0, 0, -1]),
    ]
    nodes = [
        helper.make_node("GRU", ["X", "W", "R", "B"], ["Y", "Y_h"], name="gru_0", hidden_size=h,
                         direction="bidirectional", linear_before_reset=1),
        helper.make_node("Transpose", ["Y"], ["Yt"], name="transpose_0", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["Yt", "shape"], ["output"], name="reshape_0"),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes,
        "gru_bidir",
        [helper.make_tensor_value_info("X", FLOAT, [t, b, i])],
        [
            helper.make_tensor_value_info("output", FLOAT, [t, b, 2 * h]),
            helper.make_tensor_value_info("Y_h", FLOAT, [2, b, h]),
        ],
        inits,
    )
    return _model(graph)


def rnn_attrs() -> onnx.ModelProto:
    rng = np.random.default_rng(4)
    t, b, i, h = 4, 2, 3, 2
    inits = [
        _init("W", _rand(rng, 1, h, i)),
        _init("R", _rand(rng, 1, h, h)),
        _init("B", _rand(rng, 1, 2 * h)),
    ]
    nodes = [
        helper.make_node("RNN", ["X", "W", "R", "B", "lens"], ["Y", "Y_h"], name="rnn_0", hidden_size=h,
                         direction="reverse", activations=["leakyrelu"], activation_alpha=[0.2], clip=2.5),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes,
        "rnn_attrs",
        [
            helper.make_tensor_value_info("X", FLOAT, [t, b, i]),
            helper.make_tensor_value_info("lens", TensorProto.INT32, [b]),
        ],
        [
            helper.make_tensor_value_info("Y", FLOAT, [t, 1, b, h]),
            helper.make_tensor_value_info("Y_h", FLOAT, [1, b, h]),
        ],
        inits,
    )
    return _model(graph)


def lstm_all_attrs() -> onnx.ModelProto:
    rng = np.random.default_rng(5)
    t, b, i, h = 3, 2, 2, 2
    inits = [
        _init("W", _rand(rng, 2, 4 * h, i)),
        _init("R", _rand(rng, 2, 4 * h, h)),
        _init("B", _rand(rng, 2, 8 * h)),
        _init("P", _rand(rng, 2, 3 * h)),
        _init("lens", np.array([3, 2], np.int32)),
    ]
    acts = ["HardSigmoid", "Tanh", "Elu", "Sigmoid", "ScaledTanh", "Affine"]
    nodes = [
        helper.make_node("LSTM", ["X", "W", "R", "B", "lens", "h0", "c0", "P"], ["Y", "Y_h", "Y_c"], name="lstm_all",
                         hidden_size=h, direction="bidirectional", activations=acts,
                         activation_alpha=[0.3, 0.7, 2.0], activation_beta=[0.6], clip=3.0, input_forget=1),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes,
        "lstm_all_attrs",
        [
            helper.make_tensor_value_info("X", FLOAT, [t, b, i]),
            helper.make_tensor_value_info("h0", FLOAT, [2, b, h]),
            helper.make_tensor_value_info("c0", FLOAT, [2, b, h]),
        ],
        [
            helper.make_tensor_value_info("Y", FLOAT, [t, 2, b, h]),
            helper.make_tensor_value_info("Y_h", FLOAT, [2, b, h]),
            helper.make_tensor_value_info("Y_c", FLOAT, [2, b, h]),
        ],
        inits,
    )
    return _model(graph)


def lstm_dynamo() -> onnx.ModelProto:
    """Weights in PyTorch gate order (i, f, g, o) re-ordered to ONNX's (i, o, f, c) at run time."""
    rng = np.random.default_rng(6)
    t, b, i, h = 3, 1, 2, 2
    w_pt, r_pt = _rand(rng, 4 * h, i), _rand(rng, 4 * h, h)
    inits = [
        _init("weight_ih", w_pt),
        _init("weight_hh", r_pt),
        _init("B", _rand(rng, 1, 8 * h)),
        _init("ax0", [0]),
    ]
    inits += [_init("shape", [t, b, h])]
    nodes = []
    for gate, (lo, hi) in enumerate([(0, h), (3 * h, 4 * h), (h, 2 * h), (2 * h, 3 * h)]):  # i, o, f, g
        inits += [_init(f"lo{gate}", [lo]), _init(f"hi{gate}", [hi])]
        for src in ("weight_ih", "weight_hh"):
            nodes.append(helper.make_node("Slice", [src, f"lo{gate}", f"hi{gate}", "ax0"], [f"{src}_{gate}"]))
    for src, dst in (("weight_ih", "W"), ("weight_hh", "R")):
        nodes.append(helper.make_node("Concat", [f"{src}_{g}" for g in range(4)], [f"{dst}_2d"], axis=0))
        nodes.append(helper.make_node("Unsqueeze", [f"{dst}_2d", "ax0"], [dst]))
    nodes += [
        helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y", "Y_h", "Y_c"], name="lstm_dyn", hidden_size=h,
                         direction="forward", layout=0, input_forget=0),
        helper.make_node("Transpose", ["Y"], ["Yt"], name="transpose_0", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["Yt", "shape"], ["output"], name="reshape_0"),
    ]  # fmt: skip
    graph = helper.make_graph(
        nodes,
        "lstm_dynamo",
        [helper.make_tensor_value_info("X", FLOAT, [t, b, i])],
        [helper.make_tensor_value_info("output", FLOAT, [t, b, h])],
        inits,
    )
    return _model(graph)


def lm_head() -> onnx.ModelProto:
    rng = np.random.default_rng(7)
    t, b, vocab, e, h = 4, 1, 12, 3, 4
    inits = [
        _init("emb", _rand(rng, vocab, e)),
        _init("W", _rand(rng, 1, 4 * h, e)),
        _init("R", _rand(rng, 1, 4 * h, h)),
        _init("axes1", [1]),
        _init("fc_weight_t", _rand(rng, h, vocab)),
        _init("fc_bias", _rand(rng, vocab)),
    ]
    nodes = [
        helper.make_node("Gather", ["emb", "tokens"], ["x"], name="embedding", axis=0),
        helper.make_node("LSTM", ["x", "W", "R"], ["Y", "", ""], name="lstm_0", hidden_size=h),
        helper.make_node("Squeeze", ["Y", "axes1"], ["hs"], name="squeeze_0"),
        helper.make_node("MatMul", ["hs", "fc_weight_t"], ["mm"], name="fc"),
        helper.make_node("Add", ["mm", "fc_bias"], ["logits"], name="fc_bias_add"),
        helper.make_node("LogSoftmax", ["logits"], ["logprobs"], name="log_softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "lm_head",
        [helper.make_tensor_value_info("tokens", TensorProto.INT64, [t, b])],
        [helper.make_tensor_value_info("logprobs", FLOAT, [t, b, vocab])],
        inits,
    )
    return _model(graph)


def unsupported() -> onnx.ModelProto:
    rng = np.random.default_rng(8)
    inits = [
        _init("k", _rand(rng, 2, 1, 3)),
        _init("W", _rand(rng, 1, 8, 2)),
        _init("R", _rand(rng, 1, 8, 2)),
    ]
    nodes = [
        helper.make_node("Conv", ["X", "k"], ["c"], name="conv1"),
        helper.make_node("Transpose", ["c"], ["ct"], perm=[2, 0, 1]),
        helper.make_node("LSTM", ["ct", "W", "R"], ["Y", "Y_h"], name="lstm_0", hidden_size=2),
        helper.make_node("Add", ["Y_h", "Y_h"], ["twice"], name="add_states"),
        helper.make_node("Transpose", ["Y_h"], ["Y_h_t"], name="transpose_h", perm=[0, 2, 1]),
        helper.make_node("MatMul", ["twice", "Y_h_t"], ["mm"]),
        helper.make_node("Fancy", ["mm"], ["out"], name="fancy_op", domain="com.example"),
    ]
    graph = helper.make_graph(
        nodes,
        "unsupported",
        [helper.make_tensor_value_info("X", FLOAT, [1, 1, 6])],
        [helper.make_tensor_value_info("out", FLOAT, [1, 1, 1])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[*OPSET, helper.make_opsetid("com.example", 1)])
    model.ir_version = 8
    return model


def dynamic() -> onnx.ModelProto:
    model = lstm_small()
    model.graph.input[0].type.tensor_type.shape.dim[1].dim_param = "batch"
    for out in model.graph.output:
        out.type.tensor_type.shape.dim[1].dim_param = "batch"
    return model


def float16() -> onnx.ModelProto:
    rng = np.random.default_rng(9)
    inits = [
        _init("W", _rand(rng, 1, 8, 2).astype(np.float16)),
        _init("R", _rand(rng, 1, 8, 2).astype(np.float16)),
    ]
    nodes = [helper.make_node("LSTM", ["X", "W", "R"], ["Y"], name="lstm_fp16", hidden_size=2)]
    graph = helper.make_graph(
        nodes,
        "float16",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT16, [2, 1, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT16, [2, 1, 1, 2])],
        inits,
    )
    return _model(graph)


def save_external(model: onnx.ModelProto, path: Path) -> None:
    """Save with every initializer in one side file `<name>.data` (deterministic: the side file is rewritten)."""
    data = path.with_name(path.name + ".data")
    data.unlink(missing_ok=True)
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=data.name, size_threshold=0)  # fmt: skip


def main(argv: list[str]) -> None:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "tests" / "filecheck" / "Inputs"
    out.mkdir(parents=True, exist_ok=True)
    builders = {
        "lstm_small": lstm_small,
        "lstm_2layer": lstm_2layer,
        "gru_bidir": gru_bidir,
        "rnn_attrs": rnn_attrs,
        "lstm_all_attrs": lstm_all_attrs,
        "lstm_dynamo": lstm_dynamo,
        "lm_head": lm_head,
        "unsupported": unsupported,
        "dynamic": dynamic,
        "float16": float16,
    }
    for name, build in builders.items():
        onnx.save_model(build(), out / f"{name}.onnx")
    save_external(lstm_small(), out / "lstm_external.onnx")
    (out / "truncated.onnx").write_bytes((out / "lstm_small.onnx").read_bytes()[:64])
    for path in sorted(out.glob("*.onnx*")):
        print(f"{path.relative_to(out)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv)
