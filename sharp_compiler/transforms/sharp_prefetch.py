"""sharp-prefetch: load the next layer's weights while the current layer's time loop runs.

A layer's weights are loaded in its prologue, after the barrier that ends the previous
layer's loop, so the DMA engine sits idle during the loop and the array waits for the
transfer after it. This pass moves the next layer's weight loads that its *prologue*
consumes (W, read by the input projection) in front of the current layer's time loop;
the loads its loop reads (R) stay, and stream while the projection runs, unless the
prologue has no projection to hide them behind (`sharp-sink-projection` moved it into the
loop): then R moves too. A load moves only when nothing it jumps over touches what it
reads or writes, and only when both layers' weight buffers fit the weight memory together;
a move is undone if the allocator, with its own lifetimes (`sharp_allocate.addresses`),
no longer fits every buffer. `sharp-schedule` lets such a load *float* across the barrier in front of the
loop (`dataflow_tokens.floating_dma`): it runs between the DMA unit's join and fork, so
the loop does not wait for it.

Before::

    sharp.layer @l0 ... { ...  sharp.time_loop 50 { ... }  ... }
    sharp.layer @l1 ... { sharp.load ...  sharp.load_weights <@l1_Wbuf[0:16, 0:8]>, <@l1_W[...]>
                          sharp.dispatch ...  sharp.load_weights <@l1_Rbuf[0:16, 0:4]>, ... }

After::

    sharp.layer @l0 ... { ...  sharp.load_weights <@l1_Wbuf[0:16, 0:8]>, <@l1_W[...]>
                               sharp.time_loop 50 { ... }  ... }
    sharp.layer @l1 ... { sharp.load ...  sharp.dispatch ...  sharp.load_weights <@l1_Rbuf[0:16, 0:4]>, ... }

The DMA unit is one in-order queue: per-step DMA of the earlier loop (Y stores) queues
behind the prefetch, and nothing in the loop waits for those stores; a loop that loads
per step keeps the next layer's loads where they are (`mode=none` turns the pass off).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from sharp_compiler.dialects import sharp
from sharp_compiler.hw.config import HwConfig
from sharp_compiler.transforms.dataflow_tokens import accesses, touched
from sharp_compiler.transforms.rnn_access import LoweringError, check_mode
from sharp_compiler.transforms.rnn_to_sharp import module_config
from sharp_compiler.transforms.sharp_allocate import addresses, buffers_used

MODES = ("weights", "none")


def _movable_loads(
    earlier: sharp.LayerOp, loop: sharp.TimeLoopOp, later: sharp.LayerOp
) -> list[sharp.LoadWeightsOp]:
    """The later layer's weight loads before its time loop that may move in front of `loop`.

    The loads its loop reads stay when the prologue has matrix work on other weights (the
    input projection), so they stream behind it; otherwise (`sharp-sink-projection` moved the
    projection into the loop) they move too. A load moves when nothing it would jump over
    touches what it reads or writes: the earlier layer's ops from `loop` on, and the later
    layer's ops before it (loads that move together keep their order).
    """
    between: list[sharp.InstructionOp] = []
    for op in earlier.body.block.ops:
        if op is loop or between:
            between.extend(o for o in op.walk() if isinstance(o, sharp.InstructionOp))
    loops = [op for op in later.body.block.ops if isinstance(op, sharp.TimeLoopOp)]
    loop_reads = touched(loops[0])[0] if loops else set()
    prologue = list(later.body.block.ops)
    prologue = prologue[: prologue.index(loops[0])] if loops else prologue
    # matrix work in the prologue on weights the loop does not read (the input projection)
    hidden = any(
        isinstance(op, sharp.DispatchOp) and f"buffer @{op.weights.buffer.data}" not in loop_reads
        for op in prologue
    )
    loads: list[sharp.LoadWeightsOp] = []
    for op in prologue:
        if not isinstance(op, sharp.InstructionOp):
            continue
        mine = accesses(op)
        for_prologue = not hidden or not any(a.write and a.resource in loop_reads for a in mine)
        if (
            isinstance(op, sharp.LoadWeightsOp)
            and for_prologue
            and not any(a.conflicts(b) for b in mine for other in between for a in accesses(other))
        ):
            loads.append(op)
        else:
            between.append(op)
    return loads


def _wmem_words(layer: sharp.LayerOp, buffers: dict[str, sharp.BufferOp]) -> int:
    return sum(
        buffers[n].rows.data * buffers[n].cols.data
        for n in buffers_used(layer)
        if buffers[n].space.data == "wmem"
    )


def _single_loop(layer: sharp.LayerOp) -> sharp.TimeLoopOp | None:
    """The layer's one time loop, unless it loads per step (it would wait behind a prefetch)."""
    loops = [o for o in layer.body.block.ops if isinstance(o, sharp.TimeLoopOp)]
    if len(loops) != 1 or any(isinstance(o, (sharp.LoadOp, sharp.LoadWeightsOp)) for o in loops[0].walk()):
        return None
    return loops[0]


def _fits(
    earlier: sharp.LayerOp, later: sharp.LayerOp, buffers: dict[str, sharp.BufferOp], capacity: int
) -> bool:
    return _wmem_words(earlier, buffers) + _wmem_words(later, buffers) <= capacity


def prefetchable(cfg: HwConfig, precision: str, earlier: sharp.LayerOp, later: sharp.LayerOp) -> bool:
    """Whether this pass may move `later`'s weight loads into `earlier` (one loop, weights fit together)."""
    module = earlier.parent_op()
    assert isinstance(module, ModuleOp)
    buffers = {b.sym_name.data: b for b in module.body.block.ops if isinstance(b, sharp.BufferOp)}
    capacity = cfg.weight_buffer_bytes // cfg.weight_bytes_per_element(precision)
    return _single_loop(earlier) is not None and _fits(earlier, later, buffers, capacity)


def _allocates(module: ModuleOp) -> bool:
    """Whether the buffers still fit with the loads moved (the allocator's own lifetimes)."""
    try:
        addresses(module)
    except LoweringError:
        return False
    return True


@dataclass(frozen=True)
class SharpPrefetchPass(ModulePass):
    """Hoist each layer's weight loads in front of the previous layer's time loop."""

    name = "sharp-prefetch"
    mode: str = "weights"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_mode("sharp-prefetch", self.mode, MODES)
        if self.mode == "none":
            return
        cfg, precision = module_config(op)
        capacity = cfg.weight_buffer_bytes // cfg.weight_bytes_per_element(precision)
        buffers = {b.sym_name.data: b for b in op.body.block.ops if isinstance(b, sharp.BufferOp)}
        layers = [layer for layer in op.body.block.ops if isinstance(layer, sharp.LayerOp)]
        for earlier, later in zip(layers, layers[1:], strict=False):
            loop = _single_loop(earlier)
            if loop is None or not _fits(earlier, later, buffers, capacity):
                continue
            loads = _movable_loads(earlier, loop, later)
            anchors = [(load, load.next_op) for load in loads]
            for load in loads:
                load.detach()
                earlier.body.block.insert_op_before(load, loop)
            if not _allocates(op):
                for load, anchor in reversed(anchors):  # put them back where they were
                    load.detach()
                    if anchor is None:
                        later.body.block.add_op(load)
                    else:
                        later.body.block.insert_op_before(load, anchor)
