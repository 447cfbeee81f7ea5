"""Compile time: `sharp-compile` of a 4-layer, 1024-hidden LSTM against reading the model.

Baseline: `onnx.load` plus `numpy_helper.to_array` of every initializer (the floor any
compiler pays to read the weights). Both run in this process, median of N runs; the whole
`sharp-compile` process is timed too (interpreter start and imports included).

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_compile.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from models import stacked_lstm  # noqa: E402


def median_time(fn, runs: int) -> float:  # noqa: ANN001
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import onnx
    from onnx import numpy_helper

    from sharp_compiler.api import compile_onnx

    with tempfile.TemporaryDirectory() as tmp:
        model = stacked_lstm(Path(tmp) / "lstm4x1024.onnx", layers=4, hidden=1024, input_size=1024, steps=25)
        out = Path(tmp) / "out.sbin"

        def baseline() -> None:
            m = onnx.load(str(model))
            for init in m.graph.initializer:
                numpy_helper.to_array(init)

        def ours() -> None:
            compile_onnx(model)

        base = median_time(baseline, args.runs)
        ours_t = median_time(ours, args.runs)
        sharp_compile = str(Path(sys.executable).parent / "sharp-compile")
        proc = median_time(
            lambda: subprocess.run([sharp_compile, str(model), "-o", str(out)], check=True), args.runs
        )
        reader = ("import sys, onnx; from onnx import numpy_helper; m = onnx.load(sys.argv[1]); "
                  "[numpy_helper.to_array(t) for t in m.graph.initializer]")  # fmt: skip
        base_proc = median_time(lambda: subprocess.run([sys.executable, "-c", reader, str(model)], check=True),
                                args.runs)  # fmt: skip
        size = model.stat().st_size / 1e6
    print(f"model: 4-layer LSTM, hidden 1024, input 1024, 25 steps ({size:.0f} MB)")
    print(f"onnx.load + to_array (baseline) : {base:8.3f} s")
    print(f"compile_onnx in process         : {ours_t:8.3f} s   ratio {ours_t / base:5.2f}x")
    print(f"python -c 'onnx.load + to_array' whole process (baseline): {base_proc:8.3f} s")
    print(f"sharp-compile whole process     : {proc:8.3f} s   ratio {proc / base_proc:5.2f}x")


if __name__ == "__main__":
    main()
