"""Simulated cycles of one LSTM layer under each schedule and row-block count (deterministic).

    python benchmarks/bench_schedules.py [--hidden 256] [--batch 8] [--steps 20] [--hw sharp-4k]

Prints cycles and MAC utilisation for scheme x chunks, and the ratio to sequential, chunks=1.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def lstm(path: Path, steps: int, batch: int, input_size: int, hidden: int) -> Path:
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array((0.1 * rng.standard_normal(shape)).astype(np.float32), name)
             for name, shape in (("W", (1, 4 * hidden, input_size)), ("R", (1, 4 * hidden, hidden)),
                                 ("B", (1, 8 * hidden)))]  # fmt: skip
    node = helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y", "Y_h"], hidden_size=hidden, name="lstm")
    graph = helper.make_graph(
        [node], "lstm", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [steps, batch, input_size])],
        [helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, batch, hidden])], inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--input", type=int, default=64)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--hw", default="sharp-4k")
    parser.add_argument("--precision", default="fp32")
    args = parser.parse_args()
    from sharp_compiler import compile_onnx, simulate

    x = np.random.default_rng(1).standard_normal((args.steps, args.batch, args.input)).astype(np.float32)
    with tempfile.TemporaryDirectory() as tmp:
        model = lstm(Path(tmp) / "lstm.onnx", args.steps, args.batch, args.input, args.hidden)
        base = None
        print(
            f"LSTM T={args.steps} B={args.batch} I={args.input} H={args.hidden} on {args.hw} ({args.precision})"
        )
        print(f"{'scheme':>10s} {'chunks':>6s} {'cycles':>9s} {'util':>7s} {'vs base':>8s}")
        for scheme in ("sequential", "dataflow"):
            for chunks in (1, 2, 4, 8):
                binary = compile_onnx(
                    model, hw=args.hw, precision=args.precision, schedule=scheme, chunks=chunks
                )
                stats = simulate(binary, {"X": x}).stats
                base = base or stats["cycles"]
                print(f"{scheme:>10s} {chunks:>6d} {stats['cycles']:>9d} {stats['mac_utilization']:>6.1%} "
                      f"{stats['cycles'] / base:>7.3f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
