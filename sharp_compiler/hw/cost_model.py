"""What each unit's work costs in cycles: the one cost model.

The simulator's timing engine and the compiler's reconfiguration and
scheduling passes both call these functions, so they cannot disagree about
what a cycle costs. Pure arithmetic on `HwConfig`; imports no xDSL.

Tiled dispatch: an [M, K] weight matrix is cut into blocks of the tile
geometry `rows x cols`; a tile multiplies one block by one vector per cycle;
the array holds `macs // (rows*cols)` tiles that work in parallel. Each tile
owns whole block rows (row block b goes to tile b mod tiles) and walks their
K blocks, so a row's partial sums stay in one tile's accumulators and need no
reduction across tiles::

    row_blocks = ceil(M/rows), k_blocks = ceil(K/cols)
    cycles     = ceil(row_blocks / tiles) * k_blocks * n_vectors + array_latency

Native blocks (`HwConfig.native_rows` > 0, the BrainWave-like tile engines): a tile
is an engine of `rows` dot-product lanes and owns blocks of `native_rows` rows
(M padded to a multiple of it); each lane takes one row of a block per cycle, so a
block costs `native_rows / rows` issue cycles per column block and vector::

    row_blocks = ceil(M/native_rows)
    cycles     = ceil(row_blocks / tiles) * (native_rows/rows) * k_blocks * n_vectors + array_latency

(native_rows = 0 is the first formula: a tile's block is its own `rows`.)

Units are pipelined: an instruction *occupies* its unit for its throughput
cycles (`occupancy`: blocks issued, elements / lanes, bytes / bandwidth) and
*completes* its fixed `latency` later (array fill, activation and cell
pipelines, DRAM latency); the next instruction may issue as soon as the
occupancy is over. `Cost(occupancy, latency)` is what every function below
describes; `cycles` (occupancy + latency) is the time of one instruction alone.

Two kinds of waste follow, and they are what reconfiguration trades: padding
(a hidden size that is not a multiple of the block leaves multipliers of the
partial blocks idle) and idle tiles (fewer row blocks than tiles, or a last
round that does not fill them: small layers on big arrays).
"""

from __future__ import annotations

import math
from typing import NamedTuple

from sharp_compiler.hw.config import HwConfig, TileShape


class Cost(NamedTuple):
    """One instruction's cost: cycles it occupies its unit, then cycles until its results are complete."""

    occupancy: int
    latency: int

    @property
    def cycles(self) -> int:
        return self.occupancy + self.latency


def mvm_block_shape(cfg: HwConfig, tile: TileShape) -> TileShape:
    """The weight block one tile owns: `native_rows x cols` (`rows x cols` when native_rows is 0)."""
    return cfg.native_block_rows(tile), tile[1]


def mvm_block_cycles(cfg: HwConfig, tile: TileShape) -> int:
    """Issue cycles one block takes on its tile per column block and vector: native_rows / rows."""
    return cfg.native_block_rows(tile) // tile[0]


def mvm_blocks(block: TileShape, m: int, k: int) -> int:
    """Weight blocks of shape `block` (`mvm_block_shape`) an [m, k] matrix is cut into."""
    return math.ceil(m / block[0]) * math.ceil(k / block[1])


def mvm_issue_cycles(cfg: HwConfig, tile: TileShape, m: int, k: int, n_vectors: int) -> int:
    """Cycles the array is occupied issuing blocks (throughput part, without pipeline fill)."""
    rounds = math.ceil(math.ceil(m / cfg.native_block_rows(tile)) / cfg.tiles_for(tile))
    return rounds * mvm_block_cycles(cfg, tile) * math.ceil(k / tile[1]) * n_vectors


def mvm_cycles(cfg: HwConfig, tile: TileShape, m: int, k: int, n_vectors: int) -> int:
    """Cycles of one matrix-vector (or matrix-matrix) dispatch, pipeline fill included."""
    return mvm_issue_cycles(cfg, tile, m, k, n_vectors) + cfg.array_latency(tile)


def mvm_padded_slots(cfg: HwConfig, tile: TileShape, m: int, k: int, n_vectors: int) -> int:
    """Multiplier-cycles spent on padding: block slots minus useful MACs (rows padded to the block's)."""
    block = mvm_block_shape(cfg, tile)
    return mvm_blocks(block, m, k) * block[0] * block[1] * n_vectors - m * k * n_vectors


def mvm_idle_tile_slots(cfg: HwConfig, tile: TileShape, m: int, k: int, n_vectors: int) -> int:
    """Multiplier-cycles of tiles with no block to work on while the dispatch issues."""
    blocks = mvm_blocks(mvm_block_shape(cfg, tile), m, k)
    busy_tile_cycles = blocks * mvm_block_cycles(cfg, tile) * n_vectors
    total_tile_cycles = mvm_issue_cycles(cfg, tile, m, k, n_vectors) * cfg.tiles_for(tile)
    return (total_tile_cycles - busy_tile_cycles) * tile[0] * tile[1]


def mvm_cost(cfg: HwConfig, tile: TileShape, m: int, k: int, n_vectors: int) -> Cost:
    return Cost(max(1, mvm_issue_cycles(cfg, tile, m, k, n_vectors)), cfg.array_latency(tile))


def act_cost(cfg: HwConfig, elements: int) -> Cost:
    return Cost(max(1, math.ceil(elements / cfg.act_lanes)), cfg.act_latency)


def cell_cost(cfg: HwConfig, elements: int) -> Cost:
    return Cost(max(1, math.ceil(elements / cfg.cell_lanes)), cfg.cell_latency)


def dram_cost(cfg: HwConfig, nbytes: int) -> Cost:
    """One DMA transfer to or from DRAM: the bytes stream at the bandwidth, the first after the latency."""
    return Cost(max(1, math.ceil(nbytes / cfg.dram_bytes_per_cycle)), cfg.dram_latency)


def onchip_move_cost(cfg: HwConfig, nbytes: int) -> Cost:
    return Cost(max(1, math.ceil(nbytes / cfg.onchip_bytes_per_cycle)), 1)


def reconfig_cost(cfg: HwConfig) -> Cost:
    """Re-wiring the array: it is drained first (the simulator waits for every array instruction)."""
    return Cost(cfg.reconfig_cycles, 0)


def act_cycles(cfg: HwConfig, elements: int) -> int:
    return act_cost(cfg, elements).cycles


def cell_cycles(cfg: HwConfig, elements: int) -> int:
    return cell_cost(cfg, elements).cycles


def dram_cycles(cfg: HwConfig, nbytes: int) -> int:
    """One DMA transfer to or from DRAM, alone."""
    return dram_cost(cfg, nbytes).cycles


def onchip_move_cycles(cfg: HwConfig, nbytes: int) -> int:
    return onchip_move_cost(cfg, nbytes).cycles


def reconfig_cycles(cfg: HwConfig) -> int:
    return cfg.reconfig_cycles
