"""The `.sbin` container: `encode` a `Program`, `decode` one.

Layout (little endian)::

    header      32 bytes   HEADER_STRUCT: magic "SHRP", version 1.1, flags, config fingerprint,
                           section count
    table       24 bytes per section, SECTION_STRUCT: kind, reserved (0), offset, size
    sections    one of each `SectionKind`, 8-byte aligned (CONST 64-byte aligned), zero padding
    checksum    32-byte BLAKE2b over every byte before it

`decode` trusts nothing: a corrupt or hostile file raises `SharpBinaryError`
with a one-line message that starts with the file's name, and a file that
decodes is safe to simulate (`validate` checks every index, window, loop and
shape against the tables and the embedded hardware configuration). `encode`
runs the same checks, so the emitter can never write a file that `decode`
rejects. The format is documented in ``docs/isa.md`` (generated from this
module, `validate` and `spec`); `listing` prints a program as assembly.
"""

from __future__ import annotations

import enum
import hashlib
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sharp_compiler.hw.config import HwConfig
from sharp_compiler.isa import spec
from sharp_compiler.isa.program import (
    CONST_ALIGN,
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
from sharp_compiler.isa.spec import ActFn, Opcode
from sharp_compiler.isa.validate import SharpBinaryError as SharpBinaryError  # re-exported: raised here
from sharp_compiler.isa.validate import check_program, fail, parse_config, reject_constant, try_config
from sharp_compiler.isa.validate import validate as validate  # re-exported: the check `decode` runs

MAGIC = b"SHRP"
VERSION = (1, 1)
HEADER_STRUCT = struct.Struct("<4sHHI16sI")
SECTION_STRUCT = struct.Struct("<IIQQ")
CHECKSUM_BYTES = 32
SECTION_ALIGN = 8
FLAG_FP32 = 1  # header flags bit 0: datapath precision (0 = fp16, 1 = fp32)


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
        ("sizes", "4 x u32 loop extents (>= 1), outermost first"),
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
    ("version_minor", "u16, 1"),
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
        "directions": "int, 1 or 2: the ONNX node's directions",
    },
    SectionKind.DEBUG: {"pc_begin": "int", "pc_end": "int (exclusive)", "onnx_node": "string"},
}


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
        cfg: HwConfig | None = parse_config(program.config_json, origin)
        check_program(program, cfg, origin)
    else:
        cfg = try_config(program.config_json)
    config_text = cfg.canonical_json() if cfg is not None else program.config_json
    fingerprint = cfg.fingerprint() if cfg is not None else _digest16(config_text)
    sections = program_sections(program, config_text, origin)
    return pack_sections(sections, flags=_flags(program), fingerprint=fingerprint)


def _flags(program: Program) -> int:
    return FLAG_FP32 if program.precision == "fp32" else 0


def program_sections(program: Program, config_text: str, origin: str) -> dict[SectionKind, Any]:
    """Every section's canonical bytes, in file order."""
    try:
        return {
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
            SectionKind.CONST: program.constants  # a memoryview is not copied
            if isinstance(program.constants, (bytes, memoryview))
            else bytes(program.constants),
        }
    except (struct.error, TypeError, ValueError, KeyError, AttributeError) as err:
        fail(origin, f"cannot encode: {err}")


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
    head, placed = _layout(items, flags, fingerprint, version)
    pieces: list[bytes | memoryview] = [head]
    position = len(head)
    for _kind, start, payload in placed:
        pieces.append(bytes(start - position))
        pieces.append(payload)
        position = start + len(payload)
    digest = hashlib.blake2b(digest_size=CHECKSUM_BYTES)
    for piece in pieces:
        digest.update(piece)
    pieces.append(digest.digest())
    return b"".join(pieces)


def _layout(
    items: list[tuple[int, bytes]], flags: int, fingerprint: bytes, version: tuple[int, int]
) -> tuple[bytes, list[tuple[int, int, bytes]]]:
    """Header + section table bytes, and each section's (kind, offset, payload), aligned."""
    table_end = HEADER_STRUCT.size + SECTION_STRUCT.size * len(items)
    offset = table_end
    placed: list[tuple[int, int, bytes]] = []
    for kind, payload in items:
        align = CONST_ALIGN if kind == SectionKind.CONST else SECTION_ALIGN
        offset = _align(offset, align)
        placed.append((int(kind), offset, payload))
        offset += len(payload)
    head = b"".join([
        HEADER_STRUCT.pack(MAGIC, version[0], version[1], flags, fingerprint, len(items)),
        *(SECTION_STRUCT.pack(kind, 0, start, len(payload)) for kind, start, payload in placed),
    ])  # fmt: skip
    return head, placed


