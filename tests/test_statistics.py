"""The simulator's statistics against hand counts: MACs, a lower bound on cycles, a cycle count
derived by hand from the configuration, and how cycles move with the multiplier budget.

Every expected number here is computed from the model's dimensions and the configuration's
fields with the test's own arithmetic (`hw/cost_model.py`'s documented formulas, re-derived),
never by calling the compiler's or simulator's cost functions.
"""

from __future__ import annotations

import json
import math

import pytest
from e2e_helpers import GATES, compile_model, num_directions, rnn_model, simulate_binary, stack_model

from sharp_compiler.hw.config import load_config

PRESETS = ("sharp-1k", "sharp-4k", "sharp-16k", "sharp-64k", "epur-like")
BUDGETS = (1024, 2048, 4096, 8192, 16384, 32768, 65536)


def run_stats(model, feeds, **options):
    return simulate_binary(compile_model(model, **options), feeds).stats


def config_of(hw: str = "sharp-4k", budget: int = 0):
    cfg = load_config(hw)
    return cfg.with_budget(budget) if budget else cfg


def matrix_macs(op: str, T: int, B: int, I: int, H: int, directions: int) -> int:  # noqa: E741
    """Useful MACs of one recurrent node: per direction and step, W x (gH x I) and R h (gH x H)."""
    g = GATES[op]
    return directions * T * B * (g * H * I + g * H * H)


# --------------------------------------------------------------------------- MACs


@pytest.mark.parametrize("direction", ["forward", "reverse", "bidirectional"])
@pytest.mark.parametrize(
    ("op", "extra"),
    [("LSTM", {}), ("LSTM", {"peepholes": True, "input_forget": True}), ("GRU", {"linear_before_reset": 0}),
     ("GRU", {"linear_before_reset": 1}), ("RNN", {})],
    ids=["lstm", "lstm-peep-if", "gru-lbr0", "gru-lbr1", "rnn"],
)  # fmt: skip
@pytest.mark.parametrize(("T", "B", "I", "H"), [(3, 1, 3, 4), (4, 5, 17, 33), (2, 2, 100, 7)])
def test_macs_are_the_matrix_macs(op, extra, direction, T, B, I, H):  # noqa: E741
    model, feeds = rnn_model(op, T=T, B=B, I=I, H=H, direction=direction, **extra)
    stats = run_stats(model, feeds)
    expected = matrix_macs(op, T, B, I, H, num_directions(direction))
    assert stats["macs"] == expected
    # Per layer (one per direction), and padding is counted apart from MACs.
    assert sum(layer["macs"] for layer in stats["layers"]) == expected
    assert stats["padded_mac_slots"] >= 0


def test_macs_do_not_depend_on_sequence_lens_or_budget():
    """Rows past their length still occupy the array (masked), so MACs count all T steps."""
    model, feeds = rnn_model("LSTM", T=5, B=3, I=7, H=9, seq_lens=[5, 1, 3])
    expected = matrix_macs("LSTM", 5, 3, 7, 9, 1)
    for budget in (1024, 65536):
        assert run_stats(model, feeds, budget=budget)["macs"] == expected


@pytest.mark.parametrize(
    ("op", "bidirectional"), [("LSTM", False), ("LSTM", True), ("GRU", True), ("RNN", False)]
)
def test_macs_of_a_stack(op, bidirectional):
    T, B, I, H, layers = 4, 2, 5, 7, 3  # noqa: E741
    nd = 2 if bidirectional else 1
    model, feeds = stack_model(op, layers=layers, T=T, B=B, I=I, H=H, bidirectional=bidirectional,
                               glue="transpose_reshape")  # fmt: skip
    expected = matrix_macs(op, T, B, I, H, nd) + (layers - 1) * matrix_macs(op, T, B, nd * H, H, nd)
    stats = run_stats(model, feeds)
    assert stats["macs"] == expected
    glue = [layer for layer in stats["layers"] if layer["kind"] == "copy"]
    assert all(layer["macs"] == 0 for layer in glue)


