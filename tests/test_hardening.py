"""Regression tests for every class the fuzz campaign found (issue 10); hostile binaries are built here.

Each binary is encoded with its checksum and configuration fingerprint recomputed
(`hostile_binary`), so the corruption reaches the validator, as an attacker's would.
"""

from __future__ import annotations

import dataclasses
import json
import math
import warnings

import numpy as np
import onnx
import pytest
from e2e_helpers import compile_model, rnn_model, stack_model
from sharp_sim_builders import LstmCase, ProgramBuilder, config, hostile_binary, lstm_program

from sharp_compiler import sim
from sharp_compiler.frontend.errors import FrontendError
from sharp_compiler.hw.config import HwConfigError, load_config
from sharp_compiler.hw.numerics import FP16_MAX, NumericsWarning, to_fp16
from sharp_compiler.isa import binary
from sharp_compiler.isa.program import Instruction, Program, TensorKind
from sharp_compiler.isa.spec import Opcode

CASE = LstmCase(seq=6, batch=2, inputs=3, hidden=4)


def rejection(data: bytes) -> str:
    with pytest.raises(binary.SharpBinaryError) as info:
        binary.decode(data, "h.sbin")
    message = str(info.value)
    assert "\n" not in message and message.startswith("h.sbin: ")
    return message


def with_config(**changes: object) -> bytes:
    cfg = json.loads(lstm_program(CASE).config_json)
    cfg.update(changes)
    return hostile_binary(lstm_program(CASE), cfg)


# --- 1. numbers are validated before arithmetic ----------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("dram_latency", 10**309, "an integer of 310 digits"),
        ("clock_hz", 5e-324, "4.94066e-324"),
        ("pj_per_dram_byte", 1e308, "1e+308"),
        ("static_watts", -1.0, "-1"),
        ("act_lanes", 0, "0"),
    ],
)
def test_config_numbers_outside_their_range_are_rejected(field: str, value: object, shown: str) -> None:
    assert f"{field} = {shown} is outside its range" in rejection(with_config(**{field: value}))
    with pytest.raises(HwConfigError, match=f"{field} = .* is outside its range"):
        dataclasses.replace(load_config("sharp-4k"), **{field: value})


def test_a_config_json_integer_too_large_for_a_float_is_one_line(tmp_path) -> None:
    data = load_config("sharp-4k").to_dict()
    data["clock_hz"] = 10**400
    path = tmp_path / "hw.json"
    path.write_text(json.dumps(data))
    with pytest.raises(
        HwConfigError, match=r"hw.json: field clock_hz = an integer of 401 digits is not a finite number"
    ):
        load_config(str(path))


def test_statistics_are_strict_json() -> None:
    result = sim.simulate(lstm_program(CASE), {"X": CASE.x()})
    text = json.dumps(result.stats, allow_nan=False)
    assert math.isfinite(json.loads(text)["seconds"])


# --- 2. loops and copies are bounded by what they do ------------------------------------------


def test_an_empty_loop_is_rejected() -> None:
    program = lstm_program(CASE)
    program.instructions[0:0] = [Instruction(Opcode.LOOP, imm=2**32 - 1), Instruction(Opcode.ENDLOOP)]
    assert "pc 0 (loop): the body executes no instruction (an empty loop)" in rejection(
        hostile_binary(program)
    )


def test_nested_empty_loops_are_rejected() -> None:
    program = lstm_program(CASE)
    empty = [Instruction(Opcode.LOOP, imm=65536)] * 3 + [Instruction(Opcode.ENDLOOP)] * 3
    program.instructions[0:0] = empty
    assert "pc 2 (loop): the body executes no instruction" in rejection(hostile_binary(program))


def test_nested_big_loops_hit_the_instruction_cap_before_running() -> None:
    pb = ProgramBuilder()
    for _ in range(3):
        pb.loop(65536)
    pb.nop("dma")
    for _ in range(3):
        pb.endloop()
    with pytest.raises(
        sim.SimError, match=r"the program executes \d+ instructions \(loops expanded\), above the limit"
    ):
        sim.simulate(pb.build(), {})