def check_canonical(data: bytes | memoryview, program: Program, origin: str) -> None:
    """Decoding then encoding must give `data` back byte for byte (docs/isa.md fixes the form).

    Compares the canonical header, table, padding and sections in place, without
    re-hashing or copying the constant data.
    """
    cfg_text = program.config_json
    sections = program_sections(program, cfg_text, origin)
    fingerprint = bytes(data[HEADER_STRUCT.size - 20 : HEADER_STRUCT.size - 4])
    head, placed = _layout(list(sections.items()), _flags(program), fingerprint, VERSION)
    if bytes(data[: len(head)]) != head:
        for kind, start, payload in placed:
            entry = SECTION_STRUCT.pack(kind, 0, start, len(payload))
            found = [
                e
                for e in SECTION_STRUCT.iter_unpack(bytes(data[HEADER_STRUCT.size : len(head)]))
                if e[0] == kind
            ]
            if not found or SECTION_STRUCT.pack(*found[0]) != entry:
                _k, _r, at, size = found[0] if found else (kind, 0, -1, -1)
                fail(
                    origin,
                    f"not in canonical form: section {SectionKind(kind).name} at [{at}, +{size}), the encoder "
                    f"writes [{start}, +{len(payload)}) (sections in kind order, minimal aligned, canonical JSON)",
                )
        fail(origin, "not in canonical form: the section table is not in kind order")
    position = len(head)
    view = memoryview(data)
    for kind, start, payload in placed:
        if any(view[position:start]):
            fail(origin, f"not in canonical form: non-zero padding before section {SectionKind(kind).name}")
        if kind != SectionKind.CONST and view[start : start + len(payload)] != payload:
            fail(
                origin, f"not in canonical form: section {SectionKind(kind).name} is not the encoder's bytes"
            )
        position = start + len(payload)
    if position + CHECKSUM_BYTES != len(data):
        extra = len(data) - CHECKSUM_BYTES - position
        fail(origin, f"not in canonical form: {extra} stray byte(s) before the checksum")


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
            "directions": x.directions,
        }
        for x in layers
    ]


def _debug_records(debug: list[DebugEntry]) -> list[dict[str, Any]]:
    return [{"pc_begin": e.pc_begin, "pc_end": e.pc_end, "onnx_node": e.onnx_node} for e in debug]


# =============================================================================
# decode
# =============================================================================


def decode(data: bytes | bytearray | memoryview, origin: str = "<binary>") -> Program:
    """Parse and validate a binary; raises `SharpBinaryError` with a one-line message.

    Zero-copy: `data` may be a memory-mapped file; the program's `constants` are then a
    read-only view of its CONST section (hashed once, never copied).
    """
    data = memoryview(data).cast("B")
    minimum = HEADER_STRUCT.size + CHECKSUM_BYTES
    if len(data) < minimum:
        fail(origin, f"truncated: {len(data)} bytes, a SHARP binary has at least {minimum}")
    magic, major, minor, flags, fingerprint, count = HEADER_STRUCT.unpack_from(data, 0)
    if magic != MAGIC:
        fail(origin, f"not a SHARP binary (magic {magic!r}, expected {MAGIC!r})")
    body = data[:-CHECKSUM_BYTES]  # a view: no copy
    if hashlib.blake2b(body, digest_size=CHECKSUM_BYTES).digest() != data[-CHECKSUM_BYTES:]:
        if major != VERSION[0]:
            fail(origin, f"unsupported format version {major}.{minor} (this reader reads {VERSION[0]}.x)")
        fail(origin, "checksum mismatch (file is corrupt or truncated)")
    if (major, minor) != VERSION:
        fail(
            origin,
            f"unsupported format version {major}.{minor} (this reader reads {VERSION[0]}.{VERSION[1]})",
        )
    if flags & ~FLAG_FP32:
        fail(origin, f"unknown header flags 0x{flags:x}")
    sections = _read_section_table(body, count, origin)
    precision = "fp32" if flags & FLAG_FP32 else "fp16"

    cfg = parse_config(sections[SectionKind.CONFIG], origin, canonical=True)
    if cfg.fingerprint() != fingerprint:
        fail(origin, "config fingerprint in the header does not match the embedded config")
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
    check_program(program, cfg, origin)
    check_canonical(data, program, origin)
    return program


