"""The paper's tables from our model: the zoo x {1K, 4K, 16K, 64K} against every baseline.

    python benchmarks/bench_paper.py [--jobs 2] [--schedule S1,S2] [--out benchmarks/results/paper]
                                     [--executor local|dask|ray] [--gpu-results FILE] [--check-timing]
                                     [--set FIELD=VALUE ...] [--sensitivity] [--write-docs]

Runs `sharp-dse` (compile + timing-only simulation) over every zoo model at the four budgets of
the paper for SHARP, `epur-like` and `brainwave-like`, adds the DeepBench-calibrated `gpu-like`
model (and measured GPU times when `--gpu-results` names a `bench_gpu.py` file, else the newest
`benchmarks/results/gpu-*.json` if there is one), and prints, per SHARP schedule (default: the
pipeline's default; every baseline is compared at its best swept schedule), the geomean speedups beside the
paper's 2x / 2.8x / 82x and the GFLOPS/W beside 321. `--write-docs` regenerates
`docs/results.md` and its figures (`docs/figures/results/*.png`). `--check-timing` also runs
the full (numerical) simulation of every point and checks it gives the same cycles.
`--set` overrides hardware fields on every machine (`sharp-dse --set`); `--sensitivity` (implied by
`--write-docs`) reruns the comparison with each variant of `SENSITIVITY`, the memory system of
every machine changed alike, and prints the geomeans of each.
Deterministic: simulated cycles, no wall time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import zoo

from sharp_compiler.dse import sweep
from sharp_compiler.dse.results import best_rows, geomean, summary
from sharp_compiler.hw.families import PAPER_BUDGETS
from sharp_compiler.hw.overrides import override_label, parse_overrides
from sharp_compiler.pipeline import PipelineOptions

ROOT = Path(__file__).resolve().parent.parent
PAPER = {"epur-like": 2.0, "brainwave-like": 2.8, "gpu-like": 82.0}
PAPER_GFLOPS_PER_WATT = 321.0
FIGURES = ("speedup.png", "utilization.png", "efficiency.png", "bound.png")
SENSITIVITY = (
    ("as built", ()),
    ("DRAM bandwidth x4", ("dram_bytes_per_cycle=x4",)),
    ("DRAM bandwidth x256 (weights as good as resident on chip)", ("dram_bytes_per_cycle=x256",)),
)
"""Memory-system variants of the comparison: (label, `--set` specs applied to every machine)."""


def tables(all_rows: list[dict], schedule: str) -> str:
    """The Markdown tables of one SHARP schedule: geomeans beside the paper, per budget, per model."""
    rows = [r for r in all_rows if r["family"] != "sharp" or r["schedule"] == schedule]
    s = summary(rows)
    baselines = [b for b in (*PAPER, "gpu-measured") if f"geomean_speedup_over_{b}" in s]
    lines = [f"### SHARP schedule `{schedule}`", "",
             f"{s['points']} SHARP points (zoo x {len(PAPER_BUDGETS)} budgets).", "",
             "| SHARP vs | geomean speedup (ours) | paper |", "|---|---|---|"]  # fmt: skip
    for b in baselines:
        paper = f"{PAPER[b]:g}x" if b in PAPER else "-"
        lines.append(f"| `{b}` | {s[f'geomean_speedup_over_{b}']:.2f}x | {paper} |")
    lines.append(f"| GFLOPS/W (geomean / best point) | {s['geomean_gflops_per_watt']:.0f} / "
                 f"{s['max_gflops_per_watt']:.0f} | {PAPER_GFLOPS_PER_WATT:g} |")  # fmt: skip
    floor = {f: min((r["cycles_over_structure_bound"] for r in rows if r["family"] == f), default=0.0)
             for f in ("epur-like", "brainwave-like")}  # fmt: skip
    lines += ["", "No baseline run beats the bound of its structure (padded MACs / multipliers): smallest "
              "cycles / bound " + ", ".join(f"`{f}` {v:.2f}" for f, v in floor.items()) + "."]  # fmt: skip
    sharp = best_rows(rows, "sharp")
    lines += ["", "Per budget (geomean over the zoo):", "",
              "| budget | " + " | ".join(f"vs `{b}`" for b in baselines) + " | GFLOPS/W |",
              "|---" * (len(baselines) + 2) + "|"]  # fmt: skip
    for budget in PAPER_BUDGETS:
        chosen = [r for (_m, b), r in sharp.items() if b == budget]
        cells = [f"{geomean(r.get(f'speedup_over_{b}') for r in chosen):.2f}x" for b in baselines]
        gfw = geomean(r["gflops_per_watt"] for r in chosen)
        lines.append(f"| {budget // 1024}K | " + " | ".join(cells) + f" | {gfw:.0f} |")
    lines += ["", "Per model and budget (cycles; speedups):", "",
              "| model | budget | cycles | MAC util. | " + " | ".join(f"vs `{b}`" for b in baselines) + " |",
              "|---" * (len(baselines) + 4) + "|"]  # fmt: skip
    for (model, budget), r in sorted(sharp.items()):
        cells = [f"{r.get(f'speedup_over_{b}') or 0:.2f}x" for b in baselines]
        lines.append(f"| {model} | {budget // 1024}K | {r['cycles']} | {100 * r['mac_utilization']:.1f}% | "
                     + " | ".join(cells) + " |")  # fmt: skip
    return "\n".join(lines) + "\n"


def all_tables(rows: list[dict], schedules: list[str]) -> str:
    return "\n".join(tables(rows, s) for s in schedules)


def _full_cycles(point: dict) -> tuple[int, int]:
    """(timing-only cycles, full-simulation cycles) of one point."""
    from sharp_compiler import sim
    from sharp_compiler.dse.points import compile_point

    program = sim.load(compile_point(point)[1])
    name = Path(point["model"]).stem
    fast = sim.simulate(program, zoo.inputs(name), numerics=False).stats["cycles"]
    return fast, sim.simulate(program, zoo.inputs(name)).stats["cycles"]


def check_timing(models: list[Path], schedules: list[str], jobs: int, overrides: dict[str, str]) -> int:
    """Full vs timing-only cycles on every zoo point; returns the number of mismatches."""
    from sharp_compiler.dse.sweep import make_points

    points = make_points(models, ["sharp-4k"], PAPER_BUDGETS, schedules, baselines=True, overrides=overrides)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        pairs = list(pool.map(_full_cycles, points))
    bad = [(p, c) for p, c in zip(points, pairs, strict=True) if c[0] != c[1]]
    for p, (fast, full) in bad:
        print(f"MISMATCH {Path(p['model']).stem} {p['hw']} {p['budget']}: timing-only {fast}, full {full}")
    print(
        f"timing-only vs full simulation: {len(points) - len(bad)}/{len(points)} points give the same cycles"
    )
    return len(bad)


def sensitivity_table(variants: list[tuple[str, list[dict]]], schedule: str) -> str:
    """Geomean speedups and GFLOPS/W of SHARP's `schedule` under each memory-system variant."""
    lines = ["| variant (every machine alike) | " + " | ".join(f"vs `{b}`" for b in PAPER) + " | GFLOPS/W |",
             "|---" * (len(PAPER) + 2) + "|"]  # fmt: skip
    for label, rows in variants:
        s = summary([r for r in rows if r["family"] != "sharp" or r["schedule"] == schedule])
        cells = [f"{s.get(f'geomean_speedup_over_{b}', 0.0):.2f}x" for b in PAPER]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {s['geomean_gflops_per_watt']:.0f} |")
    paper = " | ".join(f"{v:g}x" for v in PAPER.values())
    lines.append(f"| paper | {paper} | {PAPER_GFLOPS_PER_WATT:g} |")
    return "\n".join(lines) + "\n"


