"""One golden numpy test per instruction class (VTA style), hazard checking on."""

from __future__ import annotations

import numpy as np
import pytest
from sharp_sim_builders import ProgramBuilder, serialize

from sharp_compiler import sim
from sharp_compiler.isa.program import ActParam, Program, Space, TensorKind
from sharp_compiler.isa.spec import ActFn, Flag, Opcode
from sharp_compiler.sim.activations import activation

RNG = np.random.default_rng(7)


def run(program: Program, inputs: dict[str, np.ndarray], **options: object) -> sim.SimResult:
    return sim.simulate(program, inputs, check_hazards=True, **options)  # type: ignore[arg-type]


def f32(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def unary_program(op: Opcode, rows: int, cols: int, *, param: tuple | None = None, flags: int = 0) -> Program:
    """Y = op(X) through the vector buffer: load, op, store."""
    pb = ProgramBuilder()
    x = pb.tensor("X", TensorKind.INPUT, (rows, cols))
    y = pb.tensor("Y", TensorKind.OUTPUT, (rows, cols))
    src, dst = pb.view(pb.region("x", rows, cols)), pb.view(pb.region("y", rows, cols))
    pb.emit(Opcode.LOAD, src, pb.dma(x, rows, cols))
    third = pb.param(*param) if param is not None else 0xFFFF
    pb.emit(op, dst, src, third, flags=flags)
    pb.emit(Opcode.STORE, pb.dma(y, rows, cols), dst)
    return serialize(pb.build())


def elementwise_program(op: Opcode, shapes: list[tuple[int, int]], out: tuple[int, int]) -> Program:
    """Y = op(A, B, ...) with each source loaded from its own input (row broadcasting allowed)."""
    pb = ProgramBuilder()
    views = []
    for n, shape in enumerate(shapes):
        t = pb.tensor(f"in{n}", TensorKind.INPUT, shape)
        views.append(pb.view(pb.region(f"s{n}", *shape)))
        pb.emit(Opcode.LOAD, views[-1], pb.dma(t, *shape))
    y = pb.tensor("Y", TensorKind.OUTPUT, out)
    dst = pb.view(pb.region("y", *out))
    pb.emit(op, dst, *views)
    pb.emit(Opcode.STORE, pb.dma(y, *out), dst)
    return serialize(pb.build())


# --- DMA ------------------------------------------------------------------------------------


def test_load_store_strided_windows() -> None:
    """Load a column block of a [4, 6] matrix (row stride 6), store it transposed-free into [4, 3]."""
    pb = ProgramBuilder()
    x = pb.tensor("X", TensorKind.INPUT, (4, 6))
    y = pb.tensor("Y", TensorKind.OUTPUT, (4, 3))
    v = pb.view(pb.region("v", 4, 3))
    pb.emit(Opcode.LOAD, v, pb.dma(x, 4, 3, base=2, row_stride=6))
    pb.emit(Opcode.STORE, pb.dma(y, 4, 3), v)
    x_in = f32(4, 6)
    assert np.array_equal(run(pb.build(), {"X": x_in}).outputs["Y"], x_in[:, 2:5])


def test_load_store_in_a_loop_reverse_and_lengths() -> None:
    """Per-step windows walk forward, backward (REVERSE) and stop at each row's sequence length."""
    steps, batch, width = 5, 3, 2
    pb = ProgramBuilder()
    x = pb.tensor("X", TensorKind.INPUT, (steps, batch, width))
    lens = pb.tensor("L", TensorKind.INPUT, (batch,), "int64")
    fwd = pb.tensor("F", TensorKind.OUTPUT, (steps, batch, width))
    rev = pb.tensor("R", TensorKind.OUTPUT, (steps, batch, width))
    seq = pb.tensor("S", TensorKind.OUTPUT, (steps, batch, width))
    v = pb.view(pb.region("v", batch, width))
    step = batch * width
    pb.loop(steps)
    pb.emit(Opcode.LOAD, v, pb.dma(x, batch, width, step_stride=step))
    pb.emit(Opcode.STORE, pb.dma(fwd, batch, width, step_stride=step), v)
    pb.emit(Opcode.STORE, pb.dma(rev, batch, width, step_stride=step), v, flags=Flag.REVERSE)
    pb.emit(Opcode.LOAD, v, pb.dma(x, batch, width, step_stride=step, lens=lens), flags=Flag.REVERSE)
    pb.emit(Opcode.STORE, pb.dma(seq, batch, width, step_stride=step, lens=lens), v)
    pb.endloop()
    x_in, lengths = f32(steps, batch, width), np.array([5, 2, 0])
    out = run(pb.build(), {"X": x_in, "L": lengths}).outputs
    assert np.array_equal(out["F"], x_in)
    assert np.array_equal(out["R"], x_in[::-1])
    expected = np.zeros_like(x_in)
    for b, n in enumerate(lengths):
        expected[:n, b] = x_in[:n, b][::-1]  # reversed within each row's own length
    assert np.array_equal(out["S"], expected)


def test_sequence_length_beyond_the_trip_count_is_a_runtime_error() -> None:
    pb = ProgramBuilder()
    x = pb.tensor("X", TensorKind.INPUT, (2, 1, 1))
    lens = pb.tensor("L", TensorKind.INPUT, (1,), "int32")
    pb.loop(2)
    pb.emit(Opcode.LOAD, pb.view(pb.region("v", 1, 1)), pb.dma(x, 1, 1, step_stride=1, lens=lens))
    pb.endloop()
    with pytest.raises(sim.SimInputError, match=r"'L'\[0\] = 3 is outside \[0, 2\]"):
        run(pb.build(), {"X": f32(2, 1, 1), "L": np.array([3], np.int32)})


def test_int_inputs_load_as_floats_and_gather_rows() -> None:
    """Embedding lookup: token ids (int64) -> rows of a constant table, negative ids wrap (ONNX Gather)."""
    vocab, dim, n = 6, 3, 4
    table = np.arange(vocab * dim, dtype=np.float32).reshape(vocab, dim)
    pb = ProgramBuilder()
    ids = pb.tensor("ids", TensorKind.INPUT, (n, 1), "int64")
    t = pb.tensor("table", TensorKind.CONST, (vocab, dim), data=table)
    y = pb.tensor("Y", TensorKind.OUTPUT, (n, dim))
    vid, vout = pb.view(pb.region("ids", n, 1)), pb.view(pb.region("e", n, dim))
    pb.emit(Opcode.LOAD, vid, pb.dma(ids, n, 1))
    pb.emit(Opcode.GATHER, vout, vid, pb.dma(t, vocab, dim))
    pb.emit(Opcode.STORE, pb.dma(y, n, dim), vout)
    program = pb.build()
    tokens = np.array([[5], [0], [-1], [2]])
    assert np.array_equal(run(program, {"ids": tokens}).outputs["Y"], table[tokens[:, 0]])
    with pytest.raises(sim.SimError, match=r"pc 1 \(gather\): index 6.0 is not an integer in \[-6, 6\)"):
        run(program, {"ids": np.array([[1], [6], [0], [0]])})


def test_dcopy_transposes() -> None:
    pb = ProgramBuilder()
    a = pb.tensor("A", TensorKind.INPUT, (2, 3, 4))
    b = pb.tensor("B", TensorKind.OUTPUT, (4, 2, 3))
    pb.emit(Opcode.DCOPY, pb.copy(a, b, (1, 4, 2, 3), (0, 1, 12, 4), (0, 6, 3, 1)))
    a_in = f32(2, 3, 4)
    assert np.array_equal(run(pb.build(), {"A": a_in}).outputs["B"], a_in.transpose(2, 0, 1))


def test_move_broadcasts_one_row() -> None:
    pb = ProgramBuilder()
    x = pb.tensor("X", TensorKind.INPUT, (1, 4))
    y = pb.tensor("Y", TensorKind.OUTPUT, (3, 4))
    src, dst = pb.view(pb.region("x", 1, 4)), pb.view(pb.region("y", 3, 4))
    pb.emit(Opcode.LOAD, src, pb.dma(x, 1, 4))
    pb.emit(Opcode.MOVE, dst, src)
    pb.emit(Opcode.STORE, pb.dma(y, 3, 4), dst)
    x_in = f32(1, 4)
    assert np.array_equal(run(serialize(pb.build()), {"X": x_in}).outputs["Y"], np.repeat(x_in, 3, 0))


# --- array ----------------------------------------------------------------------------------


def mvm_program(precision: str, n: int, m: int, k: int, weights: np.ndarray) -> Program:
    """Y = X @ W.T + X @ W.T (the second MVM accumulates), W a constant."""
    pb = ProgramBuilder(precision=precision)
    x = pb.tensor("X", TensorKind.INPUT, (n, k))
    w = pb.tensor("W", TensorKind.CONST, (m, k), data=weights)
    y = pb.tensor("Y", TensorKind.OUTPUT, (n, m))
    vx, vy = pb.view(pb.region("x", n, k)), pb.view(pb.region("y", n, m))
    vw = pb.view(pb.region("W", m, k, Space.WMEM))
    pb.emit(Opcode.LOADW, vw, pb.dma(w, m, k))
    pb.emit(Opcode.LOAD, vx, pb.dma(x, n, k))
    pb.emit(Opcode.MVM, vy, vx, vw)
    pb.emit(Opcode.MVM, vy, vx, vw, flags=Flag.ACCUMULATE)
    pb.emit(Opcode.STORE, pb.dma(y, n, m), vy)
    return serialize(pb.build())


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_mvm(precision: str) -> None:
    n, m, k = 3, 37, 70
    w, x = f32(m, k), f32(n, k)
    out = run(mvm_program(precision, n, m, k, w), {"X": x}).outputs["Y"]
    if precision == "fp16":
        w = w.astype(np.float16).astype(np.float64)
        x = x.astype(np.float16).astype(np.float64)
    expected = 2 * (x.astype(np.float64) @ w.astype(np.float64).T)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_fp16_rounds_operands() -> None:
    w = np.full((1, 1), 1 + 2**-12, np.float32)  # not representable in fp16: rounds to 1.0
    x = np.full((1, 1), 1 + 2**-12, np.float32)
    assert run(mvm_program("fp16", 1, 1, 1, w), {"X": x}).outputs["Y"][0, 0] == 2.0
    assert run(mvm_program("fp32", 1, 1, 1, w), {"X": x}).outputs["Y"][0, 0] == np.float32(
        2 * (1 + 2**-12) ** 2
    )


# --- activation unit --------------------------------------------------------------------------

X_ACT = np.concatenate([np.linspace(-30, 30, 61), [-100, -1e-3, 0, 1e-3, 100]]).astype(np.float32)[None]


def reference(fn: ActFn, x: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """The ONNX definitions in float64."""
    x = x.astype(np.float64)
    table = {
        ActFn.SIGMOID: lambda: 1 / (1 + np.exp(-x)),
        ActFn.TANH: lambda: np.tanh(x),
        ActFn.RELU: lambda: np.maximum(x, 0),
        ActFn.HARD_SIGMOID: lambda: np.maximum(0, np.minimum(1, alpha * x + beta)),
        ActFn.AFFINE: lambda: alpha * x + beta,
        ActFn.LEAKY_RELU: lambda: np.where(x >= 0, x, alpha * x),
        ActFn.THRESHOLDED_RELU: lambda: np.where(x > alpha, x, 0),
        ActFn.SCALED_TANH: lambda: alpha * np.tanh(beta * x),
        ActFn.ELU: lambda: np.where(x >= 0, x, alpha * (np.exp(x) - 1)),
        ActFn.SOFTSIGN: lambda: x / (1 + np.abs(x)),
        ActFn.SOFTPLUS: lambda: np.log1p(np.exp(x)),
        ActFn.IDENTITY: lambda: x,
    }
    return table[fn]()


@pytest.mark.parametrize("fn", list(ActFn), ids=[f.name.lower() for f in ActFn])
@pytest.mark.parametrize("clip", [None, 2.5])
def test_activation_functions(fn: ActFn, clip: float | None) -> None:
    alpha, beta = 0.3, 0.7
    program = unary_program(Opcode.ACT, 1, X_ACT.shape[1], param=(fn, alpha, beta, clip))
    out = run(program, {"X": X_ACT}).outputs["Y"]
    x = X_ACT if clip is None else np.clip(X_ACT, -clip, clip)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, reference(fn, x, alpha, beta), rtol=1e-6, atol=1e-7)


def test_activations_match_onnxruntime() -> None:
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper

    ops = {
        ActFn.SIGMOID: ("Sigmoid", {}),
        ActFn.TANH: ("Tanh", {}),
        ActFn.RELU: ("Relu", {}),
        ActFn.HARD_SIGMOID: ("HardSigmoid", {"alpha": 0.2, "beta": 0.5}),
        ActFn.LEAKY_RELU: ("LeakyRelu", {"alpha": 0.1}),
        ActFn.THRESHOLDED_RELU: ("ThresholdedRelu", {"alpha": 1.5}),
        ActFn.ELU: ("Elu", {"alpha": 0.9}),
        ActFn.SOFTSIGN: ("Softsign", {}),
        ActFn.SOFTPLUS: ("Softplus", {}),
    }
    x = (RNG.standard_normal((1, 256)) * 6).astype(np.float32)
    x[0, :5] = [-90, -20, 0, 20, 90]
    for fn, (op_type, attrs) in ops.items():
        node = helper.make_node(op_type, ["x"], ["y"], **attrs)
        graph = helper.make_graph(
            [node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x.shape)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, x.shape)],
        )  # fmt: skip
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        expected = session.run(None, {"x": x})[0]
        param = (fn, attrs.get("alpha", 0.0), attrs.get("beta", 0.0), None)
        out = run(unary_program(Opcode.ACT, 1, x.shape[1], param=param), {"X": x}).outputs["Y"]
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5, err_msg=op_type)
    assert onnx is not None


