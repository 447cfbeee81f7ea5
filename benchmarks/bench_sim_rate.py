"""Simulator speed in dynamic instructions per second, with and without the hazard checker.

    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_sim_rate.py [--steps 65536]

Two programs: the issue's "loop of 2^k around six instructions" (two units, small vectors,
token-ordered) and a 4-wide single-layer LSTM over `--steps` steps (13 instructions per step
on all four units). Prints instructions, seconds and the rate for each, and the same with the
periodic fast-forward off (`fast_forward=False`: every iteration timed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sharp_sim_builders import LstmCase, ProgramBuilder, lstm_program  # noqa: E402

from sharp_compiler import sim  # noqa: E402
from sharp_compiler.isa.program import Program  # noqa: E402
from sharp_compiler.isa.spec import ActFn, Opcode  # noqa: E402


def six_instruction_loop(steps: int) -> Program:
    """loop steps { vadd; vmul; act; vfma; act; vsub } over 1x8 vectors, cell <-> act by tokens."""
    pb = ProgramBuilder()
    a, b, c = (pb.view(pb.region(n, 1, 8)) for n in ("a", "b", "c"))
    relu = pb.param(ActFn.RELU)
    pb.emit(Opcode.VFILL, a, imm=0x3F800000)
    pb.emit(Opcode.VFILL, b, imm=0x3F000000)
    pb.emit(Opcode.VFILL, c, imm=0, push="act")
    pb.loop(steps)
    pb.emit(Opcode.ACT, c, a, relu, pop="cell")
    pb.emit(Opcode.ACT, a, b, relu, push="cell")
    pb.emit(Opcode.VADD, b, c, a, pop="act")
    pb.emit(Opcode.VMUL, b, b, a)
    pb.emit(Opcode.VFMA, b, a, b, c)
    pb.emit(Opcode.VSUB, b, b, c, push="act")
    pb.endloop()
    pb.nop("act", pop="cell")
    return pb.build()


def timed(program: Program, inputs: dict[str, np.ndarray], **options: object) -> tuple[int, float]:
    start = time.perf_counter()
    result = sim.simulate(program, inputs, max_instructions=10**9, **options)  # type: ignore[arg-type]
    return result.stats["instructions"], time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=65536)
    args = parser.parse_args()
    case = LstmCase(seq=args.steps // 4, batch=1, inputs=4, hidden=4)
    programs = {
        f"6-instruction loop x{args.steps}": (six_instruction_loop(args.steps), {}),
        f"LSTM 4x4 T={case.seq}": (lstm_program(case), {"X": case.x()}),
    }
    print(
        f"{'program':>28s} {'checker':>8s} {'fast-fwd':>8s} {'instructions':>12s} {'seconds':>8s} {'rate':>12s}"
    )
    for name, (program, inputs) in programs.items():
        for check in (True, False):
            for ff in (True, False):
                n, seconds = timed(program, inputs, check_hazards=check, fast_forward=ff)
                print(
                    f"{name:>28s} {str(check):>8s} {str(ff):>8s} {n:12d} {seconds:8.2f} {n / seconds / 1e6:8.3f} M/s"
                )


if __name__ == "__main__":
    main()
