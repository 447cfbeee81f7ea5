"""sharp-interleave: run independent recurrences in one time loop (beyond the paper).

One recurrence leaves the array idle while its cell update finishes and the
cell units idle while the array works; the two directions of a bidirectional
layer do not depend on each other, so fusing their time loops lets each fill
the other's gaps. The pass fuses two consecutive layers of the same ONNX node
whose time loops have the same trip count and that read nothing the other
writes and share no buffer (both may write one DRAM tensor: each direction
writes its own window of Y). The fused layer runs both prologues, one loop whose body is both
bodies (the backward direction's windows still walk the sequence backwards),
then both epilogues; the schedule's dataflow tokens then overlap the two.

Before::

    sharp.layer @l_fwd "lstm" from "l" ... { prologue_f  sharp.time_loop 50 { body_f }  epilogue_f }
    sharp.layer @l_bwd "lstm" from "l" ... { prologue_b  sharp.time_loop 50 { body_b }  epilogue_b }

After::

    sharp.layer @l_bidir "lstm" from "l" ... {
      prologue_f  prologue_b
      sharp.time_loop 50 { body_f  body_b }
      epilogue_f  epilogue_b
    }

Run it after `convert-rnn-to-sharp` and before `sharp-schedule`; `mode=none` keeps
layers as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import WindowAttr
from sharp_compiler.transforms.dataflow_tokens import accesses, touched
from sharp_compiler.transforms.rnn_access import check_mode
from sharp_compiler.transforms.rnn_to_sharp import module_config
from sharp_compiler.transforms.sharp_allocate import buffers_used

MODES = ("directions", "none")


def _split(layer: sharp.LayerOp) -> tuple[list[Operation], sharp.TimeLoopOp, list[Operation]] | None:
    """(ops before, the loop, ops after) of a layer with exactly one time loop."""
    ops = list(layer.body.block.ops)
    loops = [k for k, op in enumerate(ops) if isinstance(op, sharp.TimeLoopOp)]
    if len(loops) != 1:
        return None
    k = loops[0]
    loop = ops[k]
    assert isinstance(loop, sharp.TimeLoopOp)
    return ops[:k], loop, ops[k + 1 :]


def _independent(a: sharp.LayerOp, b: sharp.LayerOp) -> bool:
    """Neither touches what the other writes: buffers judged window by window (the directions of
    a node share its sequence buffer, each in its own columns), DRAM tensors by name (both may
    write one: each direction its own window of Y)."""
    ra, wa = touched(a)
    rb, wb = touched(b)
    if {r for r in (wa & rb) | (wb & ra) if r.startswith("tensor @")}:
        return False
    shared = {r for r in (wa & (rb | wb)) | (wb & ra) if r.startswith("buffer @")}
    if not shared:
        return True
    found = [
        [
            x
            for op in layer.walk()
            if isinstance(op, sharp.InstructionOp)
            for x in accesses(op)
            if x.resource in shared
        ]
        for layer in (a, b)
    ]
    return not any(x.conflicts(y) for x in found[0] for y in found[1])


def _fits(
    a: sharp.LayerOp, b: sharp.LayerOp, buffers: dict[str, sharp.BufferOp], capacity: dict[str, int]
) -> bool:
    """Both layers' buffers fit their memories at once (the fused layer keeps them all live)."""
    used = {name for layer in (a, b) for name in buffers_used(layer)}
    need: dict[str, int] = {}
    for name in used:
        buf = buffers[name]
        need[buf.space.data] = need.get(buf.space.data, 0) + buf.rows.data * buf.cols.data
    return all(need[space] <= capacity[space] for space in need)