def test_activation_is_float32_and_never_nan_at_extremes() -> None:
    x = np.array([[-1e30, -88.8, 88.8, 1e30]], np.float32)
    for fn in ActFn:
        y = activation(ActParam(fn, 1.0, 1.0))(x)
        assert y.dtype == np.float32
        assert not np.isnan(y).any()


@pytest.mark.parametrize("log", [False, True])
def test_softmax(log: bool) -> None:
    x = f32(3, 7) * 10
    out = run(unary_program(Opcode.SOFTMAX, 3, 7, flags=Flag.LOG if log else 0), {"X": x}).outputs["Y"]
    e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    expected = e / e.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(out, np.log(expected) if log else expected, rtol=1e-5, atol=1e-6)


def test_layernorm() -> None:
    """a = (b - mean) / sqrt(var + eps) per row; eps travels as float32 bits in imm."""
    import struct

    x = f32(3, 7) * 4 + 2
    pb = ProgramBuilder()
    xt, yt = pb.tensor("X", TensorKind.INPUT, (3, 7)), pb.tensor("Y", TensorKind.OUTPUT, (3, 7))
    src, dst = pb.view(pb.region("x", 3, 7)), pb.view(pb.region("y", 3, 7))
    pb.emit(Opcode.LOAD, src, pb.dma(xt, 3, 7))
    pb.emit(Opcode.LAYERNORM, dst, src, imm=struct.unpack("<I", struct.pack("<f", 0.5))[0])
    pb.emit(Opcode.STORE, pb.dma(yt, 3, 7), dst)
    out = run(serialize(pb.build()), {"X": x}).outputs["Y"]
    x64 = x.astype(np.float64)
    expected = (x64 - x64.mean(axis=1, keepdims=True)) / np.sqrt(x64.var(axis=1, keepdims=True) + 0.5)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


