"""The SHARP hardware configuration: one frozen dataclass, loaded strictly.

Every width, latency, size, clock and energy figure of the machine model is a
field here; quantities derived from them are properties of `HwConfig` and are
computed nowhere else. Presets ship as JSON package data::

    >>> cfg = load_config("sharp-4k")
    >>> cfg.macs, cfg.default_tile, cfg.tiles_for((32, 32))
    (4096, (32, 32), 4)

Field meanings are documented in ``docs/hw-config.md``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Any, get_origin, get_type_hints

from sharp_compiler.hw.families import FAMILIES, PRESET_NAMES

__all__ = ["PRESET_NAMES", "HwConfig", "HwConfigError", "config_from_dict", "config_from_json", "load_config"]

DEFAULT_PRESET = "sharp-4k"
PRECISIONS = ("fp16", "fp32")
WORD_BYTES = 4
"""Bytes of one fp32 word: a vector-buffer element, and an fp32 weight."""


class HwConfigError(ValueError):
    """A hardware configuration that cannot be used; the message is one line."""


TileShape = tuple[int, int]


@dataclass(frozen=True)
class HwConfig:
    """A SHARP machine: the multiplier array, the units, the memories, the energy table."""

    name: str
    family: str
    """The design and its budget scaling rule: sharp, epur-like or brainwave-like (`hw.families`)."""
    # --- multiplier array -------------------------------------------------
    macs: int
    """Number of multipliers in the array (the resource budget)."""
    tile_shapes: tuple[TileShape, ...]
    """Legal tile geometries `(rows, cols)`; rows*cols must divide `macs`."""
    default_tile: TileShape
    """Geometry used when no reconfiguration pass chooses one."""
    reconfigurable: bool
    """Whether the tile geometry may change between layers."""
    cross_step_overlap: bool
    """Whether schedules may overlap work of different time steps (E-PUR-like: no)."""
    mult_latency: int
    """Cycles from operands to product in one multiplier."""
    accumulate_latency: int
    """Cycles to add a block's partial sum into its accumulator."""
    reconfig_cycles: int
    """Cycles to change the tile geometry (array drained)."""
    # --- activation unit and cell updater ---------------------------------
    act_lanes: int
    """Elements the activation unit processes per cycle."""
    act_latency: int
    """Pipeline depth of the activation unit in cycles."""
    cell_lanes: int
    """Elements the cell updater (element-wise unit) processes per cycle."""
    cell_latency: int
    """Pipeline depth of the cell updater in cycles."""
    # --- memories ------------------------------------------------------------
    weight_buffer_bytes: int
    """On-chip weight buffer capacity."""
    vector_buffer_bytes: int
    """On-chip vector buffer capacity (inputs, h, c, accumulators, outputs)."""
    dram_bytes_per_cycle: int
    """DRAM bandwidth of the DMA engine."""
    dram_latency: int
    """Cycles before the first byte of a DMA transfer arrives."""
    onchip_bytes_per_cycle: int
    """Bandwidth of an on-chip (vector buffer to vector buffer) DMA move."""
    clock_hz: float
    """Clock frequency."""
    # --- datapath -------------------------------------------------------------
    precision: str
    """Default datapath: "fp16" (fp16 multiply, fp32 accumulate) or "fp32"."""
    # --- energy table ---------------------------------------------------------
    pj_per_mac_fp16: float
    """Energy of one fp16 multiply + fp32 accumulate."""
    pj_per_mac_fp32: float
    """Energy of one fp32 multiply-accumulate."""
    pj_per_sram_byte: float
    """Energy per byte read or written in on-chip SRAM."""
    pj_per_dram_byte: float
    """Energy per byte moved to or from DRAM."""
    pj_per_act_op: float
    """Energy of one element through the activation unit."""
    pj_per_cell_op: float
    """Energy of one element-wise operation in the cell updater."""
    static_watts: float
    """Leakage and clock-tree power, charged for every cycle."""
    # --- native blocks (BrainWave-like tile engines) --------------------------
    native_rows: int = 0
    """Rows of the weight block a tile owns (0: its own `rows`). When > 0, a multiple of every
    tile shape's rows: M is padded to a multiple of it, and a tile (an engine of `rows` lanes)
    takes `native_rows // rows` issue cycles per block, column block and vector."""

    # --- derived quantities (the only place they are computed) --------------
    def tiles_for(self, tile: TileShape) -> int:
        """Number of tiles of geometry `tile` the array splits into."""
        rows, cols = tile
        return self.macs // (rows * cols)

    def native_block_rows(self, tile: TileShape) -> int:
        """Rows of the weight block one tile of geometry `tile` owns: `native_rows`, else its rows."""
        return self.native_rows or tile[0]

    def adder_tree_latency(self, tile: TileShape) -> int:
        """Depth of the adder tree that reduces one tile row: ceil(log2(cols))."""
        return max(1, math.ceil(math.log2(tile[1])))

    def array_latency(self, tile: TileShape) -> int:
        """Pipeline fill of the array: multiply, adder tree, accumulate."""
        return self.mult_latency + self.adder_tree_latency(tile) + self.accumulate_latency

    def weight_bytes_per_element(self, precision: str) -> int:
        """Bytes one weight takes in the weight buffer and in the binary."""
        return 2 if precision == "fp16" else WORD_BYTES

    def pj_per_mac(self, precision: str) -> float:
        """Energy of one MAC in the given datapath mode."""
        return self.pj_per_mac_fp16 if precision == "fp16" else self.pj_per_mac_fp32

    @property
    def vector_buffer_words(self) -> int:
        """Capacity of the vector buffer in fp32 words."""
        return self.vector_buffer_bytes // 4

    @property
    def seconds_per_cycle(self) -> float:
        return 1.0 / self.clock_hz

    @property
    def peak_macs_per_second(self) -> float:
        return self.macs * self.clock_hz

    # --- serialisation ------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; tuples become lists."""
        out = dataclasses.asdict(self)
        out["tile_shapes"] = [list(t) for t in self.tile_shapes]
        out["default_tile"] = list(self.default_tile)
        return out

    def canonical_json(self) -> str:
        """Deterministic JSON (sorted keys, no spaces): the input of the fingerprint."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def fingerprint(self) -> bytes:
        """16-byte BLAKE2b digest of the canonical JSON; stored in every binary."""
        return hashlib.blake2b(self.canonical_json().encode(), digest_size=16).digest()

    def with_budget(self, macs: int) -> HwConfig:
        """The same design with another multiplier count, scaled by its family's rule."""
        from sharp_compiler.hw.families import scale

        return scale(self, macs)

    def with_precision(self, precision: str) -> HwConfig:
        if precision not in PRECISIONS:
            raise HwConfigError(f"precision '{precision}' is not one of {', '.join(PRECISIONS)}")
        return dataclasses.replace(self, precision=precision)

    def __post_init__(self) -> None:
        _validate(self)


