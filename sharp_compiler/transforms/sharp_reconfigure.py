"""sharp-reconfigure: choose the tile geometry of every layer for the budget.

For each layer the pass prices every legal tile shape with the simulator's
cost model (`hw.cost_model.mvm_cycles` over the layer's dispatches, times
their loop trip counts), then picks the sequence of shapes that minimises
total cycles including `reconfig_cycles` for every change (an exact dynamic
program over the layers, so a change is only made when it pays for itself).
`sharp.configure_tile` ops are placed where the shape changes and nowhere
else; the array starts in `default_tile`.

Before (an LSTM of hidden 24, input 10, 100 steps, lowered for a 64K budget)::

    sharp.layer @small_fwd "lstm" from "small" tile <128x128> macs 326400 { ... }

After (`sharp-opt m.mlir -p 'convert-rnn-to-sharp{budget=65536},sharp-reconfigure'`)::

    sharp.layer @small_fwd "lstm" from "small" tile <8x32> macs 326400 {
      sharp.configure_tile <8x32>
      sharp.load_weights <@small_fwd_Wbuf[0:96, 0:10]>, <@small_fwd_W[base 0, rows 96 stride 10, cols 10]>
      ...

On sharp-4k no geometry beats the default 32x32 by more than a reconfiguration costs, so
the layer keeps it (tests/filecheck/transforms/sharp-reconfigure.mlir).

With `mode=fixed` every layer keeps `default_tile` (the non-adaptive baseline).
With `mode=forced tile=RxC` every layer with matrix work gets that legal shape
(`sharp-compile --tile`; `sharp-compile --list-tiles` prints the legal ones), configured
once before the first such layer::

    sharp-opt m.mlir -p 'convert-rnn-to-sharp,sharp-reconfigure{mode=forced tile=16x64}'

    sharp.layer @small_fwd "lstm" from "small" tile <16x64> macs 326400 {
      sharp.configure_tile <16x64>
      ...
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import TileAttr
from sharp_compiler.hw import cost_model
from sharp_compiler.hw.config import HwConfig, HwConfigError, TileShape
from sharp_compiler.hw.tiles import check_tile, parse_tile
from sharp_compiler.transforms.rnn_access import LoweringError, check_mode
from sharp_compiler.transforms.rnn_to_sharp import module_config

MODES = ("per-layer", "fixed", "forced")


def dispatch_shapes(ops: list[Operation], trips: int = 1) -> list[tuple[int, int, int, int]]:
    """(M, K, n_vectors, repetitions) of every dispatch in a list of ops."""
    shapes: list[tuple[int, int, int, int]] = []
    for op in ops:
        if isinstance(op, sharp.DispatchOp):
            shapes.append((op.dst.ncols.data, op.src.ncols.data, op.dst.nrows.data, trips))
        elif isinstance(op, sharp.TimeLoopOp):
            shapes.extend(dispatch_shapes(list(op.body.block.ops), trips * op.trips.data))
    return shapes


def layer_array_cycles(cfg: HwConfig, tile: TileShape, shapes: list[tuple[int, int, int, int]]) -> int:
    return sum(cost_model.mvm_cycles(cfg, tile, m, k, n) * reps for m, k, n, reps in shapes)


def choose_tiles(cfg: HwConfig, layers: list[list[tuple[int, int, int, int]]]) -> list[TileShape]:
    """Exact minimum over tile sequences of array cycles plus reconfiguration cycles."""
    candidates = list(cfg.tile_shapes) if cfg.reconfigurable else [cfg.default_tile]
    costs = [
        {tile: layer_array_cycles(cfg, tile, shapes) for tile in candidates} if shapes else {}
        for shapes in layers
    ]
    return best_sequence(cfg, costs)


def best_sequence(cfg: HwConfig, costs: list[dict[TileShape, int]]) -> list[TileShape]:
    """The tile sequence minimising the layers' costs plus `reconfig_cycles` per change (a dynamic
    program over layers; an empty cost table is a layer without matrix work, which keeps the tile)."""
    best: dict[TileShape, tuple[int, list[TileShape]]] = {cfg.default_tile: (0, [])}
    for table in costs:
        if not table:  # layers without matrix work keep the array as it is
            best = {t: (c, [*path, t]) for t, (c, path) in best.items()}
            continue
        step: dict[TileShape, tuple[int, list[TileShape]]] = {}
        for tile, work in table.items():
            cost, path = min(
                ((c + (cfg.reconfig_cycles if prev != tile else 0), p) for prev, (c, p) in best.items()),
                key=lambda cp: (cp[0], cp[1]),
            )
            step[tile] = (cost + work, [*path, tile])
        best = step
    return min(best.values(), key=lambda cp: (cp[0], cp[1]))[1]


def scheduled_costs(
    cfg: HwConfig, precision: str, layers: list[sharp.LayerOp], scheme: str
) -> list[dict[TileShape, int]]:
    """Per layer, the cycles the layer takes under each candidate tile, scheduled by `scheme`.

    Candidates: every tile no other tile beats on all of the layer's dispatch occupancies and
    the array latency (the timing model is monotone in both, so a dominated tile cannot be
    faster), pooled over all layers so a tile shared with a neighbour (no reconfiguration) is
    priced too. Each is timed by the simulator's engine (`schedule_cost.layer_cycles`).
    """
    from sharp_compiler.transforms.schedule_cost import dispatch_costs, dominated, layer_cycles

    menu = list(cfg.tile_shapes) if cfg.reconfigurable else [cfg.default_tile]
    with_work = [layer for layer in layers if any(isinstance(o, sharp.DispatchOp) for o in layer.walk())]
    pool: set[TileShape] = {cfg.default_tile} & set(menu)
    for layer in with_work:
        table = {tile: dispatch_costs(layer, cfg, tile) for tile in menu}
        pool |= set(menu) - dominated(table)
    candidates = [tile for tile in menu if tile in pool]
    return [
        {tile: layer_cycles(cfg, precision, layer, tile, scheme) for tile in candidates}
        if layer in with_work
        else {}
        for layer in layers
    ]


@dataclass(frozen=True)
class SharpReconfigurePass(ModulePass):
    """Pick each layer's tile geometry with the cost model; drop redundant reconfigurations."""

    name = "sharp-reconfigure"
    mode: str = "per-layer"
    scheme: str = ""
    """Price tiles under this schedule (`schedule_cost`), latencies included; "" prices array cycles."""
    tile: str = ""

    def forced_tile(self, cfg: HwConfig) -> TileShape:
        try:
            return check_tile(cfg, parse_tile(self.tile))
        except HwConfigError as err:
            raise LoweringError(f"sharp-reconfigure: {err}") from None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_mode("sharp-reconfigure", self.mode, MODES)
        if (self.mode == "forced") != bool(self.tile):
            raise LoweringError(
                "sharp-reconfigure: mode=forced needs tile=RxC, and tile=RxC needs mode=forced"
            )
        cfg, precision = module_config(op)
        layers = [layer for layer in op.body.block.ops if isinstance(layer, sharp.LayerOp)]
        shapes = [dispatch_shapes(list(layer.body.block.ops)) for layer in layers]
        if self.mode == "forced":
            tiles = [self.forced_tile(cfg)] * len(layers)
        elif self.mode == "fixed":
            tiles = [cfg.default_tile] * len(layers)
        elif self.scheme:
            tiles = best_sequence(cfg, scheduled_costs(cfg, precision, layers, self.scheme))
        else:
            tiles = choose_tiles(cfg, shapes)
        current = cfg.default_tile
        for layer, tile, layer_shapes in zip(layers, tiles, shapes, strict=True):
            for old in [o for o in layer.body.block.ops if isinstance(o, sharp.ConfigureTileOp)]:
                old.detach()
                old.erase()
            layer.properties["tile"] = TileAttr(*tile)
            if layer_shapes and tile != current:
                first = layer.body.block.first_op
                config = sharp.ConfigureTileOp(TileAttr(*tile))
                if first is None:
                    layer.body.block.add_op(config)
                else:
                    layer.body.block.insert_op_before(config, first)
                current = tile
