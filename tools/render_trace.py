"""Render a `sharp-run --trace` timeline to a PNG: one lane per unit/tile track, time in cycles.

    python tools/render_trace.py TRACE.json -o OUT.png [--start C] [--end C] [--title TEXT]

Reads the Chrome-trace JSON that `sharp_compiler/sim/trace.py` writes: `thread_name` /
`thread_sort_index` metadata name and order the lanes (DMA, ARRAY, ACT, CELL, then `tile N`
tracks in tile timing mode); every complete (`"ph": "X"`) event is one slice, placed by its
exact `args.start_cycle` and `args.cycles` and coloured by instruction kind (the event name's
first word: `mvm`, `act`, `vfma`, ..., `block` for a tile's block dispatch). Colours are fixed
per kind, whatever the window shows: a hue per unit of the ISA (DMA orange, array green,
activation blue, cell updater purple), a shade per instruction of that unit. `--start/--end`
keep the cycles [START, END) and clip slices at the window's edges. Zero-cycle instructions
(`nop`) have no extent and are not drawn. A truncated trace says so in the title.

Needs matplotlib (`pip install -e '.[plot]'`); loading and checking the trace does not.
Bad input is one line `render_trace: error: ...`, exit 1, and no output file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROG = "render_trace"
UNIT_COLOURMAPS = {"DMA": "Oranges", "ARRAY": "Greens", "ACT": "Blues", "CELL": "Purples", "CONTROL": "Greys"}


class TraceError(ValueError):
    """A trace file this script cannot render; one line."""


@dataclass
class Timeline:
    """Lanes (top to bottom) and their slices `(kind, start_cycle, cycles)`, in cycles."""

    title: str
    lanes: list[str]
    slices: dict[str, list[tuple[str, int, int]]] = field(default_factory=dict)
    dropped: int = 0

    @property
    def kinds(self) -> list[str]:
        return sorted({kind for lane in self.slices.values() for kind, _, _ in lane})

    @property
    def end_cycle(self) -> int:
        return max((s + d for lane in self.slices.values() for _, s, d in lane), default=0)

    def window(self, start: int, end: int | None) -> Timeline:
        """The slices that overlap [start, end), clipped to it; zero-cycle slices are left out."""
        stop = self.end_cycle if end is None else end
        clipped: dict[str, list[tuple[str, int, int]]] = {}
        for lane, items in self.slices.items():
            kept = [(k, max(s, start), min(s + d, stop) - max(s, start)) for k, s, d in items]
            clipped[lane] = [item for item in kept if item[2] > 0]
        return Timeline(self.title, self.lanes, clipped, self.dropped)


def _kind(name: str) -> str:
    return name.split()[0] if name.split() else "?"


def parse_trace(document: Any, origin: str) -> Timeline:
    """A Chrome-trace document (object with `traceEvents`, or a bare event list) -> Timeline."""
    events = document.get("traceEvents") if isinstance(document, dict) else document
    if not isinstance(events, list):
        raise TraceError(f"{origin}: not a Chrome trace (no traceEvents list)")
    names: dict[int, str] = {}
    order: dict[int, int] = {}
    title = "SHARP"
    raw: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise TraceError(f"{origin}: event {index} is not an object")
        args = event.get("args") if isinstance(event.get("args"), dict) else {}
        tid = event.get("tid", 0)
        if event.get("ph") == "M":
            if event.get("name") == "thread_name":
                names[tid] = str(args.get("name", tid))
            elif event.get("name") == "thread_sort_index":
                order[tid] = int(args.get("sort_index", tid))
            elif event.get("name") == "process_name":
                title = str(args.get("name", title))
        elif event.get("ph") == "X":
            start, cycles = args.get("start_cycle"), args.get("cycles")
            if not isinstance(start, int) or not isinstance(cycles, int) or cycles < 0:
                raise TraceError(
                    f"{origin}: event {index} ({event.get('name')}) has no start_cycle/cycles args"
                )
            raw[tid].append((_kind(str(event.get("name", "?"))), start, cycles))
    tids = sorted(set(names) | set(raw), key=lambda t: (order.get(t, t), t))
    lanes = [names.get(t, f"track {t}") for t in tids]
    other = document.get("otherData", {}) if isinstance(document, dict) else {}
    dropped = int(other.get("dropped_events", 0)) if isinstance(other, dict) else 0
    return Timeline(title, lanes, {names.get(t, f"track {t}"): raw.get(t, []) for t in tids}, dropped)


def load_trace(path: str | Path) -> Timeline:
    try:
        document = json.loads(Path(path).read_text())
    except OSError as err:
        raise TraceError(f"{path}: cannot read ({err.strerror or err})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise TraceError(f"{path}: not JSON ({err})") from None
    return parse_trace(document, str(path))


def kind_colours() -> dict[str, Any]:
    """A fixed colour per instruction mnemonic (and `block`), shaded within its unit's hue; ISA order."""
    from matplotlib import pyplot as plt

    from sharp_compiler.isa.spec import OPS, Unit

    by_unit: dict[Unit, list[str]] = defaultdict(list)
    for spec in OPS.values():
        by_unit[spec.unit].append(spec.mnemonic)
    by_unit[Unit.ARRAY].append("block")
    colours: dict[str, Any] = {}
    for unit, kinds in sorted(by_unit.items()):
        cmap = plt.get_cmap(UNIT_COLOURMAPS.get(unit.name, "Greys"))
        for i, kind in enumerate(kinds):
            colours[kind] = cmap(0.85 - 0.45 * i / max(1, len(kinds) - 1))
    return colours


