"""Recurrent layers: one `sharp.layer` per direction, emitted as its `RecurrentPlan` says.

`lower_recurrent` makes the plan, binds the node's DRAM tensors, and per direction sets up
the weights and the cell, then emits one of three layer shapes (`plan.mode`):
`whole_sequence_direction`, `per_step_direction` or `blocked_direction`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from xdsl.ir import Block, Operation, Region, SSAValue

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import DramWindowAttr, WindowAttr
from sharp_compiler.hw.config import HwConfig
from sharp_compiler.hw.numerics import weight_array
from sharp_compiler.transforms import rnn_access as rnn
from sharp_compiler.transforms.rnn_to_sharp.builder import Lowering
from sharp_compiler.transforms.rnn_to_sharp.cell_setup import cell_buffers, cell_spec, load_constants
from sharp_compiler.transforms.rnn_to_sharp.cells import CellEmitter
from sharp_compiler.transforms.rnn_to_sharp.geometry import Geometry
from sharp_compiler.transforms.rnn_to_sharp.glue import copy_op
from sharp_compiler.transforms.rnn_to_sharp.plan import RecurrentPlan, SchemeOptions
from sharp_compiler.transforms.rnn_to_sharp.weights import (
    WeightRows,
    defer_recurrent_weights,
    row_ranges,
    weight_dispatch,
    weight_values,
)


@dataclass(frozen=True)
class RecurrentTensors:
    """A recurrent node's operands and results as DRAM tensors (None / "" when absent or unused)."""

    weights: dict[str, tuple[np.ndarray | None, SSAValue | None]]
    """W, R, B, P: (array when a compile-time constant, else None; the operand)."""
    x: str
    lens: str
    h0: str | None
    c0: str | None
    y: str | None
    y_h: str | None
    y_c: str | None

    @classmethod
    def bind(cls, lw: Lowering, plan: RecurrentPlan) -> RecurrentTensors:
        node = plan.node
        op, base = node.op, rnn.symbol(node.onnx_node)
        # Weights given as graph inputs (or computed by glue) stay in their DRAM tensor.
        weights: dict[str, tuple[np.ndarray | None, SSAValue | None]] = {}
        for key in ("W", "R", "B", "P"):
            val = rnn.operand(op, key)
            weights[key] = (None if val is None else weight_values(val, f"{node.onnx_node}: {key}"), val)
        syms = [
            lw.tensor_of(v) if v is not None else None
            for v in (rnn.operand(op, k) for k in ("X", "sequence_lens", "initial_h", "initial_c"))
        ]
        x, lens, h0, c0 = syms
        assert x is not None
        y = lw.result_tensor(plan.y_value, f"{base}_Y")
        y_h = lw.result_tensor(op.results[1], f"{base}_Y_h")
        y_c = lw.result_tensor(op.results[2], f"{base}_Y_c") if node.kind == "lstm" else None
        return cls(weights, x, lens or "", h0, c0, y, y_h, y_c)


@dataclass
class Direction:
    """One layer direction being emitted: its name, index d, sense, cell and prologue so far."""

    name: str
    d: int
    reverse: bool
    cell: CellEmitter
    prologue: list[Operation]


def lower_recurrent(lw: Lowering, options: SchemeOptions, node: rnn.RecurrentNode) -> None:
    """One `sharp.layer` per direction of a recurrent node."""
    plan = RecurrentPlan.make(lw, options, node)
    io = RecurrentTensors.bind(lw, plan)
    emit = {"blocked": blocked_direction, "whole": whole_sequence_direction, "per-step": per_step_direction}
    geo = plan.geo
    seq = None
    if plan.mode == "blocked":  # every direction's states in one buffer: the sequence the next layer reads
        seq = lw.buffer(
            f"{rnn.symbol(node.onnx_node)}_seq", "vmem", plan.rows + 2 * geo.batch, geo.ndir * geo.hidden
        )
    for d, reverse in enumerate(node.directions):
        direction = setup_direction(lw, plan, io, d, reverse, seq)
        ops = emit[plan.mode](lw, plan, io, direction)
        lw.layer(direction.name, node.kind, node.onnx_node, ops, len(node.directions))
    if seq is not None and io.y is not None and (geo.ndir == 1 or geo.batch_major_y or geo.batch == 1):
        lw.on_chip[io.y] = WindowAttr(seq, geo.batch, plan.rows, 0, 0, geo.ndir * geo.hidden)


