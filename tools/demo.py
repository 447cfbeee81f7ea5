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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=str(ROOT / "examples" / "lstm_2layer.onnx"))
    parser.add_argument("--hw", default="sharp-4k")
    parser.add_argument("--budget", type=int, default=0)
    parser.add_argument("--precision", default="fp32", choices=("fp16", "fp32"))
    args = parser.parse_args()
    model = Path(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        sbin, npz_in, npz_out, stats_path = (Path(tmp) / n for n in ("model.sbin", "in.npz", "out.npz", "stats.json"))
        inputs = random_inputs(model)
        np.savez(npz_in, **inputs)
        compile_cmd = [str(BIN / "sharp-compile"), str(model), "-o", str(sbin), "--hw", args.hw,
                       "--precision", args.precision] + (["--budget", str(args.budget)] if args.budget else [])  # fmt: skip
        print("$", " ".join(compile_cmd[0:1]).replace(str(BIN) + "/", ""), *compile_cmd[1:])
        subprocess.run(compile_cmd, check=True)
        run_cmd = [str(BIN / "sharp-run"), str(sbin), "--inputs", str(npz_in), "-o", str(npz_out),
                   "--stats", str(stats_path), "-q"]  # fmt: skip
        print("$ sharp-run", *run_cmd[1:])
        subprocess.run(run_cmd, check=True)
        ours = dict(np.load(npz_out))
        stats = json.loads(stats_path.read_text())

    import onnxruntime as ort

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    reference = dict(zip(names, session.run(names, inputs), strict=True))
    rtol, atol = (1e-4, 1e-5) if args.precision == "fp32" else (2e-2, 2e-2)
    print(f"\noutputs vs onnxruntime ({args.precision}, rtol {rtol}, atol {atol}):")
    ok = True
    for name in names:
        err = float(np.max(np.abs(ours[name] - reference[name])))
        match = np.allclose(ours[name], reference[name], rtol=rtol, atol=atol)
        ok &= match
        print(f"  {name:12s} {str(ours[name].shape):16s} max |diff| {err:.2e}  {'ok' if match else 'MISMATCH'}")
    print(f"\nstatistics on {stats.get('config', args.hw)}:")
    for key in ("cycles", "seconds", "macs", "mac_utilization", "energy_joules", "gflops_per_watt"):
        print(f"  {key:18s} {stats[key]:.6g}" if isinstance(stats[key], float) else f"  {key:18s} {stats[key]}")
    print("  layers:")
    for layer in stats["layers"]:
        print(f"    {layer['name']:24s} tile {layer['tile']:8s} cycles {layer['cycles']:>9d}  macs {layer['macs']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
