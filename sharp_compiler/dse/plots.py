"""The sweep's figures (matplotlib, the `[dse]` extra): PNG files in the output directory.

- `speedup.png`: speedup of SHARP (best schedule) over each baseline, per model and budget;
- `utilization.png`: the array's slot breakdown (useful / padding / idle tiles / fill / stall /
  non-matrix ...) per model and budget, for every hardware family;
- `efficiency.png`: GFLOPS/W per model and budget, every family;
- `bound.png`: cycles over the bound for every point.
"""

from __future__ import annotations

from pathlib import Path

from sharp_compiler.dse.points import Row
from sharp_compiler.dse.results import best_rows
from sharp_compiler.hw.families import FAMILIES


class PlotsUnavailable(RuntimeError):
    """matplotlib is not installed."""


def _pyplot():  # noqa: ANN202
    try:
        import matplotlib
    except ImportError:
        raise PlotsUnavailable("figures need matplotlib (pip install 'sharp-compiler[dse]')") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "sharp-dse"
    return plt


def write_figures(rows: list[Row], out: Path) -> list[Path]:
    """Draw every figure the rows support; returns the files written."""
    plt = _pyplot()
    written: list[Path] = []
    families = [f for f in FAMILIES if any(r["family"] == f for r in rows)]
    sharp = best_rows(rows, "sharp")
    keys = sorted(sharp or {(r["model"], r["budget"]) for r in rows if r["family"] in FAMILIES})
    labels = [f"{m}\n{b // 1024}K" if b % 1024 == 0 else f"{m}\n{b}" for m, b in keys]

    def save(fig, name: str) -> None:  # noqa: ANN001
        fig.tight_layout()
        path = out / name
        fig.savefig(path, dpi=90, metadata={"Software": None})
        plt.close(fig)
        written.append(path)

    speed_keys = sorted({k for r in sharp.values() for k in r if k.startswith("speedup_over_") and r.get(k)})
    if speed_keys:
        fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(keys)), 4))
        width = 0.8 / len(speed_keys)
        for j, key in enumerate(speed_keys):
            values = [sharp[k].get(key) or 0.0 for k in keys]
            ax.bar(
                [i + j * width for i in range(len(keys))],
                values,
                width,
                label=key.removeprefix("speedup_over_"),
            )
        ax.set_yscale("log")
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(keys))], labels, rotation=90, fontsize=6)
        ax.set_ylabel("SHARP speedup (x, log)")
        ax.legend(fontsize=7)
        save(fig, "speedup.png")

    fig, axes = plt.subplots(
        len(families), 1, figsize=(max(6, 0.6 * len(keys)), 2.6 * len(families)), squeeze=False
    )
    order = [
        "useful",
        "padding",
        "idle_tiles",
        "pipeline_fill",
        "reconfiguration",
        "dependency_stall",
        "non_matrix",
    ]
    util_keys = sorted({k for r in rows for k in r if k.startswith("util_")},
                       key=lambda k: (order.index(k[5:]) if k[5:] in order else len(order), k))  # fmt: skip
    for ax, family in zip(axes[:, 0], families, strict=True):
        best = best_rows(rows, family)
        bottom = [0.0] * len(keys)
        for key in util_keys:
            values = [(best[k].get(key) or 0.0) if k in best else 0.0 for k in keys]
            ax.bar(range(len(keys)), values, bottom=bottom, label=key.removeprefix("util_"))
            bottom = [a + b for a, b in zip(bottom, values, strict=True)]
        ax.set_title(family, fontsize=8)
        ax.set_ylabel("array slots")
        ax.set_xticks(range(len(keys)), labels, rotation=90, fontsize=6)
    axes[0, 0].legend(fontsize=6, ncol=4)
    save(fig, "utilization.png")

    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(keys)), 4))
    for family in families:
        best = best_rows(rows, family)
        ax.plot(range(len(keys)), [best[k]["gflops_per_watt"] if k in best else float("nan") for k in keys],
                marker="o", label=family)  # fmt: skip
    ax.set_xticks(range(len(keys)), labels, rotation=90, fontsize=6)
    ax.set_ylabel("GFLOPS/W")
    ax.legend(fontsize=7)
    save(fig, "efficiency.png")

    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(keys)), 4))
    for family in families:
        best = best_rows(rows, family)
        ax.plot(range(len(keys)), [best[k]["cycles_over_bound"] if k in best else float("nan") for k in keys],
                marker="o", linestyle="", label=family)  # fmt: skip
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(keys)), labels, rotation=90, fontsize=6)
    ax.set_ylabel("cycles / bound")
    ax.legend(fontsize=7)
    save(fig, "bound.png")
    return written
