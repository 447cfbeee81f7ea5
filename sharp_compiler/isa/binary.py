"""The `.sbin` container: `encode` a `Program`, `decode` and validate one, print a listing.

Layout (little endian)::

    header      32 bytes   HEADER_STRUCT: magic "SHRP", version 1.0, flags, config fingerprint,
                           section count
    table       24 bytes per section, SECTION_STRUCT: kind, reserved (0), offset, size
    sections    one of each `SectionKind`, 8-byte aligned (CONST 64-byte aligned), zero padding
    checksum    32-byte BLAKE2b over every byte before it

`decode` trusts nothing: a corrupt or hostile file raises `SharpBinaryError`
with a one-line message that starts with the file's name, and a file that
decodes is safe to simulate (every index, window, loop and shape is checked
against the tables and the embedded hardware configuration). `encode` runs the
same checks, so the emitter can never write a file that `decode` rejects.
The format is documented in ``docs/isa.md`` (generated from this module and
`spec`).
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from sharp_compiler.hw.config import PRECISIONS, HwConfig, config_from_dict
from sharp_compiler.isa import spec
from sharp_compiler.isa.program import (
    DTYPES,
    ActParam,
    CopyDesc,
    DebugEntry,
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

MAGIC = b"SHRP"
VERSION = (1, 0)
HEADER_STRUCT = struct.Struct("<4sHHI16sI")
SECTION_STRUCT = struct.Struct("<IIQQ")
CHECKSUM_BYTES = 32
SECTION_ALIGN = 8
CONST_ALIGN = 64
FLAG_FP32 = 1  # header flags bit 0: datapath precision (0 = fp16, 1 = fp32)

DTYPE_SIZES: dict[str, int] = {"float32": 4, "float16": 2, "int32": 4, "int64": 8}
FLOAT_DTYPES = ("float32", "float16")
INT_DTYPES = ("int32", "int64")

_U16, _U32 = 0xFFFF, 0xFFFFFFFF
_I32_MIN, _I32_MAX = -(2**31), 2**31 - 1


class SharpBinaryError(ValueError):
    """A binary (or a `Program`) that cannot be used; the message is one line naming its origin."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split("\n")))


class SectionKind(enum.IntEnum):
    """Sections of a binary, in file order."""

    CONFIG = 1
    CODE = 2
    VIEWS = 3
    DMAS = 4
    COPIES = 5
    PARAMS = 6
    TENSORS = 7
    REGIONS = 8
    LAYERS = 9
    DEBUG = 10
    CONST = 11


@dataclass(frozen=True)
class TableLayout:
    """A packed table: one little-endian struct per row, and what each field means."""

    struct: struct.Struct
    fields: tuple[tuple[str, str], ...]