def copy_program(sizes: tuple[int, int, int, int], strides: tuple[int, int, int, int]) -> Program:
    pb = ProgramBuilder()
    a = pb.tensor("A", TensorKind.INPUT, (4,))
    b = pb.tensor("B", TensorKind.OUTPUT, (4,))
    pb.emit(Opcode.DCOPY, pb.copy(a, b, (1, 1, 1, 4), (0, 0, 0, 1), (0, 0, 0, 1)))
    program = pb.build()
    program.copies[0] = dataclasses.replace(
        program.copies[0], sizes=sizes, src_strides=strides, dst_strides=strides
    )
    return program


def test_a_copy_with_a_zero_size_is_rejected() -> None:
    """A 0 once skipped the bounds check, and the index grid of the other sizes took 32 GiB."""
    message = rejection(hostile_binary(copy_program((0, 2**32 - 1, 2**32 - 1, 1), (0, 0, 0, 1))))
    assert "copy 0: sizes[0] = 0 is out of range [1, 4294967295]" in message


def test_copy_sizes_whose_int64_product_wraps_are_rejected() -> None:
    sizes = (2**16, 2**16, 2**16, 2**16)  # 2^64: np.prod in int64 gives 0
    assert np.prod(sizes, dtype=np.int64) == 0
    message = rejection(hostile_binary(copy_program(sizes, (0, 0, 0, 0))))
    assert f"copy 0: copies {2**64} elements into tensor 'B' of 4 elements" in message


# --- 3. no uninitialised data -------------------------------------------------------------------


def loop_pc(program: Program) -> int:
    return next(pc for pc, ins in enumerate(program.instructions) if ins.opcode == Opcode.LOOP)


def test_a_lowered_trip_count_is_rejected() -> None:
    """6 -> 2 once left the later time steps of Y as zeros, exit 0."""
    program = lstm_program(CASE)
    pc = loop_pc(program)
    program.instructions[pc] = dataclasses.replace(program.instructions[pc], imm=2)
    assert "output 'Y': 32 of 48 elements are never written (first [2, 0, 0, 0])" in rejection(
        hostile_binary(program)
    )


def test_a_store_turned_into_a_move_is_rejected() -> None:
    """A valid move in place of the Y_h store once left Y_h all zeros, exit 0."""
    program = lstm_program(CASE)
    pc = len(program.instructions) - 2
    store = program.instructions[pc]
    assert store.opcode == Opcode.STORE
    program.instructions[pc] = dataclasses.replace(store, opcode=Opcode.MOVE, a=store.b)
    assert "output 'Y_h': 8 of 8 elements are never written" in rejection(hostile_binary(program))


def test_a_read_of_a_never_written_word_is_an_error() -> None:
    program = lstm_program(CASE)
    fill = next(pc for pc, ins in enumerate(program.instructions) if ins.opcode == Opcode.VFILL)
    program.instructions[fill] = dataclasses.replace(program.instructions[fill], opcode=Opcode.NOP, a=0xFFFF,
                                                     flags=0x30)  # fmt: skip  # h is never zeroed
    program = binary.decode(hostile_binary(program))
    with pytest.raises(
        sim.UninitializedReadError, match=r"^pc \d+ \(mvm, iteration 0\) reads %h\[0:2, 0:4\], but word"
    ):
        sim.simulate(program, {"X": CASE.x()})


def test_an_accumulating_mvm_reads_its_destination() -> None:
    pb = ProgramBuilder()
    y, x = pb.view(pb.region("y", 1, 4)), pb.view(pb.region("x", 1, 4))
    w = pb.view(pb.region("W", 4, 4, space=1))
    pb.emit(
        Opcode.LOADW, w, pb.dma(pb.tensor("W", TensorKind.CONST, (4, 4), data=np.eye(4)), 4, 4), push="array"
    )
    pb.emit(Opcode.VFILL, x, imm=0, push="array")
    pb.emit(Opcode.MVM, y, x, w, flags=1, pop=("dma", "cell"))
    with pytest.raises(sim.UninitializedReadError, match=r"reads %y\[0:1, 0:4\]"):
        sim.simulate(pb.build(), {}, check_hazards=True)


