"""The `rnn` dialect and `#rnn.weights`: construction, accessors, printing, parsing, verification."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import Builtin, ModuleOp, TensorType, f16, f32, i32, i64
from xdsl.ir import Block, Operation, Region, SSAValue
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

from sharp_compiler.dialects.rnn import (
    ACTIVATIONS,
    RNN,
    ActivationOp,
    ConcatOp,
    ConstantOp,
    Direction,
    DirectionAttr,
    EmbeddingOp,
    GRUOp,
    LinearOp,
    LSTMOp,
    ReshapeOp,
    RNNOp,
    SliceOp,
    SoftmaxOp,
    TransposeOp,
    constant_array,
    slice_length,
)
from sharp_compiler.dialects.weights import INLINE_LIMIT, ElidedWeightsError, WeightsAttr, inline_weights


def _context() -> Context:
    ctx = Context()
    for dialect in (Builtin, func.Func, RNN):
        ctx.load_dialect(dialect)
    return ctx


def _print(op, generic: bool = False) -> str:
    stream = io.StringIO()
    Printer(stream=stream, print_generic_format=generic).print_op(op)
    return stream.getvalue()


def _parse(text: str) -> ModuleOp:
    return Parser(_context(), text).parse_module()


def _const(name: str, array: np.ndarray) -> ConstantOp:
    return ConstantOp(WeightsAttr.from_array(name, array))


def _add(block: Block, op: Operation) -> Operation:
    block.add_op(op)
    return op


def _module(arg_types: list[TensorType], build) -> ModuleOp:
    """A module whose @main takes `arg_types` and returns what `build(block, args)` returns."""
    block = Block(arg_types=arg_types)
    results: list[SSAValue] = build(block, list(block.args))
    block.add_op(func.ReturnOp(*results))
    main = func.FuncOp("main", (arg_types, [r.type for r in results]), Region(block))
    module = ModuleOp([main])
    module.verify()
    return module


# --------------------------------------------------------------------------- #rnn.weights


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int32, np.int64])
def test_weights_round_trip_exact_bytes_for_each_element_type(dtype):
    array = (np.arange(12).reshape(3, 4) - 5).astype(dtype)
    attr = WeightsAttr.from_array("w", array)
    out = attr.as_array()
    assert out.dtype == np.dtype(dtype) and out.shape == (3, 4)
    assert np.array_equal(out, array)
    assert not out.flags.writeable
    assert attr.type.element_type == {np.float32: f32, np.float16: f16, np.int32: i32, np.int64: i64}[dtype]
    reparsed = Parser(_context(), str(attr)).parse_attribute()
    assert reparsed == attr


def test_weights_as_array_is_zero_copy():
    attr = WeightsAttr.from_array("w", np.ones((4, 4), np.float32))
    a, b = attr.as_array(), attr.as_array()
    assert np.shares_memory(a, b)


def test_weights_reuse_a_whole_bytes_buffer():
    raw = np.arange(8, dtype="<f4").tobytes()
    view = np.frombuffer(raw, np.float32).reshape(2, 4)
    assert WeightsAttr.from_array("w", view).data.data is raw
    # A partial or permuted view must be copied, in row-major order.
    assert np.array_equal(WeightsAttr.from_array("w", view.T).as_array(), view.T)
    assert np.array_equal(WeightsAttr.from_array("w", view[1:]).as_array(), view[1:])


def test_weights_store_big_endian_input_as_little_endian():
    array = np.arange(4, dtype=">f4")
    attr = WeightsAttr.from_array("w", array)
    assert attr.data.data == np.arange(4, dtype="<f4").tobytes()
    assert np.array_equal(attr.as_array(), array)


def test_weights_reject_unsupported_dtypes():
    with pytest.raises(ValueError, match=r"weights 'w': unsupported dtype float64"):
        WeightsAttr.from_array("w", np.zeros(3))


def test_weights_print_inline_up_to_the_limit_then_elided():
    small = WeightsAttr.from_array("s", np.ones(INLINE_LIMIT, np.float32))
    big = WeightsAttr.from_array("b", np.ones(INLINE_LIMIT + 1, np.float32))
    assert str(small).startswith('#rnn.weights<"s", tensor<16xf32>, "0x0000803F')
    assert str(big) == '#rnn.weights<"b", tensor<17xf32>, elided>'
    with inline_weights():
        assert str(big).startswith('#rnn.weights<"b", tensor<17xf32>, "0x0000803F')
    with inline_weights(False):
        assert str(big).endswith("elided>")
    assert str(big).endswith("elided>")


def test_elided_weights_refuse_to_give_data():
    big = WeightsAttr.from_array("W", np.ones((8, 8), np.float32))
    parsed = Parser(_context(), str(big)).parse_attribute()
    assert isinstance(parsed, WeightsAttr) and parsed.is_elided and not big.is_elided
    assert parsed.shape == (8, 8) and parsed.dtype == np.dtype("<f4")
    with pytest.raises(ElidedWeightsError) as info:
        parsed.as_array()
    assert str(info.value) == "weights 'W' were elided when printed; re-run with --inline-weights"


def test_weights_parse_errors_are_parse_errors():
    from xdsl.utils.exceptions import ParseError

    with pytest.raises(ParseError, match="hex data"):
        Parser(_context(), '#rnn.weights<"w", tensor<1xf32>, "zz">').parse_attribute()
    with pytest.raises(ParseError, match="malformed hex"):
        Parser(_context(), '#rnn.weights<"w", tensor<1xf32>, "0xZZ">').parse_attribute()
    with pytest.raises(ParseError, match="expected a tensor type"):
        Parser(_context(), '#rnn.weights<"w", f32, elided>').parse_attribute()


def test_printing_large_weights_costs_nothing_by_default():
    weights = np.random.default_rng(0).standard_normal((1024, 1024)).astype(np.float32)
    module = _module([], lambda block, args: [_add(block, _const("W", weights)).results[0]])
    start = time.perf_counter()
    text = _print(module)
    assert time.perf_counter() - start < 0.5
    assert len(text) < 1000 and "elided" in text
    with inline_weights():
        assert len(_print(module)) > 2 * weights.nbytes


# --------------------------------------------------------------------------- ops


def test_direction_attr_counts_directions():
    assert DirectionAttr(Direction.FORWARD).num_directions == 1
    assert DirectionAttr(Direction.REVERSE).num_directions == 1
    assert DirectionAttr(Direction.BIDIRECTIONAL).num_directions == 2


def _lstm_module(layout: int = 0, direction: Direction = Direction.BIDIRECTIONAL) -> tuple[ModuleOp, LSTMOp]:
    t, b, i, h = 5, 2, 3, 4
    d = 2 if direction == Direction.BIDIRECTIONAL else 1
    x_shape = [t, b, i] if layout == 0 else [b, t, i]
    state = [d, b, h] if layout == 0 else [b, d, h]
    holder: list[LSTMOp] = []

    def build(block: Block, args: list[SSAValue]) -> list[SSAValue]:
        x, h0 = args
        consts = [
            _const("W", np.ones((d, 4 * h, i), np.float32)),
            _const("R", np.ones((d, 4 * h, h), np.float32)),
            _const("B", np.ones((d, 8 * h), np.float32)),
            _const("P", np.ones((d, 3 * h), np.float32)),
            _const("lens", np.array([5, 3], np.int32)),
        ]
        for c in consts:
            block.add_op(c)
        w, r, bias, p, lens = (c.result for c in consts)
        op = LSTMOp(x, w, r, hidden_size=h, B=bias, sequence_lens=lens, initial_h=h0, initial_c=h0, P=p,
                    direction=direction, layout=layout, clip=3.0, input_forget=1, onnx_node="lstm_0")  # fmt: skip
        block.add_op(op)
        holder.append(op)
        return [op.Y, op.Y_h, op.Y_c]

    module = _module([TensorType(f32, x_shape), TensorType(f32, state)], build)
    return module, holder[0]


@pytest.mark.parametrize("layout", [0, 1])
def test_lstm_result_types_and_accessors(layout):
    module, op = _lstm_module(layout)
    if layout == 0:
        assert op.Y.type == TensorType(f32, [5, 2, 2, 4])
        assert op.Y_h.type == op.Y_c.type == TensorType(f32, [2, 2, 4])
    else:
        assert op.Y.type == TensorType(f32, [2, 5, 2, 4])
        assert op.Y_h.type == op.Y_c.type == TensorType(f32, [2, 2, 4])
    assert (op.seq_length, op.batch_size, op.input_size, op.hidden, op.num_directions) == (5, 2, 3, 4, 2)
    assert op.direction.data == Direction.BIDIRECTIONAL
    assert op.activation_functions() == [("Sigmoid", 0.0, 0.0), ("Tanh", 0.0, 0.0), ("Tanh", 0.0, 0.0)] * 2
    assert op.clip is not None and op.clip.value.data == 3.0
    assert op.input_forget.value.data == 1 and op.onnx_node is not None and op.onnx_node.data == "lstm_0"
    w = constant_array(op.W)
    assert w is not None and w.shape == (2, 16, 3)
    assert constant_array(op.X) is None


def test_default_activation_lists():
    x = Block(arg_types=[TensorType(f32, [2, 1, 3])]).args[0]
    w = _const("W", np.ones((2, 12, 3), np.float32)).result
    r = _const("R", np.ones((2, 12, 4), np.float32)).result
    gru = GRUOp(x, w, r, hidden_size=4, direction=Direction.BIDIRECTIONAL)
    assert [a.data for a in gru.activations.data] == ["Sigmoid", "Tanh"] * 2
    w1 = _const("W", np.ones((1, 4, 3), np.float32)).result
    r1 = _const("R", np.ones((1, 4, 4), np.float32)).result
    assert [a.data for a in RNNOp(x, w1, r1, hidden_size=4).activations.data] == ["Tanh"]
    assert len(gru.activation_alpha.data) == len(gru.activation_beta.data) == 4


@pytest.mark.parametrize("generic", [False, True])
def test_every_op_round_trips_through_text(generic):
    module, _ = _lstm_module()

    def build(block: Block, args: list[SSAValue]) -> list[SSAValue]:
        y, table_idx = args
        t = _add(block, TransposeOp(y, [0, 2, 1, 3], onnx_node="t"))
        r = _add(block, ReshapeOp(t.results[0], TensorType(f32, [5, 2, 8])))
        c = _add(block, ConcatOp([r.results[0], r.results[0]], 0))
        s = _add(block, SliceOp(c.results[0], [9], [-11], [0], [-3]))
        w = _add(block, _const("fc", np.ones((8, 3), np.float32)))
        b = _add(block, _const("fcb", np.ones(3, np.float32)))
        lin = _add(block, LinearOp(s.results[0], w.results[0], b.results[0], onnx_node="fc"))
        sm = _add(block, SoftmaxOp(lin.results[0], log=True))
        act = _add(block, ActivationOp("Sigmoid", sm.results[0]))
        table = _add(block, _const("emb", np.ones((7, 2), np.float32)))
        emb = _add(block, EmbeddingOp(table.results[0], table_idx))
        return [act.results[0], emb.results[0]]

    glue = _module([TensorType(f32, [5, 2, 2, 4]), TensorType(i64, [3, 1])], build)
    for m in (module, glue):
        text = _print(m, generic)
        reparsed = _parse(text)
        reparsed.verify()
        assert _print(reparsed) == _print(m)


def test_slice_result_uses_onnx_clamping():
    assert slice_length(10, 9, -11, -3) == 4  # 9, 6, 3, 0
    assert slice_length(10, -3, 2**63 - 1, 1) == 3
    assert slice_length(10, 5, 2, 1) == 0
    x = Block(arg_types=[TensorType(f32, [10, 2])]).args[0]
    assert SliceOp(x, [9], [-11], [0], [-3]).result.type == TensorType(f32, [4, 2])


def test_op_verifiers_report_exact_messages():
    x = Block(arg_types=[TensorType(f32, [5, 2, 3])]).args[0]
    w = _const("W", np.ones((1, 12, 3), np.float32)).result
    r = _const("R", np.ones((1, 16, 4), np.float32)).result
    with pytest.raises(
        VerifyException, match=r"^W has type tensor<1x12x3xf32>, expected tensor<1x16x3xf32> "
    ):
        LSTMOp(x, w, r, hidden_size=4).verify()
    with pytest.raises(VerifyException, match=r"^expected 3 activations \(3 per direction\), got 1\n"):
        w16 = _const("W", np.ones((1, 16, 3), np.float32)).result
        LSTMOp(x, w16, r, hidden_size=4, activations=["Tanh"]).verify()
    with pytest.raises(VerifyException, match=r"^cannot reshape tensor<5x2x3xf32> \(30 elements\)"):
        ReshapeOp(x, TensorType(f32, [7])).verify()


def test_activation_table_has_onnx_names_and_defaults():
    assert set(ACTIVATIONS) == {
        "Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu", "ThresholdedRelu",
        "ScaledTanh", "HardSigmoid", "Elu", "Softsign", "Softplus",
    }  # fmt: skip
    assert ACTIVATIONS["LeakyRelu"] == (0.01, None)
    assert ACTIVATIONS["HardSigmoid"] == (0.2, 0.5)
    assert ACTIVATIONS["Tanh"] == (None, None)