VIEW_LAYOUT = TableLayout(
    struct.Struct("<IIiIII"),
    (
        ("region", "u32 index into REGIONS"),
        ("row0", "u32 first row at loop index 0"),
        ("row_step", "i32 rows advanced per iteration of the innermost loop"),
        ("nrows", "u32 rows in the window (>= 1)"),
        ("col0", "u32 first column"),
        ("ncols", "u32 columns in the window (>= 1)"),
    ),
)
DMA_LAYOUT = TableLayout(
    struct.Struct("<IiIiiII"),
    (
        ("tensor", "u32 index into TENSORS"),
        ("lens", "i32 tensor of per-row sequence lengths, or -1"),
        ("base", "u32 element offset"),
        ("row_stride", "i32 elements between window rows"),
        ("step_stride", "i32 elements between time steps"),
        ("nrows", "u32 rows in the window (>= 1)"),
        ("ncols", "u32 contiguous elements per row (>= 1)"),
    ),
)
COPY_LAYOUT = TableLayout(
    struct.Struct("<IIII4I4i4i"),
    (
        ("src", "u32 source tensor"),
        ("dst", "u32 destination tensor"),
        ("src_base", "u32 source element offset"),
        ("dst_base", "u32 destination element offset"),
        ("sizes", "4 x u32 loop extents, outermost first"),
        ("src_strides", "4 x i32 source strides in elements"),
        ("dst_strides", "4 x i32 destination strides in elements"),
    ),
)
PARAM_LAYOUT = TableLayout(
    struct.Struct("<BB6xddd"),
    (
        ("fn", "u8 ActFn"),
        ("has_clip", "u8 1 when clip applies, else 0"),
        ("alpha", "f64 (6 bytes of padding before it)"),
        ("beta", "f64"),
        ("clip", "f64 clip threshold, 0.0 when has_clip is 0"),
    ),
)
HEADER_FIELDS = (
    ("magic", "4 bytes, b'SHRP'"),
    ("version_major", "u16, 1"),
    ("version_minor", "u16, 0"),
    ("flags", "u32, bit 0: precision (0 fp16, 1 fp32); other bits 0"),
    ("fingerprint", "16 bytes, HwConfig.fingerprint() of the CONFIG section"),
    ("section_count", "u32, number of section table entries"),
)
SECTION_FIELDS = (
    ("kind", "u32 SectionKind"),
    ("reserved", "u32, 0"),
    ("offset", "u64 byte offset from the start of the file"),
    ("size", "u64 byte size"),
)
JSON_SCHEMAS: dict[SectionKind, dict[str, str]] = {
    SectionKind.TENSORS: {
        "name": "string (ONNX name for inputs and outputs)",
        "kind": "input | output | const | scratch",
        "dtype": " | ".join(DTYPES),
        "shape": "list of ints >= 0",
        "data_offset": "int, CONST only: 64-byte aligned offset in the CONST section",
        "data_size": "int, CONST only: bytes (= elements x dtype size)",
    },
    SectionKind.REGIONS: {
        "name": "string",
        "space": "vmem | wmem",
        "rows": "int >= 1",
        "cols": "int >= 1",
        "base": "int, word address in its space",
    },
    SectionKind.LAYERS: {
        "name": "string",
        "onnx_node": "string",
        "kind": "string",
        "pc_begin": "int",
        "pc_end": "int (exclusive)",
        "tile": "[rows, cols]",
        "macs": "int",
    },
    SectionKind.DEBUG: {"pc_begin": "int", "pc_end": "int (exclusive)", "onnx_node": "string"},
}

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


def _fail(origin: str, message: str) -> NoReturn:
    raise SharpBinaryError(f"{origin}: {message}")


# =============================================================================
# encode
# =============================================================================


def encode(program: Program, *, validate: bool = True) -> bytes:
    """Serialise a program; deterministic (same `Program` -> same bytes).

    The program is validated first exactly as `decode` would, so an invalid
    program raises `SharpBinaryError` (origin ``<program>``) instead of being
    written. `validate=False` is for tests that need a malformed file.
    """
    origin = "<program>"
    if validate:
        cfg: HwConfig | None = _parse_config(program.config_json, origin)
        _check_program(program, cfg, origin)
    else:
        cfg = _try_config(program.config_json)
    config_text = cfg.canonical_json() if cfg is not None else program.config_json
    fingerprint = cfg.fingerprint() if cfg is not None else _digest16(config_text)
    try:
        sections = {
            SectionKind.CONFIG: config_text.encode(),
            SectionKind.CODE: b"".join(_pack_instruction(ins) for ins in program.instructions),
            SectionKind.VIEWS: b"".join(_pack_view(v) for v in program.views),
            SectionKind.DMAS: b"".join(_pack_dma(d) for d in program.dmas),
            SectionKind.COPIES: b"".join(_pack_copy(c) for c in program.copies),
            SectionKind.PARAMS: b"".join(_pack_param(p) for p in program.params),
            SectionKind.TENSORS: _canonical(_tensor_records(program.tensors)),
            SectionKind.REGIONS: _canonical(_region_records(program.regions)),
            SectionKind.LAYERS: _canonical(_layer_records(program.layers)),
            SectionKind.DEBUG: _canonical(_debug_records(program.debug)),
            SectionKind.CONST: program.constants
            if isinstance(program.constants, bytes)
            else bytes(program.constants),
        }
    except (struct.error, TypeError, ValueError, KeyError, AttributeError) as err:
        _fail(origin, f"cannot encode: {err}")
    flags = FLAG_FP32 if program.precision == "fp32" else 0
    return pack_sections(sections, flags=flags, fingerprint=fingerprint)


