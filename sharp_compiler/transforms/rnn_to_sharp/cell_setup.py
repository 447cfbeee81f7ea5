"""A layer direction's cell: its buffers, activations, biases and peepholes."""

from __future__ import annotations

import numpy as np
from xdsl.ir import Operation, SSAValue

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import ActivationAttr, DramWindowAttr, WindowAttr
from sharp_compiler.transforms import rnn_access as rnn
from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.rnn_to_sharp.builder import Lowering
from sharp_compiler.transforms.rnn_to_sharp.cells import CellBuffers, CellSpec
from sharp_compiler.transforms.rnn_to_sharp.plan import RecurrentPlan
from sharp_compiler.transforms.rnn_to_sharp.weights import row_ranges

ONNX_TO_ACT = {
    "Sigmoid": "sigmoid", "Tanh": "tanh", "Relu": "relu", "HardSigmoid": "hard_sigmoid", "Affine": "affine",
    "LeakyRelu": "leaky_relu", "ThresholdedRelu": "thresholded_relu", "ScaledTanh": "scaled_tanh", "Elu": "elu",
    "Softsign": "softsign", "Softplus": "softplus",
}  # fmt: skip


def cell_buffers(lw: Lowering, name: str, plan: RecurrentPlan, h: str | None = None) -> CellBuffers:
    """The vector buffers of one direction's cell: x only per step, h of `plan.h_rows` rows
    (or the given buffer: the node's on-chip sequence that every direction shares)."""
    node, geo, gh = plan.node, plan.geo, plan.gate_rows
    batch, hidden, input_size = geo.batch, geo.hidden, geo.input_size
    per_step_x, h_rows = not plan.whole, plan.h_rows
    vb = lambda key, rows, cols: lw.buffer(f"{name}_{key}", "vmem", rows, cols)  # noqa: E731
    op = node.op
    has_bias = rnn.operand(op, "B") is not None
    lstm, gru = node.kind == "lstm", node.kind == "gru"
    lbr = gru and node.linear_before_reset
    masked = rnn.operand(op, "sequence_lens") is not None
    return CellBuffers(
        batch=batch, hidden=hidden, input_size=input_size, x=vb("x", batch, input_size) if per_step_x else None,
        h=h or vb("h", h_rows, hidden), acc=vb("acc", batch, gh), gates=vb("gates", batch, gh),
        tmp=vb("tmp", batch, hidden), bias=vb("bias", 1, gh) if has_bias else None,
        c=vb("c", batch, hidden) if lstm else None,
        c_new=vb("c_new", batch, hidden) if lstm and masked else None,
        h_new=vb("h_new", batch, hidden) if masked else None,
        peephole=vb("peephole", 1, 3 * hidden) if lstm and rnn.operand(op, "P") is not None else None,
        rec=vb("rec", batch, gh) if lbr else None,
        rec_bias=vb("rec_bias", 1, gh) if lbr and has_bias else None,
        mask=vb("mask", batch, 1) if masked else None,
    )  # fmt: skip


def cell_spec(node: rnn.RecurrentNode, d: int) -> CellSpec:
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


def load_constants(lw: Lowering, node: rnn.RecurrentNode, d: int, bufs: CellBuffers,
                   b: tuple[np.ndarray | None, SSAValue | None], p: tuple[np.ndarray | None, SSAValue | None],
                   prologue: list[Operation], perm: np.ndarray | slice, fold_zr: bool = False) -> None:  # fmt: skip
    """Biases and peepholes; `fold_zr` (GRU lbr=1): Rb of z and r joins Wb in the projection."""
    gh = node.gates * node.hidden
    (b_all, b_val), (p_all, p_val) = b, p

    def load_row(buf: str, values: np.ndarray, label: str) -> None:
        sym = lw.const_tensor(f"{label}_init", values.astype(np.float32).reshape(1, -1))
        n = values.size
        prologue.append(sharp.LoadOp(WindowAttr(buf, 0, 1, 0, 0, n), DramWindowAttr(sym, 0, 1, n, n, 0)))

    def load_input_row(buf: str, sym: str, base: int, ranges: list[tuple[int, int, int]]) -> None:
        for dst, src, n in ranges:  # one DMA per contiguous run of the permutation
            prologue.append(
                sharp.LoadOp(WindowAttr(buf, 0, 1, 0, dst, n), DramWindowAttr(sym, base + src, 1, n, n, 0))
            )

    name = bufs.acc.removesuffix("_acc")  # the direction's name (h may be the node's shared sequence)
    if b_all is None and b_val is not None and bufs.bias is not None:
        # B [D, 2*G*H] as an input: Wb and Rb are loaded (in gate order) and added on chip.
        b_sym, ranges = lw.tensor_of(b_val), row_ranges(perm, gh)
        load_input_row(bufs.bias, b_sym, d * 2 * gh, ranges)
        rb = bufs.rec_bias or lw.buffer(f"{name}_Rb", "vmem", 1, gh)
        load_input_row(rb, b_sym, d * 2 * gh + gh, ranges)
        if bufs.rec_bias is None:
            whole = WindowAttr(bufs.bias, 0, 1, 0, 0, gh)
            prologue.append(sharp.AddOp(whole, whole, WindowAttr(rb, 0, 1, 0, 0, gh)))
    if p_all is None and p_val is not None and bufs.peephole is not None:
        load_input_row(bufs.peephole, lw.tensor_of(p_val), d * 3 * node.hidden, [(0, 0, 3 * node.hidden)])
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