@pytest.mark.parametrize("edit", ["trailing", "spaces", "duplicate-key"])
def test_non_canonical_files_are_rejected(edit: str) -> None:
    program = lstm_program(CASE)
    data = binary.encode(program)
    if edit == "trailing":
        body = data[: -binary.CHECKSUM_BYTES] + bytes(8)
        import hashlib

        data = body + hashlib.blake2b(body, digest_size=binary.CHECKSUM_BYTES).digest()
        assert "not in canonical form: 8 stray byte(s) before the checksum" in rejection(data)
        return
    sections = binary.program_sections(program, program.config_json, "<t>")
    records = json.loads(sections[binary.SectionKind.LAYERS])
    text = json.dumps(records) if edit == "spaces" else json.dumps(records, separators=(",", ":"))
    if edit == "duplicate-key":
        text = text.replace('"kind":', '"kind":"x","kind":', 1)
    sections[binary.SectionKind.LAYERS] = text.encode()
    forged = binary.pack_sections(sections, flags=binary.FLAG_FP32, fingerprint=config().fingerprint())
    assert "not in canonical form: section LAYERS" in rejection(forged)


# --- fp16 numerics --------------------------------------------------------------------------------


def test_fp16_conversion_saturates_and_counts() -> None:
    half, saturated = to_fp16(np.array([1.0, 65519.0, 65520.0, -1e5, np.inf, np.nan], np.float32))
    assert saturated == 2  # 65520 and -1e5; 65519 rounds to 65504 by itself; inf and nan stay
    assert half[:4].tolist() == [1.0, FP16_MAX, FP16_MAX, -FP16_MAX]
    assert np.isposinf(half[4]) and np.isnan(half[5])


def test_fp16_overflowing_inputs_are_counted_and_warned() -> None:
    program = lstm_program(CASE, precision="fp16")
    x = CASE.x() * 1e5
    with pytest.warns(
        NumericsWarning, match=r"^fp16: \d+ array operand value\(s\) saturated to \+-65504, 0 output"
    ):
        result = sim.simulate(program, {"X": x})
    big = int(np.count_nonzero(np.abs(x) >= 65520))
    assert result.stats["fp16"] == {"saturated": big, "nonfinite": 0}  # h stays in [-1, 1]: only x saturates
    assert all(np.isfinite(v).all() for v in result.outputs.values())


def test_a_clean_fp16_run_reports_zero_and_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = sim.simulate(lstm_program(CASE, precision="fp16"), {"X": CASE.x()})
    assert result.stats["fp16"] == {"saturated": 0, "nonfinite": 0}


def test_nan_inputs_propagate_and_are_counted() -> None:
    x = CASE.x()
    x[0, 0, 0] = np.nan
    with pytest.warns(NumericsWarning, match="output value"):
        result = sim.simulate(lstm_program(CASE), {"X": x})
    assert result.stats["fp16"]["saturated"] == 0
    assert (
        result.stats["fp16"]["nonfinite"] == sum(int(np.isnan(v).sum()) for v in result.outputs.values()) > 0
    )


def with_weight(model: onnx.ModelProto, value: float) -> onnx.ModelProto:
    w = next(t for t in model.graph.initializer if t.name == "W")
    array = onnx.numpy_helper.to_array(w).copy()
    array.flat[0] = value
    w.CopyFrom(onnx.numpy_helper.from_array(array, "W"))
    return model


def test_weights_beyond_fp16_saturate_with_one_warning_at_compile_time() -> None:
    model, _feeds = rnn_model("LSTM")
    with pytest.warns(NumericsWarning) as record:
        data = compile_model(with_weight(model, 1e6), precision="fp16")
    messages = [str(w.message) for w in record if issubclass(w.category, NumericsWarning)]
    assert messages == ["weights 'rnn0_fwd_W': 1 value(s) beyond the fp16 range saturate to +-65504"]
    program = binary.decode(data)
    w = next(t for t in program.tensors if t.name.endswith("_W"))
    stored = np.frombuffer(program.constants, np.float16, math.prod(w.shape), w.data_offset)
    assert float(np.abs(stored).max()) == FP16_MAX


def test_nan_weights_warn_once_and_propagate() -> None:
    model, feeds = rnn_model("LSTM")
    with pytest.warns(NumericsWarning) as record:
        data = compile_model(with_weight(model, float("nan")), precision="fp32")
    messages = [str(w.message) for w in record if issubclass(w.category, NumericsWarning)]
    assert (
        len(messages) == 1 and "1 NaN/Inf weight value(s) in 'W'; they are kept and propagate" in messages[0]
    )
    with pytest.warns(NumericsWarning):
        result = sim.simulate(binary.decode(data), feeds)
    assert result.stats["fp16"]["nonfinite"] > 0