def pack_sections(
    sections: dict[SectionKind, bytes] | Sequence[tuple[int, bytes]],
    *,
    flags: int,
    fingerprint: bytes,
    version: tuple[int, int] = VERSION,
) -> bytes:
    """The container writer: header, section table, aligned sections, checksum.

    Low level (no validation of the section contents); `encode` uses it, and
    tests use it to build malformed files with a valid checksum.
    """
    items = list(sections.items()) if isinstance(sections, dict) else list(sections)
    table_end = HEADER_STRUCT.size + SECTION_STRUCT.size * len(items)
    offset = table_end
    placed: list[tuple[int, int, bytes]] = []
    for kind, payload in items:
        align = CONST_ALIGN if kind == SectionKind.CONST else SECTION_ALIGN
        offset = _align(offset, align)
        placed.append((int(kind), offset, payload))
        offset += len(payload)
    pieces: list[bytes | memoryview] = [
        HEADER_STRUCT.pack(MAGIC, version[0], version[1], flags, fingerprint, len(items)),
        *(SECTION_STRUCT.pack(kind, 0, start, len(payload)) for kind, start, payload in placed),
    ]
    position = table_end
    for _kind, start, payload in placed:
        pieces.append(bytes(start - position))
        pieces.append(payload)
        position = start + len(payload)
    digest = hashlib.blake2b(digest_size=CHECKSUM_BYTES)
    for piece in pieces:
        digest.update(piece)
    pieces.append(digest.digest())
    return b"".join(pieces)


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def _digest16(text: str) -> bytes:
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def _pack_instruction(ins: Instruction) -> bytes:
    tokens = (ins.pop & 0xF) | ((ins.push & 0xF) << 4)
    return spec.INSTRUCTION_STRUCT.pack(
        int(ins.opcode), tokens, ins.flags, ins.a, ins.b, ins.c, ins.d, ins.imm
    )


def _pack_view(v: View) -> bytes:
    return VIEW_LAYOUT.struct.pack(v.region, v.row0, v.row_step, v.nrows, v.col0, v.ncols)


def _pack_dma(d: DmaDesc) -> bytes:
    return DMA_LAYOUT.struct.pack(d.tensor, d.lens, d.base, d.row_stride, d.step_stride, d.nrows, d.ncols)


def _pack_copy(c: CopyDesc) -> bytes:
    return COPY_LAYOUT.struct.pack(
        c.src, c.dst, c.src_base, c.dst_base, *c.sizes, *c.src_strides, *c.dst_strides
    )


def _pack_param(p: ActParam) -> bytes:
    has_clip = p.clip is not None
    clip = float(p.clip) if p.clip is not None else 0.0
    return PARAM_LAYOUT.struct.pack(int(p.fn), int(has_clip), float(p.alpha), float(p.beta), clip)


def _tensor_records(tensors: list[Tensor]) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "kind": TensorKind(t.kind).name.lower(),
            "dtype": t.dtype,
            "shape": list(t.shape),
            "data_offset": t.data_offset,
            "data_size": t.data_size,
        }
        for t in tensors
    ]


def _region_records(regions: list[Region]) -> list[dict[str, Any]]:
    return [
        {"name": r.name, "space": Space(r.space).name.lower(), "rows": r.rows, "cols": r.cols, "base": r.base}
        for r in regions
    ]


def _layer_records(layers: list[LayerInfo]) -> list[dict[str, Any]]:
    return [
        {
            "name": x.name,
            "onnx_node": x.onnx_node,
            "kind": x.kind,
            "pc_begin": x.pc_begin,
            "pc_end": x.pc_end,
            "tile": list(x.tile),
            "macs": x.macs,
        }
        for x in layers
    ]


def _debug_records(debug: list[DebugEntry]) -> list[dict[str, Any]]:
    return [{"pc_begin": e.pc_begin, "pc_end": e.pc_end, "onnx_node": e.onnx_node} for e in debug]


# =============================================================================
# decode
# =============================================================================