# --- cell updater ------------------------------------------------------------------------------

CELL_CASES = [
    (Opcode.VADD, [(3, 4), (1, 4)], lambda a, b: a + b),
    (Opcode.VSUB, [(3, 4), (3, 4)], lambda a, b: a - b),
    (Opcode.VMUL, [(1, 4), (3, 4)], lambda a, b: a * b),
    (Opcode.VFMA, [(3, 4), (3, 4), (1, 4)], lambda a, b, c: a * b + c),
    (Opcode.VONEMINUS, [(3, 4)], lambda a: 1 - a),
]


@pytest.mark.parametrize(("op", "shapes", "fn"), CELL_CASES, ids=[c[0].name.lower() for c in CELL_CASES])
def test_elementwise(op: Opcode, shapes: list[tuple[int, int]], fn) -> None:  # noqa: ANN001
    inputs = {f"in{n}": f32(*s) for n, s in enumerate(shapes)}
    out = run(elementwise_program(op, shapes, (3, 4)), inputs).outputs["Y"]
    expected = fn(*inputs.values())
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_vsel_selects_rows() -> None:
    shapes = [(3, 1), (3, 4), (1, 4)]
    inputs = {"in0": np.array([[1], [0], [2]], np.float32), "in1": f32(3, 4), "in2": f32(1, 4)}
    out = run(elementwise_program(Opcode.VSEL, shapes, (3, 4)), inputs).outputs["Y"]
    expected = np.where(inputs["in0"] != 0, inputs["in1"], inputs["in2"])
    assert np.array_equal(out, expected)


