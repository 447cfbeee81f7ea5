"""A small run of the fuzz campaign's field-aware mutators (`tools/fuzz_binaries.py`) in-process.

Every mutated binary (checksum and fingerprint recomputed) must decode and simulate to a result
or to a one-line `SharpBinaryError`/`SimError`; the full campaign (>= 5000 cases, with
timeouts and memory limits per case) is run by hand, see docs/simulator.md.
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

TOOL = Path(__file__).resolve().parent.parent / "tools" / "fuzz_binaries.py"


def _load_tool():  # noqa: ANN202 - a module loaded by path (tools/ is not a package)
    spec = importlib.util.spec_from_file_location("fuzz_binaries", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_binaries"] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load_tool()


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    return [p.read_bytes() for p in fuzz.compile_seeds(tmp_path_factory.mktemp("seeds"))]


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 3), st.integers(0, 2**32))
def test_mutated_binaries_end_in_one_line_or_a_result(seeds: list[bytes], seed: int, rng_seed: int) -> None:
    rng = random.Random(rng_seed)
    data, note = fuzz.make_case(seeds[seed], rng)
    outcome, message = fuzz.run_case(data, rng)
    assert outcome in ("rejected", "sim-rejected", "ran", "skipped"), (note, outcome, message)


def test_mutators_reach_the_validator(seeds: list[bytes]) -> None:
    """Most cases get past the checksum and fingerprint tests (they are recomputed)."""
    outcomes = []
    for n in range(60):
        rng = random.Random(n)
        data, _note = fuzz.make_case(seeds[n % 4], rng)
        outcomes.append(fuzz.run_case(data, rng))
    messages = [m for _o, m in outcomes]
    assert not any("checksum mismatch" in m or "fingerprint" in m for m in messages)
    assert {o for o, _m in outcomes} >= {"rejected", "ran"}
