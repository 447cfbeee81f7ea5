"""Measure the zoo on a CUDA GPU: torch.nn.LSTM/GRU with cuDNN at batch 1 (the models' own batch).

    python benchmarks/bench_gpu.py [--warmup 20] [--repeats 100] [--dtype fp32|fp16] [--out DIR]

Each zoo model becomes one `torch.nn.LSTM`/`GRU` stack of its layers, hidden size, input size
and directions (the weights are random: timing does not depend on them), run under
`torch.inference_mode()` with cuDNN enabled. Every repetition is timed with CUDA events around
one forward pass; after `--warmup` untimed passes, the median of `--repeats` is reported.
Writes `benchmarks/results/gpu-<device>.json`:

    {"device": "NVIDIA H200", "torch": "2.13.0", "cudnn": 91000, "dtype": "fp32",
     "models": {"lstm256_t150": {"median_ms": 1.23, "p10_ms": ..., "p90_ms": ..., "repeats": 100}}}

which `bench_paper.py --gpu-results FILE` (or the newest such file) puts beside the analytic
gpu-like model. Without CUDA (or without torch) it says so and exits 0 without writing.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

import zoo

ROOT = Path(__file__).resolve().parent.parent


def measure(spec: zoo.ZooModel, torch, dtype, warmup: int, repeats: int) -> dict:  # noqa: ANN001
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[spec.kind]
    net = cls(spec.input_size, spec.hidden, num_layers=spec.layers, bidirectional=spec.bidirectional)
    net = net.to("cuda", dtype).eval()
    x = torch.randn(spec.steps, spec.batch, spec.input_size, device="cuda", dtype=dtype)
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            net(x)
        torch.cuda.synchronize()
        for _ in range(repeats):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            net(x)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p10_ms": times[len(times) // 10],
        "p90_ms": times[(9 * len(times)) // 10],
        "repeats": repeats,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=100)
    parser.add_argument("--dtype", choices=("fp32", "fp16"), default="fp32")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--models", default=",".join(zoo.ZOO), help="comma-separated zoo names")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        print("bench_gpu: torch is not installed (pip install 'sharp-compiler[gpu]'); nothing measured")
        return 0
    if not torch.cuda.is_available():
        print("bench_gpu: no CUDA device; nothing measured (the comparison uses the gpu-like model alone)")
        return 0
    torch.backends.cudnn.enabled = True
    torch.backends.cudnn.benchmark = True
    dtype = torch.float32 if args.dtype == "fp32" else torch.float16
    device = torch.cuda.get_device_name()
    result = {"device": device, "torch": torch.__version__, "cudnn": torch.backends.cudnn.version(),
              "dtype": args.dtype, "batch": "the zoo model's", "models": {}}  # fmt: skip
    for name in args.models.split(","):
        result["models"][name] = measure(zoo.ZOO[name], torch, dtype, args.warmup, args.repeats)
        print(f"{name}: median {result['models'][name]['median_ms']:.3f} ms", flush=True)
    slug = re.sub(r"[^a-z0-9]+", "-", device.lower()).strip("-")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"gpu-{slug}.json"
    path.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"bench_gpu: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