@pytest.mark.parametrize("hw", PRESETS)
@pytest.mark.parametrize(
    ("op", "T", "B", "I", "H"), [("LSTM", 3, 2, 33, 17), ("GRU", 5, 1, 100, 100), ("RNN", 2, 5, 7, 1)]
)
def test_cycles_at_least_macs_over_array_size(hw, op, T, B, I, H):  # noqa: E741
    model, feeds = rnn_model(op, T=T, B=B, I=I, H=H, direction="bidirectional")
    stats = run_stats(model, feeds, hw=hw)
    array = config_of(hw).macs
    assert stats["cycles"] >= stats["macs"] / array
    assert 0 < stats["mac_utilization"] <= 1
    assert stats["mac_utilization"] == pytest.approx(stats["macs"] / (stats["cycles"] * array))
    assert stats["seconds"] == pytest.approx(stats["cycles"] / config_of(hw).clock_hz)


@pytest.mark.parametrize("budget", [1024, 4096, 16384, 65536])
def test_cycles_at_least_macs_over_budget(budget):
    model, feeds = rnn_model("LSTM", T=3, B=2, I=40, H=64)
    stats = run_stats(model, feeds, budget=budget)
    assert stats["cycles"] >= stats["macs"] / budget


# --------------------------------------------------------------------------- cycles by hand
#
# The sequential schedule (sharp-schedule scheme=sequential) makes every instruction wait for
# the one before it in dynamic order when their units differ (a token from its completion);
# consecutive instructions of one unit that do not read each other's results pipeline: the
# next issues when the previous one's occupancy ends. Costs (hw/cost_model.py, restated) are
# occupancy + latency:
#   DMA load/store/loadw of n bytes : ceil(n / dram_bytes_per_cycle) + dram_latency
#   MVM [M x K] weights, n vectors  : ceil(ceil(M/rows) / tiles) * ceil(K/cols) * n
#                                     + mult_latency + max(1, ceil(log2 cols)) + accumulate_latency
#                                     with tiles = macs // (rows * cols)
#   cell-updater op over e elements : ceil(e / cell_lanes) + cell_latency
#   activation over e elements      : ceil(e / act_lanes) + act_latency
#   CFGTILE                         : reconfig_cycles;   NOP (token sync): 0
#
# A bias-free, forward RNN whose only output is Y_h, small enough for the whole-sequence mode
# (the input projection of all T*B rows in one MVM), runs, in order:
#   loadw W, loadw R, load X, [cfgtile], mvm xproj = X W^T, vfill h = 0, nop,
#   T x (nop, mvm acc = h R^T, vadd acc += xproj[t], act h = tanh(acc), nop), store Y_h
# The three DMA transfers of the prologue stream back to back; everything after waits for
# its predecessor's completion.


def hand_cycles(cfg, tile: tuple[int, int], T: int, B: int, I: int, H: int) -> tuple[int, int]:  # noqa: E741
    """(cycles, dynamic instruction count) of the program above, from the configuration's fields."""
    rows, cols = tile

    def dma(nbytes: int) -> int:
        return math.ceil(nbytes / cfg.dram_bytes_per_cycle)  # occupancy; + dram_latency to complete

    def mvm(m: int, k: int, n: int) -> int:
        tiles = cfg.macs // (rows * cols)
        issue = math.ceil(math.ceil(m / rows) / tiles) * math.ceil(k / cols) * n
        return issue + cfg.mult_latency + max(1, math.ceil(math.log2(cols))) + cfg.accumulate_latency

    def cell(elements: int) -> int:
        return math.ceil(elements / cfg.cell_lanes) + cfg.cell_latency

    def act(elements: int) -> int:
        return math.ceil(elements / cfg.act_lanes) + cfg.act_latency

    fp32 = 4
    reconfigure = tuple(tile) != tuple(cfg.default_tile)
    prologue = (
        dma(H * I * fp32)  # loadw W [H, I]
        + dma(H * H * fp32)  # loadw R [H, H], issued as W's bytes finish
        + dma(T * B * I * fp32)  # load X, all steps
        + cfg.dram_latency  # X complete
        + (cfg.reconfig_cycles if reconfigure else 0)  # cfgtile
        + mvm(H, I, T * B)  # xproj = X W^T
        + cell(B * H)  # h = 0
    )
    step = mvm(H, H, B) + cell(B * H) + act(B * H)
    epilogue = dma(B * H * fp32) + cfg.dram_latency  # store Y_h
    instructions = 6 + (1 if reconfigure else 0) + 5 * T + 1
    return prologue + T * step + epilogue, instructions


