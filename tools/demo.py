"""`make demo`: compile the bundled example for the default SHARP configuration, run it on the
simulator, check the outputs against onnxruntime, and print the statistics.

    python tools/demo.py [MODEL.onnx] [--hw sharp-4k] [--budget N] [--precision fp32]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def random_inputs(model_path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    import onnx

    model = onnx.load(str(model_path), load_external_data=False)
    rng = np.random.default_rng(seed)
    inits = {i.name for i in model.graph.initializer}
    inputs: dict[str, np.ndarray] = {}
    for value in model.graph.input:
        if value.name in inits:
            continue
        dims = tuple(d.dim_value for d in value.type.tensor_type.shape.dim)
        elem = value.type.tensor_type.elem_type
        if elem == onnx.TensorProto.FLOAT:
            inputs[value.name] = rng.standard_normal(dims).astype(np.float32)
        else:
            inputs[value.name] = rng.integers(0, 10, dims).astype(onnx.helper.tensor_dtype_to_np_dtype(elem))
    return inputs


FP16_BOUND = 1e-2
"""max |ours - onnxruntime| / max |onnxruntime| in fp16 mode (docs/precision.md)."""


def compile_and_run(model: Path, inputs: dict[str, np.ndarray], args: argparse.Namespace, precision: str,
                    tmp: Path) -> tuple[dict[str, np.ndarray], dict]:  # fmt: skip
    sbin, npz_in, npz_out, stats_path = (
        tmp / f"{precision}.{n}" for n in ("sbin", "in.npz", "out.npz", "json")
    )
    np.savez(npz_in, **inputs)
    options = ["--hw", args.hw] + (["--budget", str(args.budget)] if args.budget else [])
    options += ["--precision", precision] if precision != "default" else []
    compile_cmd = [str(BIN / "sharp-compile"), str(model), "-o", str(sbin), *options]
    run_cmd = [str(BIN / "sharp-run"), str(sbin), "--inputs", str(npz_in), "-o", str(npz_out),
               "--stats", str(stats_path), "-q"]  # fmt: skip
    for cmd in (compile_cmd, run_cmd):
        print("$", Path(cmd[0]).name, *(Path(a).name if a.startswith(str(tmp)) else a for a in cmd[1:]))
        subprocess.run(cmd, check=True)
    return dict(np.load(npz_out)), json.loads(stats_path.read_text())


def compare(ours: dict[str, np.ndarray], reference: dict[str, np.ndarray], precision: str) -> bool:
    ok = True
    for name, ref in reference.items():
        diff = float(np.max(np.abs(ours[name] - ref)))
        if precision == "fp32":
            match, rule = bool(np.allclose(ours[name], ref, rtol=1e-4, atol=1e-5)), "rtol 1e-4, atol 1e-5"
        else:
            scale = float(np.max(np.abs(ref))) or 1.0
            match, rule = (
                diff <= FP16_BOUND * scale,
                f"<= {FP16_BOUND:g} x max|ref| = {FP16_BOUND * scale:.1e}",
            )
        ok &= match
        print(
            f"  {name:12s} {str(ours[name].shape):16s} max |diff| {diff:.2e}  ({rule})  {'ok' if match else 'MISMATCH'}"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=str(ROOT / "examples" / "lstm_2layer.onnx"))
    parser.add_argument("--hw", default="sharp-4k")
    parser.add_argument("--budget", type=int, default=0)
    args = parser.parse_args()
    model = Path(args.model)
    inputs = random_inputs(model)

    import onnxruntime as ort

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    reference = dict(zip(names, session.run(names, inputs), strict=True))
    with tempfile.TemporaryDirectory() as tmp:
        print(f"== {model.name} on {args.hw}{f' with {args.budget} multipliers' if args.budget else ''}, "
              "the hardware's default datapath (fp16 multiply, fp32 accumulate)")  # fmt: skip
        ours, stats = compile_and_run(model, inputs, args, "default", Path(tmp))
        print("outputs vs onnxruntime:")
        ok = compare(ours, reference, stats["precision"])
        print("\n== the same model in the exact fp32 mode")
        exact, _ = compile_and_run(model, inputs, args, "fp32", Path(tmp))
        print("outputs vs onnxruntime:")
        ok &= compare(exact, reference, "fp32")
    print(f"\nstatistics ({stats['config']}, {stats['precision']}):")
    for key in ("cycles", "seconds", "macs", "mac_utilization", "energy_joules", "gflops_per_watt"):
        value = stats[key]
        print(f"  {key:18s} {value:.6g}" if isinstance(value, float) else f"  {key:18s} {value}")
    breakdown = ", ".join(f"{k} {v:.1%}" for k, v in stats["utilization_breakdown"].items())
    print(f"  array time         {breakdown}")
    print("  layers:")
    for layer in stats["layers"]:
        print(
            f"    {layer['name']:16s} tile {layer['tile']:7s} cycles {layer['cycles']:>7d}  macs {layer['macs']:>8d}"
            f"  utilization {layer['mac_utilization']:.1%}"
        )
    print("\nall outputs match onnxruntime" if ok else "\nMISMATCH against onnxruntime")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