def setup_direction(
    lw: Lowering, plan: RecurrentPlan, io: RecurrentTensors, d: int, reverse: bool, seq: str | None = None
) -> Direction:
    """Weights (resident or streamed, gate rows in the plan's order), buffers, cell and constants."""
    node, geo, gh = plan.node, plan.geo, plan.gate_rows
    name = lw.unique(f"{rnn.symbol(node.onnx_node)}_{'bwd' if reverse else 'fwd'}")
    sources: dict[str, WeightRows] = {}
    for key, k in (("W", geo.input_size), ("R", geo.hidden)):
        values, val = io.weights[key]
        if values is not None:
            array = weight_array(values[d][plan.perm], lw.precision, f"{name}_{key}")
            sources[key] = WeightRows(lw.const_tensor(f"{name}_{key}", array), k)
        else:  # rows of direction d of the [D, G*H, K] input, in the lowering's gate order
            assert val is not None
            sources[key] = WeightRows(lw.tensor_of(val), k, d * gh * k, row_ranges(plan.perm, gh))
    prologue: list[Operation] = []
    dispatch = weight_dispatch(lw, name, plan.resident, sources, gh, prologue)
    bufs = cell_buffers(lw, name, plan, seq)
    cell = CellEmitter(bufs, cell_spec(node, d), dispatch, unfold=plan.unfold, spans=list(plan.cell_spans),
                       column_major=plan.column_major)  # fmt: skip
    load_constants(
        lw, node, d, bufs, io.weights["B"], io.weights["P"], prologue, plan.perm, fold_zr=plan.fold_zr
    )
    return Direction(name, d, reverse, cell, prologue)


def project_sequence(lw: Lowering, plan: RecurrentPlan, io: RecurrentTensors, dr: Direction) -> None:
    """X of every step on chip and its projection X W^T (+ bias) at once; points the cell at its rows.

    With `plan.overlap` and resident weights the projection is pipelined with W's transfer
    (`pipelined_projection`); otherwise W and R load first, then one dispatch and the bias add.
    """
    cell, rows, gh, k = dr.cell, plan.rows, plan.gate_rows, plan.geo.input_size
    xproj = lw.buffer(f"{dr.name}_xproj", "vmem", rows, gh)
    xproj_all = WindowAttr(xproj, 0, rows, 0, 0, gh)
    held = lw.on_chip.get(io.x)
    load_x: sharp.LoadOp | None = None
    if held is not None and (held.nrows.data, held.ncols.data) == (rows, k):
        xseq_all = held  # the previous layer's sequence, still on chip: no DRAM round trip
    else:
        xseq_all = WindowAttr(lw.buffer(f"{dr.name}_xseq", "vmem", rows, k), 0, rows, 0, 0, k)
        load_x = sharp.LoadOp(xseq_all, DramWindowAttr(io.x, 0, rows, k, k, 0))
    w_loads = [
        op
        for op in dr.prologue
        if isinstance(op, sharp.LoadWeightsOp) and op.dst.buffer.data.endswith("_Wbuf")
    ]
    chunks = projection_chunks(gh, chunk_rows(lw.cfg))
    if plan.overlap and plan.resident and w_loads and len(chunks) > 1:
        pipelined_projection(plan, dr, chunks, load_x, w_loads, xseq_all, xproj_all)
    else:
        if load_x is not None:
            dr.prologue.append(load_x)
        projection = cell.dispatch.emit(xproj_all, xseq_all, "W", 0, gh, False)
        dr.prologue.extend(projection)
        if plan.overlap:
            defer_recurrent_weights(dr.prologue, projection[-1])
        if cell.bufs.bias is not None:
            dr.prologue.append(sharp.AddOp(xproj_all, xproj_all, cell.row(cell.bufs.bias, 0, gh)))
    b = plan.geo.batch
    first, step = ((plan.geo.steps - 1) * b, -b) if dr.reverse else (0, b)
    cell.xproj = WindowAttr(xproj, first, b, step, 0, gh)


PROJECTION_CHUNKS = 8
"""At most this many pieces of the input projection when it is pipelined with W's transfer."""


