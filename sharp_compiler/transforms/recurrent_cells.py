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

from collections.abc import Callable
from dataclasses import dataclass, field

from xdsl.ir import Operation

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import ActivationAttr, WindowAttr


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


@dataclass
class WeightDispatch:
    """How to emit `dst (+)= src x M[rows]^T` for a constant matrix: resident or streamed."""

    emit: Callable[[WindowAttr, WindowAttr, str, int, int, bool], list[Operation]]
    """emit(dst, src, matrix, row0, nrows, accumulate) -> ops"""


@dataclass
class CellEmitter:
    bufs: CellBuffers
    spec: CellSpec
    dispatch: WeightDispatch
    xproj: WindowAttr | None = None
    """[B, G*H] window of the input projection X W^T + bias precomputed for all steps (None: per step)."""
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

    def recurrent_part(self, col0: int, ncols: int, src: WindowAttr) -> None:
        """acc[col0:+ncols] = input part + src R[col0:+ncols]^T."""
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
        f, g, h = self.spec.activations
        assert b.c is not None
        self._input_and_recurrent(4 * hs)
        acc = lambda gate: self.win(b.acc, gate * hs, hs)  # noqa: E731  gates i=0 o=1 f=2 c=3
        gate = lambda idx: self.win(b.gates, idx * hs, hs)  # noqa: E731
        c_prev = self.win(b.c, 0, hs)
        if b.peephole is not None:  # P = [Pi, Po, Pf]
            self.add(sharp.FmaOp(acc(0), c_prev, self.row(b.peephole, 0, hs), acc(0)))
            if not self.spec.input_forget:
                self.add(sharp.FmaOp(acc(2), c_prev, self.row(b.peephole, 2 * hs, hs), acc(2)))
        self.activate(gate(0), acc(0), f)
        if self.spec.input_forget:
            self.add(sharp.OneMinusOp(gate(2), gate(0)))
        else:
            self.activate(gate(2), acc(2), f)
        self.activate(gate(3), acc(3), g)
        c_new = self.win(self.staged(b.c, b.c_new), 0, hs)
        self.add(sharp.MulOp(c_new, gate(2), c_prev))
        self.add(sharp.FmaOp(c_new, gate(0), gate(3), c_new))
        if b.peephole is not None:
            self.add(sharp.FmaOp(acc(1), c_new, self.row(b.peephole, hs, hs), acc(1)))
        self.activate(gate(1), acc(1), f)
        tmp = self.win(b.tmp, 0, hs)
        self.activate(tmp, c_new, h)
        self.add(sharp.MulOp(self.win(self.staged(b.h, b.h_new), 0, hs), gate(1), tmp))
        self.commit_state(b.c, b.c_new)
        self.commit_state(b.h, b.h_new)

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
            self.add(sharp.FmaOp(acc_h, self.win(b.gates, hs, hs), self.win(b.rec, 2 * hs, hs),
                                 self.xsrc(2 * hs, hs)))  # fmt: skip
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
