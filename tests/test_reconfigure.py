"""sharp-reconfigure's choice is the exact optimum of the shared cost model."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from sharp_compiler.hw import cost_model
from sharp_compiler.hw.config import load_config
from sharp_compiler.transforms.sharp_reconfigure import choose_tiles, layer_array_cycles

CFG = load_config("sharp-1k")

shape = st.tuples(st.integers(1, 300), st.integers(1, 300), st.integers(1, 4), st.integers(1, 30))
layers = st.lists(st.lists(shape, min_size=0, max_size=3), min_size=1, max_size=3)


def cost_of(tiles, layer_shapes):
    current, cost = CFG.default_tile, 0
    for tile, shapes in zip(tiles, layer_shapes, strict=True):
        if not shapes:
            continue
        cost += layer_array_cycles(CFG, tile, shapes) + (CFG.reconfig_cycles if tile != current else 0)
        current = tile
    return cost


def brute_force(layer_shapes):
    return min(
        cost_of(tiles, layer_shapes) for tiles in itertools.product(CFG.tile_shapes, repeat=len(layer_shapes))
    )


@settings(max_examples=25, deadline=None)
@given(layers)
def test_dynamic_program_matches_brute_force(layer_shapes) -> None:
    tiles = choose_tiles(CFG, layer_shapes)
    assert len(tiles) == len(layer_shapes)
    assert cost_of(tiles, layer_shapes) == brute_force(layer_shapes)


def test_small_hidden_size_prefers_small_tiles() -> None:
    """Hidden 24 on a 4K array: 32x32 tiles waste most slots; the pass picks a geometry that pays off."""
    cfg = load_config("sharp-4k")
    shapes = [(96, 10, 1, 100), (96, 24, 1, 100)]
    (tile,) = choose_tiles(cfg, [shapes])
    default_cost = layer_array_cycles(cfg, cfg.default_tile, shapes)
    assert layer_array_cycles(cfg, tile, shapes) + cfg.reconfig_cycles < default_cost


def test_mvm_cycles_by_hand() -> None:
    """96x24 on 32x32 tiles (4 tiles): 3 blocks for 1 vector -> 1 cycle + 3 + 5 + 1 latency."""
    cfg = load_config("sharp-4k")
    assert cost_model.mvm_blocks((32, 32), 96, 24) == 3
    assert cost_model.mvm_cycles(cfg, (32, 32), 96, 24, 1) == 1 + 3 + 5 + 1
    assert cost_model.mvm_padded_slots(cfg, (32, 32), 96, 24, 1) == 3 * 1024 - 96 * 24