FIELD_RANGES: dict[str, tuple[float, float]] = {
    "macs": (1, 1 << 24),
    "mult_latency": (0, 1_000_000), "accumulate_latency": (0, 1_000_000),
    "reconfig_cycles": (0, 1_000_000), "act_latency": (0, 1_000_000),
    "cell_latency": (0, 1_000_000), "dram_latency": (0, 1_000_000),
    "act_lanes": (1, 1 << 20), "cell_lanes": (1, 1 << 20),
    "weight_buffer_bytes": (1, 1 << 30), "vector_buffer_bytes": (4, 1 << 30),
    "dram_bytes_per_cycle": (1, 1 << 20), "onchip_bytes_per_cycle": (1, 1 << 20),
    "clock_hz": (1e3, 1e12),
    "pj_per_mac_fp16": (0.0, 1e6), "pj_per_mac_fp32": (0.0, 1e6), "pj_per_sram_byte": (0.0, 1e6),
    "pj_per_dram_byte": (0.0, 1e6), "pj_per_act_op": (0.0, 1e6), "pj_per_cell_op": (0.0, 1e6),
    "static_watts": (0.0, 1e6), "native_rows": (0, 0xFFFF),
}  # fmt: skip
"""Closed range of every numeric field (docs/hw-config.md): every product the cost model and the
statistics form stays finite, and no buffer the simulator allocates exceeds 1 GiB."""
MAX_TILE_SIDE = 0xFFFF
"""Largest tile rows or cols (CFGTILE packs each into 16 bits)."""
DEFAULT_RANGE = (0.0, 1e6)
"""Range of a numeric field that `FIELD_RANGES` does not name."""


def _number(value: float) -> str:
    """A bound or a value, short: integers as integers, huge ones by their digit count."""
    if isinstance(value, int):
        digits = len(str(abs(value)))
        return str(value) if digits <= 15 else f"an integer of {digits} digits"
    if not math.isfinite(value):
        return str(value)
    return str(int(value)) if value == int(value) and abs(value) < 1e9 else f"{value:g}"