def render(timeline: Timeline, output: Path, start: int, end: int, title: str = "") -> None:
    """Draw the lanes with matplotlib (Agg) and write a PNG atomically."""
    try:
        import matplotlib
    except ImportError:
        raise TraceError("matplotlib is not installed (pip install -e '.[plot]')") from None
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    fixed = kind_colours()
    rank = {kind: i for i, kind in enumerate(fixed)}
    kinds = sorted(timeline.kinds, key=lambda k: (rank.get(k, len(rank)), k))
    colour = {kind: fixed.get(kind, (0.5, 0.5, 0.5, 1.0)) for kind in kinds}
    fig, ax = plt.subplots(figsize=(12, 0.55 * len(timeline.lanes) + 1.6), dpi=120)
    for row, lane in enumerate(timeline.lanes):
        by_kind: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for kind, s, d in timeline.slices.get(lane, []):
            by_kind[kind].append((s, d))
        for kind, bars in sorted(by_kind.items()):
            ax.broken_barh(bars, (row - 0.4, 0.8), facecolors=colour[kind], edgecolor="none")
    ax.set_yticks(range(len(timeline.lanes)), timeline.lanes)
    ax.set_ylim(len(timeline.lanes) - 0.5, -0.5)
    ax.set_xlim(start, max(end, start + 1))
    ax.set_xlabel("cycle")
    ax.grid(axis="x", alpha=0.3)
    heading = title or timeline.title
    if timeline.dropped:
        heading += f" (trace truncated: {timeline.dropped} events dropped)"
    ax.set_title(heading)
    handles = [Patch(facecolor=colour[k], label=k) for k in kinds]
    if handles:
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.005, 1.0), fontsize="small", frameon=False
        )
    fig.tight_layout()
    fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".png", dir=output.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", metadata={"Software": None})
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, output)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("trace", help="a sharp-run --trace JSON file")
    parser.add_argument("-o", "--output", required=True, help="the PNG to write")
    parser.add_argument("--start", type=int, default=0, help="first cycle shown (default 0)")
    parser.add_argument(
        "--end", type=int, default=None, help="cycle after the last one shown (default: the end)"
    )
    parser.add_argument("--title", default="", help="heading (default: the trace's process name)")
    args = parser.parse_args(argv)
    try:
        if args.start < 0 or (args.end is not None and args.end <= args.start):
            raise TraceError(f"--start {args.start} / --end {args.end}: need 0 <= START < END")
        output = Path(args.output)
        if not output.parent.is_dir():
            raise TraceError(f"{output}: cannot write (no directory {output.parent})")
        timeline = load_trace(args.trace)
        end = timeline.end_cycle if args.end is None else args.end
        render(timeline.window(args.start, end), output, args.start, end, args.title)
    except (TraceError, OSError) as err:
        sys.stderr.write(f"{PROG}: error: {str(err).splitlines()[0]}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