def _read_section_table(body: memoryview, count: int, origin: str) -> dict[SectionKind, Any]:
    """Each section's bytes (CONST stays a view of `body`)."""
    table_end = HEADER_STRUCT.size + SECTION_STRUCT.size * count
    if table_end > len(body):
        fail(origin, f"section table of {count} entries does not fit in the file")
    spans: list[tuple[int, int, SectionKind]] = []
    for index in range(count):
        kind, reserved, offset, size = SECTION_STRUCT.unpack_from(
            body, HEADER_STRUCT.size + index * SECTION_STRUCT.size
        )
        if kind not in SectionKind._value2member_map_:
            fail(origin, f"section table entry {index}: unknown section kind {kind}")
        section = SectionKind(kind)
        if reserved:
            fail(origin, f"section {section.name}: reserved field is {reserved}, expected 0")
        if any(s[2] == section for s in spans):
            fail(origin, f"section {section.name} appears twice")
        if offset < table_end or offset + size > len(body):
            fail(origin, f"section {section.name} [{offset}, +{size}) lies outside the file body")
        if section == SectionKind.CONST and offset % CONST_ALIGN:
            fail(origin, f"section CONST at offset {offset} is not {CONST_ALIGN}-byte aligned")
        spans.append((offset, offset + size, section))
    missing = [k.name for k in SectionKind if all(s[2] != k for s in spans)]
    if missing:
        fail(origin, f"missing section(s) {', '.join(missing)}")
    spans.sort()
    for (_s0, end0, k0), (start1, _e1, k1) in zip(spans, spans[1:], strict=False):
        if start1 < end0:
            fail(origin, f"sections {k0.name} and {k1.name} overlap")
    return {
        kind: body[start:end] if kind == SectionKind.CONST else bytes(body[start:end])
        for start, end, kind in spans
    }


def _decode_code(raw: bytes, origin: str) -> list[Instruction]:
    size = spec.INSTRUCTION_BYTES
    if len(raw) % size:
        fail(origin, f"CODE section size {len(raw)} is not a multiple of {size}")
    code: list[Instruction] = []
    for pc, (op, tokens, flags, a, b, c, d, imm) in enumerate(spec.INSTRUCTION_STRUCT.iter_unpack(raw)):
        if op not in Opcode._value2member_map_:
            fail(origin, f"pc {pc}: unknown opcode {op}")
        code.append(Instruction(Opcode(op), tokens & 0xF, tokens >> 4, flags, a, b, c, d, imm))
    return code


def _rows(raw: bytes, layout: TableLayout, name: str, origin: str) -> list[tuple[Any, ...]]:
    if len(raw) % layout.struct.size:
        fail(origin, f"{name} section size {len(raw)} is not a multiple of {layout.struct.size}")
    return list(layout.struct.iter_unpack(raw))


def _copy_from_row(row: tuple[Any, ...]) -> CopyDesc:
    return CopyDesc(row[0], row[1], row[2], row[3], tuple(row[4:8]), tuple(row[8:12]), tuple(row[12:16]))  # type: ignore[arg-type]


def _param_from_row(row: tuple[Any, ...], index: int, origin: str) -> ActParam:
    fn, has_clip, alpha, beta, clip = row
    if fn not in ActFn._value2member_map_:
        fail(origin, f"param {index}: unknown activation function {fn}")
    if has_clip not in (0, 1) or (not has_clip and clip != 0.0):
        fail(origin, f"param {index}: malformed clip (has_clip {has_clip}, clip {clip!r})")
    return ActParam(ActFn(fn), alpha, beta, clip if has_clip else None)


_INT, _STR, _INTS = "int", "str", "ints"


def _json_records(raw: bytes, section: str, schema: dict[str, str], origin: str) -> list[dict[str, Any]]:
    """Parse a JSON section: a list of objects with exactly the schema's keys and types."""
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=reject_constant)
    except (ValueError, RecursionError) as err:
        fail(origin, f"{section} section is not valid JSON ({str(err).splitlines()[0]})")
    if not isinstance(data, list):
        fail(origin, f"{section} section must be a JSON list")
    for index, record in enumerate(data):
        where = f"{section} entry {index}"
        if not isinstance(record, dict) or set(record) != set(schema):
            fail(origin, f"{where}: expected an object with keys {', '.join(sorted(schema))}")
        for key, kind in schema.items():
            if not _json_type_ok(record[key], kind):
                fail(origin, f"{where}: field {key} must be {_TYPE_NAMES[kind]}")
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
        fail(origin, f"unknown {what} {value!r}")
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
        "directions": _INT,
    }
    out = []
    for i, r in enumerate(_json_records(raw, "LAYERS", schema, origin)):
        if len(r["tile"]) != 2:
            fail(origin, f"LAYERS entry {i}: tile must be [rows, cols]")
        if r["directions"] not in (1, 2):
            fail(origin, f"LAYERS entry {i}: directions must be 1 or 2, got {r['directions']}")
        tile = (r["tile"][0], r["tile"][1])
        out.append(
            LayerInfo(
                r["name"],
                r["onnx_node"],
                r["kind"],
                r["pc_begin"],
                r["pc_end"],
                tile,
                r["macs"],
                r["directions"],
            )  # fmt: skip
        )
    return out


def _decode_debug(raw: bytes, origin: str) -> list[DebugEntry]:
    schema = {"pc_begin": _INT, "pc_end": _INT, "onnx_node": _STR}
    return [
        DebugEntry(r["pc_begin"], r["pc_end"], r["onnx_node"])
        for r in _json_records(raw, "DEBUG", schema, origin)
    ]
