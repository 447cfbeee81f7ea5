"""The non-recurrent layers around RNNs: linear heads, softmax, activations, embeddings.

Each works row by row over its input flattened to [rows, features]; rows are
processed in chunks that fit the vector buffer, as a `sharp.time_loop` over
chunks (plus one remainder chunk), so code size does not grow with the
number of rows::

    rnn.linear  -> load_weights W^T; loop { load x; dispatch acc = x W^T; add bias; store }
    rnn.softmax -> loop { load; softmax (log); store }          (activation unit)
    rnn.activation -> loop { load; activate; store }
    rnn.embedding  -> loop { load indices; gather rows of the DRAM table; store }
    rnn.layer_norm -> load scale, bias; loop { load; layer_norm (activation unit);
                      fma by scale and bias (cell updater); store }
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from xdsl.ir import Block, Operation, Region

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import ActivationAttr, DramWindowAttr, WindowAttr
from sharp_compiler.hw.numerics import weight_array
from sharp_compiler.transforms import rnn_access as rnn
from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.rnn_to_sharp.builder import Lowering
from sharp_compiler.transforms.rnn_to_sharp.glue import copy_op
from sharp_compiler.transforms.rnn_to_sharp.weights import WeightRows, weight_dispatch, weight_values

ELEMENTWISE = {"Tanh": "tanh", "Sigmoid": "sigmoid", "Relu": "relu"}
ChunkBody = Callable[[int, int, int], list[Operation]]
"""body(nrows, first_row, row_step_per_iteration) -> ops of one chunk."""


def chunked(rows: int, chunk: int, body: ChunkBody) -> list[Operation]:
    """Ops that run `body` over all rows, `chunk` rows at a time (a loop, then the remainder)."""
    full, rest = divmod(rows, chunk)
    ops: list[Operation] = []
    if full == 1:
        ops.extend(body(chunk, 0, 0))
    elif full > 1:
        ops.append(sharp.TimeLoopOp(full, Region(Block(body(chunk, 0, chunk)))))
    if rest:
        ops.extend(body(rest, full * chunk, 0))
    return ops


def _rows_cols(shape: tuple[int, ...]) -> tuple[int, int]:
    return math.prod(shape[:-1]), shape[-1]


def _dram(sym: str, first: int, nrows: int, cols: int, step: int) -> DramWindowAttr:
    return DramWindowAttr(sym, first * cols, nrows, cols, cols, step * cols)


def linear(lw: Lowering, op: Operation) -> None:
    node = rnn.str_prop(op, "onnx_node", op.name)
    x_val, w_val, b_val = op.operands[0], op.operands[1], rnn.operand(op, "bias")
    out = lw.result_tensor(op.results[0], f"{rnn.symbol(node)}_out")
    if out is None:
        return
    rows, k = _rows_cols(rnn.shape_of(x_val))
    n = rnn.shape_of(w_val)[1]
    name = lw.unique(rnn.symbol(node))
    prologue: list[Operation] = []
    weight = weight_values(w_val, f"{node}: weight")
    if weight is not None:
        w_sym = lw.const_tensor(
            f"{name}_Wt", weight_array(np.ascontiguousarray(weight.T), lw.precision, f"{name}_Wt")
        )
    else:  # a weight input [K, N]: a strided copy makes the [N, K] rows the array loads
        w_sym = lw.add_tensor(f"{name}_Wt", "scratch", (n, k))
        prologue.append(copy_op(lw.tensor_of(w_val), w_sym, [n, k], 0, [1, n], 0, [k, 1]))
    resident = n * k * lw.cfg.weight_bytes_per_element(lw.precision) <= lw.cfg.weight_buffer_bytes
    dispatch = weight_dispatch(lw, name, resident, {"W": WeightRows(w_sym, k)}, n, prologue)
    bias_buf = None
    if b_val is not None:
        bias_buf = lw.buffer(f"{name}_bias", "vmem", 1, n)
        values = weight_values(b_val, f"{node}: bias")
        if values is None:
            b_sym = lw.tensor_of(b_val)
        else:
            b_sym = lw.const_tensor(f"{name}_bias_init", values.astype(np.float32).reshape(1, n))
        prologue.append(
            sharp.LoadOp(WindowAttr(bias_buf, 0, 1, 0, 0, n), DramWindowAttr(b_sym, 0, 1, n, n, 0))
        )
    chunk_rows = max(1, min(rows, (lw.cfg.vector_buffer_words // 2) // (k + n)))
    x_buf = lw.buffer(f"{name}_x", "vmem", chunk_rows, k)
    y_buf = lw.buffer(f"{name}_y", "vmem", chunk_rows, n)
    x_sym = lw.tensor_of(x_val)

    def body(nrows: int, first: int, step: int) -> list[Operation]:
        x_win, y_win = WindowAttr(x_buf, 0, nrows, 0, 0, k), WindowAttr(y_buf, 0, nrows, 0, 0, n)
        ops: list[Operation] = [sharp.LoadOp(x_win, _dram(x_sym, first, nrows, k, step))]
        ops += dispatch.emit(y_win, x_win, "W", 0, n, False)
        if bias_buf is not None:
            ops.append(sharp.AddOp(y_win, y_win, WindowAttr(bias_buf, 0, 1, 0, 0, n)))
        ops.append(sharp.StoreOp(_dram(out, first, nrows, n, step), y_win))
        return ops

    lw.layer(name, "linear", node, [*prologue, *chunked(rows, chunk_rows, body)])


def rowwise(
    lw: Lowering,
    op: Operation,
    kind: str,
    make: Callable[[WindowAttr, WindowAttr], Operation | list[Operation]],
    prologue: Callable[[str, int], tuple[list[Operation], int]] | None = None,
) -> None:
    """load -> activation-unit op(s) -> store, over rows of the input.

    `prologue(layer name, cols)` gives ops run once before the rows and the vector-buffer
    words they keep (taken from the row chunks).
    """
    node = rnn.str_prop(op, "onnx_node", op.name)
    out = lw.result_tensor(op.results[0], f"{rnn.symbol(node)}_out")
    if out is None:
        return
    rows, cols = _rows_cols(rnn.shape_of(op.operands[0]))
    name = lw.unique(rnn.symbol(node))
    first_ops, reserved = prologue(name, cols) if prologue is not None else ([], 0)
    chunk_rows = max(1, min(rows, (lw.cfg.vector_buffer_words // 2 - reserved) // (2 * cols)))
    src_buf = lw.buffer(f"{name}_in", "vmem", chunk_rows, cols)
    dst_buf = lw.buffer(f"{name}_out", "vmem", chunk_rows, cols)
    src = lw.tensor_of(op.operands[0])

    def body(nrows: int, first: int, step: int) -> list[Operation]:
        a, b = WindowAttr(src_buf, 0, nrows, 0, 0, cols), WindowAttr(dst_buf, 0, nrows, 0, 0, cols)
        made = make(b, a)
        return [sharp.LoadOp(a, _dram(src, first, nrows, cols, step)), *(made if isinstance(made, list) else [made]),
                sharp.StoreOp(_dram(out, first, nrows, cols, step), b)]  # fmt: skip

    lw.layer(name, kind, node, [*first_ops, *chunked(rows, chunk_rows, body)])


def layer_norm(lw: Lowering, op: Operation) -> None:
    """Normalise each row on the activation unit, then scale and shift it on the cell updater."""
    node = rnn.str_prop(op, "onnx_node", op.name)
    epsilon = float(op.properties["epsilon"].value.data)  # type: ignore[union-attr]
    affine: list[WindowAttr] = []  # [scale row, bias row] once the prologue has made them

    def load_affine(name: str, cols: int) -> tuple[list[Operation], int]:
        scale = rnn.constant_array(op.operands[1], f"{node}: scale").astype(np.float32).reshape(1, cols)
        bias_val = rnn.operand(op, "bias")
        bias = np.zeros((1, cols), np.float32)
        if bias_val is not None:
            bias = rnn.constant_array(bias_val, f"{node}: bias").astype(np.float32).reshape(1, cols)
        buf = lw.buffer(f"{name}_affine", "vmem", 2, cols)
        sym = lw.const_tensor(f"{name}_affine_init", np.concatenate([scale, bias]))
        affine.extend([WindowAttr(buf, 0, 1, 0, 0, cols), WindowAttr(buf, 1, 1, 0, 0, cols)])
        return [
            sharp.LoadOp(WindowAttr(buf, 0, 2, 0, 0, cols), DramWindowAttr(sym, 0, 2, cols, cols, 0))
        ], 2 * cols

    rowwise(
        lw, op, "layer_norm",
        lambda dst, src: [sharp.LayerNormOp(dst, src, epsilon), sharp.FmaOp(dst, dst, affine[0], affine[1])],
        load_affine,
    )  # fmt: skip


def softmax(lw: Lowering, op: Operation) -> None:
    log = op.properties.get("log") is not None
    rowwise(lw, op, "log_softmax" if log else "softmax", lambda dst, src: sharp.SoftmaxOp(dst, src, log))


def activation(lw: Lowering, op: Operation) -> None:
    fn = rnn.str_prop(op, "function")
    if fn not in ELEMENTWISE:
        raise LoweringError(f"{op.name}: unsupported function '{fn}'")
    act = ActivationAttr(ELEMENTWISE[fn])
    rowwise(lw, op, fn.lower(), lambda dst, src: sharp.ActivateOp(dst, src, act))


def embedding(lw: Lowering, op: Operation) -> None:
    node = rnn.str_prop(op, "onnx_node", op.name)
    out = lw.result_tensor(op.results[0], f"{rnn.symbol(node)}_out")
    if out is None:
        return
    table_val, idx_val = op.operands[0], op.operands[1]
    vocab, width = rnn.shape_of(table_val)
    rows = math.prod(rnn.shape_of(idx_val))
    table = lw.tensor_of(table_val)
    indices = lw.tensor_of(idx_val)
    name = lw.unique(rnn.symbol(node))
    chunk_rows = max(1, min(rows, (lw.cfg.vector_buffer_words // 2) // (width + 1)))
    idx_buf = lw.buffer(f"{name}_idx", "vmem", chunk_rows, 1)
    emb_buf = lw.buffer(f"{name}_rows", "vmem", chunk_rows, width)
    table_win = DramWindowAttr(table, 0, vocab, width, width, 0)

    def body(nrows: int, first: int, step: int) -> list[Operation]:
        idx, emb = WindowAttr(idx_buf, 0, nrows, 0, 0, 1), WindowAttr(emb_buf, 0, nrows, 0, 0, width)
        return [sharp.LoadOp(idx, _dram(indices, first, nrows, 1, step)), sharp.GatherOp(emb, idx, table_win),
                sharp.StoreOp(_dram(out, first, nrows, width, step), emb)]  # fmt: skip

    lw.layer(name, "embedding", node, chunked(rows, chunk_rows, body))


DENSE_LOWERINGS: dict[str, Callable[[Lowering, Operation], None]] = {
    "rnn.linear": linear,
    "rnn.softmax": softmax,
    "rnn.layer_norm": layer_norm,
    "rnn.activation": activation,
    "rnn.embedding": embedding,
}
