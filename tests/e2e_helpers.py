"""Shared helpers of the end-to-end tests: build ONNX RNN models in memory, run them three ways.

Test modules import the plain functions directly (``from e2e_helpers import ...``): pytest puts
``tests/`` on ``sys.path`` (rootdir insertion, no ``__init__.py``), so this module is importable.

- `rnn_model(...)` builds a one-node LSTM/GRU/RNN model with `onnx.helper` and returns
  `(ModelProto, feeds)` with deterministic random weights and inputs.
- `sharp_outputs(model, feeds, ...)` compiles it with `compile_onnx` and simulates it
  (`check_hazards=True`); `ort_outputs` runs onnxruntime (CPU EP); `reference_outputs`
  runs `onnx.reference.ReferenceEvaluator`.
- `assert_outputs_close` compares by ONNX output name.
- `load_script(relative_path)` imports a script of `tools/` or `benchmarks/` (not packages) by path.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RTOL = 1e-4
ATOL = 1e-5
OPSET = 22
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
STATE_OUTPUTS = {"LSTM": ("Y", "Y_h", "Y_c"), "GRU": ("Y", "Y_h"), "RNN": ("Y", "Y_h")}
# ONNX activations and the number of (alpha, beta) parameters each consumes.
ACT_PARAMS = {
    "Sigmoid": 0, "Tanh": 0, "Relu": 0, "Softsign": 0, "Softplus": 0,
    "HardSigmoid": 2, "LeakyRelu": 1, "ThresholdedRelu": 1, "ScaledTanh": 2, "Affine": 2, "Elu": 1,
}  # fmt: skip

_TMP = Path(tempfile.mkdtemp(prefix="sharp-e2e-"))
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)
ROOT = Path(__file__).resolve().parent.parent


def load_script(relative_path: str) -> Any:
    """The module of a repository script (e.g. "tools/render_trace.py"), registered under its stem."""
    path = ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module


def num_directions(direction: str) -> int:
    return 2 if direction == "bidirectional" else 1


def rnn_model(
    op: str,
    *,
    T: int = 3,
    B: int = 1,
    I: int = 3,  # noqa: E741
    H: int = 4,
    direction: str = "forward",
    layout: int = 0,
    bias: bool = True,
    seq_lens: Sequence[int] | None = None,
    initial_h: bool = False,
    initial_c: bool = False,
    peepholes: bool = False,
    clip: float | None = None,
    input_forget: bool = False,
    linear_before_reset: int | None = None,
    activations: Sequence[str] | None = None,
    alphas: Sequence[float] | None = None,
    betas: Sequence[float] | None = None,
    outputs: Sequence[str] | None = None,
    seed: int = 0,
    scale: float = 0.5,
    name: str = "rnn0",
) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """A model with one recurrent node; W/R/B/P are initializers, X, sequence_lens and states are inputs.

    `outputs` lists the node outputs to request (names from Y, Y_h, Y_c); the others are left
    empty in the node's output list (default: all of them).
    """
    rng = np.random.default_rng(seed)
    nd, g = num_directions(direction), GATES[op]
    all_outs = STATE_OUTPUTS[op]
    wanted = list(all_outs) if outputs is None else list(outputs)
    assert wanted and set(wanted) <= set(all_outs), wanted

    def rand(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    x_shape = [T, B, I] if layout == 0 else [B, T, I]
    state_shape = [nd, B, H] if layout == 0 else [B, nd, H]
    y_shape = [T, nd, B, H] if layout == 0 else [B, T, nd, H]
    feeds: dict[str, np.ndarray] = {"X": rng.standard_normal(x_shape).astype(np.float32)}
    inits = [
        numpy_helper.from_array(rand(nd, g * H, I), "W"),
        numpy_helper.from_array(rand(nd, g * H, H), "R"),
    ]
    graph_inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, x_shape)]
    node_inputs = ["X", "W", "R", "", "", "", "", ""]
    if bias:
        inits.append(numpy_helper.from_array(rand(nd, 2 * g * H), "B"))
        node_inputs[3] = "B"
    if seq_lens is not None:
        assert len(seq_lens) == B
        feeds["sequence_lens"] = np.asarray(seq_lens, dtype=np.int32)
        graph_inputs.append(helper.make_tensor_value_info("sequence_lens", TensorProto.INT32, [B]))
        node_inputs[4] = "sequence_lens"
    for flag, key, slot in ((initial_h, "initial_h", 5), (initial_c, "initial_c", 6)):
        if flag:
            feeds[key] = rng.standard_normal(state_shape).astype(np.float32)
            graph_inputs.append(helper.make_tensor_value_info(key, TensorProto.FLOAT, state_shape))
            node_inputs[slot] = key
    if peepholes:
        assert op == "LSTM"
        inits.append(numpy_helper.from_array(rand(nd, 3 * H), "P"))
        node_inputs[7] = "P"
    while node_inputs and node_inputs[-1] == "":
        node_inputs.pop()

    attrs: dict[str, Any] = {"hidden_size": H}
    if direction != "forward":
        attrs["direction"] = direction
    if layout:
        attrs["layout"] = layout
    if clip is not None:
        attrs["clip"] = float(clip)
    if input_forget:
        attrs["input_forget"] = 1
    if linear_before_reset is not None:
        attrs["linear_before_reset"] = linear_before_reset
    if activations is not None:
        attrs["activations"] = list(activations)
    if alphas is not None:
        attrs["activation_alpha"] = [float(a) for a in alphas]
    if betas is not None:
        attrs["activation_beta"] = [float(b) for b in betas]

    node_outputs = [o if o in wanted else "" for o in all_outs]
    while node_outputs[-1] == "":
        node_outputs.pop()
    shapes = {"Y": y_shape, "Y_h": state_shape, "Y_c": state_shape}
    graph_outputs = [
        helper.make_tensor_value_info(o, TensorProto.FLOAT, shapes[o]) for o in all_outs if o in wanted
    ]
    node = helper.make_node(op, node_inputs, node_outputs, name=name, **attrs)
    graph = helper.make_graph([node], f"{op.lower()}_test", graph_inputs, graph_outputs, inits)
    return make_model(graph), feeds


def make_model(graph: onnx.GraphProto, opset: int = OPSET) -> onnx.ModelProto:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10  # what onnxruntime 1.32 accepts for opset 22
    onnx.checker.check_model(model)
    return model


def save_model(model: onnx.ModelProto, directory: Path | None = None) -> Path:
    """Write a model to a fresh file (under a per-process temporary directory by default)."""
    fd, path = tempfile.mkstemp(suffix=".onnx", dir=directory or _TMP)
    os.close(fd)
    Path(path).write_bytes(model.SerializeToString())
    return Path(path)


def compile_model(model: onnx.ModelProto, **options: Any) -> bytes:
    """`compile_onnx` on a model held in memory; fp32 unless `precision` says otherwise."""
    from sharp_compiler.api import compile_onnx

    options.setdefault("precision", "fp32")
    path = save_model(model)
    try:
        return compile_onnx(path, **options).binary
    finally:
        path.unlink(missing_ok=True)


def simulate_binary(binary: bytes, feeds: Mapping[str, np.ndarray], **kwargs: Any):  # noqa: ANN201
    from sharp_compiler import sim

    kwargs.setdefault("check_hazards", True)
    return sim.simulate(sim.load(binary), dict(feeds), **kwargs)


def sharp_outputs(
    model: onnx.ModelProto, feeds: Mapping[str, np.ndarray], **options: Any
) -> dict[str, np.ndarray]:
    return dict(simulate_binary(compile_model(model, **options), feeds).outputs)


def ort_outputs(model: onnx.ModelProto, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 4  # warnings and errors are the tests' business
    session = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, dict(feeds)), strict=True))


def reference_outputs(model: onnx.ModelProto, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    from onnx.reference import ReferenceEvaluator

    names = [o.name for o in model.graph.output]
    return dict(zip(names, ReferenceEvaluator(model).run(names, dict(feeds)), strict=True))


def assert_outputs_close(
    got: Mapping[str, np.ndarray], want: Mapping[str, np.ndarray], what: str = "ref", *, rtol: float = RTOL,
    atol: float = ATOL,
) -> None:  # fmt: skip
    """Same output names, shapes and (within rtol/atol) values; `what` names the reference in messages."""
    assert sorted(got) == sorted(want), (what, sorted(got), sorted(want))
    for name, expected in want.items():
        actual = np.asarray(got[name])
        expected = np.asarray(expected)
        assert actual.shape == expected.shape, f"{name} vs {what}: shape {actual.shape} != {expected.shape}"
        if not np.allclose(actual, expected, rtol=rtol, atol=atol):
            err = np.abs(actual.astype(np.float64) - expected)
            raise AssertionError(
                f"{name} vs {what}: max abs err {err.max():.3g} at {np.unravel_index(err.argmax(), err.shape)} "
                f"(|{what}| max {np.abs(expected).max():.3g}), rtol={rtol} atol={atol}"
            )


HARDWARE_VARIANTS = [{"budget": b} for b in (1024, 4096, 16384, 65536)] + [
    {"hw": h} for h in ("sharp-1k", "sharp-4k", "sharp-16k", "sharp-64k", "epur-like")
] + [{"hw": "sharp-16k", "reconfigure": "fixed"}]  # fmt: skip
"""Budgets, presets and the fixed-tile baseline: they change timing, never numbers."""


def assert_identical_across_hardware(
    model: onnx.ModelProto, feeds: Mapping[str, np.ndarray], precision: str
) -> None:
    """Every hardware variant gives the same bits; in fp32 they also match onnxruntime."""
    results = [sharp_outputs(model, feeds, precision=precision, **v) for v in HARDWARE_VARIANTS]
    for variant, result in zip(HARDWARE_VARIANTS, results, strict=True):
        for name, value in result.items():
            assert np.array_equal(value, results[0][name]), (variant, name)
    if precision == "fp32":
        assert_outputs_close(results[0], ort_outputs(model, feeds))


def check_against_ort(
    model: onnx.ModelProto, feeds: Mapping[str, np.ndarray], **options: Any
) -> dict[str, np.ndarray]:
    """Compile + simulate and compare with onnxruntime; returns sharp's outputs."""
    got = sharp_outputs(model, feeds, **options)
    assert_outputs_close(got, ort_outputs(model, feeds))
    return got


