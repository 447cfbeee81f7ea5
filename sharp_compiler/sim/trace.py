"""Chrome-trace / Perfetto timeline: one track per unit, one event per executed instruction.

Times are microseconds at the configuration's clock (`ts`, `dur`); the exact
cycle numbers are in each event's args. Long runs are capped at
`MAX_TRACE_EVENTS` events (the first ones are kept; a final instant event and
the document's `otherData` say how many were dropped). Tile timing mode adds a
track per tile with one event per block dispatch, under the same cap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sharp_compiler.isa.spec import TOKEN_UNITS

MAX_TRACE_EVENTS = 200_000
TILE_TID_BASE = 16  # tile t is track TILE_TID_BASE + t


class TraceRecorder:
    """Collects timeline events during a run, then renders Chrome trace JSON."""

    def __init__(self, clock_hz: float, layer_of_pc: list[str | None], limit: int = MAX_TRACE_EVENTS) -> None:
        self.us_per_cycle = 1e6 / clock_hz
        self.layer_of_pc = layer_of_pc
        self.limit = limit
        self.records: list[tuple[Any, ...]] = []
        self.dropped = 0
        self.tiles_used = 0

    def instruction(self, unit: int, name: str, start: int, end: int, pc: int, i: int) -> None:
        if len(self.records) >= self.limit:
            self.dropped += 1
            return
        self.records.append((unit, name, start, end, pc, i))

    def dispatch(self, tile: int, cycle: int, pc: int, vector: int, bm: int, bk: int) -> None:
        if len(self.records) >= self.limit:
            self.dropped += 1
            return
        self.tiles_used = max(self.tiles_used, tile + 1)
        self.records.append((TILE_TID_BASE + tile, f"block {bm},{bk}", cycle, cycle + 1, pc, vector))

    def events(self, process_name: str) -> list[dict[str, Any]]:
        """The Chrome trace events: track metadata first, then the recorded events."""
        us = self.us_per_cycle
        out: list[dict[str, Any]] = [
            {"ph": "M", "pid": 0, "tid": 0, "name": "process_name", "args": {"name": process_name}}
        ]
        for unit in TOKEN_UNITS:
            out.append(
                {"ph": "M", "pid": 0, "tid": int(unit), "name": "thread_name", "args": {"name": unit.name}}
            )
            out.append(
                {
                    "ph": "M",
                    "pid": 0,
                    "tid": int(unit),
                    "name": "thread_sort_index",
                    "args": {"sort_index": int(unit)},
                }
            )
        for tile in range(self.tiles_used):
            tid = TILE_TID_BASE + tile
            out.append(
                {"ph": "M", "pid": 0, "tid": tid, "name": "thread_name", "args": {"name": f"tile {tile}"}}
            )
            out.append(
                {"ph": "M", "pid": 0, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": tid}}
            )
        last = 0
        for tid, name, start, end, pc, i in self.records:
            is_tile = tid >= TILE_TID_BASE
            args: dict[str, Any] = {
                "pc": pc,
                "layer": self.layer_of_pc[pc],
                "start_cycle": start,
                "cycles": end - start,
            }
            args["vector" if is_tile else "iteration"] = i
            out.append({"ph": "X", "pid": 0, "tid": tid, "name": name, "ts": start * us, "dur": (end - start) * us,
                        "args": args})  # fmt: skip
            last = max(last, end)
        if self.dropped:
            out.append({"ph": "i", "pid": 0, "tid": 0, "s": "g", "name": f"trace truncated: {self.dropped} events dropped",
                        "ts": last * us})  # fmt: skip
        return out


def trace_document(events: list[dict[str, Any]], dropped: int = 0) -> dict[str, Any]:
    """The JSON object Chrome's tracing UI and Perfetto load."""
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": {"dropped_events": dropped}}


def write_trace(path: str | Path, events: list[dict[str, Any]], dropped: int = 0) -> None:
    Path(path).write_text(json.dumps(trace_document(events, dropped)))