def projection_chunks(gate_rows: int, tile_rows: int) -> list[tuple[int, int]]:
    """(first row, rows) of the pieces of W the projection is dispatched in, in load order.

    At most `PROJECTION_CHUNKS`, each a multiple of `tile_rows` (`chunk_rows`; the last piece
    takes the rest), so no tile pads a piece more than the whole matrix: 1024 rows in pieces
    of 128 -> eight of 128; in pieces of 1024, one.
    """
    size = tile_rows * max(1, math.ceil(gate_rows / (tile_rows * PROJECTION_CHUNKS)))
    return [(r0, min(size, gate_rows - r0)) for r0 in range(0, gate_rows, size)]


def chunk_rows(cfg: HwConfig) -> int:
    """The granularity of the projection's pieces: the most rows of any legal tile, and at least
    one full round of the default tile over the array (native blocks times tiles), so a piece
    never leaves tiles idle that the whole matrix would fill."""
    tile = cfg.default_tile
    round_rows = (cfg.native_rows or tile[0]) * cfg.tiles_for(tile)
    return max(max(rows for rows, _cols in cfg.tile_shapes), round_rows)


def pipelined_projection(plan: RecurrentPlan, dr: Direction, chunks: list[tuple[int, int]], load_x: sharp.LoadOp | None,
                         w_loads: list[sharp.LoadWeightsOp], xseq: WindowAttr,
                         xproj: WindowAttr) -> None:  # fmt: skip
    """X first, then W piece by piece, each piece dispatched as it lands and its bias added after.

    The array starts on the first piece of W while the DMA brings the next, and R streams
    after W while the array finishes. Each piece's bias add runs on the cell unit while the
    array works on the next piece, so only the last (smallest) add lies between the
    projection and the loop. The sums are the one-dispatch projection's (x W^T + b, row by
    row)::

        sharp.load <@l_xseq[...]>, <@X[...]>
        sharp.load_weights <@l_Wbuf[0:128, 0:256]>, <@l_W[...]>
        sharp.dispatch <@l_xproj[0:150, 0:128]>, <@l_xseq[...]>, <@l_Wbuf[0:128, 0:256]>
        sharp.add <@l_xproj[0:150, 0:128]>, <@l_xproj[0:150, 0:128]>, <@l_bias[0:1, 0:128]>
        ...                                   // seven more pieces
        sharp.load_weights <@l_Rbuf[...]>, <@l_R[...]>
    """
    cell, prologue = dr.cell, dr.prologue
    for op in w_loads:
        prologue.remove(op)
    if load_x is not None:
        prologue.append(load_x)
    bias = cell.bufs.bias
    last_dispatch: Operation | None = None
    for r0, n in chunks:
        prologue.extend(part for load in w_loads for part in _rows_of(load, r0, n))
        piece = WindowAttr(xproj.buffer.data, 0, xproj.nrows.data, 0, r0, n)
        dispatch = cell.dispatch.emit(piece, xseq, "W", r0, n, False)
        prologue.extend(dispatch)
        last_dispatch = dispatch[-1]
        if bias is not None:
            prologue.append(sharp.AddOp(piece, piece, cell.row(bias, r0, n)))
    assert last_dispatch is not None
    defer_recurrent_weights(prologue, last_dispatch)


def _rows_of(load: sharp.LoadWeightsOp, r0: int, n: int) -> list[sharp.LoadWeightsOp]:
    """The part of a weight load that fills weight-buffer rows [r0, r0 + n) (none or one load)."""
    dst, src = load.dst, load.src
    lo, hi = max(r0, dst.row0.data), min(r0 + n, dst.row0.data + dst.nrows.data)
    if lo >= hi:
        return []
    skip = lo - dst.row0.data
    part_src = DramWindowAttr(src.tensor.data, src.base.data + skip * src.row_stride.data, hi - lo,
                              src.row_stride.data, src.ncols.data, src.step_stride.data, src.lens.data)  # fmt: skip
    part_dst = WindowAttr(dst.buffer.data, lo, hi - lo, dst.row_step.data, dst.col0.data, dst.ncols.data)
    return [sharp.LoadWeightsOp(part_dst, part_src)]


def whole_sequence_direction(lw: Lowering, plan: RecurrentPlan, io: RecurrentTensors,
                             dr: Direction) -> list[Operation]:  # fmt: skip
    """The projection of every step before the loop; Y kept on chip and stored after it."""
    project_sequence(lw, plan, io, dr)
    ybuf = lw.buffer(f"{dr.name}_y", "vmem", plan.rows, plan.geo.hidden) if io.y is not None else None
    return stepped_loop(lw, plan, io, dr, ybuf)