def test_cycles_of_a_tiny_rnn_pinned_by_hand():
    """T=2, B=1, I=3, H=4 on sharp-4k (fp32), every cost written out.

    sharp-4k: dram_latency 100, dram_bytes_per_cycle 64, macs 4096, tile 32x32 (the default:
    the reconfigure pass keeps it, one block per matrix), mult_latency 3, accumulate_latency 1,
    cell_lanes 64, cell_latency 3, act_lanes 64, act_latency 4.
      loadw W  4x3 fp32 = 48 B   : ceil(48/64) = 1 cycle of DMA, then
      loadw R  4x4 fp32 = 64 B   : ceil(64/64) = 1, then
      load X   2x1x3 fp32 = 24 B : ceil(24/64) = 1, complete 100 later      -> 103
      mvm xproj M=4 K=3 n=2      : tiles 4096/1024 = 4, ceil(ceil(4/32)/4) = 1 round,
                                   ceil(3/32) = 1 K block, x 2 vectors = 2;
                                   + fill 3 + log2(32)=5 + 1 = 9           -> 11
      vfill h (4 elements)       : ceil(4/64) + 3     = 4
      per step (x2): mvm M=4 K=4 n=1 = 1 + 9 = 10; vadd 4 el = 1 + 3 = 4;
                     act 4 el = 1 + 4 = 5                                    -> 19 x 2 = 38
      store Y_h 1x1x4 fp32 = 16 B : ceil(16/64) + 100 = 101
      total = 103 + 11 + 4 + 38 + 101 = 257
    """
    cfg = load_config("sharp-4k")
    assert (cfg.dram_latency, cfg.dram_bytes_per_cycle, cfg.macs, cfg.default_tile) == (
        100,
        64,
        4096,
        (32, 32),
    )
    assert (cfg.mult_latency, cfg.accumulate_latency, cfg.cell_lanes, cfg.cell_latency, cfg.act_lanes,
            cfg.act_latency) == (3, 1, 64, 3, 64, 4)  # fmt: skip
    model, feeds = rnn_model("RNN", T=2, B=1, I=3, H=4, bias=False, outputs=["Y_h"])
    stats = run_stats(model, feeds, hw="sharp-4k", schedule="sequential")
    assert stats["layers"][0]["tile"] == "32x32"
    assert stats["reconfigurations"] == 0
    assert stats["instructions"] == 17  # 6 prologue + 2 x 5 in the loop + 1 store
    assert stats["cycles"] == 103 + 11 + 4 + 2 * (10 + 4 + 5) + 101 == 257
    assert stats["busy_cycles"]["dma"] == 4 * 1
    assert stats["busy_cycles"]["array"] == 2 + 2 * 1


@pytest.mark.parametrize(
    ("hw", "T", "B", "I", "H"),
    [("sharp-1k", 2, 1, 3, 4), ("sharp-4k", 3, 2, 100, 100), ("sharp-1k", 3, 2, 100, 100),
     ("sharp-16k", 4, 3, 33, 17), ("sharp-64k", 2, 5, 7, 65), ("epur-like", 2, 1, 3, 4),
     ("epur-like", 3, 2, 33, 17)],
)  # fmt: skip
def test_cycles_by_hand_from_the_configuration(hw, T, B, I, H):  # noqa: E741
    cfg = load_config(hw)
    model, feeds = rnn_model("RNN", T=T, B=B, I=I, H=H, bias=False, outputs=["Y_h"])
    stats = run_stats(model, feeds, hw=hw, schedule="sequential")
    (layer,) = stats["layers"]
    tile = tuple(int(v) for v in layer["tile"].split("x"))
    assert tile in cfg.tile_shapes
    cycles, instructions = hand_cycles(cfg, tile, T, B, I, H)
    assert stats["reconfigurations"] == (0 if tile == cfg.default_tile else 1)
    assert stats["instructions"] == instructions
    assert stats["cycles"] == cycles


