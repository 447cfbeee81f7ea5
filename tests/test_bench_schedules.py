"""benchmarks/bench_schedules.py: its verdicts can fail, missing bounds print "-", and one real
case still runs against today's compiler and simulator (the full sweep is a benchmark, not a test).
"""

from __future__ import annotations

import pytest
from e2e_helpers import load_script

bench = load_script("benchmarks/bench_schedules.py")
NAMED = ["sequential", "intergate", "unfolded"]


def results(cycles: dict[str, int], model: str = "m", hw: str = "sharp-1k", bound: int | None = None):
    return [bench.Result(bench.Case(model, hw, s), c, 0.5, bound, None if bound is None else c / bound)
            for s, c in cycles.items()]  # fmt: skip


def verdicts(rs, default: str = "auto") -> list[str]:
    lines: list[str] = []
    bench.report_schedules(rs, NAMED, default, lines.append)
    return [line for line in lines if ": " in line and ("holds" in line or "FAILS" in line or "n/a" in line)]


def test_orderings_hold() -> None:
    rs = results({"sequential": 300, "intergate": 200, "unfolded": 100, "auto": 100})
    assert verdicts(rs) == ["unfolded <= intergate <= sequential: holds",
                            "the default (auto) never slower than the best named scheme: holds"]  # fmt: skip


def test_orderings_fail_and_name_the_case() -> None:
    rs = results(
        {"sequential": 300, "intergate": 310, "unfolded": 100, "auto": 101}, model="x", hw="sharp-4k"
    )
    got = verdicts(rs)
    assert got[0] == "unfolded <= intergate <= sequential: FAILS on 1/1 (x@sharp-4k)"
    assert got[1] == "the default (auto) never slower than the best named scheme: FAILS on 1/1 (x@sharp-4k)"


def test_auto_is_checked_beside_another_default() -> None:
    rs = results({"sequential": 300, "intergate": 200, "unfolded": 100, "auto": 150})
    assert verdicts(rs, default="sequential")[1:] == [
        "the default (sequential) never slower than the best named scheme: FAILS on 1/1 (m@sharp-1k)",
        "auto never slower than the best named scheme: FAILS on 1/1 (m@sharp-1k)",
    ]


def test_missing_schemes_and_bounds_print_na_and_dash() -> None:
    lines: list[str] = []
    report = bench.report_schedules(results({"sequential": 10, "dataflow": 9}), ["sequential", "dataflow"],
                                    "sequential", lines.append)  # fmt: skip
    assert "unfolded <= intergate <= sequential: n/a (SCHEMES lacks unfolded, intergate)" in lines
    row = next(line for line in lines if "sequential*" in line)
    assert row.split()[-3:] == ["-", "-", "dataflow"]  # bound, cycles/bound, the best scheme
    assert report["summary"]["sequential"] == {"geomean": None, "worst": None}


def test_bound_summary() -> None:
    lines: list[str] = []
    rs = results({"sequential": 150}, bound=100) + results({"sequential": 120}, model="n", bound=100)
    report = bench.report_schedules(rs, ["sequential"], "sequential", lines.append)
    assert report["summary"]["sequential"]["worst"] == pytest.approx(1.5)
    assert report["summary"]["sequential"]["geomean"] == pytest.approx((1.5 * 1.2) ** 0.5)


def test_tile_gap_verdict() -> None:
    def sweep(auto: int, forced: list[int]):
        runs = [bench.Result(bench.Case("m", "sharp-1k"), auto, tiles="8x8")]
        return runs + [bench.Result(bench.Case("m", "sharp-1k", tile=f"{8 * (i + 1)}x8"), c)
                       for i, c in enumerate(forced)]  # fmt: skip

    lines: list[str] = []
    report = bench.report_tiles(sweep(1004, [1000, 1200]), lines.append)
    assert report["worst"]["gap"] == pytest.approx(0.004) and lines[-1].endswith("holds")
    lines.clear()
    report = bench.report_tiles(sweep(1006, [1200, 1000]), lines.append)
    assert report["worst"] == {"case": "m@sharp-1k", "gap": pytest.approx(0.006)}
    assert lines[-1].endswith("FAILS") and "16x8" in lines[1]


def test_one_real_case(tmp_path) -> None:
    from zoo import build  # benchmarks/ is on sys.path once the benchmark is loaded

    build("bigru3x96_b3", tmp_path)
    result = bench.run_case(bench.Case("bigru3x96_b3", "sharp-1k", tile="16x16"), str(tmp_path))
    assert result.error == "" and result.cycles and 0 < result.utilization <= 1
    assert result.tiles == "16x16"
