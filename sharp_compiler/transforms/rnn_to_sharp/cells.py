"""The per-time-step code of LSTM, GRU and RNN cells as `sharp` ops.

Given the buffers of one layer direction, these functions emit the body of
the time loop: weight dispatches to the array, activations, and the
element-wise cell update, following ONNX's equations exactly (gate order
iofc for LSTM, zrh for GRU)::

    LSTM  it = f(Xt Wi + Ht-1 Ri + Pi (.) Ct-1 + Wbi + Rbi)     (clip before f)
          ft = f(Xt Wf + Ht-1 Rf + Pf (.) Ct-1 + Wbf + Rbf)      (1 - it with input_forget)
          ct = g(Xt Wc + Ht-1 Rc + Wbc + Rbc)
          Ct = ft (.) Ct-1 + it (.) ct
          ot = f(Xt Wo + Ht-1 Ro + Po (.) Ct + Wbo + Rbo)
          Ht = ot (.) h(Ct)
    GRU   zt, rt as above; ht = g(Xt Wh + (rt (.) Ht-1) Rh + Rbh + Wbh)            lbr = 0
                           ht = g(Xt Wh + rt (.) (Ht-1 Rh + Rbh) + Wbh)          lbr = 1
          Ht = (1 - zt) (.) ht + zt (.) Ht-1 = zt (.) (Ht-1 - ht) + ht
    RNN   Ht = f(Xt Wi + Ht-1 Ri + Wbi + Rbi)

With sequence lengths, rows past their length keep their state (`sharp.select`
on the step mask); the DMA skips their outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.ir import Operation

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import ActivationAttr, WindowAttr
from sharp_compiler.transforms.rnn_to_sharp.weights import WeightDispatch


@dataclass
class CellBuffers:
    """Buffer names and sizes of one layer direction."""

    batch: int
    hidden: int
    input_size: int
    x: str | None  # per-step input buffer (None when the input projection is precomputed)
    h: str
    acc: str
    gates: str
    tmp: str
    bias: str | None
    c: str | None = None
    c_new: str | None = None
    h_new: str | None = None
    peephole: str | None = None
    rec: str | None = None  # GRU lbr=1: H R^T + Rb
    rec_bias: str | None = None
    mask: str | None = None


@dataclass
class CellSpec:
    kind: str  # "lstm" | "gru" | "rnn"
    activations: list[ActivationAttr]  # f, g, h (LSTM) / f, g (GRU) / f (RNN)
    input_forget: bool = False
    linear_before_reset: bool = False


@dataclass(frozen=True)
class _Block:
    """One block of hidden units: units [unit0, +units) of h, c and tmp; its gates are the
    acc/gates columns from gate0 on, gate g at gate0 + g * units."""

    gate0: int
    unit0: int
    units: int


def _cols(win: WindowAttr, col0: int, ncols: int) -> WindowAttr:
    """The same rows (and row step) of a window, other columns."""
    return WindowAttr(win.buffer.data, win.row0.data, win.nrows.data, win.row_step.data, col0, ncols)


def _units(win: WindowAttr, unit0: int, units: int) -> WindowAttr:
    """Hidden units [unit0, +units) of a state window (which may start at any column)."""
    return _cols(win, win.col0.data + unit0, units)


@dataclass
class CellEmitter:
    bufs: CellBuffers
    spec: CellSpec
    dispatch: WeightDispatch
    xproj: WindowAttr | None = None
    """[B, G*H] window of the input projection X W^T + bias precomputed for all steps (None: per step)."""
    unfold: bool = False
    """The `unfolded` plan: R h accumulates in place into this step's input projection, one column
    block of h at a time, so a step's dispatch can start on the first finished blocks of h."""
    spans: list[tuple[int, int]] = field(default_factory=list)
    """Column blocks of h (the unfolded plan): (first unit, count)."""
    column_major: bool = False
    """Unfolded plan: dispatch every block's columns but the last first (column by column), then
    each block's last column and its cell update, so a step's outputs finish close together."""
    early: list[tuple[int, Operation]] = field(default_factory=list)
    ops: list[Operation] = field(default_factory=list)

    def win(self, buf: str, col0: int, ncols: int, rows: int | None = None) -> WindowAttr:
        return WindowAttr(buf, 0, self.bufs.batch if rows is None else rows, 0, col0, ncols)

    def row(self, buf: str, col0: int, ncols: int) -> WindowAttr:
        """A one-row buffer (bias, peephole) broadcast over the batch."""
        return WindowAttr(buf, 0, 1, 0, col0, ncols)

    def add(self, *ops: Operation) -> None:
        self.ops.extend(ops)

    def matvec(self, dst: WindowAttr, src: WindowAttr, matrix: str, row0: int, nrows: int, acc: bool) -> None:
        self.add(*self.dispatch.emit(dst, src, matrix, row0, nrows, acc))

    def activate(self, dst: WindowAttr, src: WindowAttr, fn: ActivationAttr) -> None:
        self.add(sharp.ActivateOp(dst, src, fn))

    def staged(self, state: str, new: str | None) -> str:
        """Where a step writes a new state: in place, or beside it when rows may keep the old one."""
        if self.bufs.mask is None:
            return state
        assert new is not None
        return new

    def commit_state(self, state: str, new: str | None) -> None:
        """state = new for the rows still inside their sequence (no-op when updated in place)."""
        b, h = self.bufs, self.bufs.hidden
        if b.mask is None or new is None:
            return
        self.add(sharp.SelectOp(self.win(state, 0, h), self.win(b.mask, 0, 1), self.win(new, 0, h),
                                self.win(state, 0, h)))  # fmt: skip

    # --- the cells -------------------------------------------------------------
    def emit_step(self) -> list[Operation]:
        {"lstm": self._lstm, "gru": self._gru, "rnn": self._rnn}[self.spec.kind]()
        return self.ops

    def emit_blocked_step(self, spans: list[tuple[int, int]], h_prev: WindowAttr,
                          h_next: WindowAttr) -> list[Operation]:  # fmt: skip
        """One step with the hidden units cut into blocks (`spans`: first unit, count).

        Needs the precomputed input projection and W, R, biases whose gate rows are permuted to
        [block][gate][unit], so one block's gates are one contiguous column range. Block by
        block: dispatch its rows of R on h_prev, add the input part, activate and update the
        cell, writing its units of h_next; the array can start the next block meanwhile.
        GRU with linear_before_reset = 0 first computes z, r and r (.) h_prev of every block,
        since each candidate dispatch reads the whole r (.) h_prev.
        """
        b, hs = self.bufs, self.bufs.hidden
        assert self.xproj is not None and b.mask is None
        count = {"lstm": 4, "gru": 3, "rnn": 1}[self.spec.kind]
        blocks = [_Block(count * u0, u0, n) for u0, n in spans]
        out = lambda blk: _units(h_next, blk.unit0, blk.units)  # noqa: E731
        if self.spec.kind == "gru" and not self.spec.linear_before_reset:
            f = self.spec.activations[0]
            for blk in blocks:
                g0, u0, n = blk.gate0, blk.unit0, blk.units
                self.recurrent_part(g0, 2 * n, h_prev)
                self.activate(self.win(b.gates, g0, 2 * n), self.win(b.acc, g0, 2 * n), f)
                self.add(
                    sharp.MulOp(self.win(b.tmp, u0, n), self.win(b.gates, g0 + n, n), _units(h_prev, u0, n))
                )
            for blk in blocks:
                self.recurrent_part(blk.gate0 + 2 * blk.units, blk.units, self.win(b.tmp, 0, hs))
                self._gru_blend(blk, h_prev, out(blk))
            return self.ops
        for blk in blocks:
            g0, n = blk.gate0, blk.units
            if self.spec.kind == "lstm":
                self.recurrent_part(g0, 4 * n, h_prev)
                self._lstm_update(blk, out(blk), fuse=True)
            elif self.spec.kind == "rnn":
                self.recurrent_part(g0, n, h_prev)
                self.activate(out(blk), self.acc(g0, n), self.spec.activations[0])
            elif self.unfold:  # GRU, lbr = 1: z, r accumulate into the projection, R_h h + Rb_h apart
                assert b.rec is not None
                self.recurrent_part(g0, 2 * n, h_prev)
                rec_h = self.win(b.rec, g0 + 2 * n, n)
                self.column_blocks(rec_h, h_prev, "R", g0 + 2 * n, n, False)
                if b.rec_bias is not None:
                    self.add(sharp.AddOp(rec_h, rec_h, self.row(b.rec_bias, g0 + 2 * n, n)))
                acc_zr = self.acc(g0, 2 * n)
                self.activate(self.win(b.gates, g0, 2 * n), acc_zr, self.spec.activations[0])
                self._gru_keep(blk)
                self.add(sharp.FmaOp(self.acc(g0 + 2 * n, n), self.win(b.gates, g0 + n, n), rec_h,
                                     self.xsrc(g0 + 2 * n, n)))  # fmt: skip
                self._gru_mix(blk, h_prev, out(blk))
            else:  # GRU, linear_before_reset = 1
                assert b.rec is not None
                rec = self.win(b.rec, g0, 3 * n)
                self.matvec(rec, h_prev, "R", g0, 3 * n, False)
                if b.rec_bias is not None:
                    self.add(sharp.AddOp(rec, rec, self.row(b.rec_bias, g0, 3 * n)))
                acc_zr = self.win(b.acc, g0, 2 * n)
                self.add(sharp.AddOp(acc_zr, self.xsrc(g0, 2 * n), self.win(b.rec, g0, 2 * n)))
                self.activate(self.win(b.gates, g0, 2 * n), acc_zr, self.spec.activations[0])
                self._gru_keep(blk)
                self.add(sharp.FmaOp(self.win(b.acc, g0 + 2 * n, n), self.win(b.gates, g0 + n, n),
                                     self.win(b.rec, g0 + 2 * n, n), self.xsrc(g0 + 2 * n, n)))  # fmt: skip
                self._gru_mix(blk, h_prev, out(blk))
        if self.unfold and self.column_major and self.early:
            moved = [op for _k, op in sorted(self.early, key=lambda item: item[0])]
            rest = [op for op in self.ops if all(op is not m for m in moved)]
            self.ops[:] = moved + rest
        return self.ops

    def _gru_keep(self, blk: _Block) -> None:
        """linear_before_reset = 1, right after z: 1 - z (an affine activation) into rec's z columns.

        Together with `_gru_mix` the blend is h = (1 - z) (.) cand + z (.) h_prev, one `fma`
        after the candidate's tanh (the chain the bound counts); z (.) h_prev and 1 - z are
        computed while the candidate is.
        """
        b, g0, n = self.bufs, blk.gate0, blk.units
        assert b.rec is not None
        self.activate(self.win(b.rec, g0, n), self.win(b.gates, g0, n), ActivationAttr("affine", -1.0, 1.0))

    def _gru_mix(self, blk: _Block, h_prev: WindowAttr, h_dst: WindowAttr) -> None:
        """linear_before_reset = 1, after the candidate's input (acc ready): z (.) h_prev into tmp,
        the candidate, then h_dst = (1 - z) (.) cand + z (.) h_prev."""
        b, g0, n = self.bufs, blk.gate0, blk.units
        assert b.rec is not None
        keep = self.win(b.tmp, blk.unit0, n)
        self.add(sharp.MulOp(keep, self.win(b.gates, g0, n), _units(h_prev, blk.unit0, n)))
        cand = self.win(b.gates, g0 + 2 * n, n)
        self.activate(cand, self.acc(g0 + 2 * n, n), self.spec.activations[1])
        self.add(sharp.FmaOp(h_dst, self.win(b.rec, g0, n), cand, keep))

    def _gru_blend(self, blk: _Block, h_prev: WindowAttr, h_dst: WindowAttr) -> None:
        """Candidate (acc ready) and h_dst = z (.) (h_prev - cand) + cand for one block."""
        b, g0, n = self.bufs, blk.gate0, blk.units
        cand = self.win(b.gates, g0 + 2 * n, n)
        self.activate(cand, self.acc(g0 + 2 * n, n), self.spec.activations[1])
        self.add(sharp.SubOp(h_dst, _units(h_prev, blk.unit0, n), cand))
        self.add(sharp.FmaOp(h_dst, self.win(b.gates, g0, n), h_dst, cand))

    def xsrc(self, col0: int, ncols: int) -> WindowAttr:
        """The input part (X W^T + bias) of gate columns [col0, +ncols) for this step."""
        if self.xproj is None:
            return self.win(self.bufs.acc, col0, ncols)
        p = self.xproj
        return WindowAttr(p.buffer.data, p.row0.data, p.nrows.data, p.row_step.data, col0, ncols)

    def input_part(self, gate_rows: int) -> None:
        """Per-step mode: acc = x W^T + bias (skipped when the projection was precomputed)."""
        if self.xproj is not None:
            return
        b = self.bufs
        assert b.x is not None
        acc = self.win(b.acc, 0, gate_rows)
        self.matvec(acc, self.win(b.x, 0, b.input_size), "W", 0, gate_rows, False)
        if b.bias is not None:
            self.add(sharp.AddOp(acc, acc, self.row(b.bias, 0, gate_rows)))

    def acc(self, col0: int, ncols: int) -> WindowAttr:
        """Where gate pre-activations [col0, +ncols) are: acc, or in place in the projection (unfolded)."""
        return self.xsrc(col0, ncols) if self.unfold else self.win(self.bufs.acc, col0, ncols)

    def column_blocks(self, dst: WindowAttr, src: WindowAttr, matrix: str, row0: int, nrows: int,
                      first_accumulates: bool) -> None:  # fmt: skip
        """dst (+)= src R[row0:+nrows]^T, one dispatch per column block of src (the h blocks)."""
        for k, (c0, cn) in enumerate(self.spans):
            cols = _cols(src, src.col0.data + c0, cn)
            ops = self.dispatch.emit(dst, cols, matrix, row0, nrows, first_accumulates or k > 0, (c0, cn))
            self.add(*ops)
            if k < len(self.spans) - 1:
                self.early.extend((k, op) for op in ops)

    def recurrent_part(self, col0: int, ncols: int, src: WindowAttr) -> None:
        """acc[col0:+ncols] = input part + src R[col0:+ncols]^T."""
        if self.unfold:
            self.column_blocks(self.xsrc(col0, ncols), src, "R", col0, ncols, True)
            return
        acc = self.win(self.bufs.acc, col0, ncols)
        if self.xproj is None:
            self.matvec(acc, src, "R", col0, ncols, True)
            return
        self.matvec(acc, src, "R", col0, ncols, False)
        self.add(sharp.AddOp(acc, acc, self.xsrc(col0, ncols)))

    def _input_and_recurrent(self, gate_rows: int) -> None:
        """acc = x W^T + bias + h R^T over the first gate_rows rows of W and R."""
        self.input_part(gate_rows)
        self.recurrent_part(0, gate_rows, self.win(self.bufs.h, 0, self.bufs.hidden))

    def _lstm(self) -> None:
        b, hs = self.bufs, self.bufs.hidden
        assert b.c is not None
        self._input_and_recurrent(4 * hs)
        self._lstm_update(_Block(0, 0, hs), self.win(self.staged(b.h, b.h_new), 0, hs))
        self.commit_state(b.c, b.c_new)
        self.commit_state(b.h, b.h_new)

    def _lstm_update(self, blk: _Block, h_dst: WindowAttr, fuse: bool = False) -> None:
        """Gates (acc ready) to c and h for the units of one block; h is written to h_dst.

        `fuse`: without peepholes and input_forget, activate i, o, f (adjacent) in one op.
        """
        b, hs, n = self.bufs, self.bufs.hidden, blk.units
        f, g, h = self.spec.activations
        assert b.c is not None
        acc = lambda gate: self.acc(blk.gate0 + gate * n, n)  # noqa: E731  gates i=0 o=1 f=2 c=3
        gate = lambda idx: self.win(b.gates, blk.gate0 + idx * n, n)  # noqa: E731

        def peep(idx: int) -> WindowAttr:  # P = [Pi, Po, Pf]
            assert b.peephole is not None
            return self.row(b.peephole, idx * hs + blk.unit0, n)

        c_prev = self.win(b.c, blk.unit0, n)
        fuse = fuse and b.peephole is None and not self.spec.input_forget
        if b.peephole is not None:
            self.add(sharp.FmaOp(acc(0), c_prev, peep(0), acc(0)))
            if not self.spec.input_forget:
                self.add(sharp.FmaOp(acc(2), c_prev, peep(2), acc(2)))
        if fuse:
            self.activate(self.win(b.gates, blk.gate0, 3 * n), self.acc(blk.gate0, 3 * n), f)
        else:
            self.activate(gate(0), acc(0), f)
            if self.spec.input_forget:
                self.add(sharp.OneMinusOp(gate(2), gate(0)))
            else:
                self.activate(gate(2), acc(2), f)
        self.activate(gate(3), acc(3), g)
        c_new = self.win(self.staged(b.c, b.c_new), blk.unit0, n)
        self.add(sharp.MulOp(c_new, gate(2), c_prev))
        self.add(sharp.FmaOp(c_new, gate(0), gate(3), c_new))
        if b.peephole is not None:
            self.add(sharp.FmaOp(acc(1), c_new, peep(1), acc(1)))
        if not fuse:
            self.activate(gate(1), acc(1), f)
        tmp = self.win(b.tmp, blk.unit0, n)
        self.activate(tmp, c_new, h)
        self.add(sharp.MulOp(h_dst, gate(1), tmp))

    def _gru(self) -> None:
        b, hs = self.bufs, self.bufs.hidden
        f, g = self.spec.activations
        hprev = self.win(b.h, 0, hs)
        acc_zr = self.win(b.acc, 0, 2 * hs)
        acc_h = self.win(b.acc, 2 * hs, hs)
        self.input_part(3 * hs)
        if self.spec.linear_before_reset:
            assert b.rec is not None
            rec = self.win(b.rec, 0, 3 * hs)
            self.matvec(rec, hprev, "R", 0, 3 * hs, False)
            if b.rec_bias is not None:
                self.add(sharp.AddOp(rec, rec, self.row(b.rec_bias, 0, 3 * hs)))
            self.add(sharp.AddOp(acc_zr, self.xsrc(0, 2 * hs), self.win(b.rec, 0, 2 * hs)))
            self.activate(self.win(b.gates, 0, 2 * hs), acc_zr, f)
            self._gru_keep(_Block(0, 0, hs))
            self.add(sharp.FmaOp(acc_h, self.win(b.gates, hs, hs), self.win(b.rec, 2 * hs, hs),
                                 self.xsrc(2 * hs, hs)))  # fmt: skip
            self._gru_mix(_Block(0, 0, hs), hprev, self.win(self.staged(b.h, b.h_new), 0, hs))
            self.commit_state(b.h, b.h_new)
            return
        else:
            self.recurrent_part(0, 2 * hs, hprev)
            self.activate(self.win(b.gates, 0, 2 * hs), acc_zr, f)
            reset_h = self.win(b.tmp, 0, hs)
            self.add(sharp.MulOp(reset_h, self.win(b.gates, hs, hs), hprev))
            self.recurrent_part(2 * hs, hs, reset_h)
        cand = self.win(b.gates, 2 * hs, hs)
        self.activate(cand, acc_h, g)
        diff = self.win(b.tmp, 0, hs)
        self.add(sharp.SubOp(diff, hprev, cand))
        self.add(
            sharp.FmaOp(self.win(self.staged(b.h, b.h_new), 0, hs), self.win(b.gates, 0, hs), diff, cand)
        )
        self.commit_state(b.h, b.h_new)

    def _rnn(self) -> None:
        b, hs = self.bufs, self.bufs.hidden
        (f,) = self.spec.activations
        self._input_and_recurrent(hs)
        self.activate(self.win(self.staged(b.h, b.h_new), 0, hs), self.win(b.acc, 0, hs), f)
        self.commit_state(b.h, b.h_new)