def stack_model(
    op: str,
    *,
    layers: int = 2,
    T: int = 3,
    B: int = 1,
    I: int = 3,  # noqa: E741
    H: int = 4,
    bidirectional: bool = False,
    glue: str = "squeeze",
    linear_before_reset: int | None = None,
    seed: int = 0,
    scale: float = 0.5,
) -> tuple[onnx.ModelProto, dict[str, np.ndarray]]:
    """A multi-layer stack the way PyTorch's exporters write it (notes section 1).

    Between layers Y [T, D, B, H] becomes [T, B, D*H] with `Squeeze(axes=[1])` (unidirectional,
    glue="squeeze") or `Transpose(perm=[0,2,1,3]) -> Reshape([0,0,-1])` (glue="transpose_reshape",
    required when bidirectional). Outputs: the last layer's glued sequence `out`, and `h_n`
    (and `c_n` for LSTM), the `Concat(axis=0)` of every layer's final states.
    """
    assert glue in ("squeeze", "transpose_reshape")
    assert glue == "transpose_reshape" or not bidirectional
    rng = np.random.default_rng(seed)
    nd, g = (2 if bidirectional else 1), GATES[op]
    direction = "bidirectional" if bidirectional else "forward"
    inits = [
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axes1")
        if glue == "squeeze"
        else numpy_helper.from_array(np.array([0, 0, -1], dtype=np.int64), "shape_tb")
    ]
    nodes = []
    x, in_size = "X", I
    h_names, c_names = [], []
    for layer in range(layers):
        p = f"l{layer}_"
        inits += [
            numpy_helper.from_array(
                (rng.standard_normal((nd, g * H, in_size)) * scale).astype(np.float32), p + "W"
            ),
            numpy_helper.from_array(
                (rng.standard_normal((nd, g * H, H)) * scale).astype(np.float32), p + "R"
            ),
            numpy_helper.from_array(
                (rng.standard_normal((nd, 2 * g * H)) * scale).astype(np.float32), p + "B"
            ),
        ]
        outs = [p + "Y", p + "Y_h"] + ([p + "Y_c"] if op == "LSTM" else [])
        attrs: dict[str, Any] = {"hidden_size": H, "direction": direction}
        if linear_before_reset is not None:
            attrs["linear_before_reset"] = linear_before_reset
        nodes.append(
            helper.make_node(op, [x, p + "W", p + "R", p + "B"], outs, name=f"{op.lower()}_{layer}", **attrs)
        )
        h_names.append(p + "Y_h")
        if op == "LSTM":
            c_names.append(p + "Y_c")
        out = "out" if layer == layers - 1 else p + "seq"
        if glue == "squeeze":
            nodes.append(helper.make_node("Squeeze", [p + "Y", "axes1"], [out], name=p + "squeeze"))
        else:
            nodes.append(
                helper.make_node("Transpose", [p + "Y"], [p + "Yt"], perm=[0, 2, 1, 3], name=p + "transpose")
            )
            nodes.append(helper.make_node("Reshape", [p + "Yt", "shape_tb"], [out], name=p + "reshape"))
        x, in_size = out, nd * H
    nodes.append(helper.make_node("Concat", h_names, ["h_n"], axis=0, name="concat_h"))
    outputs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, [T, B, nd * H]),
               helper.make_tensor_value_info("h_n", TensorProto.FLOAT, [layers * nd, B, H])]  # fmt: skip
    if op == "LSTM":
        nodes.append(helper.make_node("Concat", c_names, ["c_n"], axis=0, name="concat_c"))
        outputs.append(helper.make_tensor_value_info("c_n", TensorProto.FLOAT, [layers * nd, B, H]))
    graph = helper.make_graph(
        nodes,
        f"{op.lower()}_stack",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, B, I])],
        outputs,
        inits,
    )
    feeds = {"X": rng.standard_normal((T, B, I)).astype(np.float32)}
    return make_model(graph), feeds