def paper_sweep(models: list[Path], args: argparse.Namespace, schedules: list[str], out: Path,
                overrides: dict[str, str], **extra: object) -> list[dict]:  # fmt: skip
    """SHARP and every baseline over the zoo at the paper's budgets (one `sharp-dse` sweep)."""
    return sweep(models, hw=["sharp-4k"], budgets=PAPER_BUDGETS, schedules=schedules, baselines=True,
                 out=out, jobs=args.jobs, executor=args.executor, overrides=overrides, **extra)  # fmt: skip


def run_sensitivity(models: list[Path], args: argparse.Namespace, schedules: list[str],
                    rows: list[dict]) -> list[tuple[str, list[dict]]]:  # fmt: skip
    """The zoo comparison under each `SENSITIVITY` variant (the as-built rows reused)."""
    variants: list[tuple[str, list[dict]]] = []
    for label, specs in SENSITIVITY:
        if not specs:
            variants.append((label, rows))
            continue
        overrides = parse_overrides(list(specs))
        out = args.out / f"set-{override_label(overrides).replace('=', '-').replace('+', '_')}"
        variants.append((label, paper_sweep(models, args, schedules, out, overrides, plots=False)))
    return variants


def _replace_between(text: str, begin: str, end: str, body: str) -> str:
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    return head + f"{begin}\n{body}{end}" + tail


