"""Chrome-trace / Perfetto timeline of a run (the Trace Event Format, JSON object form).

Tracks (threads of process 0), in this order:
- one per unit (`array`, `act`, `cell`, `dma`...): a complete event (`ph: X`) per executed
  instruction that occupies the unit (zero-occupancy instructions are not drawn);
- `layers`: one slice per layer, from its first instruction's start to its last one's end
  (layers that overlap in time go to extra lanes `layers 2`, ... so slices never overlap);
- in tile timing mode, one track per tile with an event per block dispatch;
- counter tracks (`ph: C`): `MAC utilization` (fraction of the array's multipliers busy)
  and `DRAM bandwidth` (GB/s at the configured clock), sampled in `COUNTER_BINS` equal bins.

Times are microseconds at the configuration's clock (`ts`, `dur`); exact cycle numbers are in
each event's args. Long runs are capped at `MAX_TRACE_EVENTS` instruction events (the first
ones are kept; a final instant event and the document's `otherData` say how many were dropped).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sharp_compiler.isa.spec import TOKEN_UNITS

MAX_TRACE_EVENTS = 200_000
COUNTER_BINS = 200
TILE_TID_BASE = 16  # tile t is track TILE_TID_BASE + t
LAYER_TID_BASE = 8  # layer lane k is track LAYER_TID_BASE + k (below the tiles)


class TraceRecorder:
    """Collects timeline events during a run, then renders Chrome trace JSON."""

    def __init__(
        self,
        clock_hz: float,
        layer_of_pc: list[str | None],
        limit: int = MAX_TRACE_EVENTS,
        *,
        macs_of_pc: Sequence[int] = (),
        dram_bytes_of_pc: Sequence[int] = (),
        array_macs: int = 0,
    ) -> None:
        self.clock_hz = clock_hz
        self.us_per_cycle = 1e6 / clock_hz
        self.layer_of_pc = layer_of_pc
        self.limit = limit
        self.macs_of_pc = macs_of_pc
        self.dram_bytes_of_pc = dram_bytes_of_pc
        self.array_macs = array_macs
        self.records: list[tuple[Any, ...]] = []
        self.dropped = 0
        self.tiles_used = 0

    def instruction(self, unit: int, name: str, start: int, end: int, pc: int, i: int) -> None:
        if end <= start:
            return
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
        """The Chrome trace events: track metadata first, then slices, then counters."""
        us = self.us_per_cycle
        layers = self._layer_lanes()
        tracks = [(int(unit), unit.name) for unit in TOKEN_UNITS]
        tracks += [(LAYER_TID_BASE + lane, "layers" if lane == 0 else f"layers {lane + 1}")
                   for lane in range(max((lane for *_, lane in layers), default=-1) + 1)]  # fmt: skip
        tracks += [(TILE_TID_BASE + t, f"tile {t}") for t in range(self.tiles_used)]
        out: list[dict[str, Any]] = [
            {"ph": "M", "pid": 0, "tid": 0, "name": "process_name", "args": {"name": process_name}}
        ]
        for tid, name in tracks:
            out.append({"ph": "M", "pid": 0, "tid": tid, "name": "thread_name", "args": {"name": name}})
            out.append(
                {"ph": "M", "pid": 0, "tid": tid, "name": "thread_sort_index", "args": {"sort_index": tid}}
            )
        last = 0
        for tid, name, start, end, pc, i in self.records:
            args: dict[str, Any] = {"pc": pc, "layer": self.layer_of_pc[pc], "start_cycle": start,
                                    "cycles": end - start, "vector" if tid >= TILE_TID_BASE else "iteration": i}  # fmt: skip
            out.append({"ph": "X", "pid": 0, "tid": tid, "name": name, "ts": start * us, "dur": (end - start) * us,
                        "args": args})  # fmt: skip
            last = max(last, end)
        for name, start, end, lane in layers:
            out.append({"ph": "X", "pid": 0, "tid": LAYER_TID_BASE + lane, "name": name, "ts": start * us,
                        "dur": (end - start) * us, "args": {"start_cycle": start, "cycles": end - start}})  # fmt: skip
        out += self._counters(last)
        if self.dropped:
            out.append({"ph": "i", "pid": 0, "tid": 0, "s": "g", "name": f"trace truncated: {self.dropped} events dropped",
                        "ts": last * us})  # fmt: skip
        return out

    def _layer_lanes(self) -> list[tuple[str, int, int, int]]:
        """(layer, first start, last end, lane): greedy lanes so that slices in one lane never overlap."""
        spans: dict[str, list[int]] = {}
        for tid, _, start, end, pc, _ in self.records:
            layer = self.layer_of_pc[pc]
            if layer is None or tid >= TILE_TID_BASE:
                continue
            span = spans.setdefault(layer, [start, end])
            span[0], span[1] = min(span[0], start), max(span[1], end)
        lanes_end: list[int] = []
        out = []
        for layer, (start, end) in sorted(spans.items(), key=lambda kv: (kv[1][0], kv[0])):
            lane = next((k for k, free in enumerate(lanes_end) if free <= start), len(lanes_end))
            if lane == len(lanes_end):
                lanes_end.append(end)
            lanes_end[lane] = end
            out.append((layer, start, end, lane))
        return out

    def _counters(self, last: int) -> list[dict[str, Any]]:
        """MAC utilization and DRAM bandwidth per bin: each instruction's work spread over its slice."""
        if last <= 0 or not (self.macs_of_pc or self.dram_bytes_of_pc):
            return []
        width = max(1, -(-last // COUNTER_BINS))
        bins = -(-last // width)
        macs = [0.0] * bins
        dram = [0.0] * bins
        for tid, _, start, end, pc, _ in self.records:
            if tid >= TILE_TID_BASE:
                continue
            work_macs = self.macs_of_pc[pc] if pc < len(self.macs_of_pc) else 0
            work_bytes = self.dram_bytes_of_pc[pc] if pc < len(self.dram_bytes_of_pc) else 0
            if not (work_macs or work_bytes):
                continue
            span = end - start
            for b in range(start // width, (end - 1) // width + 1):
                overlap = min(end, (b + 1) * width) - max(start, b * width)
                macs[b] += work_macs * overlap / span
                dram[b] += work_bytes * overlap / span
        us = self.us_per_cycle
        out = []
        for b in range(bins):
            cycles = min(width, last - b * width)
            ts = b * width * us
            utilization = macs[b] / (self.array_macs * cycles) if self.array_macs else 0.0
            gbps = dram[b] / cycles * self.clock_hz / 1e9
            out.append(
                {
                    "ph": "C",
                    "pid": 0,
                    "name": "MAC utilization",
                    "ts": ts,
                    "args": {"utilization": round(utilization, 6)},
                }
            )
            out.append(
                {"ph": "C", "pid": 0, "name": "DRAM bandwidth", "ts": ts, "args": {"GB/s": round(gbps, 6)}}
            )
        return out


def trace_document(events: list[dict[str, Any]], dropped: int = 0) -> dict[str, Any]:
    """The JSON object Chrome's tracing UI and Perfetto load."""
    return {"traceEvents": events, "displayTimeUnit": "ns", "otherData": {"dropped_events": dropped}}


def write_trace(path: str | Path, events: list[dict[str, Any]], dropped: int = 0) -> None:
    Path(path).write_text(json.dumps(trace_document(events, dropped)))
