"""Hostile programs: whatever a binary holds, decode + simulate end in a one-line error or a result."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sharp_sim_builders import LstmCase, lstm_program, reseal

from sharp_compiler import sim
from sharp_compiler.isa import binary
from sharp_compiler.isa.program import Program
from sharp_compiler.sim.engine import dynamic_count, loop_tree

CASE = LstmCase(seq=3, batch=2, inputs=3, hidden=4)
TABLES = ("instructions", "views", "dmas", "tensors", "regions", "params", "layers")
VALUES = st.sampled_from([0, 1, 2, 3, 7, 9, 16, 0xFFFF, 2**31 - 1, -1, -2])


def inputs_for(program: Program) -> dict[str, np.ndarray]:
    return {t.name: np.ones(t.shape, t.dtype) for t in program.inputs()}


def run_untrusted(data: bytes, hazards: bool, timing: str) -> None:
    try:
        program = binary.decode(data, "fuzz.sbin")
    except binary.SharpBinaryError as err:
        assert "\n" not in str(err) and str(err).startswith("fuzz.sbin: ")
        return
    if dynamic_count(loop_tree(program, binary.validate(program))) > 5000:
        return
    try:
        sim.simulate(program, inputs_for(program), check_hazards=hazards, trace=True, timing=timing)
    except sim.SimError as err:
        assert "\n" not in str(err)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(TABLES), st.integers(0, 40), st.integers(0, 9), VALUES),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),
    st.sampled_from(["fast", "tile"]),
)
def test_mutated_tables_never_crash(
    edits: list[tuple[str, int, int, int]], hazards: bool, timing: str
) -> None:
    program = lstm_program(CASE)
    for table, index, field_index, value in edits:
        entries = getattr(program, table)
        entry = entries[index % len(entries)]
        fields = [f for f in dataclasses.fields(entry) if isinstance(getattr(entry, f.name), int)]
        name = fields[field_index % len(fields)].name
        entries[index % len(entries)] = dataclasses.replace(entry, **{name: value})
    try:
        data = binary.encode(program, validate=False)
    except binary.SharpBinaryError:
        return
    run_untrusted(data, hazards, timing)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), min_size=1, max_size=4), st.booleans())
def test_mutated_bytes_never_crash(edits: list[tuple[int, int]], hazards: bool) -> None:
    data = bytearray(binary.encode(lstm_program(CASE)))
    for position, value in edits:
        data[position % (len(data) - binary.CHECKSUM_BYTES)] = value
    run_untrusted(reseal(bytes(data)), hazards, "fast")
