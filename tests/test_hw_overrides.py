"""Hardware field overrides (`sharp-dse --set`): absolute and scaled values, validation, naming."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sharp_compiler.hw.config import HwConfigError, load_config
from sharp_compiler.hw.families import PAPER_BUDGETS
from sharp_compiler.hw.overrides import (
    FIXED_FIELDS,
    apply_overrides,
    overridable_fields,
    override_label,
    parse_overrides,
)


def test_absolute_and_scaled_values_apply_after_the_budget_scaling() -> None:
    cfg = load_config("brainwave-like").with_budget(16384)
    out = apply_overrides(cfg, parse_overrides(["dram_latency=7", "dram_bytes_per_cycle=x4", "clock_hz=1e9"]))
    assert (out.dram_latency, out.dram_bytes_per_cycle, out.clock_hz) == (
        7,
        4 * cfg.dram_bytes_per_cycle,
        1e9,
    )
    assert out.name == "brainwave-like-16k+dram_bytes_per_cycle=x4+dram_latency=7+clock_hz=1e9"
    untouched = {
        f for f in overridable_fields() if f not in ("dram_latency", "dram_bytes_per_cycle", "clock_hz")
    }
    assert all(getattr(out, f) == getattr(cfg, f) for f in (*untouched, *FIXED_FIELDS[1:]))
    assert out.fingerprint() != cfg.fingerprint()


def test_booleans_strings_and_integer_rounding() -> None:
    cfg = load_config("sharp-4k")
    out = apply_overrides(
        cfg, parse_overrides(["cross_step_overlap=False", "precision=fp32", "act_lanes=x0.3"])
    )
    assert out.cross_step_overlap is False and out.precision == "fp32"
    assert out.act_lanes == int(cfg.act_lanes * 0.3)  # an int field scaled rounds down


def test_no_overrides_is_the_same_machine() -> None:
    cfg = load_config("epur-like-1k")
    assert apply_overrides(cfg, {}) is cfg and override_label({}) == ""


@given(st.sampled_from(PAPER_BUDGETS), st.sampled_from(["sharp-4k", "epur-like", "brainwave-like"]),
       st.integers(min_value=1, max_value=64))  # fmt: skip
def test_a_scale_factor_multiplies_the_scaled_field(budget: int, preset: str, factor: int) -> None:
    cfg = load_config(preset).with_budget(budget)
    out = apply_overrides(cfg, parse_overrides([f"onchip_bytes_per_cycle=x{factor}"]))
    assert out.onchip_bytes_per_cycle == factor * cfg.onchip_bytes_per_cycle
    assert out.tile_shapes == cfg.tile_shapes and out.macs == cfg.macs == budget


@pytest.mark.parametrize(
    ("specs", "message"),
    [(["foo=1"], "--set foo: no such field"),
     (["macs=8192"], "--set macs: not overridable"),
     (["tile_shapes=1"], "--set tile_shapes: not overridable"),
     (["dram_latency"], "--set expects FIELD=VALUE or FIELD=xFACTOR, got 'dram_latency'"),
     (["dram_latency=1", "dram_latency=2"], "--set dram_latency: given twice")],
)  # fmt: skip
def test_bad_names_are_one_line(specs: list[str], message: str) -> None:
    with pytest.raises(HwConfigError, match="^" + message.replace("(", r"\(")):
        parse_overrides(specs)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("dram_latency=2.5", "--set dram_latency: expected an integer, got '2.5'"),
     ("dram_latency=fast", "--set dram_latency: 'fast' is not a number"),
     ("dram_latency=x0", "--set dram_latency: 'x0' is not a positive finite factor"),
     ("clock_hz=inf", "--set clock_hz: 'inf' is not a finite number"),
     ("reconfigurable=yes", "--set reconfigurable: expected true or false, got 'yes'"),
     ("dram_bytes_per_cycle=0", "--set on sharp-4k: dram_bytes_per_cycle = 0 is outside its range"),
     ("precision=fp8", "--set on sharp-4k: precision 'fp8' is not one of fp16, fp32")],
)  # fmt: skip
def test_bad_values_are_one_line(spec: str, message: str) -> None:
    with pytest.raises(HwConfigError) as err:
        apply_overrides(load_config("sharp-4k"), parse_overrides([spec]))
    assert str(err.value).startswith(message) and "\n" not in str(err.value)