def decode(data: bytes | bytearray | memoryview, origin: str = "<binary>") -> Program:
    """Parse and validate a binary; raises `SharpBinaryError` with a one-line message."""
    data = bytes(data)
    minimum = HEADER_STRUCT.size + CHECKSUM_BYTES
    if len(data) < minimum:
        _fail(origin, f"truncated: {len(data)} bytes, a SHARP binary has at least {minimum}")
    magic, major, minor, flags, fingerprint, count = HEADER_STRUCT.unpack_from(data, 0)
    if magic != MAGIC:
        _fail(origin, f"not a SHARP binary (magic {magic!r}, expected {MAGIC!r})")
    body = data[:-CHECKSUM_BYTES]
    if hashlib.blake2b(body, digest_size=CHECKSUM_BYTES).digest() != data[-CHECKSUM_BYTES:]:
        if major != VERSION[0]:
            _fail(origin, f"unsupported format version {major}.{minor} (this reader reads {VERSION[0]}.x)")
        _fail(origin, "checksum mismatch (file is corrupt or truncated)")
    if (major, minor) != VERSION:
        _fail(
            origin,
            f"unsupported format version {major}.{minor} (this reader reads {VERSION[0]}.{VERSION[1]})",
        )
    if flags & ~FLAG_FP32:
        _fail(origin, f"unknown header flags 0x{flags:x}")
    sections = _read_section_table(body, count, origin)
    precision = "fp32" if flags & FLAG_FP32 else "fp16"

    cfg = _parse_config(sections[SectionKind.CONFIG], origin, canonical=True)
    if cfg.fingerprint() != fingerprint:
        _fail(origin, "config fingerprint in the header does not match the embedded config")
    program = Program(
        config_json=cfg.canonical_json(),
        precision=precision,
        instructions=_decode_code(sections[SectionKind.CODE], origin),
        views=[View(*row) for row in _rows(sections[SectionKind.VIEWS], VIEW_LAYOUT, "VIEWS", origin)],
        dmas=[DmaDesc(*row) for row in _rows(sections[SectionKind.DMAS], DMA_LAYOUT, "DMAS", origin)],
        copies=[_copy_from_row(row) for row in _rows(sections[SectionKind.COPIES], COPY_LAYOUT, "COPIES", origin)],
        params=[_param_from_row(row, i, origin) for i, row in enumerate(
            _rows(sections[SectionKind.PARAMS], PARAM_LAYOUT, "PARAMS", origin))],
        tensors=_decode_tensors(sections[SectionKind.TENSORS], origin),
        regions=_decode_regions(sections[SectionKind.REGIONS], origin),
        layers=_decode_layers(sections[SectionKind.LAYERS], origin),
        debug=_decode_debug(sections[SectionKind.DEBUG], origin),
        constants=sections[SectionKind.CONST],
    )  # fmt: skip
    _check_program(program, cfg, origin)
    return program


def _read_section_table(body: bytes, count: int, origin: str) -> dict[SectionKind, bytes]:
    table_end = HEADER_STRUCT.size + SECTION_STRUCT.size * count
    if table_end > len(body):
        _fail(origin, f"section table of {count} entries does not fit in the file")
    spans: list[tuple[int, int, SectionKind]] = []
    for index in range(count):
        kind, reserved, offset, size = SECTION_STRUCT.unpack_from(
            body, HEADER_STRUCT.size + index * SECTION_STRUCT.size
        )
        if kind not in SectionKind._value2member_map_:
            _fail(origin, f"section table entry {index}: unknown section kind {kind}")
        section = SectionKind(kind)
        if reserved:
            _fail(origin, f"section {section.name}: reserved field is {reserved}, expected 0")
        if any(s[2] == section for s in spans):
            _fail(origin, f"section {section.name} appears twice")
        if offset < table_end or offset + size > len(body):
            _fail(origin, f"section {section.name} [{offset}, +{size}) lies outside the file body")
        if section == SectionKind.CONST and offset % CONST_ALIGN:
            _fail(origin, f"section CONST at offset {offset} is not {CONST_ALIGN}-byte aligned")
        spans.append((offset, offset + size, section))
    missing = [k.name for k in SectionKind if all(s[2] != k for s in spans)]
    if missing:
        _fail(origin, f"missing section(s) {', '.join(missing)}")
    spans.sort()
    for (_s0, end0, k0), (start1, _e1, k1) in zip(spans, spans[1:], strict=False):
        if start1 < end0:
            _fail(origin, f"sections {k0.name} and {k1.name} overlap")
    return {kind: body[start:end] for start, end, kind in spans}


