"""The SHARP instruction set, defined once.

The encoder, the decoder, the simulator, the `sharp_isa` dialect and the
generated ``docs/isa.md`` all read this table. An instruction is 16 bytes,
little endian::

    byte 0      opcode
    byte 1      tokens: bits 0-3 pop mask (queue unit->self), bits 4-7 push mask (self->unit)
    bytes 2-3   flags
    bytes 4-11  operands a, b, c, d (u16 each; 0xFFFF = none), indices into the
                binary's tables (views, DMA descriptors, copy descriptors, params)
    bytes 12-15 imm (u32)

Units are in-order; an instruction starts when its unit is free and it has
popped one token from every queue in its pop mask, and pushes one token to
every queue in its push mask when it finishes (the VTA dependency-token model).
`LOOP n` ... `ENDLOOP` repeats its body n times; view rows advance by
`row_step` per iteration of the innermost loop, so code size does not depend
on the sequence length.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

INSTRUCTION_BYTES = 16
INSTRUCTION_STRUCT = struct.Struct("<BBH4HI")
NO_OPERAND = 0xFFFF


def pack_tile(rows: int, cols: int) -> int:
    """The `cfgtile` immediate of a rows x cols tile: `rows << 16 | cols`."""
    return rows << 16 | cols


def unpack_tile(imm: int) -> tuple[int, int]:
    """(rows, cols) of a `cfgtile` immediate (the inverse of `pack_tile`)."""
    return (imm >> 16, imm & 0xFFFF)


MAX_LOOP_DEPTH = 4


class Unit(enum.IntEnum):
    """Hardware units that execute instructions (control ops run in the fetch unit)."""

    DMA = 0
    ARRAY = 1
    ACT = 2
    CELL = 3
    CONTROL = 4


TOKEN_UNITS = (Unit.DMA, Unit.ARRAY, Unit.ACT, Unit.CELL)


class OperandKind(enum.Enum):
    """What an operand slot indexes."""

    NONE = "-"
    VIEW_W = "view(write)"  # a vector-buffer view written by the instruction
    VIEW_R = "view(read)"  # a vector-buffer view read by the instruction
    WVIEW_W = "weight-view(write)"  # a weight-buffer view written
    WVIEW_R = "weight-view(read)"  # a weight-buffer view read
    DMA_R = "dma(read)"  # a DRAM descriptor read
    DMA_W = "dma(write)"  # a DRAM descriptor written
    COPY = "copy"  # a DRAM-to-DRAM copy descriptor
    PARAM = "param"  # an activation parameter entry


class Flag(enum.IntFlag):
    """Instruction flag bits (their meaning depends on the opcode)."""

    NONE = 0
    ACCUMULATE = 1  # MVM: dst += product instead of dst = product
    REVERSE = 2  # LOAD/STORE: walk time steps backwards (per row: len-1-i)
    LOG = 4  # SOFTMAX: log-softmax
    UNIT_MASK = 0x30  # NOP: the unit that executes it, bits 4-5


@dataclass(frozen=True)
class OpSpec:
    """One instruction: its opcode, unit, operand slots, meaning of imm."""

    mnemonic: str
    opcode: int
    unit: Unit
    operands: tuple[OperandKind, OperandKind, OperandKind, OperandKind]
    imm: str
    summary: str


_N, _VW, _VR = OperandKind.NONE, OperandKind.VIEW_W, OperandKind.VIEW_R
_WW, _WR = OperandKind.WVIEW_W, OperandKind.WVIEW_R
_DR, _DW, _CP, _PA = OperandKind.DMA_R, OperandKind.DMA_W, OperandKind.COPY, OperandKind.PARAM


class Opcode(enum.IntEnum):
    NOP = 0
    LOOP = 1
    ENDLOOP = 2
    CFGTILE = 3
    LOAD = 4
    STORE = 5
    LOADW = 6
    MOVE = 7
    DCOPY = 8
    MVM = 9
    ACT = 10
    VADD = 11
    VSUB = 12
    VMUL = 13
    VFMA = 14
    VONEMINUS = 15
    VSEL = 16
    SEQMASK = 17
    VFILL = 18
    GATHER = 19
    SOFTMAX = 20
    LAYERNORM = 21


OPS: dict[Opcode, OpSpec] = {
    spec.opcode: spec  # type: ignore[misc]
    for spec in (
        OpSpec(
            "nop",
            Opcode.NOP,
            Unit.CONTROL,
            (_N, _N, _N, _N),
            "-",
            "Token-only instruction on the unit in flags bits 4-5 (primes or drains a queue).",
        ),
        OpSpec(
            "loop",
            Opcode.LOOP,
            Unit.CONTROL,
            (_N, _N, _N, _N),
            "trip count",
            "Repeat the instructions up to the matching endloop imm times.",
        ),
        OpSpec(
            "endloop", Opcode.ENDLOOP, Unit.CONTROL, (_N, _N, _N, _N), "-", "End of the innermost loop body."
        ),
        OpSpec(
            "cfgtile",
            Opcode.CFGTILE,
            Unit.ARRAY,
            (_N, _N, _N, _N),
            "rows << 16 | cols",
            "Reconfigure the multiplier array into tiles of rows x cols.",
        ),
        OpSpec(
            "load",
            Opcode.LOAD,
            Unit.DMA,
            (_VW, _DR, _N, _N),
            "-",
            "DMA a DRAM window into a vector-buffer view (masked rows load zeros).",
        ),
        OpSpec(
            "store",
            Opcode.STORE,
            Unit.DMA,
            (_DW, _VR, _N, _N),
            "-",
            "DMA a vector-buffer view into a DRAM window (masked rows are skipped).",
        ),
        OpSpec(
            "loadw",
            Opcode.LOADW,
            Unit.DMA,
            (_WW, _DR, _N, _N),
            "-",
            "DMA a block of a constant matrix into a weight-buffer view.",
        ),
        OpSpec(
            "move",
            Opcode.MOVE,
            Unit.DMA,
            (_VW, _VR, _N, _N),
            "-",
            "Copy one vector-buffer view into another.",
        ),
        OpSpec(
            "dcopy",
            Opcode.DCOPY,
            Unit.DMA,
            (_CP, _N, _N, _N),
            "-",
            "Strided 4-D DRAM-to-DRAM copy (transposes, concatenation).",
        ),
        OpSpec(
            "mvm",
            Opcode.MVM,
            Unit.ARRAY,
            (_VW, _VR, _WR, _N),
            "-",
            "Tiled dispatch: a[n,M] (+)= b[n,K] x c[M,K]^T, block by block over the tiles.",
        ),
        OpSpec(
            "act",
            Opcode.ACT,
            Unit.ACT,
            (_VW, _VR, _PA, _N),
            "-",
            "a = f(clip(b)) with f, alpha, beta, clip from param c.",
        ),
        OpSpec(
            "vadd",
            Opcode.VADD,
            Unit.CELL,
            (_VW, _VR, _VR, _N),
            "-",
            "a = b + c (c broadcasts when it has one row).",
        ),
        OpSpec("vsub", Opcode.VSUB, Unit.CELL, (_VW, _VR, _VR, _N), "-", "a = b - c."),
        OpSpec("vmul", Opcode.VMUL, Unit.CELL, (_VW, _VR, _VR, _N), "-", "a = b * c."),
        OpSpec("vfma", Opcode.VFMA, Unit.CELL, (_VW, _VR, _VR, _VR), "-", "a = b * c + d."),
        OpSpec("voneminus", Opcode.VONEMINUS, Unit.CELL, (_VW, _VR, _N, _N), "-", "a = 1 - b."),
        OpSpec(
            "vsel",
            Opcode.VSEL,
            Unit.CELL,
            (_VW, _VR, _VR, _VR),
            "-",
            "a = b != 0 ? c : d, b has one column broadcast along the row.",
        ),
        OpSpec(
            "seqmask",
            Opcode.SEQMASK,
            Unit.CELL,
            (_VW, _VR, _N, _N),
            "-",
            "a[r,0] = 1 if the loop index < b[r,0] (sequence length) else 0.",
        ),
        OpSpec(
            "vfill",
            Opcode.VFILL,
            Unit.CELL,
            (_VW, _N, _N, _N),
            "float32 bits",
            "a = imm interpreted as a float32.",
        ),
        OpSpec(
            "gather",
            Opcode.GATHER,
            Unit.DMA,
            (_VW, _VR, _DR, _N),
            "-",
            "Embedding lookup: row r of a = row b[r,0] of the DRAM table c.",
        ),
        OpSpec(
            "softmax",
            Opcode.SOFTMAX,
            Unit.ACT,
            (_VW, _VR, _N, _N),
            "-",
            "Row-wise softmax of b into a (log-softmax with flag LOG).",
        ),
        OpSpec(
            "layernorm",
            Opcode.LAYERNORM,
            Unit.ACT,
            (_VW, _VR, _N, _N),
            "epsilon float32 bits",
            "Row-wise normalisation: a = (b - mean(b)) / sqrt(var(b) + imm), mean and variance per row.",
        ),
    )
}


class ActFn(enum.IntEnum):
    """Activation functions of the activation unit (ONNX RNN activation names)."""

    SIGMOID = 0
    TANH = 1
    RELU = 2
    HARD_SIGMOID = 3
    AFFINE = 4
    LEAKY_RELU = 5
    THRESHOLDED_RELU = 6
    SCALED_TANH = 7
    ELU = 8
    SOFTSIGN = 9
    SOFTPLUS = 10
    IDENTITY = 11


ONNX_ACTIVATIONS: dict[str, ActFn] = {
    "Sigmoid": ActFn.SIGMOID,
    "Tanh": ActFn.TANH,
    "Relu": ActFn.RELU,
    "HardSigmoid": ActFn.HARD_SIGMOID,
    "Affine": ActFn.AFFINE,
    "LeakyRelu": ActFn.LEAKY_RELU,
    "ThresholdedRelu": ActFn.THRESHOLDED_RELU,
    "ScaledTanh": ActFn.SCALED_TANH,
    "Elu": ActFn.ELU,
    "Softsign": ActFn.SOFTSIGN,
    "Softplus": ActFn.SOFTPLUS,
}


def nop_unit(flags: int) -> Unit:
    """The unit a NOP runs on."""
    return Unit((flags & Flag.UNIT_MASK) >> 4)


def nop_flags(unit: Unit) -> int:
    return int(unit) << 4


def instruction_unit(opcode: Opcode, flags: int) -> Unit:
    """The unit that executes an instruction."""
    if opcode == Opcode.NOP:
        return nop_unit(flags)
    return OPS[opcode].unit
