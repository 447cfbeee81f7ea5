"""Benchmark models built with onnx.helper (random weights, TorchScript-exporter wiring)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def stacked_lstm(
    path: Path, *, layers: int, hidden: int, input_size: int, steps: int, batch: int = 1
) -> Path:
    """`layers` LSTM layers with Squeeze glue and Concat of the final states, saved to `path`."""
    rng = np.random.default_rng(7)
    scale = 1.0 / np.sqrt(hidden)
    inits, nodes, finals = [], [], []
    layer_in, size = "X", input_size
    for layer in range(layers):
        names = [f"W{layer}", f"R{layer}", f"B{layer}"]
        shapes = [(1, 4 * hidden, size), (1, 4 * hidden, hidden), (1, 8 * hidden)]
        for name, shape in zip(names, shapes, strict=True):
            inits.append(numpy_helper.from_array(rng.uniform(-scale, scale, shape).astype(np.float32), name))
        nodes.append(helper.make_node("LSTM", [layer_in, *names], [f"Y{layer}", f"Yh{layer}"],
                                      hidden_size=hidden, name=f"lstm_{layer}"))  # fmt: skip
        inits.append(numpy_helper.from_array(np.array([1], np.int64), f"axes{layer}"))
        out = "output" if layer == layers - 1 else f"X{layer + 1}"
        nodes.append(
            helper.make_node("Squeeze", [f"Y{layer}", f"axes{layer}"], [out], name=f"squeeze_{layer}")
        )
        finals.append(f"Yh{layer}")
        layer_in, size = out, hidden
    nodes.append(helper.make_node("Concat", finals, ["h_n"], axis=0, name="concat_h"))
    graph = helper.make_graph(
        nodes, "bench",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [steps, batch, input_size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [steps, batch, hidden]),
         helper.make_tensor_value_info("h_n", TensorProto.FLOAT, [layers, batch, hidden])],
        inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path
