"""What each unit's work costs in cycles: the one cost model.

The simulator's timing engine and the compiler's reconfiguration and
scheduling passes both call these functions, so they cannot disagree about
what a cycle costs. Pure arithmetic on `HwConfig`; imports no xDSL.

Tiled dispatch: an [M, K] weight matrix is cut into blocks of the tile
geometry `rows x cols`; a tile multiplies one block by one vector per cycle;
the array holds `macs // (rows*cols)` tiles that work in parallel::

    blocks  = ceil(M/rows) * ceil(K/cols)
    cycles  = ceil(blocks * n_vectors / tiles) + array_latency
"""

from __future__ import annotations

import math

from sharp_compiler.hw.config import HwConfig, TileShape


def mvm_blocks(tile: TileShape, m: int, k: int) -> int:
    """Weight blocks an [m, k] matrix is cut into."""
    return math.ceil(m / tile[0]) * math.ceil(k / tile[1])


def mvm_issue_cycles(cfg: HwConfig, tile: TileShape, m: int, k: int, n_vectors: int) -> int:
    """Cycles the array is occupied issuing blocks (throughput part, without pipeline fill)."""
    return math.ceil(mvm_blocks(tile, m, k) * n_vectors / cfg.tiles_for(tile))


def mvm_cycles(cfg: HwConfig, tile: TileShape, m: int, k: int, n_vectors: int) -> int:
    """Cycles of one matrix-vector (or matrix-matrix) dispatch, pipeline fill included."""
    return mvm_issue_cycles(cfg, tile, m, k, n_vectors) + cfg.array_latency(tile)


def mvm_padded_slots(cfg: HwConfig, tile: TileShape, m: int, k: int, n_vectors: int) -> int:
    """Multiplier-cycles spent on padding: block slots minus useful MACs."""
    return mvm_blocks(tile, m, k) * tile[0] * tile[1] * n_vectors - m * k * n_vectors


def act_cycles(cfg: HwConfig, elements: int) -> int:
    return math.ceil(elements / cfg.act_lanes) + cfg.act_latency


def cell_cycles(cfg: HwConfig, elements: int) -> int:
    return math.ceil(elements / cfg.cell_lanes) + cfg.cell_latency


def dram_cycles(cfg: HwConfig, nbytes: int) -> int:
    """One DMA transfer to or from DRAM."""
    return cfg.dram_latency + math.ceil(nbytes / cfg.dram_bytes_per_cycle)


def onchip_move_cycles(cfg: HwConfig, nbytes: int) -> int:
    return 1 + math.ceil(nbytes / cfg.onchip_bytes_per_cycle)


def reconfig_cycles(cfg: HwConfig) -> int:
    return cfg.reconfig_cycles