def per_step_direction(
    lw: Lowering, plan: RecurrentPlan, io: RecurrentTensors, dr: Direction
) -> list[Operation]:
    """X loaded and projected inside the loop; Y stored step by step (layout 1, sequence_lens, long sequences)."""
    return stepped_loop(lw, plan, io, dr, None)


def stepped_loop(lw: Lowering, plan: RecurrentPlan, io: RecurrentTensors, dr: Direction,
                 ybuf: str | None) -> list[Operation]:  # fmt: skip
    """Initial states, the time loop of one h buffer updated in place, and the final stores."""
    cell, geo, d, bufs = dr.cell, plan.geo, dr.d, dr.cell.bufs
    prologue = dr.prologue
    for state, sym in ((bufs.h, io.h0), (bufs.c, io.c0)):
        if state is None:
            continue
        prologue.append(init_state(cell, state, sym, geo, d))
    if io.lens:
        assert bufs.mask is not None
        lens_buf = lw.buffer(f"{dr.name}_lens", "vmem", geo.batch, 1)
        prologue.append(
            sharp.LoadOp(cell.win(lens_buf, 0, 1), DramWindowAttr(io.lens, 0, geo.batch, 1, 1, 0))
        )
        if io.h0 is not None or io.c0 is not None:
            prologue.extend(zero_empty_sequences(cell, lens_buf))
    body: list[Operation] = []
    if io.lens:
        assert bufs.mask is not None
        body.append(sharp.SeqMaskOp(cell.win(bufs.mask, 0, 1), cell.win(lens_buf, 0, 1)))
    if not plan.whole:
        assert bufs.x is not None
        body.append(
            sharp.LoadOp(cell.win(bufs.x, 0, geo.input_size), geo.x_window(io.x, io.lens), dr.reverse)
        )
    body.extend(cell.emit_step())
    h_win = cell.win(bufs.h, 0, geo.hidden)
    epilogue: list[Operation] = []
    if ybuf is not None and io.y is not None:
        assert cell.xproj is not None
        step_rows = WindowAttr(ybuf, cell.xproj.row0.data, geo.batch, cell.xproj.row_step.data, 0, geo.hidden)
        body.append(sharp.MoveOp(step_rows, h_win))
        epilogue.extend(store_sequence(lw, dr.name, ybuf, io.y, geo, d))
    elif io.y is not None:
        body.append(sharp.StoreOp(geo.y_window(io.y, d, io.lens), h_win, dr.reverse))
    if io.y_h is not None:
        epilogue.append(sharp.StoreOp(geo.state_window(io.y_h, d), h_win))
    if io.y_c is not None and bufs.c is not None:
        epilogue.append(sharp.StoreOp(geo.state_window(io.y_c, d), cell.win(bufs.c, 0, geo.hidden)))
    loop = sharp.TimeLoopOp(geo.steps, Region(Block(body)))
    return [*prologue, loop, *epilogue]


