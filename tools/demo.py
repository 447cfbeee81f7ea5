"""`make demo`: compile the bundled example, run it, check it against onnxruntime, explain the numbers.

    python tools/demo.py [MODEL.onnx] [--hw sharp-4k] [--budget N] [--out build/demo]

Everything it makes stays in the `--out` folder (default `build/demo/`): the binary, the IR
after every pass, inputs, outputs, statistics and a Perfetto trace. Every command it prints
runs as printed from the repository root. It ends with a comparison: the same model under
another schedule, a larger budget and the `epur-like` baseline preset.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

FP16_BOUND = 1e-2
"""max |ours - onnxruntime| / max |onnxruntime| in fp16 mode (docs/precision.md)."""


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


def shown(path: Path | str) -> str:
    """A path as the user types it from the repository root."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def run(tool: str, *args: str | Path) -> None:
    """Print a command as it can be pasted (from the repository root), then run it."""
    exe = BIN / tool
    printed = [shown(exe), *(shown(a) if isinstance(a, Path) else a for a in args)]
    print("$", " ".join(shlex.quote(a) for a in printed))
    subprocess.run([str(exe), *map(str, args)], check=True, cwd=ROOT)


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


def explain(stats: dict) -> str:
    """One paragraph saying where the array's time went and what bounds the run."""
    br, bound = stats["utilization_breakdown"], stats.get("bound", {})
    limits = {k: bound[k] for k in ("compute", "recurrence", "elementwise", "dram") if k in bound}
    limiter = max(limits, key=lambda k: limits[k]) if limits else "?"
    layer = stats["layers"][0]
    return (
        f"The run takes {stats['cycles']} cycles ({stats['seconds'] * 1e6:.2f} us at {stats['clock_hz'] / 1e6:g} MHz). "
        f"Of the array's multiplier-cycles {br['useful']:.1%} did useful MACs; {br['dependency_stall']:.1%} are "
        f"dependency stalls: the array waits for data it needs, mostly h(t-1) from the activation and cell "
        f"units (the recurrence serialises the time steps, and a layer of this size keeps the array busy only "
        f"briefly per step: {layer['name']} runs {layer['macs']} MACs on tile {layer['tile']}); "
        f"{br['non_matrix']:.1%} is time after the last matrix work (storing results, DRAM latency), "
        f"{br['padding']:.1%} padding of partly filled tiles and {br['reconfiguration']:.1%} tile reconfiguration. "
        f"Lower bounds (docs/simulator.md, `bound`): compute {limits.get('compute', '?')}, recurrence "
        f"{limits.get('recurrence', '?')}, element-wise {limits.get('elementwise', '?')}, DRAM "
        f"{limits.get('dram', '?')} cycles, so this run is {limiter}-bound and within "
        f"{bound.get('cycles_over_bound', float('nan')):.2f}x of its bound. Larger budgets shorten the matrix "
        f"work but not the recurrence, which is why small models gain little from them."
    )


def comparison(model: Path, inputs: dict[str, np.ndarray], hw: str, budget: int) -> None:
    import sharp_compiler
    from sharp_compiler.pipeline import PipelineOptions

    default = PipelineOptions().scheme
    other = "intergate" if default != "intergate" else "sequential"
    rows = [
        (f"{hw}, schedule {default} (default)", {"hw": hw}),
        (f"{hw}, schedule {other}", {"hw": hw, "schedule": other}),
        (f"{hw} at {budget * 4} multipliers", {"hw": hw, "budget": budget * 4}),
        ("epur-like baseline", {"hw": "epur-like"}),
    ]
    print("\n== comparison (same model and inputs; speedup over the epur-like baseline)")
    results = []
    for label, options in rows:
        flags = " ".join(f"--{k} {v}" for k, v in options.items())
        stats = sharp_compiler.simulate(sharp_compiler.compile_onnx(model, **options), inputs).stats
        results.append((label, flags, stats))
    base = results[-1][2]["cycles"]
    print(f"  {'configuration':34s} {'cycles':>8s} {'speedup':>8s} {'MAC util':>9s} {'GFLOPS/W':>9s}")
    for label, _, stats in results:
        print(f"  {label:34s} {stats['cycles']:>8d} {base / stats['cycles']:>7.2f}x {stats['mac_utilization']:>8.1%} "
              f"{stats['gflops_per_watt']:>9.2f}")  # fmt: skip
    print(
        "  each row is: .venv/bin/sharp-compile "
        + shown(model)
        + " -o X.sbin FLAGS; .venv/bin/sharp-run X.sbin ..."
    )
    for label, flags, _ in results:
        print(f"    {label:32s} FLAGS = {flags}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default=str(ROOT / "examples" / "lstm_2layer.onnx"))
    parser.add_argument("--hw", default="sharp-4k")
    parser.add_argument("--budget", type=int, default=4096, help="the budget of the first run (default 4096)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "demo", help="folder for every artefact")
    args = parser.parse_args()
    model, out = Path(args.model).resolve(), args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    inputs = random_inputs(model)
    np.savez(out / "inputs.npz", **inputs)

    import onnxruntime as ort

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    reference = dict(zip(names, session.run(names, inputs), strict=True))

    print(f"== {model.name} on {args.hw} with {args.budget} multipliers; artefacts in {shown(out)}/")
    print("   the hardware's default datapath: fp16 multiply, fp32 accumulate")
    run("sharp-compile", model, "-o", out / "model.sbin", "--hw", args.hw, "--budget", str(args.budget),
        "--emit-ir", out / "ir", "--inline-weights")  # fmt: skip
    run("sharp-run", out / "model.sbin", "--inputs", out / "inputs.npz", "-o", out / "outputs.npz",
        "--stats", out / "stats.json", "--trace", out / "trace.json")  # fmt: skip
    (last_stage,) = sorted((out / "ir").glob("*-convert-sharp-to-isa.mlir"))
    run(
        "sharp-translate",
        last_stage,
        "--to-binary",
        "-o",
        out / "replayed.sbin",
    )
    same = (out / "replayed.sbin").read_bytes() == (out / "model.sbin").read_bytes()
    print(f"   the IR of the last stage replays to the same binary: {'yes' if same else 'NO'}")
    stats = json.loads((out / "stats.json").read_text())
    with np.load(out / "outputs.npz") as ours:
        print("outputs vs onnxruntime:")
        ok = compare(dict(ours), reference, stats["precision"]) and same

    print("\n== the exact fp32 mode")
    run("sharp-compile", model, "-o", out / "model-fp32.sbin", "--hw", args.hw, "--precision", "fp32")
    run(
        "sharp-run",
        out / "model-fp32.sbin",
        "--inputs",
        out / "inputs.npz",
        "-o",
        out / "outputs-fp32.npz",
        "-q",
    )
    with np.load(out / "outputs-fp32.npz") as exact:
        print("outputs vs onnxruntime:")
        ok &= compare(dict(exact), reference, "fp32")

    print(f"\n== what the numbers say ({stats['config']}, {stats['precision']})")
    print(explain(stats))
    print("  layers:")
    for layer in stats["layers"]:
        print(f"    {layer['name']:16s} tile {layer['tile']:7s} cycles {layer['cycles']:>7d}  macs {layer['macs']:>8d}"
              f"  utilization {layer['mac_utilization']:.1%}")  # fmt: skip
    print(
        f"  timeline: open {shown(out / 'trace.json')} in https://ui.perfetto.dev (unit, layer and counter tracks)"
    )
    comparison(model, inputs, args.hw, args.budget)
    print("\nall outputs match onnxruntime" if ok else "\nMISMATCH against onnxruntime")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
