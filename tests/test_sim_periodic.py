"""The periodic fast-forward (`sim/periodic.py`) changes nothing but the speed.

For compiled models under every schedule, hand-built programs and hazardous ones, a run with
the fast-forward gives the same statistics, outputs and errors as one that times every iteration.
"""

from __future__ import annotations

import numpy as np
import pytest
from e2e_helpers import compile_model, rnn_model, stack_model
from sharp_sim_builders import LstmCase, ProgramBuilder, lstm_program

from sharp_compiler import sim
from sharp_compiler.isa import binary
from sharp_compiler.isa.program import Program, TensorKind
from sharp_compiler.isa.spec import ActFn, Opcode


def _run(program: Program, feeds: dict[str, np.ndarray], **options: object) -> sim.SimResult | str:
    try:
        return sim.simulate(program, feeds, **options)  # type: ignore[arg-type]
    except sim.SimError as err:
        return f"{type(err).__name__}: {err}"


def assert_same_run(program: Program, feeds: dict[str, np.ndarray], **options: object) -> None:
    """Same statistics and outputs, or the same error."""
    fast = _run(program, feeds, **options)
    slow = _run(program, feeds, fast_forward=False, **options)
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    assert fast.stats == slow.stats
    for name, value in slow.outputs.items():
        np.testing.assert_array_equal(fast.outputs[name], value)


@pytest.mark.parametrize("check", [True, False])
@pytest.mark.parametrize("precision", ["fp32", "fp16"])
def test_hand_built_lstm(check: bool, precision: str) -> None:
    case = LstmCase(seq=40, batch=2, inputs=3, hidden=4)
    assert_same_run(lstm_program(case, precision=precision), {"X": case.x()}, check_hazards=check)


@pytest.mark.parametrize("schedule", ["sequential", "intergate", "dataflow"])
@pytest.mark.parametrize(
    "model",
    [
        lambda: rnn_model("LSTM", T=30, B=2, H=8, direction="bidirectional", seq_lens=[30, 17]),
        lambda: rnn_model("GRU", T=30, H=8, linear_before_reset=1),
        lambda: stack_model("LSTM", layers=2, T=24, H=8),
    ],
)
def test_compiled_models(schedule: str, model) -> None:  # noqa: ANN001
    onnx_model, feeds = model()
    program = binary.decode(compile_model(onnx_model, schedule=schedule))
    assert_same_run(program, feeds, check_hazards=True)


def same_hazard(program: Program) -> str:
    """The hazard message with and without the fast-forward (they must be equal)."""
    messages = []
    for fast_forward in (True, False):
        with pytest.raises(sim.HazardError) as info:
            sim.simulate(program, {}, check_hazards=True, fast_forward=fast_forward)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    return messages[0]


def test_a_hazard_in_a_late_iteration_is_still_found() -> None:
    """The act unit writes row 25 before the loop; the loop's moving cell window reaches it at i = 25."""
    pb = ProgramBuilder()
    big = pb.region("big", 32, 4)
    pb.emit(Opcode.VFILL, pb.view(big), imm=0, push="act")
    row = pb.view(big, rows=(25, 26))
    pb.emit(Opcode.ACT, row, row, pb.param(ActFn.RELU), pop="cell")
    pb.loop(30)
    pb.emit(Opcode.VFILL, pb.view(big, rows=(0, 1), step=1), imm=0)
    pb.endloop()
    message = same_hazard(pb.build())
    assert message.startswith("hazard (WAR): pc 3 (vfill on cell, iteration 25) writes %big[25:26, 0:4]")


def test_cross_unit_hazard_inside_a_long_loop_is_found_with_the_same_message() -> None:
    pb = ProgramBuilder()
    a = pb.view(pb.region("a", 1, 4))
    pb.emit(Opcode.VFILL, a, imm=0)
    pb.loop(1000)
    pb.emit(Opcode.ACT, a, a, pb.param(ActFn.RELU))  # act reads what cell wrote, no token
    pb.endloop()
    same_hazard(pb.build())


def test_skipped_writes_through_shared_addresses_still_clobber() -> None:
    """y and s share addresses; the loop writes y row by row (a token ring over the four units lets
    the checker prune, so the loop is fast-forwarded); reading s afterwards is a clobber."""
    pb = ProgramBuilder()
    y, s = pb.region("y", 16, 4, base=0), pb.region("s", 16, 4, base=0)
    out = pb.tensor("Y", TensorKind.OUTPUT, (16, 4))
    pb.emit(Opcode.VFILL, pb.view(s), imm=0)
    pb.nop("dma", push="cell")
    pb.loop(16)
    pb.emit(Opcode.VFILL, pb.view(y, rows=(0, 1), step=1), imm=0, pop="dma", push="act")
    pb.nop("act", pop="cell", push="array")
    pb.nop("array", pop="act", push="dma")
    pb.nop("dma", pop="array", push="cell")
    pb.endloop()
    pb.nop("cell", pop="dma", push="dma")
    pb.emit(Opcode.STORE, pb.dma(out, 16, 4), pb.view(y), pop="cell")  # fine: y's own words
    pb.emit(Opcode.MOVE, pb.view(pb.region("t", 16, 4, base=64)), pb.view(s))
    message = same_hazard(pb.build())
    assert "reads %s[0:16, 0:4], but those words were last written through region 'y'" in message
