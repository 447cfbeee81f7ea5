"""Render the timelines of docs/scheduling.md with our own trace (deterministic).

    python tools/make_schedule_pictures.py [OUTDIR]       # default: docs/img (needs the [plot] extra)

One bidirectional LSTM layer (hidden 64, input 32, T=6, batch 1) on sharp-4k in fp16, compiled
under each scheme; each run's `sharp-run --trace` timeline is drawn by tools/render_trace.py
over the same window of cycles, so the pictures compare directly.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
PICTURES = (
    ("sequential", {"schedule": "sequential"}),
    ("intergate", {"schedule": "intergate"}),
    ("unfolded-one-direction", {"schedule": "unfolded", "interleave": False}),
    ("unfolded-interleaved", {"schedule": "unfolded"}),
)


def model(hidden: int = 64, inputs: int = 32, steps: int = 6) -> onnx.ModelProto:
    rng = np.random.default_rng(0)
    scale = 1 / np.sqrt(hidden)
    inits = [
        numpy_helper.from_array(rng.uniform(-scale, scale, shape).astype(np.float32), name)
        for name, shape in (
            ("W", (2, 4 * hidden, inputs)),
            ("R", (2, 4 * hidden, hidden)),
            ("B", (2, 8 * hidden)),
        )
    ]
    node = helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y"], hidden_size=hidden, direction="bidirectional",
                            name="bilstm")  # fmt: skip
    graph = helper.make_graph(
        [node], "bilstm", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [steps, 1, inputs])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [steps, 2, 1, hidden])], inits,
    )  # fmt: skip
    out = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    out.ir_version = 8
    return out


def main() -> int:
    outdir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"
    outdir.mkdir(parents=True, exist_ok=True)
    from sharp_compiler import compile_onnx, simulate

    m = model()
    x = {"X": np.random.default_rng(1).standard_normal((6, 1, 32)).astype(np.float32)}
    with tempfile.TemporaryDirectory() as tmp:
        traces = []
        for name, options in PICTURES:
            result = simulate(compile_onnx(m, hw="sharp-4k", **options), x, trace=True)
            path = Path(tmp) / f"{name}.json"
            path.write_text(json.dumps(result.trace))
            traces.append((name, path, result.stats["cycles"]))
            print(f"{name:24s} {result.stats['cycles']:>6d} cycles")
        end = max(cycles for _n, _p, cycles in traces)
        for name, path, cycles in traces:
            subprocess.run(
                [sys.executable, str(ROOT / "tools" / "render_trace.py"), str(path), "-o", str(outdir / f"schedule-{name}.png"),
                 "--end", str(end), "--title", f"{name}: {cycles} cycles (bidirectional LSTM 64, T=6, sharp-4k)"],
                check=True,
            )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
