"""The .sbin container: round trip, determinism, every validation path, the listing."""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sharp_sim_builders import LstmCase, ProgramBuilder, config, lstm_program, reseal

from sharp_compiler.isa import binary, listing, spec
from sharp_compiler.isa.binary import SectionKind, SharpBinaryError, decode, encode
from sharp_compiler.isa.listing import format_listing
from sharp_compiler.isa.program import (
    ActParam,
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
from sharp_compiler.isa.spec import ActFn, Opcode, Unit, pack_tile

ORIGIN = "out.sbin"


def small_lstm() -> Program:
    return lstm_program(LstmCase(seq=3, batch=2, inputs=3, hidden=4))


def decode_error(data: bytes) -> str:
    with pytest.raises(SharpBinaryError) as info:
        decode(data, ORIGIN)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{ORIGIN}: ")
    return message


def section_span(data: bytes, kind: SectionKind) -> tuple[int, int]:
    count = binary.HEADER_STRUCT.unpack_from(data, 0)[5]
    for index in range(count):
        k, _r, offset, size = binary.SECTION_STRUCT.unpack_from(
            data, binary.HEADER_STRUCT.size + index * binary.SECTION_STRUCT.size
        )
        if k == kind:
            return offset, size
    raise AssertionError(kind)


# --- round trip and determinism -----------------------------------------------------------


def test_round_trip_and_determinism() -> None:
    program = small_lstm()
    data = encode(program)
    assert data == encode(small_lstm())
    again = decode(data, ORIGIN)
    assert again == program
    assert encode(again) == data
    assert data[:4] == b"SHRP"
    assert data[12:28] == config().fingerprint()


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1, max_size=8)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def programs(draw: st.DrawFn) -> Program:
    """Valid programs with random tables and a small fixed loop of token-only code."""
    pb = ProgramBuilder(precision=draw(st.sampled_from(["fp16", "fp32"])))
    for _ in range(draw(st.integers(1, 4))):
        space = draw(st.sampled_from(list(Space)))
        pb.region(draw(names), draw(st.integers(1, 6)), draw(st.integers(1, 6)), space)
    for _ in range(draw(st.integers(0, 6))):
        index = draw(st.integers(0, len(pb.p.regions) - 1))
        r = pb.p.regions[index]
        row0, col0 = draw(st.integers(0, r.rows - 1)), draw(st.integers(0, r.cols - 1))
        nrows, ncols = draw(st.integers(1, r.rows - row0)), draw(st.integers(1, r.cols - col0))
        pb.p.views.append(View(index, row0, draw(st.integers(-3, 3)), nrows, col0, ncols))
    for n in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from([k for k in TensorKind if k != TensorKind.OUTPUT])
        )  # outputs must be stored
        dtype = draw(st.sampled_from(["float32", "float16", "int32", "int64"]))
        shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
        data = np.arange(int(np.prod(shape))).reshape(shape) if kind == TensorKind.CONST else None
        pb.tensor(f"t{n}", kind, shape, dtype, data)
    for _ in range(draw(st.integers(0, 4))):
        tensor = draw(st.integers(0, len(pb.p.tensors) - 1))
        numel = int(np.prod(pb.p.tensors[tensor].shape))
        ncols = draw(st.integers(1, numel))
        nrows = draw(st.integers(1, numel // ncols))
        pb.dma(tensor, nrows, ncols, base=draw(st.integers(0, numel - nrows * ncols)))
    for _ in range(draw(st.integers(0, 4))):
        clip = draw(st.none() | st.floats(0, 1e6))
        pb.param(draw(st.sampled_from(list(ActFn))), draw(finite), draw(finite), clip)
    pb.loop(draw(st.integers(1, 1000)))
    pb.nop("dma", push="cell")
    pb.nop("cell", pop="dma")
    pb.endloop()
    for n in range(draw(st.integers(0, 3))):
        begin = draw(st.integers(0, 4))
        end = draw(st.integers(begin, 4))
        tile = draw(st.sampled_from(pb.cfg.tile_shapes))
        pb.p.layers.append(
            LayerInfo(f"layer{n}", draw(names), "lstm", begin, end, tile, draw(st.integers(0, 10**12)))
        )
        pb.p.debug.append(DebugEntry(begin, end, draw(names)))
    return pb.build()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_round_trip_of_random_tables(program: Program) -> None:
    data = encode(program)
    decoded = decode(data, ORIGIN)
    assert decoded == program
    assert encode(decoded) == data


# --- container errors --------------------------------------------------------------------


def test_flipped_byte_is_a_checksum_error() -> None:
    data = bytearray(encode(small_lstm()))
    data[len(data) // 2] ^= 0x40
    assert "checksum mismatch" in decode_error(bytes(data))


def test_truncated_files() -> None:
    data = encode(small_lstm())
    assert "checksum mismatch (file is corrupt or truncated)" in decode_error(data[:-100])
    assert "truncated" in decode_error(data[:10])


def test_bad_magic_and_version() -> None:
    data = encode(small_lstm())
    assert "not a SHARP binary" in decode_error(b"ELF!" + data[4:])
    minor = struct.unpack("<H", data[6:8])[0]
    assert f"unsupported format version 2.{minor}" in decode_error(data[:4] + struct.pack("<H", 2) + data[6:])
    assert "unsupported format version 1.7" in decode_error(
        reseal(data[:6] + struct.pack("<H", 7) + data[8:])
    )


def test_unknown_header_flags() -> None:
    data = encode(small_lstm())
    assert "unknown header flags" in decode_error(reseal(data[:8] + struct.pack("<I", 6) + data[12:]))


def test_fingerprint_mismatch() -> None:
    data = encode(small_lstm())
    bad = data[:12] + bytes(16) + data[28:]
    assert "fingerprint" in decode_error(reseal(bad))


def _sections(program: Program) -> dict[SectionKind, bytes]:
    data = encode(program)
    return {
        kind: data[offset : offset + size]
        for kind in SectionKind
        for offset, size in [section_span(data, kind)]
    }


def test_section_table_errors() -> None:
    program = small_lstm()
    fp = config().fingerprint()
    sections = _sections(program)
    missing = {k: v for k, v in sections.items() if k != SectionKind.DEBUG}
    assert "missing section(s) DEBUG" in decode_error(binary.pack_sections(missing, flags=1, fingerprint=fp))
    twice = [*sections.items(), (SectionKind.DEBUG, b"[]")]
    assert "appears twice" in decode_error(binary.pack_sections(twice, flags=1, fingerprint=fp))
    unknown = [*sections.items(), (99, b"")]
    assert "unknown section kind 99" in decode_error(binary.pack_sections(unknown, flags=1, fingerprint=fp))
    data = bytearray(binary.pack_sections(sections, flags=1, fingerprint=fp))
    entry = binary.HEADER_STRUCT.size + 2 * binary.SECTION_STRUCT.size  # the VIEWS entry
    code_offset = section_span(bytes(data), SectionKind.CODE)[0]
    struct.pack_into("<Q", data, entry + 8, code_offset)
    assert "overlap" in decode_error(reseal(bytes(data)))
    struct.pack_into("<Q", data, entry + 8, len(data))
    assert "outside the file" in decode_error(reseal(bytes(data)))
    count = bytearray(data)
    struct.pack_into("<I", count, 28, 10**6)
    assert "does not fit" in decode_error(reseal(bytes(count)))


def test_table_sizes_must_be_whole_entries() -> None:
    sections = _sections(small_lstm())
    sections[SectionKind.VIEWS] += b"\0"
    data = binary.pack_sections(sections, flags=1, fingerprint=config().fingerprint())
    assert "VIEWS section size" in decode_error(data)


def test_config_section_errors() -> None:
    sections = _sections(small_lstm())
    fp = config().fingerprint()
    sections[SectionKind.CONFIG] = b'{"name": 1}'
    assert "config section" in decode_error(binary.pack_sections(sections, flags=1, fingerprint=fp))
    pretty = config().canonical_json().replace(",", ", ").encode()
    sections[SectionKind.CONFIG] = pretty
    assert "not canonical" in decode_error(binary.pack_sections(sections, flags=1, fingerprint=fp))
    sections[SectionKind.CONFIG] = b"[" * 100000
    assert "config section" in decode_error(binary.pack_sections(sections, flags=1, fingerprint=fp))


def test_json_section_errors() -> None:
    sections = _sections(small_lstm())
    fp = config().fingerprint()
    for payload, expected in (
        (b"{", "not valid JSON"),
        (b"{}", "must be a JSON list"),
        (b'[{"name": "x"}]', "expected an object with keys"),
        (b"[" * 50000 + b"]" * 50000, "TENSORS section"),
    ):
        sections[SectionKind.TENSORS] = payload
        assert expected in decode_error(binary.pack_sections(sections, flags=1, fingerprint=fp))


def test_bad_opcode_with_valid_checksum() -> None:
    data = bytearray(encode(small_lstm()))
    offset, _size = section_span(bytes(data), SectionKind.CODE)
    data[offset + 5 * spec.INSTRUCTION_BYTES] = 99
    assert "pc 5: unknown opcode 99" in decode_error(reseal(bytes(data)))


# --- program errors (encode validates exactly as decode does) ------------------------------


def _replace_instruction(program: Program, pc: int, **changes: int) -> Program:
    program.instructions[pc] = dataclasses.replace(program.instructions[pc], **changes)
    return program


def _replace_table(table: str, index: int, **changes: object) -> Callable[[Program], Program]:
    def mutate(program: Program) -> Program:
        entries = getattr(program, table)
        entries[index] = dataclasses.replace(entries[index], **changes)
        return program

    return mutate


def _pc_of(program: Program, opcode: Opcode, nth: int = 0) -> int:
    return [pc for pc, ins in enumerate(program.instructions) if ins.opcode == opcode][nth]


def _mvm(program: Program) -> Instruction:
    return program.instructions[_pc_of(program, Opcode.MVM)]


CASES: list[tuple[str, Callable[[Program], Program], str]] = [
    ("own unit token", lambda p: _replace_instruction(p, _pc_of(p, Opcode.MVM), pop=1 << Unit.ARRAY),
     "names its own unit array"),
    ("token on loop", lambda p: _replace_instruction(p, _pc_of(p, Opcode.LOOP), push=1), "carry no tokens"),
    ("endloop without loop", lambda p: _replace_instruction(p, _pc_of(p, Opcode.LOOP), opcode=Opcode.NOP, imm=0),
     "endloop without a matching loop"),
    ("loop never closed", lambda p: _replace_instruction(p, _pc_of(p, Opcode.ENDLOOP), opcode=Opcode.NOP),
     "is never closed"),
    ("loop 0", lambda p: _replace_instruction(p, _pc_of(p, Opcode.LOOP), imm=0), "trip count must be >= 1"),
    ("undefined flag", lambda p: _replace_instruction(p, _pc_of(p, Opcode.VADD), flags=1), "are not defined"),
    ("unused operand", lambda p: _replace_instruction(p, _pc_of(p, Opcode.VADD), d=0), "unused operand"),
    ("imm on vadd", lambda p: _replace_instruction(p, _pc_of(p, Opcode.VADD), imm=3), "imm must be 0"),
    ("bad tile", lambda p: _replace_instruction(p, 0, imm=pack_tile(3, 5)), "tile 3x5 is not a tile shape"),
    ("nan fill", lambda p: _replace_instruction(p, _pc_of(p, Opcode.VFILL), imm=0x7FC00000), "not a finite"),
    ("view index out of range", lambda p: _replace_instruction(p, _pc_of(p, Opcode.VADD), b=500),
     "view 500 does not exist"),
    ("vmem view as weights", lambda p: _replace_instruction(p, _pc_of(p, Opcode.MVM), c=_mvm(p).b),
     "is in vmem, expected wmem"),
    ("view outside region", _replace_table("views", 2, nrows=5), "leaves region 'x'"),
    ("view leaves region in the loop", _replace_table("views", 2, row_step=1),
     "over the loop's 3 iterations leaves region 'x'"),
    ("dma leaves tensor in the loop", lambda p: _replace_table("dmas", _dma_of(p, "X"), step_stride=7)(p),
     "over the loop's 3 iterations leave tensor 'X'"),
    ("region beyond vmem", _replace_table("regions", 2, base=config().vector_buffer_words), "exceeds the"),
    ("region beyond wmem", _replace_table("regions", 0, rows=1 << 22), "of the weight buffer"),
    ("mvm shapes", lambda p: _replace_instruction(p, _pc_of(p, Opcode.MVM, 1), c=0), "a [n, M], b [n, K], c [M, K]"),
    ("store into input", lambda p: _replace_table("tensors", 1, kind=TensorKind.INPUT)(p),
     "not an output or scratch tensor"),
    ("const outside section", _replace_table("tensors", 4, data_offset=1 << 20), "lies outside the"),
    ("const size", _replace_table("tensors", 4, data_size=4), "data_size 4"),
    ("const misaligned", _replace_table("tensors", 5, data_offset=200), "not 64-byte aligned"),
    ("data on an input", _replace_table("tensors", 0, data_size=4), "only constants have data"),
    ("duplicate output", _replace_table("tensors", 2, name="Y"), "two model outputs are named 'Y'"),
    ("param clip", lambda p: _replace_table("params", 0, clip=-1.0)(p), "clip -1.0"),
    ("layer past the code", _replace_table("layers", 0, pc_end=10**4), "pc_end"),
    ("unprintable name", _replace_table("regions", 3, name="a\nb"), "printable"),
]  # fmt: skip


def _dma_of(program: Program, tensor: str) -> int:
    index = [t.name for t in program.tensors].index(tensor)
    return next(n for n, d in enumerate(program.dmas) if d.tensor == index)


@pytest.mark.parametrize(("mutate", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_programs(mutate: Callable[[Program], Program], expected: str) -> None:
    program = mutate(small_lstm())
    with pytest.raises(SharpBinaryError) as info:
        encode(program)
    assert expected in str(info.value) and str(info.value).startswith("<program>: ")
    assert expected in decode_error(encode(program, validate=False))


def test_deep_loops_are_rejected() -> None:
    pb = ProgramBuilder()
    for _ in range(spec.MAX_LOOP_DEPTH + 1):
        pb.loop(2)
    for _ in range(spec.MAX_LOOP_DEPTH + 1):
        pb.endloop()
    assert "nest deeper than 4" in decode_error(encode(pb.build(), validate=False))


def test_non_reconfigurable_config_keeps_its_tile() -> None:
    pb = ProgramBuilder(config("epur-like"))
    pb.cfgtile(1, 1024)
    encode(pb.build())
    pb.p.instructions.append(Instruction(Opcode.CFGTILE, imm=pack_tile(1, 512)))
    assert "not a tile shape" in decode_error(encode(pb.build(), validate=False))


def test_lens_must_be_an_int_input_or_constant() -> None:
    pb = ProgramBuilder()
    x = pb.tensor("X", TensorKind.INPUT, (3, 4))
    lens = pb.tensor("L", TensorKind.SCRATCH, (3,), "int32")
    pb.p.dmas.append(DmaDesc(x, lens, 0, 4, 0, 3, 4))
    assert "lens tensor 'L'" in decode_error(encode(pb.build(), validate=False))


def test_copy_between_dtypes_is_rejected() -> None:
    pb = ProgramBuilder()
    a = pb.tensor("A", TensorKind.INPUT, (4,))
    b = pb.tensor("B", TensorKind.OUTPUT, (4,), "float16")
    pb.copy(a, b, (1, 1, 1, 4), (0, 0, 0, 1), (0, 0, 0, 1))
    assert "copies float32 'A' into float16 'B'" in decode_error(encode(pb.build(), validate=False))


def test_copy_out_of_bounds_is_rejected() -> None:
    pb = ProgramBuilder()
    a = pb.tensor("A", TensorKind.INPUT, (4,))
    b = pb.tensor("B", TensorKind.OUTPUT, (4,))
    pb.copy(a, b, (1, 1, 2, 4), (0, 0, 4, 1), (0, 0, 0, 1))
    assert "source elements [0, 7] leave tensor 'A'" in decode_error(encode(pb.build(), validate=False))


def test_encode_reports_unpackable_values_in_one_line() -> None:
    program = small_lstm()
    program.views[0] = dataclasses.replace(program.views[0], row0=-1)
    with pytest.raises(SharpBinaryError, match="cannot encode"):
        encode(program, validate=False)


def test_encode_canonicalises_the_config() -> None:
    program = small_lstm()
    program.config_json = config().canonical_json().replace(",", ", ")
    assert decode(encode(program)).config_json == config().canonical_json()


# --- listing ------------------------------------------------------------------------------


def test_listing_is_symbolic_and_deterministic() -> None:
    program = small_lstm()
    text = format_listing(program)
    assert text == format_listing(decode(encode(program)))
    lines = text.splitlines()
    assert "; config sharp-4k, fingerprint " + config().fingerprint().hex() in lines
    assert "; layer lstm_0" in lines
    assert any(line.endswith(": loop 3") for line in lines)
    expected = [
        "mvm %gates[0:2, 0:16], %x[0:2, 0:3], @W[0:16, 0:3]  pop(dma,cell) push(dma)",
        "  mvm %gates[0:2, 0:16], %h[0:2, 0:4], @R[0:16, 0:4] acc  push(cell)",
        "  load %x[0:2, 0:3], $X{0 + 3*r + 6*i : 2x3}  pop(array) push(array)",
        "act %i[0:2, 0:4], %gates[0:2, 0:4], sigmoid  pop(cell)",
        "vfill %h[0:2, 0:4], 0.0  pop(dma)",
        "nop array  pop(dma) push(dma)",
        "cfgtile 32x32",
    ]
    for fragment in expected:
        assert any(fragment in line for line in lines), fragment


def test_listing_renders_params_steps_and_reverse() -> None:
    pb = ProgramBuilder()
    region = pb.region("seq", 4, 2)
    x = pb.tensor("X", TensorKind.INPUT, (4, 2))
    pb.loop(4)
    pb.emit(Opcode.LOAD, pb.view(region, rows=(3, 4), step=-1), pb.dma(x, 1, 2, step_stride=2), flags=2)
    pb.endloop()
    pb.param(ActFn.HARD_SIGMOID, 0.2, 0.5, 3.0)
    text = format_listing(pb.build())
    assert "load %seq[3:4 -1/iter, 0:2], $X{0 + 2*r + 2*(L-1-i) : 1x2} rev" in text
    assert "hard_sigmoid(alpha=0.2, beta=0.5) clip=3.0" in text


def test_f32_formatting_is_shortest() -> None:
    assert listing.format_f32(0.1) == "0.1"
    assert listing.format_f32(1.0) == "1.0"
    assert listing.format_f32(-2.5e-8) == "-2.5e-08"


def test_program_tables_survive_exotic_values() -> None:
    program = small_lstm()
    program.params.append(ActParam(ActFn.SCALED_TANH, 1e-300, -1e300, None))
    program.regions.append(Region("ünïcode", Space.VMEM, 1, 1, 0))
    program.tensors.append(Tensor("empty", TensorKind.SCRATCH, "float32", (0, 3)))
    assert decode(encode(program)) == program
