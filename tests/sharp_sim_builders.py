"""Hand-built SHARP programs for the binary and simulator tests (a helper module, not a test).

`ProgramBuilder` allocates regions, views, tensors and descriptors and emits
instructions with tokens named by unit; `lstm_program` is a complete
single-layer LSTM (ONNX semantics, gates i, o, f, c) with a hazard-free
token protocol, and `lstm_reference` its numpy reference.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from sharp_compiler.hw.config import HwConfig, load_config
from sharp_compiler.isa import binary
from sharp_compiler.isa.program import (
    ActParam,
    CopyDesc,
    DmaDesc,
    Instruction,
    LayerInfo,
    Program,
    Region,
    Space,
    Tensor,
    TensorKind,
    View,
)
from sharp_compiler.isa.spec import ActFn, Flag, Opcode, Unit, instruction_unit, nop_flags, pack_tile

UNITS = {"dma": Unit.DMA, "array": Unit.ARRAY, "act": Unit.ACT, "cell": Unit.CELL}


def mask(names: tuple[str, ...] | str) -> int:
    if isinstance(names, str):
        names = (names,)
    return sum(1 << UNITS[n] for n in names)


def config(preset: str = "sharp-4k", precision: str = "fp32") -> HwConfig:
    return load_config(preset).with_precision(precision)


class ProgramBuilder:
    def __init__(self, cfg: HwConfig | None = None, precision: str = "fp32") -> None:
        self.cfg = cfg or config(precision=precision)
        self.p = Program(config_json=self.cfg.canonical_json(), precision=precision)
        self.bases = {Space.VMEM: 0, Space.WMEM: 0}
        self.const = bytearray()

    # --- tables -------------------------------------------------------------------------
    def region(
        self, name: str, rows: int, cols: int, space: Space = Space.VMEM, base: int | None = None
    ) -> int:
        if base is None:
            base = self.bases[space]
            self.bases[space] += rows * cols
        self.p.regions.append(Region(name, space, rows, cols, base))
        return len(self.p.regions) - 1

    def view(
        self,
        region: int,
        rows: tuple[int, int] | None = None,
        cols: tuple[int, int] | None = None,
        step: int = 0,
    ) -> int:
        r = self.p.regions[region]
        r0, r1 = rows or (0, r.rows)
        c0, c1 = cols or (0, r.cols)
        self.p.views.append(View(region, r0, step, r1 - r0, c0, c1 - c0))
        return len(self.p.views) - 1

    def tensor(
        self,
        name: str,
        kind: TensorKind,
        shape: tuple[int, ...],
        dtype: str = "float32",
        data: np.ndarray | None = None,
    ) -> int:
        offset = size = 0
        if kind == TensorKind.CONST:
            assert data is not None
            raw = np.ascontiguousarray(data, dtype=dtype).astype(np.dtype(dtype).newbyteorder("<")).tobytes()
            self.const += bytes(-len(self.const) % 64)
            offset, size = len(self.const), len(raw)
            self.const += raw
        self.p.tensors.append(Tensor(name, kind, dtype, tuple(shape), offset, size))
        return len(self.p.tensors) - 1

    def dma(self, tensor: int, nrows: int, ncols: int, *, base: int = 0, row_stride: int | None = None,
            step_stride: int = 0, lens: int = -1) -> int:  # fmt: skip
        stride = ncols if row_stride is None else row_stride
        self.p.dmas.append(DmaDesc(tensor, lens, base, stride, step_stride, nrows, ncols))
        return len(self.p.dmas) - 1

    def copy(
        self, src: int, dst: int, sizes, src_strides, dst_strides, src_base: int = 0, dst_base: int = 0
    ) -> int:
        self.p.copies.append(
            CopyDesc(src, dst, src_base, dst_base, tuple(sizes), tuple(src_strides), tuple(dst_strides))
        )
        return len(self.p.copies) - 1

    def param(self, fn: ActFn, alpha: float = 0.0, beta: float = 0.0, clip: float | None = None) -> int:
        self.p.params.append(ActParam(fn, alpha, beta, clip))
        return len(self.p.params) - 1

    # --- code -----------------------------------------------------------------------------
    def emit(self, op: Opcode, a: int = 0xFFFF, b: int = 0xFFFF, c: int = 0xFFFF, d: int = 0xFFFF, *,
             pop: tuple[str, ...] | str = (), push: tuple[str, ...] | str = (), flags: int = 0, imm: int = 0) -> int:  # fmt: skip
        self.p.instructions.append(Instruction(op, mask(pop), mask(push), flags, a, b, c, d, imm))
        return len(self.p.instructions) - 1

    def nop(self, unit: str, *, pop: tuple[str, ...] | str = (), push: tuple[str, ...] | str = ()) -> int:
        return self.emit(Opcode.NOP, pop=pop, push=push, flags=nop_flags(UNITS[unit]))

    def loop(self, trip: int) -> int:
        return self.emit(Opcode.LOOP, imm=trip)

    def endloop(self) -> int:
        return self.emit(Opcode.ENDLOOP)

    def cfgtile(self, rows: int, cols: int, **tokens) -> int:
        return self.emit(Opcode.CFGTILE, imm=pack_tile(rows, cols), **tokens)

    def build(self) -> Program:
        self.p.constants = bytes(self.const)
        return self.p


def reseal(data: bytes) -> bytes:
    """Recompute the trailing checksum after editing a binary."""
    body = data[: -binary.CHECKSUM_BYTES]
    return body + hashlib.blake2b(body, digest_size=binary.CHECKSUM_BYTES).digest()


# =============================================================================
# single-layer LSTM (ONNX gate order i, o, f, c)
# =============================================================================


@dataclass
class LstmCase:
    seq: int
    batch: int
    inputs: int
    hidden: int
    seed: int = 0

    def weights(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        h = self.hidden
        w = rng.uniform(-0.5, 0.5, (4 * h, self.inputs)).astype(np.float32)
        r = rng.uniform(-0.5, 0.5, (4 * h, h)).astype(np.float32)
        b = rng.uniform(-0.5, 0.5, (8 * h,)).astype(np.float32)
        return w, r, b

    def x(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed + 1)
        return rng.standard_normal((self.seq, self.batch, self.inputs)).astype(np.float32)


def lstm_reference(
    case: LstmCase, x: np.ndarray, fp16: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    w, r, b = case.weights()
    hsz = case.hidden
    bias = (b[: 4 * hsz] + b[4 * hsz :]).astype(np.float32)

    def sig(v: np.ndarray) -> np.ndarray:
        return (1 / (1 + np.exp(-v.astype(np.float64)))).astype(np.float32)

    def rnd(v: np.ndarray) -> np.ndarray:
        return v.astype(np.float16).astype(np.float32) if fp16 else v

    h = np.zeros((case.batch, hsz), np.float32)
    c = np.zeros((case.batch, hsz), np.float32)
    ys = []
    for t in range(case.seq):
        g = rnd(x[t]) @ rnd(w).T + rnd(h) @ rnd(r).T + bias
        i, o, f, cc = (g[:, k * hsz : (k + 1) * hsz] for k in range(4))
        c = sig(f) * c + sig(i) * np.tanh(cc)
        h = sig(o) * np.tanh(c)
        ys.append(h)
    return np.stack(ys)[:, None], h[None], c[None]


def lstm_program(case: LstmCase, precision: str = "fp32", preset: str = "sharp-4k") -> Program:
    """Sequential LSTM: W.x and R.h on the array, gates on the activation unit, cell on the updater."""
    T, B, I, H = case.seq, case.batch, case.inputs, case.hidden  # noqa: E741
    w, r, b = case.weights()
    pb = ProgramBuilder(config(preset, precision), precision)
    X = pb.tensor("X", TensorKind.INPUT, (T, B, I))
    Y = pb.tensor("Y", TensorKind.OUTPUT, (T, 1, B, H))
    YH = pb.tensor("Y_h", TensorKind.OUTPUT, (1, B, H))
    YC = pb.tensor("Y_c", TensorKind.OUTPUT, (1, B, H))
    tw = pb.tensor("W", TensorKind.CONST, (4 * H, I), data=w)
    tr = pb.tensor("R", TensorKind.CONST, (4 * H, H), data=r)
    tb = pb.tensor("B", TensorKind.CONST, (1, 4 * H), data=(b[: 4 * H] + b[4 * H :])[None])

    rw = pb.region("W", 4 * H, I, Space.WMEM)
    rr = pb.region("R", 4 * H, H, Space.WMEM)
    rx, rh, rc = pb.region("x", B, I), pb.region("h", B, H), pb.region("c", B, H)
    rg, rbias = pb.region("gates", B, 4 * H), pb.region("bias", 1, 4 * H)
    ri, ro, rf, rcc, rtc = (pb.region(n, B, H) for n in ("i", "o", "f", "g", "tanh_c"))
    vw, vr, vx, vh, vc = pb.view(rw), pb.view(rr), pb.view(rx), pb.view(rh), pb.view(rc)
    vg, vbias = pb.view(rg), pb.view(rbias)
    vgate = [pb.view(rg, cols=(k * H, (k + 1) * H)) for k in range(4)]
    vi, vo, vf, vcc, vtc = (pb.view(n) for n in (ri, ro, rf, rcc, rtc))
    sigmoid, tanh = pb.param(ActFn.SIGMOID), pb.param(ActFn.TANH)

    pb.cfgtile(*pb.cfg.default_tile)
    pb.emit(Opcode.LOADW, vw, pb.dma(tw, 4 * H, I))
    pb.emit(Opcode.LOADW, vr, pb.dma(tr, 4 * H, H), push="array")
    pb.emit(Opcode.LOAD, vbias, pb.dma(tb, 1, 4 * H), push="cell")
    pb.nop("array", pop="dma", push="dma")  # weights are in; the x buffer is free
    pb.nop("dma", push="cell")  # h is free for the first update
    pb.emit(Opcode.VFILL, vh, imm=0, pop="dma")
    pb.emit(Opcode.VFILL, vc, imm=0, push="array")  # h ready
    pb.loop(T)
    pb.emit(Opcode.LOAD, vx, pb.dma(X, B, I, step_stride=B * I), pop="array", push="array")
    pb.emit(Opcode.MVM, vg, vx, vw, pop=("dma", "cell"), push="dma")
    pb.emit(Opcode.MVM, vg, vh, vr, flags=Flag.ACCUMULATE, push="cell")
    pb.emit(Opcode.VADD, vg, vg, vbias, pop="array", push="act")
    for view, fn, dst in ((vgate[0], sigmoid, vi), (vgate[1], sigmoid, vo), (vgate[2], sigmoid, vf)):
        pb.emit(Opcode.ACT, dst, view, fn, pop="cell" if dst == vi else ())
    pb.emit(Opcode.ACT, vcc, vgate[3], tanh, push="cell")
    pb.emit(Opcode.VMUL, vc, vf, vc, pop=("act", "dma"))
    pb.emit(Opcode.VFMA, vc, vi, vcc, vc, push="act")
    pb.emit(Opcode.ACT, vtc, vc, tanh, pop="cell", push="cell")
    pb.emit(Opcode.VMUL, vh, vo, vtc, pop="act", push=("array", "dma"))
    pb.emit(Opcode.STORE, pb.dma(Y, B, H, step_stride=B * H), vh, pop="cell", push="cell")
    pb.endloop()
    pb.nop("dma", pop="array")  # drain: the last x-free token
    pb.nop("cell", pop="dma")  # drain: the last store's h-free token
    pb.nop("array", pop="cell")  # drain: the last h-ready token
    pb.emit(Opcode.STORE, pb.dma(YH, B, H), vh)
    pb.emit(Opcode.STORE, pb.dma(YC, B, H), vc)
    program = pb.build()
    program.layers.append(LayerInfo("lstm_0", "LSTM_0", "lstm", 0, len(program.instructions), pb.cfg.default_tile,
                                    T * B * 4 * H * (I + H)))  # fmt: skip
    return program


def serialize(program: Program) -> Program:
    """Add tokens to straight-line code so each instruction waits for the previous one on another unit."""
    code = program.instructions
    assert all(ins.opcode not in (Opcode.LOOP, Opcode.ENDLOOP) for ins in code)
    units = [instruction_unit(Opcode(ins.opcode), ins.flags) for ins in code]
    out = []
    for pc, ins in enumerate(code):
        pop = ins.pop | (1 << units[pc - 1] if pc and units[pc - 1] != units[pc] else 0)
        push = ins.push | (1 << units[pc + 1] if pc + 1 < len(code) and units[pc + 1] != units[pc] else 0)
        out.append(Instruction(ins.opcode, pop, push, ins.flags, ins.a, ins.b, ins.c, ins.d, ins.imm))
    program.instructions = out
    return program


def hostile_binary(program: Program, config: dict | None = None) -> bytes:
    """Encode without validation, the checksum and the config fingerprint recomputed (so the decoder's
    validator, not its checksum test, sees the corruption); `config` replaces the embedded one."""
    import json

    text = (
        json.dumps(config, sort_keys=True, separators=(",", ":"))
        if config is not None
        else program.config_json
    )
    sections = binary.program_sections(program, text, "<test>")
    fingerprint = hashlib.blake2b(text.encode(), digest_size=16).digest()
    flags = binary.FLAG_FP32 if program.precision == "fp32" else 0
    return binary.pack_sections(sections, flags=flags, fingerprint=fingerprint)