def _parse_config(raw: bytes | str, origin: str, *, canonical: bool = False) -> HwConfig:
    """Load a config strictly; with `canonical`, the text must also be its canonical JSON."""
    where = f"{origin}: config section"
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        data = json.loads(text, parse_constant=_reject_constant)
        cfg = config_from_dict(data, where)
    except (ValueError, RecursionError, OverflowError, TypeError) as err:  # HwConfigError is a ValueError
        message = str(err)
        if not message.startswith(where):
            message = f"{where}: {message}"
        raise SharpBinaryError(message) from None
    for name, value in cfg.to_dict().items():
        if isinstance(value, float) and not math.isfinite(value):
            _fail(origin, f"config section: field {name} is not finite")
    if canonical and text != cfg.canonical_json():
        _fail(origin, "config section is not canonical JSON (sorted keys, no spaces)")
    return cfg


def _try_config(text: str) -> HwConfig | None:
    try:
        return _parse_config(text, "<program>")
    except SharpBinaryError:
        return None


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"non-finite number {name}")


def _decode_code(raw: bytes, origin: str) -> list[Instruction]:
    size = spec.INSTRUCTION_BYTES
    if len(raw) % size:
        _fail(origin, f"CODE section size {len(raw)} is not a multiple of {size}")
    code: list[Instruction] = []
    for pc, (op, tokens, flags, a, b, c, d, imm) in enumerate(spec.INSTRUCTION_STRUCT.iter_unpack(raw)):
        if op not in Opcode._value2member_map_:
            _fail(origin, f"pc {pc}: unknown opcode {op}")
        code.append(Instruction(Opcode(op), tokens & 0xF, tokens >> 4, flags, a, b, c, d, imm))
    return code


def _rows(raw: bytes, layout: TableLayout, name: str, origin: str) -> list[tuple[Any, ...]]:
    if len(raw) % layout.struct.size:
        _fail(origin, f"{name} section size {len(raw)} is not a multiple of {layout.struct.size}")
    return list(layout.struct.iter_unpack(raw))


def _copy_from_row(row: tuple[Any, ...]) -> CopyDesc:
    return CopyDesc(row[0], row[1], row[2], row[3], tuple(row[4:8]), tuple(row[8:12]), tuple(row[12:16]))  # type: ignore[arg-type]


def _param_from_row(row: tuple[Any, ...], index: int, origin: str) -> ActParam:
    fn, has_clip, alpha, beta, clip = row
    if fn not in ActFn._value2member_map_:
        _fail(origin, f"param {index}: unknown activation function {fn}")
    if has_clip not in (0, 1) or (not has_clip and clip != 0.0):
        _fail(origin, f"param {index}: malformed clip (has_clip {has_clip}, clip {clip!r})")
    return ActParam(ActFn(fn), alpha, beta, clip if has_clip else None)


_INT, _STR, _INTS = "int", "str", "ints"