def blocked_direction(
    lw: Lowering, plan: RecurrentPlan, io: RecurrentTensors, dr: Direction
) -> list[Operation]:
    """A layer direction with its hidden units cut into blocks (the `chunks` option, `unfold`).

    The input projection of every step is computed first, as in whole-sequence mode; the h
    buffer holds T + 1 blocks of B rows: the initial state (block 0, or block T in reverse)
    and every step's output, so step t reads h_t-1 from one block and writes h_t into the
    next without copies, and Y is stored from the buffer after the loop.
    """
    cell, geo, d = dr.cell, plan.geo, dr.d
    bufs, t, b, h, rows = cell.bufs, geo.steps, geo.batch, geo.hidden, plan.rows
    project_sequence(lw, plan, io, dr)
    step = -b if dr.reverse else b
    # The node's sequence buffer: T + 2 blocks of B rows, direction d in columns [d H, d H + H).
    # Step t's h is block t + 1 in both directions (the [T, B, D*H] rows the next layer reads);
    # the initial state is block 0 forwards, block T + 1 backwards.
    h0_row, col = (rows + b if dr.reverse else 0), d * h
    h0 = WindowAttr(bufs.h, h0_row, b, 0, col, h)
    dr.prologue.append(sharp.LoadOp(h0, geo.state_window(io.h0, d)) if io.h0 else sharp.FillOp(h0, 0.0))
    if bufs.c is not None:
        dr.prologue.append(init_state(cell, bufs.c, io.c0, geo, d))
    h_prev = WindowAttr(bufs.h, h0_row, b, step, col, h)
    h_next = WindowAttr(bufs.h, h0_row + step, b, step, col, h)
    body = cell.emit_blocked_step(list(plan.spans), h_prev, h_next)
    # Overlapping steps leave the DMA idle in the loop: each step's h goes to Y as soon as it is
    # ready, straight into Y's [T, D, B, H] layout (no scratch copy for two directions).
    if plan.per_step_y:
        assert io.y is not None
        body.append(sharp.StoreOp(geo.y_window(io.y, d, ""), h_next, dr.reverse))
    loop = sharp.TimeLoopOp(t, Region(Block(body)))
    epilogue: list[Operation] = []
    if io.y is not None and not plan.per_step_y:
        epilogue.extend(store_sequence(lw, dr.name, bufs.h, io.y, geo, d, b, col))
    if io.y_h is not None:
        last = b if dr.reverse else rows
        epilogue.append(sharp.StoreOp(geo.state_window(io.y_h, d), WindowAttr(bufs.h, last, b, 0, col, h)))
    if io.y_c is not None and bufs.c is not None:
        epilogue.append(sharp.StoreOp(geo.state_window(io.y_c, d), cell.win(bufs.c, 0, h)))
    return [*dr.prologue, loop, *epilogue]


def init_state(cell: CellEmitter, state: str, sym: str | None, geo: Geometry, d: int) -> Operation:
    """Load a state from its initial_h/initial_c tensor, or zero it."""
    win = cell.win(state, 0, geo.hidden)
    if sym is None:
        return sharp.FillOp(win, 0.0)
    return sharp.LoadOp(win, geo.state_window(sym, d))


def zero_empty_sequences(cell: CellEmitter, lens_buf: str) -> list[Operation]:
    """Rows with sequence_lens 0 start (and so end) from a zero state, not the given initial state.

    ONNX leaves Y_h/Y_c of an empty sequence unspecified; onnxruntime (the oracle) writes
    zeros. Outside the time loop the step index is 0, so `seq_mask` gives lens > 0; rows
    past their length keep their state, so a zeroed state is what Y_h/Y_c receive.
    """
    b, h = cell.bufs, cell.bufs.hidden
    assert b.mask is not None
    ops: list[Operation] = [sharp.SeqMaskOp(cell.win(b.mask, 0, 1), cell.win(lens_buf, 0, 1))]
    for state, scratch in ((b.h, b.h_new), (b.c, b.c_new)):
        if state is None or scratch is None:
            continue
        ops.append(sharp.FillOp(cell.win(scratch, 0, h), 0.0))
        ops.append(sharp.SelectOp(cell.win(state, 0, h), cell.win(b.mask, 0, 1), cell.win(state, 0, h),
                                  cell.win(scratch, 0, h)))  # fmt: skip
    return ops


def store_sequence(lw: Lowering, name: str, ybuf: str, y_sym: str, geo: Geometry, d: int,
                   row0: int = 0, col0: int = 0) -> list[Operation]:  # fmt: skip
    """Write an on-chip [T*B, H] output sequence (from row0, col0) into Y ([T, D, B, H]) in one DMA (plus a copy if D > 1)."""
    t, b, h, nd = geo.steps, geo.batch, geo.hidden, geo.ndir
    whole = WindowAttr(ybuf, row0, t * b, 0, col0, h)
    if nd == 1:
        return [sharp.StoreOp(DramWindowAttr(y_sym, 0, t * b, h, h, 0), whole)]
    if geo.batch_major_y:  # row t*B + b goes to Y[t, b, d, :]: one strided DMA
        return [sharp.StoreOp(DramWindowAttr(y_sym, d * h, t * b, nd * h, h, 0), whole)]
    scratch = lw.add_tensor(f"{name}_Y", "scratch", (t, b, h))
    return [
        sharp.StoreOp(DramWindowAttr(scratch, 0, t * b, h, h, 0), whole),
        copy_op(scratch, y_sym, [t, b, h], 0, [b * h, h, 1], d * b * h, [nd * b * h, h, 1]),
    ]
