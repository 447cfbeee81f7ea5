"""A hand-written single-layer LSTM program against numpy and onnxruntime; the hazard checker on it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sharp_sim_builders import LstmCase, ProgramBuilder, lstm_program, lstm_reference

from sharp_compiler import sim
from sharp_compiler.isa.binary import decode, encode
from sharp_compiler.isa.program import Program, TensorKind
from sharp_compiler.isa.spec import Opcode

CASE = LstmCase(seq=7, batch=3, inputs=5, hidden=6)


@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_lstm_matches_numpy(precision: str) -> None:
    program = decode(encode(lstm_program(CASE, precision)))
    x = CASE.x()
    result = sim.simulate(program, {"X": x}, check_hazards=True)
    for name, expected in zip(
        ("Y", "Y_h", "Y_c"), lstm_reference(CASE, x, fp16=precision == "fp16"), strict=True
    ):
        out = result.outputs[name]
        assert out.shape == expected.shape and out.dtype == np.float32
        np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5, err_msg=name)
    if precision == "fp16":  # the fp16 datapath differs from exact fp32 by the operand rounding
        exact = lstm_reference(CASE, x)[0]
        assert 1e-5 < np.abs(result.outputs["Y"] - exact).max() < 1e-2


def test_lstm_matches_onnxruntime() -> None:
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    w, r, b = CASE.weights()
    node = helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y", "Y_h", "Y_c"], hidden_size=CASE.hidden)
    inits = [numpy_helper.from_array(a[None], n) for a, n in ((w, "W"), (r, "R"), (b, "B"))]
    shape = (CASE.seq, CASE.batch, CASE.inputs)
    graph = helper.make_graph(
        [node], "lstm", [helper.make_tensor_value_info("X", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in ("Y", "Y_h", "Y_c")], inits,
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    x = CASE.x()
    expected = session.run(None, {"X": x})
    outputs = sim.simulate(lstm_program(CASE), {"X": x}, check_hazards=True).outputs
    for name, want in zip(("Y", "Y_h", "Y_c"), expected, strict=True):
        np.testing.assert_allclose(outputs[name], want, rtol=1e-4, atol=1e-5, err_msg=name)


def test_lstm_cycles_do_not_depend_on_hazard_checking_or_tracing() -> None:
    x = CASE.x()
    plain = sim.simulate(lstm_program(CASE), {"X": x}).stats
    checked = sim.simulate(lstm_program(CASE), {"X": x}, check_hazards=True, trace=True).stats
    assert plain == checked


def _drop_token(program: Program, pc: int, pop: int) -> Program:
    program.instructions[pc] = dataclasses.replace(program.instructions[pc], pop=pop)
    return program


def test_hazard_checker_catches_a_missing_token() -> None:
    program = lstm_program(CASE)
    mvm = next(pc for pc, ins in enumerate(program.instructions) if ins.opcode == Opcode.MVM)
    load = mvm - 1
    _drop_token(program, mvm, 1 << 3)  # the first MVM no longer waits for the DMA load of x
    with pytest.raises(sim.HazardError) as info:
        sim.simulate(program, {"X": CASE.x()}, check_hazards=True)
    message = str(info.value)
    assert message.startswith("hazard (RAW): ") and "\n" not in message
    assert f"pc {mvm} (mvm on array, iteration 0) reads %x[0:3, 0:5]" in message
    assert f"pc {load} (load on dma, iteration 0) writes %x[0:3, 0:5]" in message


def test_hazard_checker_catches_a_write_after_read() -> None:
    """Without the cell->array token the next step's MVM overwrites gates the cell is still reading."""
    program = lstm_program(CASE)
    mvm = next(pc for pc, ins in enumerate(program.instructions) if ins.opcode == Opcode.MVM)
    _drop_token(program, mvm, 1 << 0)
    with pytest.raises(sim.HazardError, match=r"hazard \((WAR|RAW|WAW)\): pc \d+ .* no token orders them"):
        sim.simulate(program, {"X": CASE.x()}, check_hazards=True)


def test_regions_sharing_addresses_while_live_are_reported() -> None:
    pb = ProgramBuilder()
    x = pb.tensor("X", TensorKind.INPUT, (1, 4))
    y = pb.tensor("Y", TensorKind.OUTPUT, (1, 4))
    a = pb.view(pb.region("a", 1, 4, base=0))
    b = pb.view(pb.region("b", 1, 4, base=2))  # shares words 2-3 with a
    pb.emit(Opcode.LOAD, a, pb.dma(x, 1, 4))
    pb.emit(Opcode.LOAD, b, pb.dma(x, 1, 4))
    pb.emit(Opcode.STORE, pb.dma(y, 1, 4), a)
    program = pb.build()
    assert (
        sim.simulate(program, {"X": np.ones((1, 4), np.float32)}).outputs["Y"].sum() == 4
    )  # separate arrays
    with pytest.raises(sim.HazardError, match=r"pc 2 \(store\) reads %a\[0:1, 0:4\], but those words were last written "
                                             r"through region 'b' \(pc 1\)"):  # fmt: skip
        sim.simulate(program, {"X": np.ones((1, 4), np.float32)}, check_hazards=True)


def test_unordered_access_to_aliased_regions_is_a_hazard() -> None:
    pb = ProgramBuilder()
    a = pb.view(pb.region("a", 2, 4, base=0))
    b = pb.view(pb.region("b", 2, 4, base=4))  # b's row 0 is a's row 1
    c = pb.view(pb.region("c", 2, 4, base=64))
    pb.emit(Opcode.VFILL, a, imm=0)
    pb.emit(Opcode.LOAD, c, pb.dma(pb.tensor("X", TensorKind.INPUT, (2, 4)), 2, 4))
    pb.emit(Opcode.MOVE, b, c)
    with pytest.raises(
        sim.HazardError, match=r"hazard \(WAW\): pc 2 \(move on dma.* writes %b\[0:2, 0:4\] .* pc 0"
    ):
        sim.simulate(pb.build(), {"X": np.zeros((2, 4), np.float32)}, check_hazards=True)


def test_long_sequence_runs_quickly() -> None:
    """150 steps of a 64-wide LSTM: the per-instruction overhead stays small."""
    import time

    case = LstmCase(seq=150, batch=1, inputs=40, hidden=64)
    program = lstm_program(case)
    start = time.perf_counter()
    result = sim.simulate(program, {"X": case.x()}, check_hazards=True)
    elapsed = time.perf_counter() - start
    assert result.stats["instructions"] > 13 * case.seq
    np.testing.assert_allclose(result.outputs["Y_h"], lstm_reference(case, case.x())[1], rtol=1e-4, atol=1e-5)
    assert elapsed < 5.0  # generous: a shared 2-core machine; typically well under 0.2 s
