"""Build the bundled example models in examples/ with onnx.helper (deterministic).

    python tools/make_example_models.py

examples/lstm_2layer.onnx: a 2-layer LSTM (input 40, hidden 64, 10 steps, batch 1) wired the
way PyTorch's TorchScript exporter wires stacked layers (Squeeze between layers, Concat of the
final states), used by `make demo`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent


def lstm_2layer(steps: int = 10, batch: int = 1, input_size: int = 40, hidden: int = 64) -> onnx.ModelProto:
    rng = np.random.default_rng(2019)
    scale = 1.0 / np.sqrt(hidden)
    inits, nodes = [], []
    layer_in, size = "X", input_size
    finals_h, finals_c = [], []
    for layer in range(2):
        w = rng.uniform(-scale, scale, (1, 4 * hidden, size)).astype(np.float32)
        r = rng.uniform(-scale, scale, (1, 4 * hidden, hidden)).astype(np.float32)
        b = rng.uniform(-scale, scale, (1, 8 * hidden)).astype(np.float32)
        names = [f"W{layer}", f"R{layer}", f"B{layer}"]
        inits += [numpy_helper.from_array(a, n) for a, n in zip((w, r, b), names, strict=True)]
        y, yh, yc = f"Y{layer}", f"Y_h{layer}", f"Y_c{layer}"
        nodes.append(helper.make_node("LSTM", [layer_in, *names], [y, yh, yc], name=f"lstm_{layer}",
                                      hidden_size=hidden))  # fmt: skip
        axes = f"axes{layer}"
        inits.append(numpy_helper.from_array(np.array([1], np.int64), axes))
        squeezed = "output" if layer == 1 else f"X{layer + 1}"
        nodes.append(helper.make_node("Squeeze", [y, axes], [squeezed], name=f"squeeze_{layer}"))
        finals_h.append(yh)
        finals_c.append(yc)
        layer_in, size = squeezed, hidden
    nodes.append(helper.make_node("Concat", finals_h, ["h_n"], axis=0, name="concat_h"))
    nodes.append(helper.make_node("Concat", finals_c, ["c_n"], axis=0, name="concat_c"))
    graph = helper.make_graph(
        nodes, "lstm_2layer",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [steps, batch, input_size])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [steps, batch, hidden]),
         helper.make_tensor_value_info("h_n", TensorProto.FLOAT, [2, batch, hidden]),
         helper.make_tensor_value_info("c_n", TensorProto.FLOAT, [2, batch, hidden])],
        inits,
    )  # fmt: skip
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="sharp-examples"
    )
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> None:
    out = ROOT / "examples"
    out.mkdir(exist_ok=True)
    onnx.save(lstm_2layer(), out / "lstm_2layer.onnx")
    print(f"wrote {out / 'lstm_2layer.onnx'}")


if __name__ == "__main__":
    main()