def _shared_loads(first: sharp.LayerOp, pre_a: list[Operation], pre_b: list[Operation]) -> dict[str, str]:
    """Buffers of the second prologue that load exactly what one of the first's loads (both
    directions read the same whole input sequence), when nothing else in the first layer writes
    that buffer: second's buffer -> first's."""
    writers: dict[str, int] = {}
    for op in first.walk():
        if isinstance(op, sharp.InstructionOp):
            for access in accesses(op):
                if access.write:
                    writers[access.resource] = writers.get(access.resource, 0) + 1
    whole = {}
    for op in pre_a:
        if isinstance(op, sharp.LoadOp) and op.dst.row0.data == 0 and op.dst.col0.data == 0:
            if writers.get(f"buffer @{op.dst.buffer.data}") == 1:
                whole[(op.src, op.dst.nrows.data, op.dst.ncols.data, op.reverse is not None)] = (
                    op.dst.buffer.data
                )
    found = {}
    for op in pre_b:
        if isinstance(op, sharp.LoadOp) and op.dst.row0.data == 0 and op.dst.col0.data == 0:
            key = (op.src, op.dst.nrows.data, op.dst.ncols.data, op.reverse is not None)
            if key in whole:
                found[op.dst.buffer.data] = whole[key]
    return found


def _rename_buffers(ops: list[Operation], renamed: dict[str, str]) -> None:
    for outer in ops:
        for op in outer.walk():
            for key, attr in list(op.properties.items()):
                if isinstance(attr, WindowAttr) and attr.buffer.data in renamed:
                    op.properties[key] = WindowAttr(renamed[attr.buffer.data], attr.row0.data, attr.nrows.data,
                                                    attr.row_step.data, attr.col0.data, attr.ncols.data)  # fmt: skip


def fuse(first: sharp.LayerOp, second: sharp.LayerOp) -> None:
    """Move `second`'s work into `first` (prologues, one loop, epilogues); `second` is erased.

    A buffer the second prologue fills with exactly what a buffer of the first holds (the
    input sequence both directions read) is dropped: the second direction reads the first's.
    """
    a, b = _split(first), _split(second)
    assert a is not None and b is not None
    pre_a, loop_a, post_a = a
    pre_b, loop_b, post_b = b
    renamed = _shared_loads(first, pre_a, pre_b)
    for op in [o for o in pre_b if isinstance(o, sharp.LoadOp) and o.dst.buffer.data in renamed]:
        pre_b.remove(op)
        op.detach()
        op.erase()
    _rename_buffers([*pre_b, loop_b, *post_b], renamed)
    for op in pre_b:
        op.detach()
        first.body.block.insert_op_before(op, loop_a)
    for op in list(loop_b.body.block.ops):
        op.detach()
        loop_a.body.block.add_op(op)
    anchor: Operation = post_a[-1] if post_a else loop_a
    for op in post_b:
        op.detach()
        first.body.block.insert_op_after(op, anchor)
        anchor = op
    first.properties["macs"] = type(first.macs)(first.macs.data + second.macs.data)
    first.properties["sym_name"] = type(first.sym_name)(first.sym_name.data.removesuffix("_fwd") + "_bidir")
    second.detach()
    second.erase()


@dataclass(frozen=True)
class SharpInterleavePass(ModulePass):
    """Fuse the time loops of independent recurrences (the directions of a bidirectional layer)."""

    name = "sharp-interleave"
    mode: str = "directions"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        check_mode("sharp-interleave", self.mode, MODES)
        if self.mode == "none":
            return
        layers = [layer for layer in op.body.block.ops if isinstance(layer, sharp.LayerOp)]
        buffers = {b.sym_name.data: b for b in op.body.block.ops if isinstance(b, sharp.BufferOp)}
        cfg, precision = module_config(op)
        capacity = {"vmem": cfg.vector_buffer_words // 2,
                    "wmem": cfg.weight_buffer_bytes // cfg.weight_bytes_per_element(precision)}  # fmt: skip
        k = 0
        while k + 1 < len(layers):
            a, b = layers[k], layers[k + 1]
            sa, sb = _split(a), _split(b)
            if (
                a.onnx_node.data == b.onnx_node.data
                and a.kind.data == b.kind.data
                and sa is not None
                and sb is not None
                and sa[1].trips.data == sb[1].trips.data
                and _independent(a, b)
                and _fits(a, b, buffers, capacity)
            ):
                fuse(a, b)
                k += 2
                continue
            k += 1
