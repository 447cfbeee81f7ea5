"""An executable SHARP program: what a `.sbin` binary holds, as plain Python values.

The compiler's emitter builds a `Program`; `isa.binary.encode` writes it,
`isa.binary.decode` reads and validates it; the simulator runs it. Imports no
xDSL.

Memory model:
- DRAM holds `Tensor`s: model inputs and outputs (named as in ONNX), constants
  (bytes inside the binary) and scratch tensors (intermediate layer outputs).
  Each is a flat row-major array of its dtype, zero-initialised.
- The vector buffer (space VMEM) and the weight buffer (WMEM) hold `Region`s:
  2-D fp32 arrays [rows, cols] at a word address `base` assigned by the
  allocator. Regions whose lifetimes do not overlap may share addresses.
- Instructions address regions through `View`s (row window that advances by
  `row_step` per loop iteration), DRAM through `DmaDesc`s and `CopyDesc`s.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from sharp_compiler.isa.spec import ActFn, Opcode


class Space(enum.IntEnum):
    VMEM = 0
    WMEM = 1


class TensorKind(enum.IntEnum):
    INPUT = 0
    OUTPUT = 1
    CONST = 2
    SCRATCH = 3


DTYPES = ("float32", "float16", "int32", "int64")
DTYPE_SIZES: dict[str, int] = {"float32": 4, "float16": 2, "int32": 4, "int64": 8}
FLOAT_DTYPES = ("float32", "float16")
INT_DTYPES = ("int32", "int64")
CONST_ALIGN = 64  # bytes: the CONST section and every constant's data_offset in it


@dataclass(frozen=True)
class Instruction:
    opcode: Opcode
    pop: int = 0  # bit u: pop a token from queue (unit u -> this unit)
    push: int = 0  # bit u: push a token to queue (this unit -> unit u)
    flags: int = 0
    a: int = 0xFFFF
    b: int = 0xFFFF
    c: int = 0xFFFF
    d: int = 0xFFFF
    imm: int = 0


@dataclass(frozen=True)
class Region:
    name: str
    space: Space
    rows: int
    cols: int
    base: int  # word address in its space


@dataclass(frozen=True)
class View:
    """Rows [row0 + row_step*i, +nrows) x cols [col0, +ncols) of a region; i = loop index."""

    region: int
    row0: int
    row_step: int
    nrows: int
    col0: int
    ncols: int


@dataclass(frozen=True)
class DmaDesc:
    """A [nrows, ncols] window of a DRAM tensor at loop index i.

    Element (r, c) lives at ``base + r*row_stride + e(r)*step_stride + c`` where
    e(r) = i, or L(r)-1-i under the REVERSE flag; L(r) = lens[r] when `lens` names
    a tensor of per-row sequence lengths, else the innermost loop's trip count.
    With `lens`, rows with i >= L(r) are masked (loads give zeros, stores skip).
    """

    tensor: int
    lens: int  # tensor id of sequence lengths, or -1
    base: int
    row_stride: int
    step_stride: int
    nrows: int
    ncols: int


@dataclass(frozen=True)
class CopyDesc:
    """dst[dst_base + sum(k_j*dst_strides[j])] = src[src_base + sum(k_j*src_strides[j])], k < sizes."""

    src: int
    dst: int
    src_base: int
    dst_base: int
    sizes: tuple[int, int, int, int]
    src_strides: tuple[int, int, int, int]
    dst_strides: tuple[int, int, int, int]


@dataclass(frozen=True)
class ActParam:
    fn: ActFn
    alpha: float = 0.0
    beta: float = 0.0
    clip: float | None = None  # clip(x) = min(max(x, -clip), clip) before fn


@dataclass(frozen=True)
class Tensor:
    name: str
    kind: TensorKind
    dtype: str
    shape: tuple[int, ...]
    data_offset: int = 0  # CONST only: offset of its bytes in the constant section
    data_size: int = 0


@dataclass(frozen=True)
class LayerInfo:
    """A span of code that implements one model layer (for per-layer statistics)."""

    name: str
    onnx_node: str
    kind: str
    pc_begin: int
    pc_end: int  # exclusive
    tile: tuple[int, int]
    macs: int  # useful multiply-accumulates of one run of this layer
    directions: int = 1  # of the ONNX node (2: bidirectional), for the bound's dependence chain


@dataclass(frozen=True)
class DebugEntry:
    """Instructions [pc_begin, pc_end) come from this ONNX node."""

    pc_begin: int
    pc_end: int
    onnx_node: str


@dataclass
class Program:
    config_json: str  # canonical JSON of the HwConfig it was compiled for
    precision: str  # "fp16" or "fp32"
    instructions: list[Instruction] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    dmas: list[DmaDesc] = field(default_factory=list)
    copies: list[CopyDesc] = field(default_factory=list)
    params: list[ActParam] = field(default_factory=list)
    tensors: list[Tensor] = field(default_factory=list)
    layers: list[LayerInfo] = field(default_factory=list)
    debug: list[DebugEntry] = field(default_factory=list)
    constants: bytes | memoryview = b""  # a read-only view of the file when decoded from one

    def inputs(self) -> list[Tensor]:
        """Model inputs in ONNX graph order."""
        return [t for t in self.tensors if t.kind == TensorKind.INPUT]

    def outputs(self) -> list[Tensor]:
        """Model outputs in ONNX graph order."""
        return [t for t in self.tensors if t.kind == TensorKind.OUTPUT]
