"""docs/isa.md is generated from the ISA table and the binary layout: it must not go stale."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator():  # noqa: ANN202
    spec = importlib.util.spec_from_file_location("gen_isa_doc", ROOT / "tools" / "gen_isa_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_isa_reference_is_current() -> None:
    expected = _generator().render()
    current = (ROOT / "docs" / "isa.md").read_text()
    assert current == expected, "docs/isa.md is stale: run python tools/gen_isa_doc.py"


def test_isa_reference_covers_every_opcode() -> None:
    from sharp_compiler.isa.spec import OPS

    text = (ROOT / "docs" / "isa.md").read_text()
    for spec in OPS.values():
        assert f"| `{spec.mnemonic}` |" in text
