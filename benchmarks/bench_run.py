"""Run time: the whole `sharp-run` process against a process that loads and runs the same model
in onnxruntime with one thread (both include interpreter start, imports and model loading).

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_run.py [--runs 3] [--precision fp32]

Cases: one LSTM layer, batch 1: hidden 256 / 150 steps, 1024 / 25, 2048 / 25 (input = hidden).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from models import stacked_lstm  # noqa: E402

ORT_SCRIPT = """
import sys, numpy as np, onnxruntime as ort
opts = ort.SessionOptions(); opts.intra_op_num_threads = 1; opts.inter_op_num_threads = 1
s = ort.InferenceSession(sys.argv[1], opts, providers=["CPUExecutionProvider"])
x = np.load(sys.argv[2])["X"]
outs = s.run(None, {"X": x})
np.savez(sys.argv[3], **{o.name: v for o, v in zip(s.get_outputs(), outs)})
"""

CASES = ((256, 150), (1024, 25), (2048, 25))


def timed(cmd: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--precision", default="fp32", choices=("fp16", "fp32"))
    args = parser.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    bindir = Path(sys.executable).parent
    print(f"{'case':>16s} {'onnxruntime':>12s} {'sharp-run':>10s} {'ratio':>7s}  max|diff|")
    for hidden, steps in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            model = stacked_lstm(t / "m.onnx", layers=1, hidden=hidden, input_size=hidden, steps=steps)
            np.savez(
                t / "in.npz",
                X=np.random.default_rng(0).standard_normal((steps, 1, hidden)).astype(np.float32),
            )
            subprocess.run([str(bindir / "sharp-compile"), str(model), "-o", str(t / "m.sbin"),
                            "--precision", args.precision], check=True, env=env)  # fmt: skip
            ort_t = timed([sys.executable, "-c", ORT_SCRIPT, str(model), str(t / "in.npz"), str(t / "ref.npz")],
                          args.runs, env)  # fmt: skip
            ours = timed([str(bindir / "sharp-run"), str(t / "m.sbin"), "--inputs", str(t / "in.npz"), "-o",
                          str(t / "out.npz"), "-q"], args.runs, env)  # fmt: skip
            ref, out = np.load(t / "ref.npz"), np.load(t / "out.npz")
            diff = max(float(np.abs(ref[k] - out[k]).max()) for k in ref.files)
        print(f"{f'{hidden}/{steps}':>16s} {ort_t:11.3f}s {ours:9.3f}s {ours / ort_t:6.2f}x  {diff:.1e}")


if __name__ == "__main__":
    main()
