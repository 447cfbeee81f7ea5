"""Real models as PyTorch exports them: compile, simulate, compare with PyTorch and onnxruntime.

The ONNX files, PyTorch's inputs and outputs (npz) and `MANIFEST.json` under `tests/data/torch/`
are made by `tools/export_torch_models.py` (torch 2.13.0, both exporters); this module never
imports torch. Each manifest entry is one ONNX file; each of its cases is one (seq_len, batch)
with the `input_shapes` that make the file's dynamic axes static. A case compiles the file with
`compile_onnx(..., input_shapes=..., precision="fp32")`, simulates it, and compares every output
with PyTorch's saved one and with onnxruntime's on the same file and inputs (rtol 1e-4, atol 1e-5).

Models the frontend rejects today are in `KNOWN_FAILURES` with the start of the error they raise
(after the file name): those cases are `xfail(strict=True, raises=FrontendError)`, so they flip
to a failure as soon as support lands, and a different error is reported as a plain failure.
"""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from e2e_helpers import assert_outputs_close

from sharp_compiler.frontend.onnx_import import FrontendError

DATA = Path(__file__).parent / "data" / "torch"
MANIFEST = json.loads((DATA / "MANIFEST.json").read_text())
# Manifest model + exporter -> the exact start of the FrontendError message after "<file>: ".
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _cases() -> list:
    params = []
    for entry in MANIFEST["models"]:
        expected_error = KNOWN_FAILURES.get((entry["model"], entry["exporter"]))
        marks = (
            [pytest.mark.xfail(strict=True, raises=FrontendError, reason=expected_error)]
            if expected_error
            else []
        )
        for case in entry["cases"]:
            variant = entry["exporter"] + ("-external" if entry["external_data"] else "")
            case_id = f"{entry['model']}-{variant}-T{case['seq_len']}xB{case['batch']}"
            params.append(pytest.param(entry, case, expected_error, id=case_id, marks=marks))
    return params


@cache
def _ort_session(path: Path):  # noqa: ANN202
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    # From the path, so that an external-data file is read the way onnxruntime reads it.
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _load(name: str | Path) -> dict[str, np.ndarray]:
    with np.load(DATA / name) as npz:  # an absolute path stays as it is
        return {key: npz[key] for key in npz.files}


@pytest.mark.parametrize(("entry", "case", "expected_error"), _cases())
def test_torch_export(entry: dict, case: dict, expected_error: str | None) -> None:
    from sharp_compiler.api import compile_onnx
    from sharp_compiler.sim import load, simulate

    path = DATA / entry["file"]
    feeds, torch_outputs = _load(case["inputs"]), _load(case["outputs"])
    assert sorted(feeds) == sorted(entry["inputs"])
    assert sorted(torch_outputs) == sorted(entry["outputs"])
    shapes = {name: tuple(dims) for name, dims in case["input_shapes"].items()}
    try:
        binary = compile_onnx(path, input_shapes=shapes, precision="fp32").binary
    except FrontendError as e:
        if expected_error is not None and not str(e).startswith(f"{path}: {expected_error}"):
            raise AssertionError(f"the recorded error changed; update KNOWN_FAILURES: {e}") from None
        raise
    got = dict(simulate(load(binary), feeds, check_hazards=True).outputs)

    session = _ort_session(path)
    names = [o.name for o in session.get_outputs()]
    ort_outputs = dict(zip(names, session.run(names, feeds), strict=True))
    assert_outputs_close(got, torch_outputs, "PyTorch")
    assert_outputs_close(got, ort_outputs, "onnxruntime")


def test_manifest_files() -> None:
    """Every file the manifest names is there; the data stays small; both exporters are covered."""
    versions = MANIFEST["versions"]
    assert versions["torch"].startswith("2.13.0"), versions
    total = 0
    for entry in MANIFEST["models"]:
        for name in [entry["file"], entry["external_data"]] + [
            c[k] for c in entry["cases"] for k in ("inputs", "outputs")
        ]:
            if name is not None:
                assert (DATA / name).is_file(), name
        assert entry["cases"], entry["id"]
        total += entry["bytes"]
    assert total < 3_000_000, total
    assert {e["exporter"] for e in MANIFEST["models"]} == {"torchscript", "dynamo"}
    assert any(e["external_data"] for e in MANIFEST["models"])
    # One TorchScript file with dynamic axes serves every shape: at least three cases each.
    dynamic = [e for e in MANIFEST["models"] if "dynamic_axes" in e["export_call"]]
    assert dynamic and all(len(e["cases"]) >= 3 for e in dynamic)


def test_cli_dynamic_axes(tmp_path: Path) -> None:
    """sharp-compile --input-shape on a TorchScript file with dynamic axes, then sharp-run on its npz."""
    from sharp_compiler.tools import sharp_compile, sharp_run

    entry = next(e for e in MANIFEST["models"] if e["id"] == "lstm_bidir_2layer-torchscript")
    case = next(c for c in entry["cases"] if not c["export_shape"])
    options = [f"--input-shape={n}={','.join(map(str, d))}" for n, d in case["input_shapes"].items()]
    binary, out = tmp_path / "m.sbin", tmp_path / "out.npz"
    argv = [str(DATA / entry["file"]), "-o", str(binary), "--precision", "fp32", *options]
    assert sharp_compile.main(argv) == 0
    assert sharp_run.main([str(binary), "--inputs", str(DATA / case["inputs"]), "-o", str(out)]) == 0
    assert_outputs_close(_load(out), _load(case["outputs"]), "PyTorch")


def test_torch_not_imported() -> None:
    """The data is made with torch; testing it must not need torch (it is not a test dependency)."""
    assert "torch" not in sys.modules
