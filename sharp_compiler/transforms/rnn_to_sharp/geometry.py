"""DRAM addressing of a recurrent node's X, Y, Y_h/Y_c and initial states."""

from __future__ import annotations

from dataclasses import dataclass

from sharp_compiler.dialects.sharp_attrs import DramWindowAttr


@dataclass(frozen=True)
class Geometry:
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
