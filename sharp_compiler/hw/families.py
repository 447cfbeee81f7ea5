"""Preset families: a machine design and the rule that scales it to any multiplier budget.

A family is one base configuration (a JSON file in `hw/presets/`, the 4K point) plus a
scaling rule. `HwConfig.with_budget(N)` applies the rule, and the preset `FAMILY-Nk` is the
base scaled to N*1024 multipliers, so `--hw sharp-4k --budget 16384` and `--hw sharp-16k`
are the same machine (same fields, same fingerprint, same binary)::

    >>> load_config("sharp-4k").with_budget(16384) == load_config("sharp-16k")
    True
    >>> load_config("epur-like-16k").tile_shapes, load_config("brainwave-like-16k").tile_shapes
    (((1, 4096),), ((16, 128),))
    >>> load_config("brainwave-like-16k").native_rows, load_config("brainwave-like-16k").tiles_for((16, 128))
    (128, 8)

The rule, for every family (docs/hw-config.md says why):

- tiles: `sharp` re-derives its menu (power-of-two tiles from 8x8, aspect ratio <= 16,
  default the square tile of a quarter of the array); `epur-like` keeps its number of
  dot-product units (4, one per LSTM gate) and widens each to macs/4 (1-row tiles);
  `brainwave-like` has a native N x N block, N = 2^floor(log2(macs)/2) (N x 2N when the
  budget is an odd power of two), and 8 tile engines of N/8 lanes: one tile shape
  (N/8, cols), `native_rows` = N, so an engine takes 8 cycles per native block;
- activation and cell lanes, DRAM and on-chip move bandwidths scale with the square root of
  the array (x2 per x4 multipliers);
- static power scales linearly with the multipliers (the calibration of docs/hw-config.md);
- memories, latencies and the per-operation energy table are kept: memories are sized
  by the models (two 1024-hidden LSTM layers of fp16 weights for layer-ahead prefetch), not by
  the array.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sharp_compiler.hw.config import HwConfig, TileShape

FAMILIES = ("sharp", "epur-like", "brainwave-like")
BASE_FILES = {"sharp": "sharp-4k", "epur-like": "epur-like", "brainwave-like": "brainwave-like"}
"""The preset file (package data) holding each family's base point."""
BASELINE_FAMILIES = ("epur-like", "brainwave-like")
PAPER_BUDGETS = (1024, 4096, 16384, 65536)
PRESET_NAMES = ("sharp-1k", "sharp-4k", "sharp-16k", "sharp-64k", "epur-like", "brainwave-like")
"""The presets listed in the docs; any `FAMILY-Nk` (N a power of two) is also a preset."""
MIN_TILE_MACS = 64
_PRESET = re.compile(r"^(sharp|epur-like|brainwave-like)(?:-(\d+)k)?$")


def point_name(family: str, macs: int) -> str:
    """The preset name of a family at a budget: sharp-16k, epur-like-1k, brainwave-like-512.

    (A custom file scaled by `--budget` keeps its own name with `@N` appended.)
    """
    return f"{family}-{macs // 1024}k" if macs % 1024 == 0 else f"{family}-{macs}"


def parse_preset(name: str) -> tuple[str, int] | None:
    """(family, macs) of a preset name, or None. A bare family name is its 4K point."""
    match = _PRESET.match(name)
    if match is None:
        return None
    family, kilo = match.group(1), match.group(2)
    if kilo is None:
        return (family, 4096) if family != "sharp" else None
    macs = int(kilo) * 1024
    return (family, macs) if macs & (macs - 1) == 0 else None


def check_budget(macs: int) -> None:
    from sharp_compiler.hw.config import HwConfigError

    if macs <= 0 or macs & (macs - 1):
        raise HwConfigError(f"budget {macs} is not a positive power of two")
    if macs < MIN_TILE_MACS:
        raise HwConfigError(f"budget {macs} is below the smallest tile, 8x8 ({MIN_TILE_MACS} multipliers)")


def scale(cfg: HwConfig, macs: int) -> HwConfig:
    """The same design at another budget, by its family's rule (composable: scaling twice = once)."""
    check_budget(macs)
    shapes, default, native = _tiles(cfg, macs)
    lanes = 2 ** (_half_log2(macs) - _half_log2(cfg.macs))
    preset = parse_preset(cfg.name) == (cfg.family, cfg.macs)
    base_name = cfg.name.split("@")[0]
    return dataclasses.replace(
        cfg,
        name=point_name(cfg.family, macs) if preset else f"{base_name}@{macs}",
        macs=macs,
        tile_shapes=shapes,
        default_tile=default,
        native_rows=native,
        act_lanes=max(1, int(cfg.act_lanes * lanes)),
        cell_lanes=max(1, int(cfg.cell_lanes * lanes)),
        dram_bytes_per_cycle=max(1, int(cfg.dram_bytes_per_cycle * lanes)),
        onchip_bytes_per_cycle=max(1, int(cfg.onchip_bytes_per_cycle * lanes)),
        static_watts=cfg.static_watts * macs / cfg.macs,
    )


def _half_log2(macs: int) -> int:
    return int(math.log2(macs)) // 2


BRAINWAVE_ENGINES = 8
"""Tile engines of the `brainwave-like` family at every budget (our scaling rule, docs/baselines.md)."""


def _tiles(cfg: HwConfig, macs: int) -> tuple[tuple[TileShape, ...], TileShape, int]:
    """(tile shapes, default tile, native_rows) of the family at `macs` multipliers."""
    if cfg.family == "epur-like":
        units = cfg.tiles_for(cfg.default_tile)
        tile = (1, max(1, macs // units))
        return (tile,), tile, cfg.native_rows
    if cfg.family == "brainwave-like":
        native = brainwave_native(macs)
        tile = (native[0] // BRAINWAVE_ENGINES, native[1])
        return (tile,), tile, native[0]
    shapes = tuple(tile_menu(macs))
    return shapes, closest_square(shapes, macs), cfg.native_rows


def brainwave_native(macs: int) -> TileShape:
    """BrainWave's native block at a budget: N x N with N = 2^floor(log2(macs)/2), N x 2N at odd powers.

    The array is `BRAINWAVE_ENGINES` tile engines of N / 8 dot-product lanes, each lane N (or 2N)
    wide: 8 x (N/8) x cols = macs.
    """
    n = 2 ** _half_log2(macs)
    return n, macs // n


def tile_menu(macs: int) -> list[TileShape]:
    """Power-of-two tile geometries from 8x8 up to the whole array, aspect ratio <= 16."""
    menu: list[TileShape] = []
    rows = 8
    while rows <= macs:
        cols = 8
        while rows * cols <= macs:
            if max(rows, cols) // min(rows, cols) <= 16:
                menu.append((rows, cols))
            cols *= 2
        rows *= 2
    return menu


def closest_square(shapes: tuple[TileShape, ...], macs: int) -> TileShape:
    """Default geometry: the square tile nearest a quarter of the array."""
    squares = [t for t in shapes if t[0] == t[1]] or list(shapes)
    return min(squares, key=lambda t: (abs(math.log2(t[0] * t[1] * 4 / macs)), t))
