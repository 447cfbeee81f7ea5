"""sharp-allocate: place every on-chip buffer in the vector or weight buffer.

Lifetimes are counted in *epochs*: the straight-line code between two time
loops is one epoch (schedules overlap anything in it, across layer
boundaries), each time loop another (schedules put a barrier on either side of
a loop), except the DMA ops that float across the barrier into the loop
(`dataflow_tokens.floating_dma`): their buffers live through the loop too. A
buffer lives from the first to the last epoch that uses it; the
pass packs buffers first-fit by lifetime, so layers that run one after
another reuse the same addresses. A model whose live buffers exceed a memory's capacity is
rejected with the layer, the need and the capacity.

Before::

    sharp.buffer @l0_acc vmem [1 x 64]

After::

    sharp.buffer @l0_acc vmem [1 x 64] at 0
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import IntAttr, ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import WindowAttr
from sharp_compiler.hw.config import WORD_BYTES
from sharp_compiler.transforms.dataflow_tokens import floating_dma, pieces
from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.rnn_to_sharp import module_config


def buffers_used(op: Operation) -> set[str]:
    names: set[str] = set()
    for inner in op.walk():
        for attr in inner.properties.values():
            if isinstance(attr, WindowAttr):
                names.add(attr.buffer.data)
    return names


def _first_fit(placed: list[tuple[int, int]], size: int) -> int:
    """Lowest address where [addr, addr+size) overlaps no placed interval."""
    addr = 0
    for start, end in sorted(placed):
        if addr + size <= start:
            return addr
        addr = max(addr, end)
    return addr


@dataclass(frozen=True)
class SharpAllocatePass(ModulePass):
    """Assign addresses to on-chip buffers by lifetime; check capacities."""

    name = "sharp-allocate"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        buffers = {b.sym_name.data: b for b in op.body.block.ops if isinstance(b, sharp.BufferOp)}
        placed = addresses(op)
        for name, buf in buffers.items():
            # declared but unused: address 0, so the program stays complete
            buf.properties["base"] = IntAttr(placed.get(name, 0))


def addresses(op: ModuleOp) -> dict[str, int]:
    """Every used buffer's address, packed first-fit by lifetime (the module is not changed).

    Raises `LoweringError` naming the layer when the live buffers exceed a memory.
    """
    cfg, precision = module_config(op)
    layers = [layer for layer in op.body.block.ops if isinstance(layer, sharp.LayerOp)]
    buffers = {b.sym_name.data: b for b in op.body.block.ops if isinstance(b, sharp.BufferOp)}
    life: dict[str, tuple[int, int]] = {}
    layer_of_epoch: dict[int, sharp.LayerOp] = {}
    epoch_of: dict[Operation, int] = {}
    epoch = 0
    for layer in layers:
        for item in layer.body.block.ops:
            if isinstance(item, sharp.TimeLoopOp):
                epoch += 1
            layer_of_epoch.setdefault(epoch, layer)
            epoch_of[item] = epoch
            for name in buffers_used(item):
                if name not in buffers:
                    raise LoweringError(f"layer @{layer.sym_name.data} uses undeclared buffer @{name}", layer)
                first, _ = life.get(name, (epoch, epoch))
                life[name] = (first, epoch)
            if isinstance(item, sharp.TimeLoopOp):
                epoch += 1
    runs = pieces(op.body.block)
    for segment, loop in zip(runs, runs[1:], strict=False):
        if segment.loop is not None or loop.loop is None:
            continue
        for moved in floating_dma(segment.ops, loop.ops):
            for name in buffers_used(moved):
                first, last = life[name]
                life[name] = (first, max(last, epoch_of[loop.loop]))
    capacity = {
        "vmem": cfg.vector_buffer_words,
        "wmem": cfg.weight_buffer_bytes // cfg.weight_bytes_per_element(precision),
    }
    unit_bytes = {"vmem": WORD_BYTES, "wmem": cfg.weight_bytes_per_element(precision)}
    live: dict[str, list[tuple[str, int, int]]] = {"vmem": [], "wmem": []}
    placed: dict[str, int] = {}
    order = sorted(life, key=lambda n: (life[n][0], n))
    for name in order:
        buf = buffers[name]
        space, size = buf.space.data, buf.rows.data * buf.cols.data
        first, _ = life[name]
        live[space] = [(n, s, e) for n, s, e in live[space] if life[n][1] >= first]
        addr = _first_fit([(s, e) for _, s, e in live[space]], size)
        if addr + size > capacity[space]:
            culprit = layer_of_epoch[first]
            layer = culprit.sym_name.data
            need = (addr + size) * unit_bytes[space]
            have = capacity[space] * unit_bytes[space]
            memory = "vector buffer" if space == "vmem" else "weight buffer"
            raise LoweringError(
                f"layer @{layer} needs {need} bytes of {memory}, {cfg.name} has {have}: "
                "the model does not fit this configuration",
                culprit,
            )
        live[space].append((name, addr, addr + size))
        placed[name] = addr
    return placed
