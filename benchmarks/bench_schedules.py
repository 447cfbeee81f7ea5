"""Schedules against the physical bound: every zoo model x preset x scheme, compiled and simulated.

    python benchmarks/bench_schedules.py [--models a,b] [--hw sharp-1k,sharp-4k] [--jobs N] [--json OUT]
    python benchmarks/bench_schedules.py --tiles [--scheme S] [--models ...] [--hw ...] [--jobs N] [--json OUT]

Schedule mode (default): for each model of `zoo.ZOO` and preset (sharp-1k, -4k, -16k, -64k), one
run per scheme of `sharp_schedule.SCHEMES` and one with the pipeline's default scheme (no
`scheme` given; the default's row is marked `*`, and reuses a named run it equals). Each run is
compiled at the preset's precision (fp16) with the automatic tile and simulated with the hazard
checker on; its row shows cycles, MAC utilisation, the bound (`stats["bound"]["cycles"]`) and
cycles over the bound (`stats["bound"]["cycles_over_bound"]`), "-" where the statistics have no
bound yet. Then, per scheme, the geomean and worst cycles/bound, and whether
`unfolded <= intergate <= sequential` (the schemes present) and "the default is never slower
than the best named scheme" hold on every model x preset.

Tile mode (`--tiles [--scheme S]`): for each model x preset, one schedule (the pipeline's default,
or S) with the automatic tile against the same schedule with every legal forced `--tile`; the
automatic tile must be within 0.5% of the best forced one. Prints each gap and the worst.

Simulated cycles are deterministic (no wall time is measured); BLAS is pinned to one thread.
`--jobs N` runs the cases in a process pool of N workers (default 1).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

from zoo import ZOO, build, inputs  # noqa: E402

PRESETS = ("sharp-1k", "sharp-4k", "sharp-16k", "sharp-64k")
DEFAULT = "default"
"""The label of the run that leaves the scheme to the pipeline's default."""
ORDER = ("unfolded", "intergate", "sequential")
"""Issue 6: each scheme at most as slow as the next."""
TILE_GAP = 0.005
"""Issue 6: the automatic tile within 0.5% of the best forced tile."""


@dataclass(frozen=True)
class Case:
    model: str
    hw: str
    scheme: str = DEFAULT  # a name of SCHEMES, or DEFAULT
    tile: str = ""  # forced "RxC", or "" for the automatic choice
    check: bool = True


@dataclass
class Result:
    case: Case
    cycles: int | None = None
    utilization: float | None = None
    bound: int | None = None
    over_bound: float | None = None
    tiles: str = ""  # the layers' tiles as compiled, e.g. "32x32" or "16x64,32x32"
    error: str = ""


def run_case(case: Case, model_dir: str) -> Result:
    """Compile and simulate one case; a failure is recorded, not raised."""
    from sharp_compiler import sim
    from sharp_compiler.api import compile_onnx

    options: dict[str, Any] = {"hw": case.hw}
    if case.scheme != DEFAULT:
        options["schedule"] = case.scheme
    if case.tile:
        options["tile"] = case.tile
    try:
        binary = compile_onnx(Path(model_dir) / f"{case.model}.onnx", **options).binary
        program = sim.load(binary)
        stats = sim.simulate(program, inputs(case.model), check_hazards=case.check).stats
    except Exception as err:  # noqa: BLE001 - a benchmark reports every failing case and goes on
        return Result(case, error=f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
    bound = stats.get("bound") if isinstance(stats.get("bound"), dict) else {}
    tiles = sorted({f"{r}x{c}" for r, c in (layer.tile for layer in program.layers)})
    return Result(case, stats["cycles"], stats["mac_utilization"], bound.get("cycles"),
                  bound.get("cycles_over_bound"), ",".join(tiles))  # fmt: skip


def run_all(cases: list[Case], jobs: int, model_dir: str) -> list[Result]:
    """Every case, in order (a process pool when jobs > 1)."""
    if jobs <= 1:
        return [run_case(c, model_dir) for c in cases]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_case, cases, [model_dir] * len(cases)))


