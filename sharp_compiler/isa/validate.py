"""Validation of a `Program`: everything `decode` checks beyond the container's framing.

`binary.encode` and `binary.decode` run `check_program`, and the simulator runs `validate`,
so a program that passes is safe to simulate: every index, window, loop and shape is
checked against the tables and the embedded hardware configuration. Every failure is a
`SharpBinaryError` with a one-line message that starts with the program's origin.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np

from sharp_compiler.hw.config import PRECISIONS, HwConfig, config_from_dict
from sharp_compiler.isa import spec
from sharp_compiler.isa.program import (
    CONST_ALIGN,
    DTYPE_SIZES,
    DTYPES,
    FLOAT_DTYPES,
    INT_DTYPES,
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
from sharp_compiler.isa.spec import ActFn, Flag, Opcode, OperandKind, Unit

_U16, _U32 = 0xFFFF, 0xFFFFFFFF
MAX_CHECKED_OUTPUT_ELEMENTS = 1 << 28
"""Largest total size of a program's outputs (elements), and of one store's writes per loop run."""
_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1


class SharpBinaryError(ValueError):
    """A binary (or a `Program`) that cannot be used; the message is one line naming its origin."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split("\n")))


def fail(origin: str, message: str) -> NoReturn:
    """Raise the `SharpBinaryError` "origin: message"."""
    raise SharpBinaryError(f"{origin}: {message}")


# Flags each opcode accepts; every other bit must be zero.
ALLOWED_FLAGS: dict[Opcode, int] = {
    Opcode.NOP: int(Flag.UNIT_MASK),
    Opcode.MVM: int(Flag.ACCUMULATE),
    Opcode.LOAD: int(Flag.REVERSE),
    Opcode.STORE: int(Flag.REVERSE),
    Opcode.SOFTMAX: int(Flag.LOG),
}


@dataclass(frozen=True)
class CodeInfo:
    """What validation learns about a program's code, reused by the simulator."""

    config: HwConfig
    trip: tuple[int, ...]  # per pc: trip count of the innermost enclosing loop (1 outside loops)
    depth: tuple[int, ...]  # per pc: loop nesting depth (a LOOP/ENDLOOP counts as outside its body)
    loop_end: dict[int, int]  # pc of each LOOP -> pc of its ENDLOOP


def validate(program: Program, origin: str = "<program>") -> CodeInfo:
    """Check a program as `decode` does; returns what the simulator needs to know about its code."""
    cfg = parse_config(program.config_json, origin)
    return check_program(program, cfg, origin)


def check_program(program: Program, cfg: HwConfig, origin: str) -> CodeInfo:
    """Validate `program` against `cfg`, the configuration it embeds."""
    checker = _Checker(program, cfg, origin)
    return checker.run()


def parse_config(raw: bytes | str, origin: str, *, canonical: bool = False) -> HwConfig:
    """Load a config strictly; with `canonical`, the text must also be its canonical JSON."""
    where = f"{origin}: config section"
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text, parse_constant=reject_constant)
        cfg = config_from_dict(data, where)
    except (ValueError, RecursionError, OverflowError, TypeError) as err:  # HwConfigError is a ValueError
        message = str(err)
        if not message.startswith(where):
            message = f"{where}: {message}"
        raise SharpBinaryError(message) from None
    for name, value in cfg.to_dict().items():
        if isinstance(value, float) and not math.isfinite(value):
            fail(origin, f"config section: field {name} is not finite")
    if canonical and text != cfg.canonical_json():
        fail(origin, "config section is not canonical JSON (sorted keys, no spaces)")
    return cfg


def try_config(text: str) -> HwConfig | None:
    """The config, or None when `text` is not a valid one (for writers and printers of bad programs)."""
    try:
        return parse_config(text, "<program>")
    except SharpBinaryError:
        return None


