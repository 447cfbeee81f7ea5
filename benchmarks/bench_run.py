"""Run time: the whole `sharp-run` process against a process that loads and runs the same model
in onnxruntime with one thread (both include interpreter start, imports and model loading).

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_run.py [--runs 3] [--precision fp32]

Cases (DeepBench inference, one layer, batch 1, input = hidden): LSTM 256 / 150 steps,
1024 / 25, 2048 / 25 and GRU 1024 / 187 (`zoo.py`). Prints both wall times, their ratio, the
geometric mean and worst ratio, and the simulator's rate in dynamic instructions per second
(instructions executed / whole-process time, hazard checker on as by default).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from zoo import ZooModel, make_model  # noqa: E402

ORT_SCRIPT = """
import sys, numpy as np, onnxruntime as ort
opts = ort.SessionOptions(); opts.intra_op_num_threads = 1; opts.inter_op_num_threads = 1
s = ort.InferenceSession(sys.argv[1], opts, providers=["CPUExecutionProvider"])
x = np.load(sys.argv[2])["X"]
outs = s.run(None, {"X": x})
np.savez(sys.argv[3], **{o.name: v for o, v in zip(s.get_outputs(), outs)})
"""

CASES = (
    ZooModel("lstm256_t150", "lstm", 1, 256, 256, 150, 1),
    ZooModel("lstm1024_t25", "lstm", 1, 1024, 1024, 25, 1),
    ZooModel("lstm2048_t25", "lstm", 1, 2048, 2048, 25, 1),
    ZooModel("gru1024_t187", "gru", 1, 1024, 1024, 187, 1),
)


def timed(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of `runs` runs of a process."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--precision", default="fp32", choices=("fp16", "fp32"))
    args = parser.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    bindir = Path(sys.executable).parent
    print(f"{'case':>14s} {'ort wall':>9s} {'sim wall':>9s} {'ratio':>6s} {'ort cpu':>8s} {'sim cpu':>8s} {'ratio':>6s}"
          f" {'instr/s':>8s}  max|diff|")  # fmt: skip
    walls, cpus = [], []
    for spec in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            t = Path(tmp)
            model = t / "m.onnx"
            onnx.save(make_model(spec), model)
            x = np.random.default_rng(0).standard_normal((spec.steps, 1, spec.input_size)).astype(np.float32)
            np.savez(t / "in.npz", X=x)
            subprocess.run([str(bindir / "sharp-compile"), str(model), "-o", str(t / "m.sbin"),
                            "--precision", args.precision], check=True, env=env)  # fmt: skip
            ort = timed([sys.executable, "-c", ORT_SCRIPT, str(model), str(t / "in.npz"), str(t / "ref.npz")],
                        args.runs, env)  # fmt: skip
            ours = timed([str(bindir / "sharp-run"), str(t / "m.sbin"), "--inputs", str(t / "in.npz"), "-o",
                          str(t / "out.npz"), "--stats", str(t / "stats.json"), "-q"], args.runs, env)  # fmt: skip
            ref, out = np.load(t / "ref.npz"), np.load(t / "out.npz")
            diff = max(float(np.abs(ref[k] - out[k]).max()) for k in ref.files)
            instructions = json.loads((t / "stats.json").read_text())["instructions"]
        walls.append(ours[0] / ort[0])
        cpus.append(ours[1] / ort[1])
        print(f"{spec.name:>14s} {ort[0]:8.3f}s {ours[0]:8.3f}s {walls[-1]:5.2f}x {ort[1]:7.3f}s {ours[1]:7.3f}s "
              f"{cpus[-1]:5.2f}x {instructions / ours[0]:8.0f}  {diff:.1e}")  # fmt: skip
    print(
        f"wall: geomean {statistics.geometric_mean(walls):.2f}x, worst {max(walls):.2f}x; "
        f"cpu: geomean {statistics.geometric_mean(cpus):.2f}x, worst {max(cpus):.2f}x"
    )


if __name__ == "__main__":
    main()