# --------------------------------------------------------------------------- budgets


def fixed_tile_config(tmp_path, macs: int, tile=(16, 16)) -> str:
    """sharp-4k with another multiplier count and a single legal tile geometry."""
    data = load_config("sharp-4k").to_dict()
    data.update(name=f"fixed-{macs}", macs=macs, tile_shapes=[list(tile)], default_tile=list(tile))
    path = tmp_path / f"fixed-{macs}.json"
    path.write_text(json.dumps(data))
    return str(path)


MODELS = [
    ("LSTM", dict(T=3, B=1, I=3, H=4)),
    ("LSTM", dict(T=4, B=2, I=17, H=33, direction="bidirectional")),
    ("GRU", dict(T=3, B=1, I=100, H=100, linear_before_reset=1)),
    ("GRU", dict(T=4, B=2, I=17, H=33, direction="bidirectional")),
    ("RNN", dict(T=2, B=5, I=64, H=200, direction="reverse")),
    ("RNN", dict(T=2, B=1, I=7, H=1)),
]
MODEL_IDS = ["lstm-tiny", "lstm-bidir", "gru-100", "gru-bidir", "rnn-200", "rnn-tiny"]


@pytest.mark.parametrize(("op", "dims"), MODELS, ids=MODEL_IDS)
def test_more_multipliers_never_slower_at_the_same_tile(tmp_path, op, dims):
    """With the tile geometry held fixed, a bigger array has more tiles, never fewer: the
    issue rounds ceil(ceil(M/rows)/tiles) can only drop and nothing else changes."""
    model, feeds = rnn_model(op, **dims)
    cycles = [run_stats(model, feeds, hw=fixed_tile_config(tmp_path, macs))["cycles"] for macs in BUDGETS]
    assert all(a >= b for a, b in zip(cycles, cycles[1:], strict=False)), cycles


@pytest.mark.parametrize(("op", "dims"), MODELS, ids=MODEL_IDS)
def test_more_multipliers_cost_at_most_one_reconfiguration(op, dims):
    """With per-layer reconfiguration, cycles are *not* monotone in the budget for small layers.

    Why: the array powers up in the budget's default geometry (the square tile nearest a
    quarter of the array: 16x16 at 1K ... 128x128 at 64K), and leaving it costs
    `reconfig_cycles`. A deeper default tile has a deeper adder tree (ceil(log2 cols) cycles of
    pipeline fill per MVM), so a small model on a big array either keeps the default and pays
    the extra fill on every MVM, or pays one reconfiguration. The bound that does hold: the
    bigger array can run the smaller one's tile choices (its tile menu is a superset, each
    tile at least as fast), at the price of at most one extra reconfiguration, and the
    reconfigure pass is optimal, so cycles(bigger) <= cycles(smaller) + reconfig_cycles.
    """
    model, feeds = rnn_model(op, **dims)
    cfg = load_config("sharp-4k")
    cycles = [run_stats(model, feeds, budget=b)["cycles"] for b in BUDGETS]
    for smaller, bigger in zip(cycles, cycles[1:], strict=False):
        assert bigger <= smaller + cfg.reconfig_cycles, cycles


@pytest.mark.parametrize(("op", "dims"), [m for m in MODELS if m[1]["H"] >= 100], ids=["gru-100", "rnn-200"])
def test_more_multipliers_never_slower_for_large_layers(op, dims):
    """Where the matrices fill the array, the budget's default geometry is never the
    bottleneck and cycles fall monotonically with the budget and along the presets."""
    model, feeds = rnn_model(op, **dims)
    by_budget = [run_stats(model, feeds, budget=b)["cycles"] for b in BUDGETS]
    assert all(a >= b for a, b in zip(by_budget, by_budget[1:], strict=False)), by_budget
    by_preset = [run_stats(model, feeds, hw=h)["cycles"] for h in PRESETS[:4]]
    assert all(a >= b for a, b in zip(by_preset, by_preset[1:], strict=False)), by_preset