def write_docs(rows: list[dict], out: Path, schedules: list[str], command: str, sensitivity: str) -> None:
    figures = ROOT / "docs" / "figures" / "results"
    figures.mkdir(parents=True, exist_ok=True)
    for name in FIGURES:
        if (out / name).exists():
            shutil.copyfile(out / name, figures / name)
    doc = ROOT / "docs" / "results.md"
    text = doc.read_text()
    text = _replace_between(text, "<!-- bench_paper:begin -->", "<!-- bench_paper:end -->",
                            f"Generated by `{command}`.\n\n{all_tables(rows, schedules)}")  # fmt: skip
    text = _replace_between(text, "<!-- bench_paper:sensitivity:begin -->", "<!-- bench_paper:sensitivity:end -->",
                            f"Generated by `{command}` (SHARP schedule `{schedules[0]}`).\n\n{sensitivity}")  # fmt: skip
    doc.write_text(text)


def latest_gpu_results() -> Path | None:
    found = sorted((ROOT / "benchmarks" / "results").glob("gpu-*.json"))
    return found[-1] if found else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--schedule", default=PipelineOptions().scheme, help="comma-separated SHARP schedules"
    )
    parser.add_argument("--executor", default="local")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "paper")
    parser.add_argument("--gpu-results", type=Path, default=None)
    parser.add_argument("--check-timing", action="store_true")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                        help="override a hardware field on every machine (sharp-dse --set)")  # fmt: skip
    parser.add_argument("--sensitivity", action="store_true", help="also run the SENSITIVITY variants")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if args.write_docs and args.set:
        parser.error("--write-docs regenerates the as-built tables; it does not take --set")
    models = [zoo.build(name, args.out / "models") for name in zoo.ZOO]
    gpu_file = args.gpu_results or latest_gpu_results()
    measured = json.loads(gpu_file.read_text()) if gpu_file else None
    schedules = [s for s in args.schedule.split(",") if s]
    rows = paper_sweep(models, args, schedules, args.out, parse_overrides(args.set), gpu_measured=measured)
    print(all_tables(rows, schedules))
    sensitivity = ""
    if args.sensitivity or args.write_docs:
        sensitivity = sensitivity_table(run_sensitivity(models, args, schedules, rows), schedules[0])
        print("Memory-system sensitivity (every machine alike):\n\n" + sensitivity)
    if measured is None:
        print("GPU: the calibrated gpu-like model only (no bench_gpu.py measurement in benchmarks/results/).")
    if args.write_docs:
        command = "python benchmarks/bench_paper.py --write-docs" + (
            f" --schedule {args.schedule}" if args.schedule != PipelineOptions().scheme else ""
        )
        write_docs(rows, args.out, schedules, command, sensitivity)
    return (
        1
        if args.check_timing and check_timing(models, schedules, args.jobs, parse_overrides(args.set))
        else 0
    )


if __name__ == "__main__":
    sys.exit(main())
