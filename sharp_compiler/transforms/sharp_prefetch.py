"""sharp-prefetch: load the next layer's weights while the current layer's time loop runs.

A layer's weights are loaded in its prologue, after the barrier that ends the previous
layer's loop, so the DMA engine sits idle during the loop and the array waits for the
transfer after it. This pass moves the weight loads that open a layer (its leading
`sharp.load_weights` of constant or input tensors) in front of the previous layer's time loop,
where they stream while that loop computes. It does so only when both layers' weight buffers
fit the weight memory together (the allocator's epochs then keep them apart) and the moved
loads read nothing the earlier layer writes.

Before::

    sharp.layer @l0 ... { ...  sharp.time_loop 50 { ... }  ... }
    sharp.layer @l1 ... { sharp.load_weights <@l1_Wbuf[...]>, <@l1_W[...]>  ... }

After::

    sharp.layer @l0 ... { ...  sharp.load_weights <@l1_Wbuf[...]>, <@l1_W[...]>
                               sharp.time_loop 50 { ... }  ... }
    sharp.layer @l1 ... { ... }

The DMA unit is one in-order queue: per-step DMA of the earlier loop (the per-step input of
the fallback path, Y stores) queues behind the prefetch; nothing in the loop waits for those
stores, and per-step inputs only occur in layers that keep their loads (`mode=none` turns the
pass off).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from sharp_compiler.dialects import sharp
from sharp_compiler.transforms.convert_rnn_to_sharp import module_config
from sharp_compiler.transforms.dataflow_tokens import accesses, touched
from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.sharp_allocate import buffers_used

MODES = ("weights", "none")


def _leading_loads(layer: sharp.LayerOp) -> list[sharp.LoadWeightsOp]:
    loads: list[sharp.LoadWeightsOp] = []
    for op in layer.body.block.ops:
        if isinstance(op, sharp.ConfigureTileOp):
            continue
        if not isinstance(op, sharp.LoadWeightsOp):
            break
        loads.append(op)
    return loads


def _wmem_words(layer: sharp.LayerOp, buffers: dict[str, sharp.BufferOp]) -> int:
    return sum(
        buffers[n].rows.data * buffers[n].cols.data
        for n in buffers_used(layer)
        if buffers[n].space.data == "wmem"
    )


@dataclass(frozen=True)
class SharpPrefetchPass(ModulePass):
    """Hoist each layer's weight loads in front of the previous layer's time loop."""

    name = "sharp-prefetch"
    mode: str = "weights"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.mode not in MODES:
            raise LoweringError(f"sharp-prefetch: mode must be one of {', '.join(MODES)}, got '{self.mode}'")
        if self.mode == "none":
            return
        cfg, precision = module_config(op)
        capacity = cfg.weight_buffer_bytes // cfg.weight_bytes_per_element(precision)
        buffers = {b.sym_name.data: b for b in op.body.block.ops if isinstance(b, sharp.BufferOp)}
        layers = [layer for layer in op.body.block.ops if isinstance(layer, sharp.LayerOp)]
        for earlier, later in zip(layers, layers[1:], strict=False):
            loops = [o for o in earlier.body.block.ops if isinstance(o, sharp.TimeLoopOp)]
            loads = _leading_loads(later)
            if len(loops) != 1 or not loads:
                continue
            if _wmem_words(earlier, buffers) + _wmem_words(later, buffers) > capacity:
                continue
            reads = {a.resource for load in loads for a in accesses(load) if not a.write}
            if reads & touched(earlier)[1]:
                continue
            for load in loads:
                load.detach()
                earlier.body.block.insert_op_before(load, loops[0])