def _validate(cfg: HwConfig) -> None:
    if cfg.family not in FAMILIES:
        raise HwConfigError(f"{cfg.name}: family '{cfg.family}' is not one of {', '.join(FAMILIES)}")
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            continue
        lo, hi = FIELD_RANGES.get(f.name, DEFAULT_RANGE)
        if not (isinstance(value, int) or math.isfinite(value)) or not lo <= value <= hi:
            raise HwConfigError(
                f"{cfg.name}: {f.name} = {_number(value)} is outside its range [{_number(lo)}, {_number(hi)}]"
            )
    if not cfg.tile_shapes:
        raise HwConfigError(f"{cfg.name}: tile_shapes is empty")
    for rows, cols in cfg.tile_shapes:
        if not (0 < rows <= MAX_TILE_SIDE and 0 < cols <= MAX_TILE_SIDE) or cfg.macs % (rows * cols):
            raise HwConfigError(
                f"{cfg.name}: tile {rows}x{cols} does not divide the {cfg.macs}-multiplier array"
            )
    if cfg.native_rows:
        for rows, cols in cfg.tile_shapes:
            if cfg.native_rows % rows:
                raise HwConfigError(
                    f"{cfg.name}: native_rows {cfg.native_rows} is not a multiple of tile {rows}x{cols}'s rows"
                )
    if tuple(cfg.default_tile) not in cfg.tile_shapes:
        raise HwConfigError(f"{cfg.name}: default_tile {cfg.default_tile} is not in tile_shapes")
    if cfg.precision not in PRECISIONS:
        raise HwConfigError(f"{cfg.name}: precision '{cfg.precision}' is not one of {', '.join(PRECISIONS)}")


def _json_type(hint: Any) -> type:
    """The JSON type of a field annotated `hint`: tuples (tiles) are lists in JSON."""
    return list if hint is tuple or get_origin(hint) is tuple else hint


FIELD_TYPES: dict[str, type] = {
    f.name: _json_type(hint) for f in fields(HwConfig) for hint in (get_type_hints(HwConfig)[f.name],)
}
"""Each field's JSON type, read from HwConfig's annotations (the one table of field types)."""


def config_from_dict(data: dict[str, Any], origin: str = "<dict>") -> HwConfig:
    """Build a config from a parsed JSON object; unknown or missing keys are errors."""
    if not isinstance(data, dict):
        raise HwConfigError(f"{origin}: a hardware configuration must be a JSON object")
    expected = {f.name for f in fields(HwConfig)}
    unknown = sorted(set(data) - expected)
    missing = sorted(expected - set(data))
    if unknown:
        raise HwConfigError(f"{origin}: unknown field(s) {', '.join(unknown)}")
    if missing:
        raise HwConfigError(f"{origin}: missing field(s) {', '.join(missing)}")
    values: dict[str, Any] = {}
    for key, kind in FIELD_TYPES.items():
        value = data[key]
        ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > 1e300:  # beyond every range, and float() would overflow
                raise HwConfigError(f"{origin}: field {key} = {_number(value)} is not a finite number")
            value, ok = float(value), True
        if not ok:
            raise HwConfigError(f"{origin}: field {key} must be {kind.__name__}, got {value!r}")
        values[key] = value
    try:
        values["tile_shapes"] = tuple(_tile(t) for t in values["tile_shapes"])
        values["default_tile"] = _tile(values["default_tile"])
    except (TypeError, ValueError):
        raise HwConfigError(f"{origin}: tiles must be [rows, cols] pairs of integers") from None
    try:
        return HwConfig(**values)
    except HwConfigError as err:
        raise HwConfigError(f"{origin}: {err}") from None


def _tile(value: Any) -> TileShape:
    if not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise ValueError(value)
    return (value[0], value[1])


def load_config(preset_or_path: str = DEFAULT_PRESET) -> HwConfig:
    """Load a preset by name (`FAMILY-Nk`, or a bare baseline family: its 4K point) or a JSON file by path."""
    from sharp_compiler.hw.families import BASE_FILES, parse_preset

    preset = parse_preset(preset_or_path)
    if preset is not None:
        family, macs = preset
        text = resources.files("sharp_compiler.hw.presets").joinpath(f"{BASE_FILES[family]}.json").read_text()
        base = config_from_dict(json.loads(text), BASE_FILES[family])
        return base if base.macs == macs else base.with_budget(macs)
    path = Path(preset_or_path)
    if not path.is_file():
        raise HwConfigError(
            f"{preset_or_path}: not a preset ({', '.join(PRESET_NAMES)}, or FAMILY-Nk) nor a readable file"
        )
    text, origin = path.read_text(), str(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise HwConfigError(f"{origin}: invalid JSON at line {err.lineno}: {err.msg}") from None
    return config_from_dict(data, origin)


def config_from_json(text: str, origin: str = "<json>") -> HwConfig:
    """Parse a config from its JSON text (as stored in binaries and IR)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise HwConfigError(f"{origin}: invalid JSON: {err.msg}") from None
    return config_from_dict(data, origin)