def reject_constant(name: str) -> NoReturn:
    """`json.loads` hook: NaN and Infinity are not JSON."""
    raise ValueError(f"non-finite number {name}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    """A finite int or float (ints too large for a float are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _numel(shape: Sequence[int]) -> int:
    return math.prod(shape)


def tensor_numel(tensor: Tensor) -> int:
    """Number of elements of a DRAM tensor."""
    return _numel(tensor.shape)


def weight_words(cfg: HwConfig, precision: str) -> int:
    """Capacity of the weight buffer in weights of the given precision."""
    return cfg.weight_buffer_bytes // cfg.weight_bytes_per_element(precision)


def strided_index(base: int, sizes: Sequence[int], strides: Sequence[int]) -> np.ndarray:
    """Flat element indices base + sum(k_j * strides[j]) over k < sizes, in row-major k order."""
    index = np.array(base, dtype=np.int64)
    for size, stride in zip(sizes, strides, strict=True):
        index = np.add.outer(index, np.arange(size, dtype=np.int64) * stride)
    return index.reshape(-1)


def f32_from_bits(bits: int) -> float:
    """The float32 whose bit pattern is `bits` (VFILL's immediate)."""
    return struct.unpack("<f", struct.pack("<I", bits))[0]


class _Checker:
    """Validates one program; every failure is a one-line `SharpBinaryError`."""

    def __init__(self, program: Program, cfg: HwConfig, origin: str) -> None:
        self.p = program
        self.cfg = cfg
        self.origin = origin

    def fail(self, message: str) -> NoReturn:
        fail(self.origin, message)

    def int_field(self, where: str, value: Any, lo: int, hi: int) -> None:
        if not _is_int(value) or not lo <= value <= hi:
            self.fail(f"{where} = {value!r} is out of range [{lo}, {hi}]")

    def name_field(self, where: str, value: Any) -> None:
        if not isinstance(value, str) or not value.isprintable():
            self.fail(f"{where} must be a printable string, got {value!r}")

    def run(self) -> CodeInfo:
        p = self.p
        if p.precision not in PRECISIONS:
            self.fail(f"precision {p.precision!r} is not one of {', '.join(PRECISIONS)}")
        if not isinstance(p.constants, (bytes, bytearray, memoryview)):
            self.fail("constants must be bytes")
        for i, region in enumerate(p.regions):
            self.check_region(i, region)
        for i, tensor in enumerate(p.tensors):
            self.check_tensor(i, tensor)
        self.check_io_names()
        for i, view in enumerate(p.views):
            self.check_view(i, view)
        for i, dma in enumerate(p.dmas):
            self.check_dma(i, dma)
        for i, copy in enumerate(p.copies):
            self.check_copy(i, copy)
        for i, param in enumerate(p.params):
            self.check_param(i, param)
        info = self.check_code()
        self.check_outputs_written(info)
        for i, layer in enumerate(p.layers):
            self.check_layer(i, layer)
        for i, entry in enumerate(p.debug):
            self.check_pc_range(f"debug entry {i}", entry.pc_begin, entry.pc_end)
            self.name_field(f"debug entry {i}: onnx_node", entry.onnx_node)
        return info

    # --- tables ------------------------------------------------------------------
    def check_region(self, i: int, r: Region) -> None:
        where = f"region {i}"
        self.name_field(f"{where}: name", r.name)
        if not isinstance(r.space, int) or r.space not in Space._value2member_map_:
            self.fail(f"{where}: unknown space {r.space!r}")
        self.int_field(f"{where}: rows", r.rows, 1, _U32)
        self.int_field(f"{where}: cols", r.cols, 1, _U32)
        self.int_field(f"{where}: base", r.base, 0, 2**63)
        if r.space == Space.VMEM:
            capacity, unit = self.cfg.vector_buffer_words, "fp32 words of the vector buffer"
        else:
            capacity = weight_words(self.cfg, self.p.precision)
            unit = f"{self.p.precision} words of the weight buffer"
        end = r.base + r.rows * r.cols
        if end > capacity:
            self.fail(f"{where} '{r.name}' [{r.base}, {end}) exceeds the {capacity} {unit}")

    def check_tensor(self, i: int, t: Tensor) -> None:
        where = f"tensor {i}"
        self.name_field(f"{where}: name", t.name)
        if not isinstance(t.kind, int) or t.kind not in TensorKind._value2member_map_:
            self.fail(f"{where} '{t.name}': unknown kind {t.kind!r}")
        if t.dtype not in DTYPES:
            self.fail(f"{where} '{t.name}': unknown dtype {t.dtype!r}")
        if not isinstance(t.shape, tuple) or not all(_is_int(d) and 0 <= d < 2**40 for d in t.shape):
            self.fail(f"{where} '{t.name}': shape {t.shape!r} must be a tuple of integers >= 0")
        self.int_field(f"{where}: data_offset", t.data_offset, 0, 2**63)
        self.int_field(f"{where}: data_size", t.data_size, 0, 2**63)
        if t.kind != TensorKind.CONST:
            if t.data_offset or t.data_size:
                self.fail(f"{where} '{t.name}': only constants have data (offset/size must be 0)")
            return
        expected = _numel(t.shape) * DTYPE_SIZES[t.dtype]
        if t.data_size != expected:
            self.fail(
                f"{where} '{t.name}': data_size {t.data_size} != {expected} bytes of {t.dtype}{list(t.shape)}"
            )
        if t.data_offset % CONST_ALIGN:
            self.fail(f"{where} '{t.name}': data_offset {t.data_offset} is not {CONST_ALIGN}-byte aligned")
        if t.data_offset + t.data_size > len(self.p.constants):
            self.fail(
                f"{where} '{t.name}': data [{t.data_offset}, +{t.data_size}) lies outside the "
                f"{len(self.p.constants)}-byte CONST section"
            )

    def check_io_names(self) -> None:
        for kind in (TensorKind.INPUT, TensorKind.OUTPUT):
            seen: set[str] = set()
            for t in self.p.tensors:
                if t.kind != kind:
                    continue
                if t.name in seen:
                    self.fail(f"two model {kind.name.lower()}s are named '{t.name}'")
                seen.add(t.name)

    def check_view(self, i: int, v: View) -> None:
        where = f"view {i}"
        self.int_field(f"{where}: region", v.region, 0, len(self.p.regions) - 1)
        self.int_field(f"{where}: row0", v.row0, 0, _U32)
        self.int_field(f"{where}: row_step", v.row_step, _I32_MIN, _I32_MAX)
        self.int_field(f"{where}: nrows", v.nrows, 1, _U32)
        self.int_field(f"{where}: col0", v.col0, 0, _U32)
        self.int_field(f"{where}: ncols", v.ncols, 1, _U32)
        self.view_in_region(where, v, 1)

    def view_in_region(self, where: str, v: View, trip: int) -> None:
        region = self.p.regions[v.region]
        last = v.row0 + v.row_step * (trip - 1)
        lo, hi = min(v.row0, last), max(v.row0, last) + v.nrows
        if lo < 0 or hi > region.rows or v.col0 + v.ncols > region.cols:
            when = "at loop index 0" if trip == 1 else f"over the loop's {trip} iterations"
            self.fail(
                f"{where}: window rows [{lo}, {hi}) cols [{v.col0}, {v.col0 + v.ncols}) {when} "
                f"leaves region '{region.name}' [{region.rows} x {region.cols}]"
            )

    def check_dma(self, i: int, d: DmaDesc) -> None:
        where = f"dma {i}"
        tensors = self.p.tensors
        self.int_field(f"{where}: tensor", d.tensor, 0, len(tensors) - 1)
        self.int_field(f"{where}: lens", d.lens, -1, len(tensors) - 1)
        self.int_field(f"{where}: base", d.base, 0, _U32)
        self.int_field(f"{where}: row_stride", d.row_stride, _I32_MIN, _I32_MAX)
        self.int_field(f"{where}: step_stride", d.step_stride, _I32_MIN, _I32_MAX)
        self.int_field(f"{where}: nrows", d.nrows, 1, _U32)
        self.int_field(f"{where}: ncols", d.ncols, 1, _U32)
        if d.lens >= 0:
            lens = tensors[d.lens]
            if lens.dtype not in INT_DTYPES or lens.kind not in (TensorKind.INPUT, TensorKind.CONST):
                self.fail(f"{where}: lens tensor '{lens.name}' must be an int32/int64 input or constant")
            if tensor_numel(lens) < d.nrows:
                self.fail(f"{where}: lens tensor '{lens.name}' has fewer than {d.nrows} elements")
        self.dma_in_tensor(where, d, 1)

    def dma_in_tensor(self, where: str, d: DmaDesc, trip: int) -> None:
        tensor = self.p.tensors[d.tensor]
        rows, steps = d.row_stride * (d.nrows - 1), d.step_stride * (trip - 1)
        lo = d.base + min(0, rows) + min(0, steps)
        hi = d.base + max(0, rows) + max(0, steps) + d.ncols - 1
        numel = tensor_numel(tensor)
        if lo < 0 or hi >= numel:
            when = "at loop index 0" if trip == 1 else f"over the loop's {trip} iterations"
            self.fail(
                f"{where}: elements [{lo}, {hi}] {when} leave tensor '{tensor.name}' ({numel} elements)"
            )

    def check_copy(self, i: int, c: CopyDesc) -> None:
        where = f"copy {i}"
        tensors = self.p.tensors
        self.int_field(f"{where}: src", c.src, 0, len(tensors) - 1)
        self.int_field(f"{where}: dst", c.dst, 0, len(tensors) - 1)
        self.int_field(f"{where}: src_base", c.src_base, 0, _U32)
        self.int_field(f"{where}: dst_base", c.dst_base, 0, _U32)
        for name, values, lo, hi in (
            ("sizes", c.sizes, 1, _U32),
            ("src_strides", c.src_strides, _I32_MIN, _I32_MAX),
            ("dst_strides", c.dst_strides, _I32_MIN, _I32_MAX),
        ):
            if not isinstance(values, tuple) or len(values) != 4:
                self.fail(f"{where}: {name} must be a tuple of 4 integers")
            for j, value in enumerate(values):
                self.int_field(f"{where}: {name}[{j}]", value, lo, hi)
        src, dst = tensors[c.src], tensors[c.dst]
        if src.dtype != dst.dtype:
            self.fail(f"{where}: copies {src.dtype} '{src.name}' into {dst.dtype} '{dst.name}'")
        if dst.kind not in (TensorKind.OUTPUT, TensorKind.SCRATCH):
            self.fail(f"{where}: destination '{dst.name}' is not an output or scratch tensor")
        for label, tensor, base, strides in (("source", src, c.src_base, c.src_strides),
                                             ("destination", dst, c.dst_base, c.dst_strides)):  # fmt: skip
            spans = [s * (n - 1) for s, n in zip(strides, c.sizes, strict=True)]
            lo = base + sum(min(0, x) for x in spans)
            hi = base + sum(max(0, x) for x in spans)
            if lo < 0 or hi >= tensor_numel(tensor):
                self.fail(f"{where}: {label} elements [{lo}, {hi}] leave tensor '{tensor.name}'")
        count = math.prod(c.sizes)  # Python ints: no overflow
        if count > tensor_numel(dst):
            self.fail(
                f"{where}: copies {count} elements into tensor '{dst.name}' of {tensor_numel(dst)} elements"
            )

    def check_param(self, i: int, a: ActParam) -> None:
        where = f"param {i}"
        if not isinstance(a.fn, int) or a.fn not in ActFn._value2member_map_:
            self.fail(f"{where}: unknown activation function {a.fn!r}")
        if not _is_real(a.alpha) or not _is_real(a.beta):
            self.fail(f"{where}: alpha and beta must be finite numbers")
        if a.clip is not None and (not _is_real(a.clip) or a.clip < 0):
            self.fail(f"{where}: clip {a.clip!r} must be a finite number >= 0")

    def check_layer(self, i: int, layer: LayerInfo) -> None:
        where = f"layer {i}"
        for field_name in ("name", "onnx_node", "kind"):
            self.name_field(f"{where}: {field_name}", getattr(layer, field_name))
        self.check_pc_range(where, layer.pc_begin, layer.pc_end)
        if not isinstance(layer.tile, tuple) or len(layer.tile) != 2:
            self.fail(f"{where}: tile must be a (rows, cols) tuple")
        self.int_field(f"{where}: tile rows", layer.tile[0], 0, _U16)
        self.int_field(f"{where}: tile cols", layer.tile[1], 0, _U16)
        self.int_field(f"{where}: macs", layer.macs, 0, 2**63)

    def check_pc_range(self, where: str, begin: Any, end: Any) -> None:
        size = len(self.p.instructions)
        self.int_field(f"{where}: pc_begin", begin, 0, size)
        self.int_field(f"{where}: pc_end", end, begin, size)

    # --- outputs ------------------------------------------------------------------
    def check_outputs_written(self, info: CodeInfo) -> None:
        """Every element of every model output is written by a STORE or a DCOPY.

        Exact and static: a store's elements depend only on the innermost loop index i in
        [0, trip), and over all i a forward, a reversed and a sequence-masked store cover the
        same elements (a masked row's element at step i >= len stays zero, as ONNX defines it).
        """
        p = self.p
        outputs = {n: t for n, t in enumerate(p.tensors) if t.kind == TensorKind.OUTPUT}
        total = sum(tensor_numel(t) for t in outputs.values())
        if total > MAX_CHECKED_OUTPUT_ELEMENTS:
            self.fail(
                f"model outputs hold {total} elements, above the {MAX_CHECKED_OUTPUT_ELEMENTS} a binary may declare"
            )
        written = {n: np.zeros(tensor_numel(t), bool) for n, t in outputs.items()}
        for pc, ins in enumerate(p.instructions):
            if ins.opcode == Opcode.STORE and p.dmas[ins.a].tensor in written:
                d = p.dmas[ins.a]
                steps = info.trip[pc] if d.step_stride else 1
                work = steps * d.nrows * d.ncols
                if work > MAX_CHECKED_OUTPUT_ELEMENTS:
                    self.fail(
                        f"pc {pc} (store): writes {work} elements per run of its loop, above {MAX_CHECKED_OUTPUT_ELEMENTS}"
                    )
                rows = np.arange(d.nrows, dtype=np.int64)[:, None] * d.row_stride + np.arange(
                    d.ncols, dtype=np.int64
                )
                e = np.arange(steps, dtype=np.int64)[:, None, None] * d.step_stride
                written[d.tensor][(d.base + e + rows).reshape(-1)] = True
            elif ins.opcode == Opcode.DCOPY and p.copies[ins.a].dst in written:
                c = p.copies[ins.a]
                written[c.dst][strided_index(c.dst_base, c.sizes, c.dst_strides)] = True
        for n, mask in written.items():
            missing = np.flatnonzero(~mask)
            if missing.size:
                t = outputs[n]
                first = [int(x) for x in np.unravel_index(int(missing[0]), t.shape)] if t.shape else []
                self.fail(
                    f"output '{t.name}': {missing.size} of {mask.size} elements are never written "
                    f"(first {first}): no store or copy produces them"
                )

    # --- code ---------------------------------------------------------------------
    def check_code(self) -> CodeInfo:
        code = self.p.instructions
        trip: list[int] = []
        depth: list[int] = []
        loop_end: dict[int, int] = {}
        stack: list[tuple[int, int]] = []  # (pc of LOOP, trip count)
        busy: list[bool] = []  # per open loop: its body holds a unit instruction
        for pc, ins in enumerate(code):
            self.check_encoding(pc, ins)
            if ins.opcode == Opcode.ENDLOOP:
                if not stack:
                    self.fail(f"pc {pc}: endloop without a matching loop")
                start = stack.pop()[0]
                if not busy.pop():
                    self.fail(f"pc {start} (loop): the body executes no instruction (an empty loop)")
                if busy:
                    busy[-1] = True
                loop_end[start] = pc
            elif ins.opcode != Opcode.LOOP and busy:
                busy[-1] = True
            trip.append(stack[-1][1] if stack else 1)
            depth.append(len(stack))
            if ins.opcode == Opcode.LOOP:
                if len(stack) == spec.MAX_LOOP_DEPTH:
                    self.fail(f"pc {pc}: loops nest deeper than {spec.MAX_LOOP_DEPTH}")
                stack.append((pc, ins.imm))
                busy.append(False)
        if stack:
            self.fail(f"pc {stack[-1][0]}: loop is never closed by an endloop")
        for pc, ins in enumerate(code):
            self.check_operands(pc, ins, trip[pc])
        return CodeInfo(self.cfg, tuple(trip), tuple(depth), loop_end)

    def check_encoding(self, pc: int, ins: Instruction) -> None:
        """Fields, tokens, flags and immediate of one instruction (no table look-ups)."""
        if not _is_int(ins.opcode) or ins.opcode not in Opcode._value2member_map_:
            self.fail(f"pc {pc}: unknown opcode {ins.opcode!r}")
        op = Opcode(ins.opcode)
        where = f"pc {pc} ({spec.OPS[op].mnemonic})"
        self.int_field(f"{where}: pop mask", ins.pop, 0, 0xF)
        self.int_field(f"{where}: push mask", ins.push, 0, 0xF)
        self.int_field(f"{where}: flags", ins.flags, 0, _U16)
        self.int_field(f"{where}: imm", ins.imm, 0, _U32)
        for slot in "abcd":
            self.int_field(f"{where}: operand {slot}", getattr(ins, slot), 0, _U16)
        extra = ins.flags & ~ALLOWED_FLAGS.get(op, 0)
        if extra:
            self.fail(f"{where}: flags 0x{extra:x} are not defined for this opcode")
        unit = spec.instruction_unit(op, ins.flags)
        if unit == Unit.CONTROL and (ins.pop or ins.push):
            self.fail(f"{where}: control instructions carry no tokens")
        if unit != Unit.CONTROL and (ins.pop | ins.push) & (1 << unit):
            self.fail(f"{where}: token mask names its own unit {unit.name.lower()}")
        self.check_imm(where, op, ins.imm)

    def check_imm(self, where: str, op: Opcode, imm: int) -> None:
        if op == Opcode.LOOP:
            if imm < 1:
                self.fail(f"{where}: trip count must be >= 1")
            return
        if op == Opcode.CFGTILE:
            tile = spec.unpack_tile(imm)
            if tile not in self.cfg.tile_shapes:
                self.fail(f"{where}: tile {tile[0]}x{tile[1]} is not a tile shape of {self.cfg.name}")
            if not self.cfg.reconfigurable and tile != self.cfg.default_tile:
                self.fail(f"{where}: {self.cfg.name} is not reconfigurable (tile {tile[0]}x{tile[1]})")
            return
        if op == Opcode.VFILL:
            if not math.isfinite(f32_from_bits(imm)):
                self.fail(f"{where}: fill value is not a finite float32")
            return
        if op == Opcode.LAYERNORM:
            epsilon = f32_from_bits(imm)
            if not (math.isfinite(epsilon) and epsilon >= 0):
                self.fail(f"{where}: epsilon is not a finite non-negative float32")
            return
        if imm:
            self.fail(f"{where}: imm must be 0, got {imm}")

    def check_operands(self, pc: int, ins: Instruction, trip: int) -> None:
        op = Opcode(ins.opcode)
        where = f"pc {pc} ({spec.OPS[op].mnemonic})"
        shapes: list[tuple[int, int] | None] = []
        for slot, kind in zip("abcd", spec.OPS[op].operands, strict=True):
            shapes.append(self.check_operand(f"{where} operand {slot}", kind, getattr(ins, slot), trip))
        self.check_use(where, op, ins, shapes)

    def check_operand(self, where: str, kind: OperandKind, index: int, trip: int) -> tuple[int, int] | None:
        if kind == OperandKind.NONE:
            if index != spec.NO_OPERAND:
                self.fail(f"{where}: unused operand must be 0x{spec.NO_OPERAND:X}, got {index}")
            return None
        table = OPERAND_TABLES[kind]
        size = len(getattr(self.p, table))
        if index >= size:
            self.fail(f"{where}: {table[:-1]} {index} does not exist ({size} in the table)")
        if kind in (OperandKind.VIEW_R, OperandKind.VIEW_W, OperandKind.WVIEW_R, OperandKind.WVIEW_W):
            view = self.p.views[index]
            space = Space.VMEM if kind in (OperandKind.VIEW_R, OperandKind.VIEW_W) else Space.WMEM
            region = self.p.regions[view.region]
            if region.space != space:
                self.fail(
                    f"{where}: view {index} is in {Space(region.space).name.lower()}, expected {space.name.lower()}"
                )
            self.view_in_region(f"{where}: view {index}", view, trip)
            return (view.nrows, view.ncols)
        if kind in (OperandKind.DMA_R, OperandKind.DMA_W):
            dma = self.p.dmas[index]
            self.dma_in_tensor(f"{where}: dma {index}", dma, trip)
            return (dma.nrows, dma.ncols)
        return None

    def check_use(
        self, where: str, op: Opcode, ins: Instruction, shapes: list[tuple[int, int] | None]
    ) -> None:
        """Opcode-specific rules: shapes agree, DRAM descriptors fit their use."""
        a, b, c, d = shapes
        rule = _SHAPE_RULES.get(op)
        if rule is not None and not rule(a, b, c, d):
            got = ", ".join(f"{s[0]}x{s[1]}" for s in shapes if s is not None)
            self.fail(f"{where}: operand shapes {got} do not fit ({_SHAPE_TEXT[op]})")
        if op in (Opcode.STORE,):
            self.check_dma_use(where, self.p.dmas[ins.a], writes=True, lens_ok=True)
        elif op in (Opcode.LOAD,):
            self.check_dma_use(where, self.p.dmas[ins.b], writes=False, lens_ok=True)
        elif op == Opcode.LOADW:
            self.check_dma_use(where, self.p.dmas[ins.b], writes=False, lens_ok=False, floats=True)
        elif op == Opcode.GATHER:
            self.check_dma_use(where, self.p.dmas[ins.c], writes=False, lens_ok=False, floats=True)

    def check_dma_use(
        self, where: str, d: DmaDesc, *, writes: bool, lens_ok: bool, floats: bool = False
    ) -> None:
        tensor = self.p.tensors[d.tensor]
        if not lens_ok and d.lens >= 0:
            self.fail(f"{where}: this instruction takes no sequence lengths (dma lens must be -1)")
        if (writes or floats) and tensor.dtype not in FLOAT_DTYPES:
            self.fail(f"{where}: tensor '{tensor.name}' is {tensor.dtype}, expected a float tensor")
        if writes and tensor.kind not in (TensorKind.OUTPUT, TensorKind.SCRATCH):
            self.fail(f"{where}: writes tensor '{tensor.name}', which is not an output or scratch tensor")


# The `Program` table that each kind of operand indexes.
OPERAND_TABLES: dict[OperandKind, str] = {
    OperandKind.VIEW_W: "views",
    OperandKind.VIEW_R: "views",
    OperandKind.WVIEW_W: "views",
    OperandKind.WVIEW_R: "views",
    OperandKind.DMA_R: "dmas",
    OperandKind.DMA_W: "dmas",
    OperandKind.COPY: "copies",
    OperandKind.PARAM: "params",
}

_Shape = tuple[int, int] | None


def _fits(dst: _Shape, src: _Shape) -> bool:
    """src equals dst, or is one row broadcast over dst's rows."""
    assert dst is not None and src is not None
    return src[1] == dst[1] and src[0] in (dst[0], 1)


def _column(dst: _Shape, src: _Shape) -> bool:
    """src is one column with dst's rows (or one row)."""
    assert dst is not None and src is not None
    return src[1] == 1 and src[0] in (dst[0], 1)


_ShapeRule = Callable[[_Shape, _Shape, _Shape, _Shape], bool]
_SHAPE_RULES: dict[Opcode, _ShapeRule] = {
    Opcode.LOAD: lambda a, b, c, d: a == b,
    Opcode.STORE: lambda a, b, c, d: a == b,
    Opcode.LOADW: lambda a, b, c, d: a == b,
    Opcode.MOVE: lambda a, b, c, d: _fits(a, b),
    Opcode.MVM: lambda a, b, c, d: (
        a is not None and b is not None and c is not None and a[0] == b[0] and c == (a[1], b[1])
    ),
    Opcode.ACT: lambda a, b, c, d: _fits(a, b),
    Opcode.SOFTMAX: lambda a, b, c, d: a == b,
    Opcode.LAYERNORM: lambda a, b, c, d: a == b,
    Opcode.VADD: lambda a, b, c, d: _fits(a, b) and _fits(a, c),
    Opcode.VSUB: lambda a, b, c, d: _fits(a, b) and _fits(a, c),
    Opcode.VMUL: lambda a, b, c, d: _fits(a, b) and _fits(a, c),
    Opcode.VFMA: lambda a, b, c, d: _fits(a, b) and _fits(a, c) and _fits(a, d),
    Opcode.VONEMINUS: lambda a, b, c, d: _fits(a, b),
    Opcode.VSEL: lambda a, b, c, d: _column(a, b) and _fits(a, c) and _fits(a, d),
    Opcode.SEQMASK: lambda a, b, c, d: a is not None and a[1] == 1 and _column(a, b),
    Opcode.GATHER: lambda a, b, c, d: (
        a is not None and b is not None and c is not None and b == (a[0], 1) and c[1] == a[1]
    ),
}
_SHAPE_TEXT: dict[Opcode, str] = {
    Opcode.LOAD: "view and dma windows must have the same shape",
    Opcode.STORE: "dma and view windows must have the same shape",
    Opcode.LOADW: "weight view and dma windows must have the same shape",
    Opcode.MOVE: "b must equal a or be one row of a's width",
    Opcode.MVM: "a [n, M], b [n, K], c [M, K]",
    Opcode.ACT: "b must equal a or be one row of a's width",
    Opcode.SOFTMAX: "a and b must have the same shape",
    Opcode.LAYERNORM: "a and b must have the same shape",
    Opcode.VADD: "sources must equal a or be one row of a's width",
    Opcode.VSUB: "sources must equal a or be one row of a's width",
    Opcode.VMUL: "sources must equal a or be one row of a's width",
    Opcode.VFMA: "sources must equal a or be one row of a's width",
    Opcode.VONEMINUS: "b must equal a or be one row of a's width",
    Opcode.VSEL: "b one column of a's rows, c and d like a",
    Opcode.SEQMASK: "a [n, 1], b [n, 1]",
    Opcode.GATHER: "a [n, E], b [n, 1], table window [V, E]",
}
