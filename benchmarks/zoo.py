"""The benchmark zoo: the RNN models the schedule, baseline and paper benchmarks share.

Each entry builds a deterministic ONNX model with onnx.helper (plain LSTM/GRU nodes stacked
the way PyTorch's TorchScript exporter wires them: Squeeze between unidirectional layers,
Transpose + Reshape after bidirectional ones), random weights scaled by 1/sqrt(hidden)::

    >>> from zoo import ZOO, build
    >>> path = build("lstm256_t150", Path("/tmp"))

Sizes follow DeepBench's inference kernels (LSTM 256/T150, 1024/T25, GRU 1024/T187, batch 1),
an EESEN-like speech model (5 bidirectional LSTM layers of 320 over 120 features), a small
3-layer bidirectional GRU of 96 at batch 3, a GNMT-like encoder stack (4 LSTM layers of 1024 over
50 tokens) and a DeepSpeech2-like GRU speech model (5 forward GRU layers of 512 over 161
spectrogram bins, 100 frames). Sequences stay <= ~200 steps so every zoo point simulates in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


@dataclass(frozen=True)
class ZooModel:
    name: str
    kind: str  # "lstm" | "gru" | "rnn"
    layers: int
    hidden: int
    input_size: int
    steps: int
    batch: int
    bidirectional: bool = False

    @property
    def gates(self) -> int:
        return {"lstm": 4, "gru": 3, "rnn": 1}[self.kind]

    @property
    def macs(self) -> int:
        """Useful multiply-accumulates of one inference (W x and R h of every layer and step)."""
        dirs = 2 if self.bidirectional else 1
        total, k = 0, self.input_size
        for _ in range(self.layers):
            total += dirs * self.gates * self.hidden * (k + self.hidden) * self.steps * self.batch
            k = dirs * self.hidden
        return total


ZOO: dict[str, ZooModel] = {
    m.name: m
    for m in (
        ZooModel("lstm256_t150", "lstm", 1, 256, 256, 150, 1),
        ZooModel("lstm1024_t25", "lstm", 1, 1024, 1024, 25, 1),
        ZooModel("gru1024_t187", "gru", 1, 1024, 1024, 187, 1),
        ZooModel("eesen_bilstm5x320", "lstm", 5, 320, 120, 50, 1, True),
        ZooModel("bigru3x96_b3", "gru", 3, 96, 40, 50, 3, True),
        ZooModel("gnmt_lstm4x1024", "lstm", 4, 1024, 1024, 50, 1),
        ZooModel("ds2_gru5x512", "gru", 5, 512, 161, 100, 1),
    )
}
"""The models issue 6 (schedules) and issue 7 (baselines) measure."""


def make_model(spec: ZooModel, seed: int = 0) -> onnx.ModelProto:
    """The ONNX model of a zoo entry (same bytes for the same spec and seed)."""
    rng = np.random.default_rng(seed)
    dirs = 2 if spec.bidirectional else 1
    op = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}[spec.kind]
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    x, k = "X", spec.input_size
    scale = 1.0 / np.sqrt(spec.hidden)
    gh = spec.gates * spec.hidden
    for layer in range(spec.layers):
        p = f"l{layer}"

        def weight(name: str, *shape: int, p: str = p) -> str:
            inits.append(
                numpy_helper.from_array(rng.uniform(-scale, scale, shape).astype(np.float32), f"{p}_{name}")
            )
            return f"{p}_{name}"

        w, r, b = weight("W", dirs, gh, k), weight("R", dirs, gh, spec.hidden), weight("B", dirs, 2 * gh)
        attrs: dict[str, object] = {"hidden_size": spec.hidden}
        if spec.bidirectional:
            attrs["direction"] = "bidirectional"
        if spec.kind == "gru":
            attrs["linear_before_reset"] = 1  # what PyTorch exports
        outs = [f"{p}_Y", f"{p}_Y_h"] + ([f"{p}_Y_c"] if spec.kind == "lstm" else [])
        nodes.append(helper.make_node(op, [x, w, r, b], outs, name=f"{op.lower()}_{layer}", **attrs))
        last = layer == spec.layers - 1
        y = "Y" if last else f"{p}_seq"
        if spec.bidirectional:
            inits.append(numpy_helper.from_array(np.array([0, 0, -1], np.int64), f"{p}_shape"))
            nodes.append(helper.make_node("Transpose", [f"{p}_Y"], [f"{p}_Yt"], perm=[0, 2, 1, 3]))
            nodes.append(helper.make_node("Reshape", [f"{p}_Yt", f"{p}_shape"], [y]))
        else:
            inits.append(numpy_helper.from_array(np.array([1], np.int64), f"{p}_axes"))
            nodes.append(helper.make_node("Squeeze", [f"{p}_Y", f"{p}_axes"], [y]))
        x, k = y, dirs * spec.hidden
    graph = helper.make_graph(
        nodes,
        spec.name,
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [spec.steps, spec.batch, spec.input_size])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [spec.steps, spec.batch, k])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sharp-zoo")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def build(name: str, outdir: Path, seed: int = 0) -> Path:
    """Write a zoo model to OUTDIR/NAME.onnx (reused when already there) and return its path."""
    path = outdir / f"{name}.onnx"
    if not path.exists():
        outdir.mkdir(parents=True, exist_ok=True)
        onnx.save(make_model(ZOO[name], seed), path)
    return path


def inputs(name: str, seed: int = 1) -> dict[str, np.ndarray]:
    """Deterministic inputs of a zoo model."""
    return inputs_of(ZOO[name], seed)


def inputs_of(spec: ZooModel, seed: int = 1) -> dict[str, np.ndarray]:
    """Deterministic inputs of a model spec."""
    rng = np.random.default_rng(seed)
    return {"X": rng.standard_normal((spec.steps, spec.batch, spec.input_size)).astype(np.float32)}