def fmt(value: object, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


def geomean(values: Iterable[float]) -> float | None:
    values = list(values)
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


# ----------------------------------------------------------------------------- schedule mode


def scheme_names() -> tuple[list[str], list[str], str]:
    """Every scheme to run (SCHEMES, plus DEFAULT when the pipeline's default is none of them), the
    named ones (SCHEMES without the `auto` meta-scheme) and the key of the default's run."""
    from sharp_compiler.pipeline import PipelineOptions
    from sharp_compiler.transforms.sharp_schedule import SCHEMES

    default = PipelineOptions().scheme
    key = default if default in SCHEMES else DEFAULT
    return [*SCHEMES, *([] if key != DEFAULT else [DEFAULT])], [s for s in SCHEMES if s != "auto"], key


def check_rows(
    groups: dict[tuple[str, str], dict[str, Result]], named: list[str], default: str
) -> list[tuple[str, str, list[str]]]:
    """(claim, verdict, failures) of the issue's two orderings over every model x preset."""
    present = [s for s in ORDER if s in named]
    checks: list[tuple[str, str, list[str]]] = []
    claim = " <= ".join(ORDER)
    if len(present) < len(ORDER):
        missing = ", ".join(s for s in ORDER if s not in named)
        checks.append((claim, f"n/a (SCHEMES lacks {missing})", []))
    else:
        bad = [f"{m}@{hw}" for (m, hw), runs in groups.items()
               if not all(runs[a].cycles is not None and runs[b].cycles is not None
                          and runs[a].cycles <= runs[b].cycles for a, b in zip(ORDER, ORDER[1:], strict=False))]  # fmt: skip
        checks.append((claim, "holds" if not bad else f"FAILS on {len(bad)}/{len(groups)}", bad))
    for key in dict.fromkeys([default, *(["auto"] if "auto" in next(iter(groups.values()), {}) else [])]):
        bad = []
        for (m, hw), runs in groups.items():
            best = min((runs[s].cycles for s in named if runs[s].cycles is not None), default=None)
            got = runs[key].cycles
            if best is None or got is None or got > best:
                bad.append(f"{m}@{hw}")
        verdict = "holds" if not bad else f"FAILS on {len(bad)}/{len(groups)}"
        name = "the default" + ("" if key == DEFAULT else f" ({key})") if key == default else key
        checks.append((f"{name} never slower than the best named scheme", verdict, bad))
    return checks


def report_schedules(
    results: list[Result], named: list[str], default_key: str, out: Callable[[str], None]
) -> dict:
    groups: dict[tuple[str, str], dict[str, Result]] = {}
    for r in results:
        groups.setdefault((r.case.model, r.case.hw), {})[r.case.scheme] = r
    out(f"{'model':<18} {'hw':<9} {'scheme':<13} {'cycles':>10} {'util':>6} {'bound':>10} {'c/bound':>7}  "
        f"{'tiles':<12} best")  # fmt: skip
    for (model, hw), runs in groups.items():
        timed = {s: r.cycles for s, r in runs.items() if s in named and r.cycles is not None}
        best = min(timed, key=lambda s: (timed[s], named.index(s))) if timed else "-"
        for i, (scheme, r) in enumerate(runs.items()):
            label = f"{scheme}*" if scheme == default_key else scheme
            util = None if r.utilization is None else 100 * r.utilization
            line = (f"{model if i == 0 else '':<18} {hw if i == 0 else '':<9} {label:<13} {fmt(r.cycles):>10} "
                    f"{fmt(util, '.1f'):>5}% {fmt(r.bound):>10} {fmt(r.over_bound, '.3f'):>7}  {r.tiles:<12} "
                    f"{best if i == 0 else ''}")  # fmt: skip
            out(line + (f"  ERROR {r.error}" if r.error else ""))
    out("")
    out(f"{'scheme':<13} {'geomean c/bound':>15} {'worst c/bound':>13}")
    summary: dict[str, dict[str, float | None]] = {}
    for scheme in dict.fromkeys(r.case.scheme for r in results):
        ratios = [r.over_bound for r in results if r.case.scheme == scheme and r.over_bound is not None]
        summary[scheme] = {"geomean": geomean(ratios), "worst": max(ratios, default=None)}
        out(
            f"{scheme:<13} {fmt(summary[scheme]['geomean'], '.3f'):>15} {fmt(summary[scheme]['worst'], '.3f'):>13}"
        )
    out("")
    checks = check_rows(groups, named, default_key)
    for claim, verdict, bad in checks:
        out(
            f"{claim}: {verdict}"
            + (f" ({', '.join(bad[:6])}{', ...' if len(bad) > 6 else ''})" if bad else "")
        )
    errors = [r for r in results if r.error]
    if errors:
        out(f"{len(errors)} run(s) failed")
    return {"summary": summary, "checks": [{"claim": c, "verdict": v, "failures": b} for c, v, b in checks]}


# ----------------------------------------------------------------------------- tile mode


def tile_cases(models: list[str], presets: list[str], scheme: str) -> list[Case]:
    from sharp_compiler.hw.config import load_config
    from sharp_compiler.hw.tiles import format_tile

    cases: list[Case] = []
    for m in models:
        for hw in presets:
            cases.append(Case(m, hw, scheme, check=False))
            cases += [Case(m, hw, scheme, format_tile(t), check=False) for t in load_config(hw).tile_shapes]
    return cases


def report_tiles(results: list[Result], out: Callable[[str], None]) -> dict:
    groups: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        groups.setdefault((r.case.model, r.case.hw), []).append(r)
    out(f"{'model':<18} {'hw':<9} {'auto tiles':<14} {'auto cycles':>11} {'best forced':>11} "
        f"{'its cycles':>10} {'gap':>7}  within 0.5%")  # fmt: skip
    gaps: dict[str, float | None] = {}
    for (model, hw), runs in groups.items():
        auto, forced = runs[0], [r for r in runs[1:] if r.cycles is not None]
        best = min(forced, key=lambda r: r.cycles, default=None)  # ties: the first in the preset's order
        gap = None if best is None or auto.cycles is None else auto.cycles / best.cycles - 1
        gaps[f"{model}@{hw}"] = gap
        verdict = "-" if gap is None else ("yes" if gap <= TILE_GAP else "NO")
        failed = len(runs) - 1 - len(forced)
        out(f"{model:<18} {hw:<9} {auto.tiles or '-':<14} {fmt(auto.cycles):>11} "
            f"{best.case.tile if best else '-':>11} {fmt(best.cycles if best else None):>10} "
            f"{fmt(None if gap is None else 100 * gap, '+.2f'):>6}%  {verdict}"
            + (f"  ({failed} forced tile(s) failed)" if failed else "")
            + (f"  ERROR {auto.error}" if auto.error else ""))  # fmt: skip
    known = {k: g for k, g in gaps.items() if g is not None}
    worst = max(known, key=lambda k: known[k], default=None)
    out("")
    if worst is None:
        out("worst gap: -")
    else:
        holds = "holds" if known[worst] <= TILE_GAP else "FAILS"
        out(
            f"worst gap: {100 * known[worst]:+.2f}% ({worst}); automatic tile within 0.5% everywhere: {holds}"
        )
    return {"gaps": gaps, "worst": None if worst is None else {"case": worst, "gap": known[worst]}}


# ----------------------------------------------------------------------------- driver


def pick(option: str, known: Iterable[str], what: str) -> list[str]:
    names = [n for n in option.split(",") if n]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"bench_schedules: unknown {what} {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--models", default=",".join(ZOO), help="comma-separated zoo models (default: all)")
    parser.add_argument("--hw", default=",".join(PRESETS), help="comma-separated presets (default: the four)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--json", metavar="OUT", help="also write every run and the summary as JSON")
    parser.add_argument("--tiles", action="store_true", help="forced-tile sweep instead of the schemes")
    parser.add_argument(
        "--scheme", default=DEFAULT, help="--tiles: the schedule of every run (default: the pipeline's)"
    )
    args = parser.parse_args(argv)
    from sharp_compiler.hw.config import PRESET_NAMES

    models = pick(args.models, ZOO, "model(s)")
    presets = pick(args.hw, PRESET_NAMES, "preset(s)")
    if args.tiles:
        from sharp_compiler.transforms.sharp_schedule import SCHEMES

        pick(args.scheme, [DEFAULT, *SCHEMES], "scheme")
    with tempfile.TemporaryDirectory() as model_dir:
        for m in models:  # built once, before the workers read them
            build(m, Path(model_dir))
        if args.tiles:
            cases = tile_cases(models, presets, args.scheme)
            print(
                f"forced-tile sweep: {len(cases)} runs, scheme {args.scheme}, {args.jobs} job(s)", flush=True
            )
            results = run_all(cases, args.jobs, model_dir)
            report = report_tiles(results, print)
        else:
            schemes, named, default_key = scheme_names()
            cases = [Case(m, hw, s) for m in models for hw in presets for s in schemes]
            print(f"schemes {', '.join(schemes)} (* = the default); {len(cases)} runs, {args.jobs} job(s)",
                  flush=True)  # fmt: skip
            results = run_all(cases, args.jobs, model_dir)
            report = report_schedules(results, named, default_key, print)
    if args.json:
        runs = [{**asdict(r.case), **{k: v for k, v in asdict(r).items() if k != "case"}} for r in results]
        Path(args.json).write_text(json.dumps({"runs": runs, **report}, indent=1) + "\n")
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