# --- ONNX cases --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dims", "shape"), [({"T": 0}, [0, 1, 3]), ({"B": 0}, [3, 0, 3]), ({"I": 0}, [3, 1, 0])]
)
def test_zero_sized_inputs_are_one_line_naming_the_node_and_input(
    dims: dict[str, int], shape: list[int]
) -> None:
    model, _ = rnn_model("LSTM", **dims)
    with pytest.raises(FrontendError) as info:
        compile_model(model)
    message = str(info.value)
    assert "\n" not in message
    assert f"LSTM 'rnn0' (input 'X' has shape {shape}: zero-sized tensors are not supported)" in message


def test_duplicate_node_names_give_distinct_layers_and_keep_the_onnx_name() -> None:
    model, feeds = stack_model("LSTM", layers=2)
    for node in model.graph.node:
        if node.op_type == "LSTM":
            node.name = "dup"
    program = binary.decode(compile_model(model))
    lstm_layers = [layer for layer in program.layers if layer.kind == "lstm"]
    assert [layer.onnx_node for layer in lstm_layers] == ["dup", "dup"]
    assert len({layer.name for layer in lstm_layers}) == 2
    stats = sim.simulate(program, feeds).stats
    assert len({layer["name"] for layer in stats["layers"]}) == len(stats["layers"])
    assert {e.onnx_node for e in program.debug} >= {"dup"}


# --- bounded run time -----------------------------------------------------------------------------


def long_loop(trip: int) -> Program:
    """The campaign's legal long program: one loop around six instructions."""
    pb = ProgramBuilder()
    a, b = pb.view(pb.region("a", 1, 8)), pb.view(pb.region("b", 1, 8))
    pb.emit(Opcode.VFILL, a, imm=0)
    pb.emit(Opcode.VFILL, b, imm=0)
    pb.loop(trip)
    for op in (Opcode.VADD, Opcode.VMUL, Opcode.VSUB, Opcode.VADD, Opcode.VMUL, Opcode.VSUB):
        pb.emit(op, b, a, b)
    pb.endloop()
    return pb.build()


def test_max_instructions_bounds_a_legal_long_program() -> None:
    program = long_loop(2**20)  # 7.3M instructions: refused by default (it once ran for 11 minutes)
    expected = r"^the program executes 7340034 instructions \(loops expanded\), above the limit of "
    with pytest.raises(sim.SimError, match=expected + "5000000"):
        sim.simulate(program, {})
    with pytest.raises(
        sim.SimError, match=expected + r"1000000 \(sharp-run --max-instructions N raises it\)$"
    ):
        sim.simulate(program, {}, max_instructions=1_000_000)


def test_a_long_run_reports_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    from sharp_compiler.sim import engine

    monkeypatch.setattr(engine, "PROGRESS_SECONDS", 0.0)
    calls: list[tuple[int, int]] = []
    sim.simulate(
        long_loop(500), {}, check_hazards=True, progress=lambda done, total: calls.append((done, total))
    )
    assert calls and all(total == 3502 for _done, total in calls)
    assert [done for done, _total in calls] == sorted(done for done, _total in calls)
    assert calls[-1][0] >= 3000  # reported every few iterations


def test_sharp_run_max_instructions_option(tmp_path) -> None:
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "long.sbin"
    path.write_bytes(binary.encode(long_loop(1000)))
    run = Path(sys.executable).parent / "sharp-run"
    done = subprocess.run(
        [str(run), str(path), "--max-instructions", "100", "-q"], capture_output=True, text=True
    )
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert (
        "sharp-run: error: the program executes 7002 instructions (loops expanded), above the limit of 100"
        in done.stderr
    )
    ok = subprocess.run(
        [str(run), str(path), "--max-instructions", "7002", "-q"], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr


def test_a_graph_cycle_is_reported_in_full_on_one_line() -> None:
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("Relu", ["b"], ["a"], name="n1"),
        helper.make_node("Relu", ["a"], ["b"], name="n2"),
    ]
    graph = helper.make_graph(nodes, "cycle", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2])],
                              [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 2])])  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    with pytest.raises(FrontendError) as info:
        compile_model(model)
    message = str(info.value)
    assert "\n" not in message
    assert (
        "must be topologically sorted, however input 'b' of node: name: n1 OpType: Relu is not output"
        in message
    )