def _json_records(raw: bytes, section: str, schema: dict[str, str], origin: str) -> list[dict[str, Any]]:
    """Parse a JSON section: a list of objects with exactly the schema's keys and types."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:
        _fail(origin, f"{section} section is not valid JSON ({str(err).splitlines()[0]})")
    if not isinstance(data, list):
        _fail(origin, f"{section} section must be a JSON list")
    for index, record in enumerate(data):
        where = f"{section} entry {index}"
        if not isinstance(record, dict) or set(record) != set(schema):
            _fail(origin, f"{where}: expected an object with keys {', '.join(sorted(schema))}")
        for key, kind in schema.items():
            if not _json_type_ok(record[key], kind):
                _fail(origin, f"{where}: field {key} must be {_TYPE_NAMES[kind]}")
    return data


_TYPE_NAMES = {_INT: "an integer", _STR: "a string", _INTS: "a list of integers"}


def _json_type_ok(value: Any, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)


def _enum_name(value: str, enum_type: type[enum.IntEnum], what: str, origin: str) -> Any:
    member = enum_type.__members__.get(value.upper()) if value == value.lower() else None
    if member is None:
        _fail(origin, f"unknown {what} {value!r}")
    return member


def _decode_tensors(raw: bytes, origin: str) -> list[Tensor]:
    schema = {
        "name": _STR,
        "kind": _STR,
        "dtype": _STR,
        "shape": _INTS,
        "data_offset": _INT,
        "data_size": _INT,
    }
    out = []
    for r in _json_records(raw, "TENSORS", schema, origin):
        kind = _enum_name(r["kind"], TensorKind, "tensor kind", origin)
        out.append(Tensor(r["name"], kind, r["dtype"], tuple(r["shape"]), r["data_offset"], r["data_size"]))
    return out


def _decode_regions(raw: bytes, origin: str) -> list[Region]:
    schema = {"name": _STR, "space": _STR, "rows": _INT, "cols": _INT, "base": _INT}
    out = []
    for r in _json_records(raw, "REGIONS", schema, origin):
        space = _enum_name(r["space"], Space, "memory space", origin)
        out.append(Region(r["name"], space, r["rows"], r["cols"], r["base"]))
    return out


def _decode_layers(raw: bytes, origin: str) -> list[LayerInfo]:
    schema = {
        "name": _STR,
        "onnx_node": _STR,
        "kind": _STR,
        "pc_begin": _INT,
        "pc_end": _INT,
        "tile": _INTS,
        "macs": _INT,
    }
    out = []
    for i, r in enumerate(_json_records(raw, "LAYERS", schema, origin)):
        if len(r["tile"]) != 2:
            _fail(origin, f"LAYERS entry {i}: tile must be [rows, cols]")
        tile = (r["tile"][0], r["tile"][1])
        out.append(
            LayerInfo(r["name"], r["onnx_node"], r["kind"], r["pc_begin"], r["pc_end"], tile, r["macs"])
        )
    return out


def _decode_debug(raw: bytes, origin: str) -> list[DebugEntry]:
    schema = {"pc_begin": _INT, "pc_end": _INT, "onnx_node": _STR}
    return [
        DebugEntry(r["pc_begin"], r["pc_end"], r["onnx_node"])
        for r in _json_records(raw, "DEBUG", schema, origin)
    ]


# =============================================================================
# validation (shared by encode, decode and the simulator)
# =============================================================================


def validate(program: Program, origin: str = "<program>") -> CodeInfo:
    """Check a program as `decode` does; returns what the simulator needs to know about its code."""
    cfg = _parse_config(program.config_json, origin)
    return _check_program(program, cfg, origin)


def _check_program(program: Program, cfg: HwConfig, origin: str) -> CodeInfo:
    checker = _Checker(program, cfg, origin)
    return checker.run()


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
        _fail(self.origin, message)

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
        if not isinstance(p.constants, (bytes, bytearray)):
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
            ("sizes", c.sizes, 0, _U32),
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
        if 0 in c.sizes:
            return
        for label, tensor, base, strides in (("source", src, c.src_base, c.src_strides),
                                             ("destination", dst, c.dst_base, c.dst_strides)):  # fmt: skip
            spans = [s * (n - 1) for s, n in zip(strides, c.sizes, strict=True)]
            lo = base + sum(min(0, x) for x in spans)
            hi = base + sum(max(0, x) for x in spans)
            if lo < 0 or hi >= tensor_numel(tensor):
                self.fail(f"{where}: {label} elements [{lo}, {hi}] leave tensor '{tensor.name}'")

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

    # --- code ---------------------------------------------------------------------
    def check_code(self) -> CodeInfo:
        code = self.p.instructions
        trip: list[int] = []
        depth: list[int] = []
        loop_end: dict[int, int] = {}
        stack: list[tuple[int, int]] = []  # (pc of LOOP, trip count)
        for pc, ins in enumerate(code):
            self.check_encoding(pc, ins)
            if ins.opcode == Opcode.ENDLOOP:
                if not stack:
                    self.fail(f"pc {pc}: endloop without a matching loop")
                loop_end[stack.pop()[0]] = pc
            trip.append(stack[-1][1] if stack else 1)
            depth.append(len(stack))
            if ins.opcode == Opcode.LOOP:
                if len(stack) == spec.MAX_LOOP_DEPTH:
                    self.fail(f"pc {pc}: loops nest deeper than {spec.MAX_LOOP_DEPTH}")
                stack.append((pc, ins.imm))
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
            tile = (imm >> 16, imm & 0xFFFF)
            if tile not in self.cfg.tile_shapes:
                self.fail(f"{where}: tile {tile[0]}x{tile[1]} is not a tile shape of {self.cfg.name}")
            if not self.cfg.reconfigurable and tile != self.cfg.default_tile:
                self.fail(f"{where}: {self.cfg.name} is not reconfigurable (tile {tile[0]}x{tile[1]})")
            return
        if op == Opcode.VFILL:
            if not math.isfinite(f32_from_bits(imm)):
                self.fail(f"{where}: fill value is not a finite float32")
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
        table = _OPERAND_TABLES[kind]
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


_OPERAND_TABLES: dict[OperandKind, str] = {
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
    Opcode.VADD: "sources must equal a or be one row of a's width",
    Opcode.VSUB: "sources must equal a or be one row of a's width",
    Opcode.VMUL: "sources must equal a or be one row of a's width",
    Opcode.VFMA: "sources must equal a or be one row of a's width",
    Opcode.VONEMINUS: "b must equal a or be one row of a's width",
    Opcode.VSEL: "b one column of a's rows, c and d like a",
    Opcode.SEQMASK: "a [n, 1], b [n, 1]",
    Opcode.GATHER: "a [n, E], b [n, 1], table window [V, E]",
}


# =============================================================================
# listing
# =============================================================================


def format_listing(program: Program) -> str:
    """A deterministic, human-readable assembly listing: tables, then one line per instruction."""
    return _Lister(program).render()


def format_f32(value: float) -> str:
    """Shortest decimal that reads back as the same float32."""
    target = struct.pack("<f", value)
    for digits in range(1, 10):
        text = f"{value:.{digits}g}"
        if struct.pack("<f", float(text)) == target:
            return text if any(ch in text for ch in ".eni") else text + ".0"
    return repr(value)


def _tokens_text(mask: int) -> str:
    return ",".join(u.name.lower() for u in spec.TOKEN_UNITS if mask & (1 << u))


class _Lister:
    def __init__(self, program: Program) -> None:
        self.p = program

    def render(self) -> str:
        lines = self.header() + self.tables() + [""] + self.code()
        return "\n".join(lines) + "\n"

    def header(self) -> list[str]:
        p = self.p
        name, fingerprint = "?", "?"
        cfg = _try_config(p.config_json)
        if cfg is not None:
            name, fingerprint = cfg.name, cfg.fingerprint().hex()
        return [
            f"; SHARP binary {VERSION[0]}.{VERSION[1]}, precision {p.precision}",
            f"; config {name}, fingerprint {fingerprint}",
            f"; {len(p.instructions)} instructions, {len(p.constants)} constant bytes",
        ]

    def tables(self) -> list[str]:
        p = self.p
        out = ["; tensors:"]
        for i, t in enumerate(p.tensors):
            kind = TensorKind(t.kind).name.lower() if t.kind in TensorKind._value2member_map_ else "?"
            data = f"  const[{t.data_offset}:+{t.data_size}]" if t.kind == TensorKind.CONST else ""
            out.append(f";   {i:>3}  ${t.name}  {kind} {t.dtype}{list(t.shape)}{data}")
        out.append("; regions:")
        for i, r in enumerate(p.regions):
            out.append(
                f";   {i:>3}  {self.region_name(i)}  {Space(r.space).name.lower()} [{r.rows} x {r.cols}] base {r.base}"
            )
        out.append("; params:")
        for i in range(len(p.params)):
            out.append(f";   {i:>3}  {self.param_text(i)}")
        out.append("; layers:")
        for x in p.layers:
            out.append(
                f';   {x.name}  {x.kind}  node "{x.onnx_node}"  pc [{x.pc_begin}, {x.pc_end})'
                f"  tile {x.tile[0]}x{x.tile[1]}  macs {x.macs}"
            )
        out.append("; debug:")
        for e in p.debug:
            out.append(f';   pc [{e.pc_begin}, {e.pc_end})  "{e.onnx_node}"')
        return out

    def code(self) -> list[str]:
        out: list[str] = []
        starts: dict[int, list[str]] = {}
        for x in self.p.layers:
            starts.setdefault(x.pc_begin, []).append(x.name)
        depth = 0
        for pc, ins in enumerate(self.p.instructions):
            for name in starts.get(pc, []):
                out.append(f"; layer {name}")
            if ins.opcode == Opcode.ENDLOOP:
                depth = max(0, depth - 1)
            out.append(f"{pc:>6}: {'  ' * depth}{self.instruction(ins)}")
            if ins.opcode == Opcode.LOOP:
                depth += 1
        return out

    def instruction(self, ins: Instruction) -> str:
        if ins.opcode not in Opcode._value2member_map_:
            return f"<unknown opcode {ins.opcode}>"
        op = Opcode(ins.opcode)
        parts = [self.operand_text(op, ins)]
        flag_words = []
        if ins.flags & Flag.ACCUMULATE and op == Opcode.MVM:
            flag_words.append("acc")
        if ins.flags & Flag.REVERSE and op in (Opcode.LOAD, Opcode.STORE):
            flag_words.append("rev")
        if ins.flags & Flag.LOG and op == Opcode.SOFTMAX:
            flag_words.append("log")
        text = spec.OPS[op].mnemonic + (" " + parts[0] if parts[0] else "")
        if flag_words:
            text += " " + " ".join(flag_words)
        tokens = []
        if ins.pop:
            tokens.append(f"pop({_tokens_text(ins.pop)})")
        if ins.push:
            tokens.append(f"push({_tokens_text(ins.push)})")
        if tokens:
            text += "  " + " ".join(tokens)
        return text

    def operand_text(self, op: Opcode, ins: Instruction) -> str:
        if op == Opcode.NOP:
            return spec.nop_unit(ins.flags).name.lower()
        if op == Opcode.LOOP:
            return str(ins.imm)
        if op == Opcode.CFGTILE:
            return f"{ins.imm >> 16}x{ins.imm & 0xFFFF}"
        reverse = bool(ins.flags & Flag.REVERSE)
        texts = []
        for slot, kind in zip("abcd", spec.OPS[op].operands, strict=True):
            if kind != OperandKind.NONE:
                texts.append(self.ref(kind, getattr(ins, slot), reverse))
        if op == Opcode.VFILL:
            texts.append(format_f32(f32_from_bits(ins.imm)))
        return ", ".join(texts)

    def ref(self, kind: OperandKind, index: int, reverse: bool) -> str:
        table = getattr(self.p, _OPERAND_TABLES[kind])
        if index >= len(table):
            return f"?{index}"
        if kind in (OperandKind.VIEW_R, OperandKind.VIEW_W, OperandKind.WVIEW_R, OperandKind.WVIEW_W):
            return self.view_text(table[index])
        if kind in (OperandKind.DMA_R, OperandKind.DMA_W):
            return self.dma_text(table[index], reverse)
        if kind == OperandKind.COPY:
            return self.copy_text(table[index])
        return self.param_text(index)

    def region_name(self, index: int) -> str:
        if index >= len(self.p.regions):
            return f"%?{index}"
        region = self.p.regions[index]
        return ("@" if region.space == Space.WMEM else "%") + region.name

    def tensor_name(self, index: int) -> str:
        return f"${self.p.tensors[index].name}" if 0 <= index < len(self.p.tensors) else f"$?{index}"

    def view_text(self, v: View) -> str:
        step = f" {v.row_step:+d}/iter" if v.row_step else ""
        return f"{self.region_name(v.region)}[{v.row0}:{v.row0 + v.nrows}{step}, {v.col0}:{v.col0 + v.ncols}]"

    def dma_text(self, d: DmaDesc, reverse: bool) -> str:
        terms = [str(d.base)]
        if d.row_stride:
            terms.append(f"{d.row_stride}*r")
        if d.step_stride:
            terms.append(f"{d.step_stride}*{'(L-1-i)' if reverse else 'i'}")
        lens = f", lens {self.tensor_name(d.lens)}" if d.lens >= 0 else ""
        return f"{self.tensor_name(d.tensor)}{{{' + '.join(terms)} : {d.nrows}x{d.ncols}{lens}}}"

    def copy_text(self, c: CopyDesc) -> str:
        def side(tensor: int, base: int, strides: tuple[int, ...]) -> str:
            return f"{self.tensor_name(tensor)}{{{base} + k.({','.join(map(str, strides))})}}"

        sizes = ",".join(map(str, c.sizes))
        return f"{side(c.dst, c.dst_base, c.dst_strides)} <- {side(c.src, c.src_base, c.src_strides)}, k < ({sizes})"

    def param_text(self, index: int) -> str:
        a = self.p.params[index]
        name = ActFn(a.fn).name.lower() if a.fn in ActFn._value2member_map_ else f"fn{a.fn}"
        args = (
            []
            if a.alpha == 0.0 and a.beta == 0.0
            else [f"alpha={float(a.alpha)!r}", f"beta={float(a.beta)!r}"]
        )
        text = name + (f"({', '.join(args)})" if args else "")
        if a.clip is not None:
            text += f" clip={float(a.clip)!r}"
        return text
