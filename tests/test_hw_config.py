"""The hardware configuration loads strictly and derives its quantities in one place."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from sharp_compiler.hw.config import (
    PRESET_NAMES,
    HwConfig,
    HwConfigError,
    config_from_dict,
    config_from_json,
    load_config,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "hw-config.md"


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_presets_load_and_round_trip(name: str) -> None:
    cfg = load_config(name)
    assert config_from_json(cfg.canonical_json()) == cfg
    assert cfg.default_tile in cfg.tile_shapes
    assert all(cfg.macs % (r * c) == 0 for r, c in cfg.tile_shapes)


def test_default_preset_is_4k() -> None:
    assert load_config().name == "sharp-4k" and load_config().macs == 4096


@pytest.mark.parametrize(("budget", "tile"), [(1024, (16, 16)), (4096, (32, 32)), (16384, (64, 64)),
                                              (65536, (128, 128))])  # fmt: skip
def test_budget_override_rederives_tiles(budget: int, tile: tuple[int, int]) -> None:
    cfg = load_config("sharp-4k").with_budget(budget)
    assert cfg.macs == budget and cfg.default_tile == tile
    assert all(r * c <= budget for r, c in cfg.tile_shapes)
    assert cfg.tiles_for(tile) == 4


@pytest.mark.parametrize("budget", [0, -4, 3000])
def test_bad_budget_is_rejected(budget: int) -> None:
    with pytest.raises(HwConfigError, match="power of two"):
        load_config().with_budget(budget)


def _preset_dict() -> dict:
    return json.loads(load_config().canonical_json())


def test_unknown_key_is_an_error() -> None:
    data = _preset_dict() | {"frobnicate": 1}
    with pytest.raises(HwConfigError, match="unknown field.*frobnicate"):
        config_from_dict(data, "x.json")


def test_missing_key_is_an_error() -> None:
    data = _preset_dict()
    del data["act_lanes"]
    with pytest.raises(HwConfigError, match="missing field.*act_lanes"):
        config_from_dict(data, "x.json")


def test_wrong_type_is_an_error() -> None:
    data = _preset_dict() | {"macs": "4096"}
    with pytest.raises(HwConfigError, match="field macs must be int"):
        config_from_dict(data, "x.json")


def test_tile_that_does_not_divide_the_array_is_an_error() -> None:
    data = _preset_dict() | {"tile_shapes": [[32, 32], [24, 24]]}
    with pytest.raises(HwConfigError, match="24x24 does not divide"):
        config_from_dict(data, "x.json")


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(HwConfigError, match="bad.json: invalid JSON"):
        load_config(str(bad))
    with pytest.raises(HwConfigError, match="nope.json: not a preset"):
        load_config(str(tmp_path / "nope.json"))


def test_fingerprint_depends_on_every_field() -> None:
    base = load_config()
    assert base.fingerprint() == load_config().fingerprint()
    assert base.with_precision("fp32").fingerprint() != base.fingerprint()


def test_derived_quantities() -> None:
    cfg = load_config("sharp-4k")
    assert cfg.adder_tree_latency((32, 32)) == 5
    assert cfg.array_latency((32, 32)) == cfg.mult_latency + 5 + cfg.accumulate_latency
    assert cfg.weight_bytes_per_element("fp16") == 2 and cfg.weight_bytes_per_element("fp32") == 4


def test_energy_table_calibrates_to_321_gflops_per_watt() -> None:
    """At full utilisation in fp16, with one weight read per MAC, each preset gives the paper's figure."""
    for name in ("sharp-1k", "sharp-4k", "sharp-16k", "sharp-64k"):
        cfg = load_config(name)
        static_pj = cfg.static_watts / cfg.peak_macs_per_second * 1e12
        pj_per_mac = cfg.pj_per_mac_fp16 + 2 * cfg.pj_per_sram_byte + static_pj
        assert 2 / (pj_per_mac * 1e-12) / 1e9 == pytest.approx(321, rel=2e-3)


def test_docs_define_every_field() -> None:
    text = DOCS.read_text()
    documented = set(re.findall(r"^\| `(\w+)` \|", text, re.M))
    assert {f.name for f in fields(HwConfig)} <= documented
