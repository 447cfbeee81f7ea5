"""Field overrides of a hardware configuration: `FIELD=VALUE` (absolute) or `FIELD=xF` (scaled).

`sharp-dse --set` applies them to every machine of a sweep, after each machine is scaled to its
budget, so one flag changes the memory system (or any scalar field) of SHARP and its baselines
alike::

    >>> from sharp_compiler.hw.config import load_config
    >>> cfg = load_config("sharp-16k")
    >>> apply_overrides(cfg, parse_overrides(["dram_bytes_per_cycle=x4", "dram_latency=20"])).dram_bytes_per_cycle
    512
    >>> override_label({"dram_bytes_per_cycle": "x4", "dram_latency": "20"})
    'dram_bytes_per_cycle=x4+dram_latency=20'

The result goes through the same validation as a JSON file (`config_from_dict`: types and
ranges), so a bad value is one line naming the field. The geometry (`macs`, tiles,
`native_rows`), `family` and `name` are not overridable: `--budget` and a JSON file say those.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from sharp_compiler.hw.config import FIELD_TYPES, HwConfig, HwConfigError, config_from_dict

FIXED_FIELDS = ("name", "family", "macs", "tile_shapes", "default_tile", "native_rows")
"""Fields an override may not change (the machine's identity and geometry)."""


def overridable_fields() -> list[str]:
    return [f for f in FIELD_TYPES if f not in FIXED_FIELDS]


def parse_overrides(specs: Sequence[str]) -> dict[str, str]:
    """`["FIELD=VALUE", ...]` -> {field: value text}, in field order; checks names, not values."""
    out: dict[str, str] = {}
    for spec in specs:
        field, sep, value = (s.strip() for s in spec.partition("="))
        if not sep or not field or not value:
            raise HwConfigError(f"--set expects FIELD=VALUE or FIELD=xFACTOR, got '{spec}'")
        if field in FIXED_FIELDS:
            raise HwConfigError(f"--set {field}: not overridable (use --budget or a hardware JSON file)")
        if field not in FIELD_TYPES:
            raise HwConfigError(f"--set {field}: no such field (one of {', '.join(overridable_fields())})")
        if field in out:
            raise HwConfigError(f"--set {field}: given twice")
        out[field] = value
    return {f: out[f] for f in FIELD_TYPES if f in out}


def override_label(overrides: Mapping[str, str]) -> str:
    """The overrides as one deterministic token: `f1=v1+f2=v2` (empty when there are none)."""
    return "+".join(f"{f}={v}" for f, v in overrides.items())


def apply_overrides(cfg: HwConfig, overrides: Mapping[str, str]) -> HwConfig:
    """`cfg` with each field set (`VALUE`) or scaled (`xF`, numeric fields; ints round down)."""
    if not overrides:
        return cfg
    data = cfg.to_dict()
    for field, text in overrides.items():
        data[field] = _value(field, text, data[field])
    data["name"] = f"{cfg.name}+{override_label(overrides)}"
    try:
        return config_from_dict(data, data["name"])
    except HwConfigError as err:  # "name: name: detail" (config_from_dict adds the origin to HwConfig's own)
        detail = str(err).removeprefix(f"{data['name']}: ").removeprefix(f"{data['name']}: ")
        raise HwConfigError(f"--set on {cfg.name}: {detail}") from None


def _value(field: str, text: str, current: object) -> object:
    kind = FIELD_TYPES[field]
    if kind is bool:
        if text.lower() not in ("true", "false"):
            raise HwConfigError(f"--set {field}: expected true or false, got '{text}'")
        return text.lower() == "true"
    if kind is str:
        return text
    scaled = text[:1] in ("x", "X")
    try:
        number = float(text[1:] if scaled else text)
    except ValueError:
        raise HwConfigError(f"--set {field}: '{text}' is not a number (or xFACTOR)") from None
    if not math.isfinite(number) or (scaled and number <= 0):
        raise HwConfigError(
            f"--set {field}: '{text}' is not {'a positive finite factor' if scaled else 'a finite number'}"
        )
    value = number * float(current) if scaled else number  # type: ignore[arg-type]
    if not math.isfinite(value):
        raise HwConfigError(f"--set {field}: {text} gives a value that is not finite")
    if kind is int:
        if not scaled and not number.is_integer():
            raise HwConfigError(f"--set {field}: expected an integer, got '{text}'")
        return int(math.floor(value))
    return value
