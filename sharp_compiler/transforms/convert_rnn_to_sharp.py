"""convert-rnn-to-sharp: the tiled-dispatch lowering from `rnn` to `sharp`.

Every model tensor becomes a DRAM `sharp.tensor`; every recurrent layer
direction becomes a `sharp.layer` that loads its weights into the weight
buffer (or streams them in row blocks when they do not fit), then runs a
`sharp.time_loop` over the sequence whose body dispatches W and R to the
array, activates and updates the cell (see `recurrent_cells`); a reshape is a
view of the same DRAM bytes (no code), the other glue ops (transpose, concat,
slice) become strided DRAM copies. Any input or
hidden size works: the dispatcher cuts matrices into tile blocks and the
padding of partial blocks costs time, never exactness.

Option `chunks` (default 0) forces the row blocks; with the default, `sequential`
keeps one block and `intergate`, `unfolded` and `auto` choose them per recurrent
node with the cost model (`choose_blocks`). With chunks > 1
the hidden units of each layer direction are cut into that many contiguous
blocks (sizes as equal as possible; more chunks than units give one unit per
block). The gate rows of W, R and the biases are permuted at compile time to
[block][gate][unit] order, so one block's gate pre-activations are one
contiguous column range of the precomputed input projection. The h buffer
holds T + 1 blocks of B rows (the initial state, then every step's h), so a
step reads h_t-1 from one block and writes h_t into the next, with no copies;
Y and Y_h are stored from it after the loop. Each step then emits, block by
block, the dispatch of that block's rows of R, the input part, the
activations and the cell update writing its units of h_t (LSTM's c is
updated in place, block by block), so under `sharp-schedule{scheme=dataflow}`
the array works on block k+1 while the activation and cell units finish block
k. GRU with linear_before_reset = 0 computes z, r and r (.) h_t-1 of every
block before the candidates, which need the whole vector. Blocks need the
whole-sequence mode: a layer with layout 1, sequence_lens, or a sequence too
large for the vector buffer (with the T + 1 states) silently keeps chunks = 1.

Before::

    %y, %yh, %yc = rnn.lstm %x, %w, %r ... {hidden_size = 16 ...}

After::

    sharp.tensor input @X : tensor<10x1x8xf32> {onnx_name = "X"}
    sharp.layer @lstm0_fwd "lstm" from "lstm0" tile <32x32> macs 7680 {
      sharp.load_weights <@lstm0_fwd_Wbuf[0:64, 0:8]>, <@lstm0_fwd_W[...]>
      ...
      sharp.time_loop 10 {
        sharp.load <@lstm0_fwd_x[0:1, 0:8]>, <@X[base 0, rows 1 stride 8, cols 8, step 8]>
        sharp.dispatch <@lstm0_fwd_acc[0:1, 0:64]>, <@lstm0_fwd_x[0:1, 0:8]>, <@lstm0_fwd_Wbuf[0:64, 0:8]>
        ...
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, ModuleOp, StringAttr, TensorType, f16, f32, i32, i64
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.passes import ModulePass

from sharp_compiler.diagnostics import at_op
from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import (
    ActivationAttr,
    DramWindowAttr,
    HwConfigAttr,
    TileAttr,
    WindowAttr,
)
from sharp_compiler.hw.config import DEFAULT_PRESET, HwConfig, load_config
from sharp_compiler.hw.numerics import weight_array
from sharp_compiler.transforms import rnn_access as rnn
from sharp_compiler.transforms.dense_layers import DENSE_LOWERINGS
from sharp_compiler.transforms.glue_copies import GLUE_OPS, copy_op, flat_copy, lower_glue
from sharp_compiler.transforms.recurrent_cells import (
    CellBuffers,
    CellEmitter,
    CellSpec,
    WeightDispatch,
    WeightRows,
    row_ranges,
)
from sharp_compiler.transforms.rnn_access import LoweringError

ONNX_TO_ACT = {
    "Sigmoid": "sigmoid", "Tanh": "tanh", "Relu": "relu", "HardSigmoid": "hard_sigmoid", "Affine": "affine",
    "LeakyRelu": "leaky_relu", "ThresholdedRelu": "thresholded_relu", "ScaledTanh": "scaled_tanh", "Elu": "elu",
    "Softsign": "softsign", "Softplus": "softplus",
}  # fmt: skip


def module_config(module: ModuleOp) -> tuple[HwConfig, str]:
    """The hardware config and precision a module carries (set by convert-rnn-to-sharp)."""
    hw = module.attributes.get("sharp.hw")
    prec = module.attributes.get("sharp.precision")
    if not isinstance(hw, HwConfigAttr) or not isinstance(prec, StringAttr):
        raise LoweringError("module carries no sharp.hw / sharp.precision; run convert-rnn-to-sharp first")
    return hw.config(), prec.data


def resolve_config(module: ModuleOp, preset: str, budget: int, precision: str) -> HwConfig:
    existing = module.attributes.get("sharp.hw")
    if isinstance(existing, HwConfigAttr) and preset == DEFAULT_PRESET and not budget:
        cfg = existing.config()
    else:
        cfg = load_config(preset)
    if budget:
        cfg = cfg.with_budget(budget)
    if precision:
        cfg = cfg.with_precision(precision)
    return cfg


@dataclass
class _Lowering:
    cfg: HwConfig
    precision: str
    chunks: int = 1
    unfold: bool = False
    """The unfolded plan: recurrent dispatches accumulate into the projection by column blocks."""
    column_major: bool = False
    blocks_for: dict[str, int] = field(default_factory=dict)
    """Row blocks per recurrent ONNX node (the `auto` plan's choices); `chunks` for the others."""
    overlap: bool = False
    """Lay the prologue out for overlap (R loads while the array computes X W^T); off for `sequential`."""
    tensors: list[Operation] = field(default_factory=list)
    buffers: list[Operation] = field(default_factory=list)
    layers: list[Operation] = field(default_factory=list)
    value_tensor: dict[SSAValue, str] = field(default_factory=dict)
    symbols: set[str] = field(default_factory=set)
    output_names: dict[SSAValue, str] = field(default_factory=dict)

    def unique(self, base: str) -> str:
        name, k = rnn.symbol(base), 1
        while name in self.symbols:
            name, k = f"{rnn.symbol(base)}_{k}", k + 1
        self.symbols.add(name)
        return name

    # --- tensors -----------------------------------------------------------
    def add_tensor(self, base: str, kind: str, shape: tuple[int, ...], elem: Attribute = f32,
                   onnx_name: str | None = None, value: Attribute | None = None) -> str:  # fmt: skip
        sym = self.unique(base)
        self.tensors.append(sharp.TensorOp(sym, kind, TensorType(elem, shape), onnx_name, value))
        return sym

    def const_tensor(self, base: str, array: np.ndarray) -> str:
        from sharp_compiler.dialects.weights import WeightsAttr

        elem = {np.dtype("float32"): f32, np.dtype("float16"): f16, np.dtype("int32"): i32,
                np.dtype("int64"): i64}[array.dtype]  # fmt: skip
        sym = self.unique(base)
        if isinstance(array, rnn.ElidedArray):  # derived from elided weights: stays elided
            attr = WeightsAttr.elided(sym, TensorType(elem, array.shape))
        else:
            attr = WeightsAttr.from_array(sym, np.ascontiguousarray(array))
        self.tensors.append(sharp.TensorOp(sym, "const", TensorType(elem, array.shape), None, attr))
        return sym

    def tensor_of(self, value: SSAValue) -> str:
        """The DRAM tensor holding a value (constants are materialised on first use)."""
        if value in self.value_tensor:
            return self.value_tensor[value]
        if rnn.weights_attr_of(value) is None:
            raise LoweringError(f"value {value.name_hint or ''} has no producer the lowering knows")
        array = rnn.constant_array(value, "a constant")
        sym = self.const_tensor(value.name_hint or "const", array)
        self.value_tensor[value] = sym
        return sym

    def result_tensor(self, value: SSAValue, base: str) -> str | None:
        """The tensor a result is written to: a named output, scratch, or None when unused."""
        if not value.uses:
            return None
        shape = rnn.shape_of(value)
        ttype = value.type
        assert isinstance(ttype, TensorType)
        if value in self.output_names:
            name = self.output_names[value]
            sym = self.add_tensor(name, "output", shape, ttype.element_type, name)
        else:
            sym = self.add_tensor(base, "scratch", shape, ttype.element_type)
        self.value_tensor[value] = sym
        return sym

    def buffer(self, name: str, space: str, rows: int, cols: int) -> str:
        sym = self.unique(name)
        self.buffers.append(sharp.BufferOp(sym, space, rows, cols))
        return sym

    def layer(self, name: str, kind: str, onnx_node: str, ops: list[Operation], directions: int = 1) -> None:
        macs = count_macs(ops)
        tile = TileAttr(*self.cfg.default_tile)
        self.layers.append(sharp.LayerOp(name, kind, onnx_node, tile, macs, Region(Block(ops)), directions))

    # --- the graph ------------------------------------------------------------
    def run(self, fn: func.FuncOp) -> None:
        input_names = _names(fn, "rnn.input_names", len(fn.args), "input")
        ret = fn.body.block.last_op
        assert isinstance(ret, func.ReturnOp)
        output_names = _names(fn, "rnn.output_names", len(ret.arguments), "output")
        for arg, name in zip(fn.args, input_names, strict=True):
            ttype = arg.type
            assert isinstance(ttype, TensorType)
            self.value_tensor[arg] = self.add_tensor(
                name, "input", rnn.shape_of(arg), ttype.element_type, name
            )
        pending: list[tuple[SSAValue, str]] = []
        for value, name in zip(ret.arguments, output_names, strict=True):
            if (
                value in self.output_names
                or value in self.value_tensor
                or rnn.weights_attr_of(value) is not None
            ):
                pending.append((value, name))  # needs a copy into its own named tensor
            else:
                self.output_names[value] = name
        for op in fn.body.block.ops:
            with at_op(op):
                if op.name in rnn.RECURRENT_OPS:
                    self.recurrent(rnn.read_recurrent(op))
                elif op.name in GLUE_OPS:
                    lower_glue(self, op)
                elif op.name in DENSE_LOWERINGS:
                    DENSE_LOWERINGS[op.name](self, op)
                elif op.name not in ("rnn.constant", "func.return"):
                    raise LoweringError(f"no lowering for '{op.name}' yet")
        for value, name in pending:
            src = self.tensor_of(value)
            shape = rnn.shape_of(value)
            ttype = value.type
            assert isinstance(ttype, TensorType)
            dst = self.add_tensor(name, "output", shape, ttype.element_type, name)
            self.layer(self.unique(f"copy_{name}"), "copy", name, [flat_copy(src, dst, math.prod(shape))])
        self.order_io(output_names)

    def order_io(self, output_names: list[str]) -> None:
        """Inputs first, then outputs in ONNX graph order (the binary's I/O descriptors), then the rest."""
        rank = {name: i for i, name in enumerate(output_names)}

        def key(op: Operation) -> tuple[int, int]:
            assert isinstance(op, sharp.TensorOp)
            if op.kind.data == "input":
                return (0, 0)
            if op.kind.data == "output" and op.onnx_name is not None:
                return (1, rank.get(op.onnx_name.data, 0))
            return (2, 0)

        self.tensors.sort(key=key)

    # --- recurrent layers -----------------------------------------------------
    def recurrent(self, node: rnn.RecurrentNode) -> None:
        op = node.op
        x_val, w_val, r_val = (rnn.operand(op, n) for n in ("X", "W", "R"))
        assert x_val is not None and w_val is not None and r_val is not None
        x_shape = rnn.shape_of(x_val)
        steps, batch = (x_shape[0], x_shape[1]) if node.layout == 0 else (x_shape[1], x_shape[0])
        input_size, hidden, ndir = x_shape[2], node.hidden, len(node.directions)
        b_val, p_val = rnn.operand(op, "B"), rnn.operand(op, "P")
        # Weights given as graph inputs (or computed by glue) stay in their DRAM tensor.
        w_all, r_all, b_all, p_all = (
            None if v is None else self.weight_values(v, f"{node.onnx_node}: {k}")
            for k, v in (("W", w_val), ("R", r_val), ("B", b_val), ("P", p_val))
        )
        x_sym = self.tensor_of(x_val)
        lens_val = rnn.operand(op, "sequence_lens")
        lens_sym = self.tensor_of(lens_val) if lens_val is not None else ""
        init_h = rnn.operand(op, "initial_h")
        init_c = rnn.operand(op, "initial_c")
        h0_sym = self.tensor_of(init_h) if init_h is not None else None
        c0_sym = self.tensor_of(init_c) if init_c is not None else None
        base = rnn.symbol(node.onnx_node)
        transposed = batch_major_consumer(op.results[0]) if node.layout == 0 else None
        if transposed is not None and op.results[0] not in self.output_names:
            # Y's only use is the exporters' Transpose(0, 2, 1, 3): write its result directly.
            y_sym = self.result_tensor(transposed, f"{base}_Y")
        else:
            transposed = None
            y_sym = self.result_tensor(op.results[0], f"{base}_Y")
        yh_sym = self.result_tensor(op.results[1], f"{base}_Y_h")
        yc_sym = self.result_tensor(op.results[2], f"{base}_Y_c") if node.kind == "lstm" else None
        geo = _Geometry(node.layout, steps, batch, hidden, ndir, input_size, transposed is not None)
        gh = node.gates * hidden
        rows = steps * batch
        words = rows * (input_size + gh + (hidden if y_sym is not None else 0))
        whole = node.layout == 0 and not lens_sym and words <= self.cfg.vector_buffer_words // 2
        # Blocked recurrence: whole-sequence mode only, with every step's h kept on chip.
        state_words = (rows + batch) * hidden
        chunks = self.blocks_for.get(node.onnx_node, self.chunks)
        spans = block_spans(hidden, chunks)
        fits = whole and rows * (input_size + gh) + state_words <= self.cfg.vector_buffer_words // 2
        resident = gh * (input_size + hidden) * self.cfg.weight_bytes_per_element(self.precision) <= (
            self.cfg.weight_buffer_bytes
        )
        gru_runtime_bias = node.kind == "gru" and b_all is None and b_val is not None  # no compile-time fold
        unfold = (
            self.unfold
            and fits
            and resident
            and not (node.kind == "gru" and (not node.linear_before_reset or gru_runtime_bias))
        )
        blocked = (len(spans) > 1 or unfold) and fits
        perm = gate_permutation(node.gates, hidden, spans) if len(spans) > 1 and blocked else slice(None)
        for d, reverse in enumerate(node.directions):
            name = self.unique(f"{base}_{'bwd' if reverse else 'fwd'}")
            wbytes = self.cfg.weight_bytes_per_element(self.precision)
            sources: dict[str, WeightRows] = {}
            for key, values, val, k in (("W", w_all, w_val, input_size), ("R", r_all, r_val, hidden)):
                if values is not None:
                    sources[key] = WeightRows(
                        self.const_tensor(
                            f"{name}_{key}", weight_array(values[d][perm], self.precision, f"{name}_{key}")
                        ),
                        k,
                    )
                else:  # rows of direction d of the [D, G*H, K] input, in the lowering's gate order
                    sources[key] = WeightRows(self.tensor_of(val), k, d * gh * k, row_ranges(perm, gh))
            prologue: list[Operation] = []
            resident = gh * (input_size + hidden) * wbytes <= self.cfg.weight_buffer_bytes
            dispatch = self.weight_dispatch(name, resident, sources, gh, prologue)
            h_rows = rows + batch if blocked else batch
            bufs = self.cell_buffers(
                name, node, batch, hidden, input_size, per_step_x=not whole, h_rows=h_rows
            )
            cell = CellEmitter(
                bufs,
                self.cell_spec(node, d),
                dispatch,
                unfold=unfold and blocked,
                spans=spans if self.precision == "fp16" else [(0, hidden)],
                column_major=self.column_major,
            )
            self.load_constants(node, d, bufs, (b_all, b_val), (p_all, p_val), prologue, perm,
                                fold_zr=cell.unfold)  # fmt: skip
            if blocked:
                self.blocked_recurrence(name, node, cell, spans, reverse, x_sym, (h0_sym, c0_sym),
                                        (y_sym, yh_sym, yc_sym), geo, d, prologue)  # fmt: skip
                continue
            ybuf = None
            if whole:  # the input projection of every step at once, outputs kept on chip
                xseq = self.buffer(f"{name}_xseq", "vmem", rows, input_size)
                xproj = self.buffer(f"{name}_xproj", "vmem", rows, gh)
                xseq_all, xproj_all = (
                    WindowAttr(xseq, 0, rows, 0, 0, input_size),
                    WindowAttr(xproj, 0, rows, 0, 0, gh),
                )
                prologue.append(
                    sharp.LoadOp(xseq_all, DramWindowAttr(x_sym, 0, rows, input_size, input_size, 0))
                )
                projection = dispatch.emit(xproj_all, xseq_all, "W", 0, gh, False)
                prologue.extend(projection)
                if self.overlap:
                    defer_recurrent_weights(prologue, projection[-1])
                if bufs.bias is not None:
                    prologue.append(sharp.AddOp(xproj_all, xproj_all, cell.row(bufs.bias, 0, gh)))
                first, step = ((steps - 1) * batch, -batch) if reverse else (0, batch)
                cell.xproj = WindowAttr(xproj, first, batch, step, 0, gh)
                if y_sym is not None:
                    ybuf = self.buffer(f"{name}_y", "vmem", rows, hidden)
            for state, sym in ((bufs.h, h0_sym), (bufs.c, c0_sym)):
                if state is None:
                    continue
                prologue.append(self.init_state(cell, state, sym, geo, d))
            if lens_sym:
                assert bufs.mask is not None
                lens_buf = self.buffer(f"{name}_lens", "vmem", batch, 1)
                prologue.append(
                    sharp.LoadOp(cell.win(lens_buf, 0, 1), DramWindowAttr(lens_sym, 0, batch, 1, 1, 0))
                )
                if h0_sym is not None or c0_sym is not None:
                    prologue.extend(self.zero_empty_sequences(cell, lens_buf))
            body: list[Operation] = []
            if lens_sym:
                assert bufs.mask is not None
                body.append(sharp.SeqMaskOp(cell.win(bufs.mask, 0, 1), cell.win(lens_buf, 0, 1)))
            if not whole:
                assert bufs.x is not None
                body.append(
                    sharp.LoadOp(cell.win(bufs.x, 0, input_size), geo.x_window(x_sym, lens_sym), reverse)
                )
            body.extend(cell.emit_step())
            h_win = cell.win(bufs.h, 0, hidden)
            epilogue: list[Operation] = []
            if ybuf is not None and y_sym is not None:
                assert cell.xproj is not None
                step_rows = WindowAttr(ybuf, cell.xproj.row0.data, batch, cell.xproj.row_step.data, 0, hidden)
                body.append(sharp.MoveOp(step_rows, h_win))
                epilogue.extend(self.store_sequence(name, ybuf, y_sym, geo, d))
            elif y_sym is not None:
                body.append(sharp.StoreOp(geo.y_window(y_sym, d, lens_sym), h_win, reverse))
            if yh_sym is not None:
                epilogue.append(sharp.StoreOp(geo.state_window(yh_sym, d), h_win))
            if yc_sym is not None and bufs.c is not None:
                epilogue.append(sharp.StoreOp(geo.state_window(yc_sym, d), cell.win(bufs.c, 0, hidden)))
            loop = sharp.TimeLoopOp(steps, Region(Block(body)))
            self.layer(name, node.kind, node.onnx_node, [*prologue, loop, *epilogue], len(node.directions))

    def blocked_recurrence(self, name: str, node: rnn.RecurrentNode, cell: CellEmitter, spans: list[tuple[int, int]],
                           reverse: bool, x_sym: str, init: tuple[str | None, str | None],
                           outs: tuple[str | None, str | None, str | None], geo: _Geometry, d: int,
                           prologue: list[Operation]) -> None:  # fmt: skip
        """A layer direction with its hidden units cut into blocks (the `chunks` option).

        The input projection of every step is computed first, as in whole-sequence mode; the h
        buffer holds T + 1 blocks of B rows: the initial state (block 0, or block T in reverse)
        and every step's output, so step t reads h_t-1 from one block and writes h_t into the
        next without copies, and Y is stored from the buffer after the loop.
        """
        bufs, t, b, h = cell.bufs, geo.steps, geo.batch, geo.hidden
        gh, rows = node.gates * h, t * b
        y_sym, yh_sym, yc_sym = outs
        xseq = self.buffer(f"{name}_xseq", "vmem", rows, geo.input_size)
        xproj = self.buffer(f"{name}_xproj", "vmem", rows, gh)
        xseq_all, xproj_all = (
            WindowAttr(xseq, 0, rows, 0, 0, geo.input_size),
            WindowAttr(xproj, 0, rows, 0, 0, gh),
        )
        prologue.append(
            sharp.LoadOp(xseq_all, DramWindowAttr(x_sym, 0, rows, geo.input_size, geo.input_size, 0))
        )
        projection = cell.dispatch.emit(xproj_all, xseq_all, "W", 0, gh, False)
        prologue.extend(projection)
        if self.overlap:
            defer_recurrent_weights(prologue, projection[-1])
        if bufs.bias is not None:
            prologue.append(sharp.AddOp(xproj_all, xproj_all, cell.row(bufs.bias, 0, gh)))
        first, step = ((t - 1) * b, -b) if reverse else (0, b)
        cell.xproj = WindowAttr(xproj, first, b, step, 0, gh)
        h0_row = rows if reverse else 0  # the initial state's block; the last step writes the other end
        h0_sym, c0_sym = init
        h0 = WindowAttr(bufs.h, h0_row, b, 0, 0, h)
        prologue.append(sharp.LoadOp(h0, geo.state_window(h0_sym, d)) if h0_sym else sharp.FillOp(h0, 0.0))
        if bufs.c is not None:
            prologue.append(self.init_state(cell, bufs.c, c0_sym, geo, d))
        h_prev = WindowAttr(bufs.h, h0_row, b, step, 0, h)
        h_next = WindowAttr(bufs.h, h0_row + step, b, step, 0, h)
        body = cell.emit_blocked_step(spans, h_prev, h_next)
        # Overlapping steps leave the DMA idle in the loop: each step's h goes to Y as soon as it is
        # ready, straight into Y's [T, D, B, H] layout (no scratch copy for two directions).
        per_step_y = y_sym is not None and cell.unfold and self.cfg.cross_step_overlap
        if per_step_y:
            assert y_sym is not None
            body.append(sharp.StoreOp(geo.y_window(y_sym, d, ""), h_next, reverse))
        loop = sharp.TimeLoopOp(t, Region(Block(body)))
        epilogue: list[Operation] = []
        if y_sym is not None and not per_step_y:
            epilogue.extend(self.store_sequence(name, bufs.h, y_sym, geo, d, 0 if reverse else b))
        if yh_sym is not None:
            epilogue.append(
                sharp.StoreOp(geo.state_window(yh_sym, d), WindowAttr(bufs.h, rows - h0_row, b, 0, 0, h))
            )
        if yc_sym is not None and bufs.c is not None:
            epilogue.append(sharp.StoreOp(geo.state_window(yc_sym, d), cell.win(bufs.c, 0, h)))
        self.layer(name, node.kind, node.onnx_node, [*prologue, loop, *epilogue], len(node.directions))

    @staticmethod
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

    def store_sequence(self, name: str, ybuf: str, y_sym: str, geo: _Geometry, d: int,
                       row0: int = 0) -> list[Operation]:  # fmt: skip
        """Write an on-chip [T*B, H] output sequence (from row0) into Y ([T, D, B, H]) in one DMA (plus a copy if D > 1)."""
        t, b, h, nd = geo.steps, geo.batch, geo.hidden, geo.ndir
        whole = WindowAttr(ybuf, row0, t * b, 0, 0, h)
        if nd == 1:
            return [sharp.StoreOp(DramWindowAttr(y_sym, 0, t * b, h, h, 0), whole)]
        if geo.batch_major_y:  # row t*B + b goes to Y[t, b, d, :]: one strided DMA
            return [sharp.StoreOp(DramWindowAttr(y_sym, d * h, t * b, nd * h, h, 0), whole)]
        scratch = self.add_tensor(f"{name}_Y", "scratch", (t, b, h))
        return [
            sharp.StoreOp(DramWindowAttr(scratch, 0, t * b, h, h, 0), whole),
            copy_op(scratch, y_sym, [t, b, h], 0, [b * h, h, 1], d * b * h, [nd * b * h, h, 1]),
        ]

    def weight_values(self, value: SSAValue, what: str) -> np.ndarray | None:
        """A weight operand's array when it is a constant; None when it is a run-time tensor."""
        return rnn.constant_array(value, what) if rnn.weights_attr_of(value) is not None else None

    def weight_dispatch(self, name: str, resident: bool, mats: dict[str, WeightRows], rows: int,
                        prologue: list[Operation]) -> WeightDispatch:  # fmt: skip
        """Resident weights are loaded once; otherwise they stream through one block buffer."""
        if resident:
            bufs: dict[str, str] = {}
            for key, source in mats.items():
                k = source.cols
                bufs[key] = self.buffer(f"{name}_{key}buf", "wmem", rows, k)
                for offset, window in source.windows(0, rows):
                    prologue.append(sharp.LoadWeightsOp(WindowAttr(bufs[key], offset, window.nrows.data, 0, 0, k),
                                                        window))  # fmt: skip

            def emit_resident(dst: WindowAttr, src: WindowAttr, mat: str, row0: int, nrows: int,
                              acc: bool, cols: tuple[int, int] | None = None) -> list[Operation]:  # fmt: skip
                c0, cn = cols if cols is not None else (0, mats[mat].cols)
                return [sharp.DispatchOp(dst, src, WindowAttr(bufs[mat], row0, nrows, 0, c0, cn), acc)]

            return WeightDispatch(emit_resident)
        kmax = max(source.cols for source in mats.values())
        capacity = self.cfg.weight_buffer_bytes // self.cfg.weight_bytes_per_element(self.precision)
        block_rows = min(rows, capacity // kmax)
        if block_rows < 1:
            raise LoweringError(f"{name}: one weight row of {kmax} elements does not fit the weight buffer")
        stream = self.buffer(f"{name}_wstream", "wmem", block_rows, kmax)

        def emit_streamed(dst: WindowAttr, src: WindowAttr, mat: str, row0: int, nrows: int,
                          acc: bool, cols: tuple[int, int] | None = None) -> list[Operation]:  # fmt: skip
            assert cols is None, "streamed weights are dispatched whole-row"
            source = mats[mat]
            k = source.cols
            ops: list[Operation] = []
            for r in range(row0, row0 + nrows, block_rows):
                n = min(block_rows, row0 + nrows - r)
                block = WindowAttr(stream, 0, n, 0, 0, k)
                for offset, window in source.windows(r, n):
                    ops.append(
                        sharp.LoadWeightsOp(WindowAttr(stream, offset, window.nrows.data, 0, 0, k), window)
                    )
                part = WindowAttr(dst.buffer.data, dst.row0.data, dst.nrows.data, dst.row_step.data,
                                  dst.col0.data + r - row0, n)  # fmt: skip
                ops.append(sharp.DispatchOp(part, src, block, acc))
            return ops

        return WeightDispatch(emit_streamed)

    def cell_buffers(self, name: str, node: rnn.RecurrentNode, batch: int, hidden: int, input_size: int,
                     per_step_x: bool, h_rows: int) -> CellBuffers:  # fmt: skip
        gh = node.gates * hidden
        vb = lambda key, rows, cols: self.buffer(f"{name}_{key}", "vmem", rows, cols)  # noqa: E731
        op = node.op
        has_bias = rnn.operand(op, "B") is not None
        lstm, gru = node.kind == "lstm", node.kind == "gru"
        lbr = gru and node.linear_before_reset
        masked = rnn.operand(op, "sequence_lens") is not None
        return CellBuffers(
            batch=batch, hidden=hidden, input_size=input_size, x=vb("x", batch, input_size) if per_step_x else None,
            h=vb("h", h_rows, hidden), acc=vb("acc", batch, gh), gates=vb("gates", batch, gh),
            tmp=vb("tmp", batch, hidden), bias=vb("bias", 1, gh) if has_bias else None,
            c=vb("c", batch, hidden) if lstm else None,
            c_new=vb("c_new", batch, hidden) if lstm and masked else None,
            h_new=vb("h_new", batch, hidden) if masked else None,
            peephole=vb("peephole", 1, 3 * hidden) if lstm and rnn.operand(op, "P") is not None else None,
            rec=vb("rec", batch, gh) if lbr else None,
            rec_bias=vb("rec_bias", 1, gh) if lbr and has_bias else None,
            mask=vb("mask", batch, 1) if masked else None,
        )  # fmt: skip

    def cell_spec(self, node: rnn.RecurrentNode, d: int) -> CellSpec:
        per = node.per_direction
        chosen = node.activations[d * per : (d + 1) * per]
        if len(chosen) != per:
            raise LoweringError(f"{node.onnx_node}: expected {per} activations per direction")
        acts: list[ActivationAttr] = []
        for slot, (onnx_name, alpha, beta) in enumerate(chosen):
            if onnx_name not in ONNX_TO_ACT:
                raise LoweringError(f"{node.onnx_node}: unsupported activation '{onnx_name}'")
            # ONNX applies clip to the gate inputs, not to the cell state entering h().
            clip = node.clip if not (node.kind == "lstm" and slot == 2) else None
            acts.append(ActivationAttr(ONNX_TO_ACT[onnx_name], alpha, beta, clip))
        return CellSpec(node.kind, acts, node.input_forget, node.linear_before_reset)

    def load_constants(self, node: rnn.RecurrentNode, d: int, bufs: CellBuffers,
                       b: tuple[np.ndarray | None, SSAValue | None], p: tuple[np.ndarray | None, SSAValue | None],
                       prologue: list[Operation], perm: np.ndarray | slice, fold_zr: bool = False) -> None:  # fmt: skip
        """Biases and peepholes; `fold_zr` (GRU lbr=1, unfolded): Rb of z and r joins Wb in the projection."""
        gh = node.gates * node.hidden
        (b_all, b_val), (p_all, p_val) = b, p

        def load_row(buf: str, values: np.ndarray, label: str) -> None:
            sym = self.const_tensor(f"{label}_init", values.astype(np.float32).reshape(1, -1))
            n = values.size
            prologue.append(sharp.LoadOp(WindowAttr(buf, 0, 1, 0, 0, n), DramWindowAttr(sym, 0, 1, n, n, 0)))

        def load_input_row(buf: str, sym: str, base: int, ranges: list[tuple[int, int, int]]) -> None:
            for dst, src, n in ranges:  # one DMA per contiguous run of the permutation
                prologue.append(
                    sharp.LoadOp(
                        WindowAttr(buf, 0, 1, 0, dst, n), DramWindowAttr(sym, base + src, 1, n, n, 0)
                    )
                )

        name = bufs.h.removesuffix("_h")
        if b_all is None and b_val is not None and bufs.bias is not None:
            # B [D, 2*G*H] as an input: Wb and Rb are loaded (in gate order) and added on chip.
            b_sym, ranges = self.tensor_of(b_val), row_ranges(perm, gh)
            load_input_row(bufs.bias, b_sym, d * 2 * gh, ranges)
            rb = bufs.rec_bias or self.buffer(f"{name}_Rb", "vmem", 1, gh)
            load_input_row(rb, b_sym, d * 2 * gh + gh, ranges)
            if bufs.rec_bias is None:
                whole = WindowAttr(bufs.bias, 0, 1, 0, 0, gh)
                prologue.append(sharp.AddOp(whole, whole, WindowAttr(rb, 0, 1, 0, 0, gh)))
        if p_all is None and p_val is not None and bufs.peephole is not None:
            load_input_row(
                bufs.peephole, self.tensor_of(p_val), d * 3 * node.hidden, [(0, 0, 3 * node.hidden)]
            )
        if b_all is not None and bufs.bias is not None:
            wb, rb = b_all[d][:gh][perm].astype(np.float32), b_all[d][gh:][perm].astype(np.float32)
            if bufs.rec_bias is not None:
                if fold_zr:
                    h_rows = np.arange(gh)[perm] >= 2 * node.hidden  # candidate-gate rows, emitted order
                    wb, rb = wb + np.where(h_rows, 0, rb), np.where(h_rows, rb, 0).astype(np.float32)
                load_row(bufs.bias, wb, f"{name}_Wb")
                load_row(bufs.rec_bias, rb, f"{name}_Rb")
            else:
                load_row(bufs.bias, wb + rb, f"{name}_bias")
        if p_all is not None and bufs.peephole is not None:
            load_row(bufs.peephole, p_all[d], f"{name}_P")

    def init_state(self, cell: CellEmitter, state: str, sym: str | None, geo: _Geometry, d: int) -> Operation:
        win = cell.win(state, 0, geo.hidden)
        if sym is None:
            return sharp.FillOp(win, 0.0)
        return sharp.LoadOp(win, geo.state_window(sym, d))

    # --- glue -----------------------------------------------------------------


def _names(fn: func.FuncOp, key: str, count: int, prefix: str) -> list[str]:
    attr = rnn.attr_of(fn, key)
    if isinstance(attr, ArrayAttr):
        names = [a.data for a in attr.data if isinstance(a, StringAttr)]
        if len(names) == count:
            return names
    return [f"{prefix}{i}" for i in range(count)]


@dataclass(frozen=True)
class _Geometry:
    """DRAM addressing of X, Y, Y_h/Y_c and initial states for one recurrent node."""

    layout: int
    steps: int
    batch: int
    hidden: int
    ndir: int
    input_size: int
    batch_major_y: bool = False
    """Y is written as [T, B, D, H] (the layout the exporters' Transpose(0, 2, 1, 3) produces)."""

    def x_window(self, sym: str, lens: str) -> DramWindowAttr:
        t, b, i = self.steps, self.batch, self.input_size
        if self.layout == 0:  # [T, B, I]
            return DramWindowAttr(sym, 0, b, i, i, b * i, lens)
        return DramWindowAttr(sym, 0, b, t * i, i, i, lens)  # [B, T, I]

    def y_window(self, sym: str, d: int, lens: str) -> DramWindowAttr:
        t, b, h, nd = self.steps, self.batch, self.hidden, self.ndir
        if self.layout == 0 and self.batch_major_y:  # [T, B, D, H]
            return DramWindowAttr(sym, d * h, b, nd * h, h, b * nd * h, lens)
        if self.layout == 0:  # [T, D, B, H]
            return DramWindowAttr(sym, d * b * h, b, h, h, nd * b * h, lens)
        return DramWindowAttr(sym, d * h, b, t * nd * h, h, nd * h, lens)  # [B, T, D, H]

    def state_window(self, sym: str, d: int) -> DramWindowAttr:
        b, h, nd = self.batch, self.hidden, self.ndir
        if self.layout == 0:  # [D, B, H]
            return DramWindowAttr(sym, d * b * h, b, h, h, 0)
        return DramWindowAttr(sym, d * h, b, nd * h, h, 0)  # [B, D, H]


AUTO_BLOCKS = (1, 2, 4)
"""Row-block counts the `auto` plan prices for every recurrent node (blocks of >= 16 units)."""
MIN_BLOCK_UNITS = 16


def choose_blocks(cfg: HwConfig, fn: func.FuncOp, candidate: Callable[..., _Lowering],
                  scheme: str) -> dict[str, int]:  # fmt: skip
    """Per recurrent ONNX node, the row-block count whose layers the cost model times fastest.

    Each count lowers the model once; every layer direction is timed alone, scheduled by
    `scheme`, by the simulator's timing engine (`schedule_cost.layer_cycles`) at the default
    tile; ties keep fewer blocks.
    """
    from sharp_compiler.transforms.schedule_cost import layer_cycles

    hidden = {
        node.onnx_node: node.hidden
        for op in fn.body.block.ops
        if op.name in rnn.RECURRENT_OPS
        for node in (rnn.read_recurrent(op),)
    }
    counts = {
        name: [n for n in AUTO_BLOCKS if n == 1 or h // n >= MIN_BLOCK_UNITS] for name, h in hidden.items()
    }
    best: dict[str, tuple[int, int]] = {}
    for n in AUTO_BLOCKS:
        if not any(n in ns and len(ns) > 1 for ns in counts.values()):
            continue
        lowering = candidate(cfg, {}, n)
        lowering.run(fn)
        per_node: dict[str, int] = {}
        for layer in lowering.layers:
            assert isinstance(layer, sharp.LayerOp)
            node = layer.onnx_node.data
            if (
                layer.kind.data in rnn.RECURRENT_OPS.values()
                and n in counts.get(node, ())
                and len(counts[node]) > 1
            ):
                cycles = layer_cycles(cfg, cfg.precision, layer, cfg.default_tile, scheme)
                per_node[layer.onnx_node.data] = per_node.get(layer.onnx_node.data, 0) + cycles
        for node, cycles in per_node.items():
            if node not in best or cycles < best[node][0]:
                best[node] = (cycles, n)
        for old in [*lowering.layers, *lowering.buffers, *lowering.tensors]:
            old.erase()
    return {node: n for node, (_cycles, n) in best.items()}


def batch_major_consumer(y: SSAValue) -> SSAValue | None:
    """The result of the one `rnn.transpose` with perm [0, 2, 1, 3] that is Y's only use, if so."""
    uses = list(y.uses)
    if len(uses) != 1:
        return None
    user = uses[0].operation
    if user.name != "rnn.transpose" or rnn.int_list_prop(user, "perm") != [0, 2, 1, 3]:
        return None
    return user.results[0]


def defer_recurrent_weights(prologue: list[Operation], projection: Operation) -> None:
    """Load R after the input projection is dispatched, so R streams in while the array computes X W^T."""
    loads = [
        op for op in prologue if isinstance(op, sharp.LoadWeightsOp) and op.dst.buffer.data.endswith("_Rbuf")
    ]
    for op in loads:
        prologue.remove(op)
    at = prologue.index(projection) + 1
    prologue[at:at] = loads


def block_spans(hidden: int, chunks: int) -> list[tuple[int, int]]:
    """(first unit, count) of `chunks` contiguous blocks of hidden units, sizes as equal as possible."""
    n = max(1, min(chunks, hidden))
    sizes = [hidden // n + (1 if k < hidden % n else 0) for k in range(n)]
    return [(sum(sizes[:k]), size) for k, size in enumerate(sizes)]


def gate_permutation(gates: int, hidden: int, spans: list[tuple[int, int]]) -> np.ndarray:
    """Gate rows in [block][gate][unit] order: row j of the permuted matrix is row perm[j] of the ONNX one."""
    return np.array(
        [g * hidden + u0 + u for u0, n in spans for g in range(gates) for u in range(n)], dtype=np.int64
    )


def count_macs(ops: list[Operation]) -> int:
    """Useful multiply-accumulates of a list of ops (loops multiply their body)."""
    total = 0
    for op in ops:
        if isinstance(op, sharp.DispatchOp):
            total += op.dst.nrows.data * op.dst.ncols.data * op.src.ncols.data
        elif isinstance(op, sharp.TimeLoopOp):
            total += op.trips.data * count_macs(list(op.body.block.ops))
    return total


@dataclass(frozen=True)
class ConvertRnnToSharpPass(ModulePass):
    """Lower `rnn` layers to tiled dispatch over time steps in `sharp`."""

    name = "convert-rnn-to-sharp"
    hw: str = DEFAULT_PRESET
    budget: int = 0
    precision: str = ""
    chunks: int = 0
    """Row blocks per recurrent layer; 0 (default): 1 for `sequential`, chosen by the cost model for
    the block schemes (`intergate`, `unfolded`, `auto`)."""
    scheme: str = "sequential"
    """The schedule the code is laid out for: `unfolded` and `auto` accumulate R h in place."""
    order: str = "row"
    """Unfolded plan: `row` (block by block) or `column` (every block's early columns first)."""

    def candidate(self, cfg: HwConfig, blocks: dict[str, int], chunks: int | None = None) -> _Lowering:
        """A lowering with this pass's options, row blocks per node given (else `chunks`)."""
        return _Lowering(cfg, cfg.precision, chunks or self.chunks or 1, unfold=self.scheme in ("unfolded", "auto"),
                         column_major=self.order == "column", blocks_for=blocks,
                         overlap=self.scheme != "sequential")  # fmt: skip

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        cfg = resolve_config(op, self.hw, self.budget, self.precision)
        funcs = [f for f in op.body.block.ops if isinstance(f, func.FuncOp)]
        if len(funcs) != 1:
            raise LoweringError(f"expected one func.func holding the model, found {len(funcs)}")
        if self.chunks < 0:
            raise LoweringError(f"chunks must be 0 (chosen) or a positive integer, got {self.chunks}")
        choose = self.scheme in ("intergate", "unfolded", "auto", "dataflow") and self.chunks == 0
        blocks = choose_blocks(cfg, funcs[0], self.candidate, self.scheme) if choose else {}
        lowering = self.candidate(cfg, blocks)
        lowering.run(funcs[0])
        for old in list(op.body.block.ops):
            old.detach()
            old.erase()
        op.body.block.add_ops([*lowering.tensors, *lowering.buffers, *lowering.layers])
        op.attributes["sharp.hw"] = HwConfigAttr(cfg)
        op.attributes["sharp.precision"] = StringAttr(cfg.precision)
