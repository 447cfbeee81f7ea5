"""Tile shapes as text: `RxC` spelling, parsing, and the legality check behind `--tile`.

    >>> cfg = load_config("sharp-4k")
    >>> parse_tile("16x64")
    (16, 64)
    >>> format_tile(check_tile(cfg, parse_tile("16x64")))
    '16x64'
    >>> check_tile(cfg, (7, 7))
    Traceback (most recent call last):
    HwConfigError: tile 7x7 is not a legal shape of sharp-4k (4096 multipliers); ...

The legal shapes of a configuration are its `tile_shapes` (`sharp-compile --list-tiles`
prints them, one `RxC` a line, in the configuration's order).
"""

from __future__ import annotations

import re

from sharp_compiler.hw.config import PRESET_NAMES, HwConfig, HwConfigError, TileShape

_TILE = re.compile(r"([0-9]+)x([0-9]+)")


def format_tile(tile: TileShape) -> str:
    return f"{tile[0]}x{tile[1]}"


def parse_tile(text: str) -> TileShape:
    """`"RxC"` -> (R, C); anything else is a one-line `HwConfigError`."""
    match = _TILE.fullmatch(text.strip())
    if match is None or int(match[1]) <= 0 or int(match[2]) <= 0:
        raise HwConfigError(f"tile '{text}' is not ROWSxCOLS with positive integers (e.g. 16x64)")
    return int(match[1]), int(match[2])


def list_tiles_hint(cfg: HwConfig) -> str:
    """The command that prints the legal shapes of a configuration (a preset's, or a file's)."""
    preset, _, budget = cfg.name.partition("@")
    hw = preset if preset in PRESET_NAMES else "FILE.json"
    return f"sharp-compile --list-tiles --hw {hw}" + (f" --budget {budget}" if budget else "")


def check_tile(cfg: HwConfig, tile: TileShape, hint: str = "") -> TileShape:
    """The tile itself when `cfg` has it; otherwise an error naming how to list the legal ones."""
    if tile in cfg.tile_shapes:
        return tile
    raise HwConfigError(
        f"tile {format_tile(tile)} is not a legal shape of {cfg.name} ({cfg.macs} multipliers); "
        f"`{hint or list_tiles_hint(cfg)}` lists the legal ones"
    )