def test_seqmask_and_vfill_in_a_loop() -> None:
    """mask(i)[r] = i < len[r]; vfill writes a constant; rows are stored per step."""
    steps = 4
    pb = ProgramBuilder()
    lens = pb.tensor("L", TensorKind.INPUT, (3, 1), "int32")
    y = pb.tensor("M", TensorKind.OUTPUT, (steps, 3, 1))
    c = pb.tensor("C", TensorKind.OUTPUT, (1, 2))
    vl, vm, vc = (
        pb.view(pb.region("len", 3, 1)),
        pb.view(pb.region("mask", 3, 1)),
        pb.view(pb.region("c", 1, 2)),
    )
    pb.emit(Opcode.LOAD, vl, pb.dma(lens, 3, 1), push="cell")
    pb.emit(Opcode.VFILL, vc, imm=0xC0490FDB, pop="dma")  # -3.1415927
    pb.loop(steps)
    pb.emit(Opcode.SEQMASK, vm, vl, push="dma")
    pb.emit(Opcode.STORE, pb.dma(y, 3, 1, step_stride=3), vm, pop="cell", push="cell")
    pb.emit(Opcode.NOP, flags=0x30, pop="dma")  # the mask is free again (cell waits for the store)
    pb.endloop()
    pb.emit(Opcode.STORE, pb.dma(c, 1, 2), vc)
    out = run(pb.build(), {"L": np.array([[0], [2], [9]], np.int32)}).outputs
    expected = (np.arange(steps)[:, None] < np.array([0, 2, 9])[None]).astype(np.float32)[..., None]
    assert np.array_equal(out["M"], expected)
    assert np.array_equal(out["C"], np.full((1, 2), np.float32(-3.1415927)))


# --- inputs -------------------------------------------------------------------------------------


def test_input_validation_messages() -> None:
    program = unary_program(Opcode.ACT, 2, 3, param=(ActFn.RELU,))
    cases = [
        ({}, "missing input 'X' (expected float32[2, 3])"),
        ({"X": f32(3, 2)}, "input 'X': expected shape [2, 3], got [3, 2]"),
        ({"X": np.zeros((2, 3), np.int64)}, "input 'X': expected float32, got int64"),
        ({"X": f32(2, 3), "Z": f32(1)}, "unexpected input 'Z'"),
    ]
    for inputs, message in cases:
        with pytest.raises(sim.SimInputError) as info:
            run(program, inputs)
        assert str(info.value) == message or message in str(info.value)
    out = run(program, {"X": np.ones((2, 3), np.float64)}).outputs["Y"]
    assert out.dtype == np.float32 and np.array_equal(out, np.ones((2, 3), np.float32))
