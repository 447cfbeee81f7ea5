"""The command-line tools as a user runs them (subprocesses): sharp-compile, sharp-run, sharp-translate.

Happy path: outputs keyed by ONNX names, statistics and trace files, deterministic binaries,
a binary -> MLIR -> binary round trip. Bad input: exactly one line on stderr naming what is
wrong, a non-zero exit, no "Traceback", and no output file (nor temporary) left behind.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from e2e_helpers import assert_outputs_close, make_model, ort_outputs, rnn_model, stack_model
from onnx import TensorProto, helper, numpy_helper

from sharp_compiler.hw.config import load_config

BIN = Path(sys.executable).parent


def tool(name: str) -> list[str]:
    """The installed console script, or the module when the venv has no script for it."""
    script = BIN / name
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", f"sharp_compiler.tools.{name.replace('-', '_')}"]


def run(name: str, *args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "SHARP_DEBUG"}
    return subprocess.run([*tool(name), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)  # fmt: skip


def assert_one_line_error(proc: subprocess.CompletedProcess, prog: str, *words: str) -> str:
    """Non-zero exit, one stderr line `PROG: error: ...` that names the problem, no traceback."""
    assert proc.returncode != 0, proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    assert "internal error" not in lines[0], lines[0]
    for word in words:
        assert word.lower() in lines[0].lower(), (word, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A directory with a 2-layer bidirectional LSTM (+ Concat of states), its inputs and binary."""
    root = tmp_path_factory.mktemp("cli")
    model, feeds = stack_model(
        "LSTM", layers=2, T=4, B=2, I=5, H=6, bidirectional=True, glue="transpose_reshape"
    )
    onnx.save(model, root / "model.onnx")
    np.savez(root / "inputs.npz", **feeds)
    proc = run("sharp-compile", root / "model.onnx", "-o", root / "model.sbin", "--precision", "fp32")
    assert proc.returncode == 0, proc.stderr
    return root


def files_in(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


# --------------------------------------------------------------------------- happy path


def test_compile_run_outputs_and_statistics(work, tmp_path):
    out, stats, trace = tmp_path / "out.npz", tmp_path / "stats.json", tmp_path / "trace.json"
    proc = run("sharp-run", work / "model.sbin", "--inputs", work / "inputs.npz", "-o", out, "--stats", stats,
               "--trace", trace)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    model = onnx.load(work / "model.onnx")
    with np.load(work / "inputs.npz") as archive:
        feeds = {k: archive[k] for k in archive.files}
    with np.load(out) as archive:
        got = {k: archive[k] for k in archive.files}
    declared = [o.name for o in model.graph.output]
    assert sorted(got) == sorted(declared) == ["c_n", "h_n", "out"]
    assert_outputs_close(got, ort_outputs(model, feeds))

    data = json.loads(stats.read_text())
    for key in ("cycles", "seconds", "macs", "mac_utilization", "energy_joules", "gflops_per_watt"):
        assert isinstance(data[key], (int, float)) and data[key] > 0, key
    assert isinstance(data["cycles"], int) and isinstance(data["macs"], int)
    assert data["layers"], data
    for layer in data["layers"]:
        assert isinstance(layer["name"], str) and layer["name"]
        assert isinstance(layer["cycles"], int) and layer["cycles"] >= 0
        rows, cols = (int(v) for v in layer["tile"].split("x"))
        assert rows > 0 and cols > 0
    recurrent = [layer for layer in data["layers"] if layer["kind"] == "lstm"]
    assert len(recurrent) == 2  # 2 layers, each with both directions in one time loop (sharp-interleave)
    assert all(layer["name"].endswith("_bidir") for layer in recurrent)
    document = json.loads(trace.read_text())
    events = document["traceEvents"] if isinstance(document, dict) else document
    assert any(e.get("ph") == "X" for e in events)


def test_npz_keys_are_the_onnx_input_names(tmp_path):
    """Several inputs (X, sequence_lens, initial_h, initial_c) and only some outputs requested."""
    model, feeds = rnn_model("LSTM", T=4, B=3, I=3, H=5, direction="bidirectional", seq_lens=[4, 1, 2],
                             initial_h=True, initial_c=True, outputs=["Y", "Y_c"])  # fmt: skip
    onnx.save(model, tmp_path / "m.onnx")
    np.savez(tmp_path / "in.npz", **feeds)
    assert (
        run("sharp-compile", tmp_path / "m.onnx", "-o", tmp_path / "m.sbin", "--precision", "fp32").returncode
        == 0
    )
    proc = run(
        "sharp-run", tmp_path / "m.sbin", "--inputs", tmp_path / "in.npz", "-o", tmp_path / "out.npz", "-q"
    )
    assert proc.returncode == 0, proc.stderr
    with np.load(tmp_path / "out.npz") as archive:
        got = {k: archive[k] for k in archive.files}
    assert sorted(got) == ["Y", "Y_c"]
    assert_outputs_close(got, ort_outputs(model, feeds))


def test_compiling_twice_gives_identical_bytes(work, tmp_path):
    for options in ([], ["--budget", "16384", "--precision", "fp16"], ["--hw", "epur-like"]):
        a, b = tmp_path / "a.sbin", tmp_path / "b.sbin"
        assert run("sharp-compile", work / "model.onnx", "-o", a, *options).returncode == 0
        assert run("sharp-compile", work / "model.onnx", "-o", b, *options).returncode == 0
        assert a.read_bytes() == b.read_bytes(), options


def test_translate_to_mlir_and_back_reproduces_the_bytes(work, tmp_path):
    mlir, back = tmp_path / "model.mlir", tmp_path / "back.sbin"
    proc = run("sharp-translate", work / "model.sbin", "--to-mlir", "-o", mlir)
    assert proc.returncode == 0, proc.stderr
    assert "sharp_isa" in mlir.read_text()
    proc = run("sharp-translate", mlir, "--to-binary", "-o", back)
    assert proc.returncode == 0, proc.stderr
    assert back.read_bytes() == (work / "model.sbin").read_bytes()


def test_translate_listing(work):
    proc = run("sharp-translate", work / "model.sbin", "--listing")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("; SHARP binary") and "mvm" in proc.stdout and "loop" in proc.stdout


# --------------------------------------------------------------------------- bad input


def test_truncated_onnx(work, tmp_path):
    data = (work / "model.onnx").read_bytes()
    (tmp_path / "cut.onnx").write_bytes(data[: len(data) // 2])
    before = files_in(tmp_path)
    proc = run("sharp-compile", tmp_path / "cut.onnx", "-o", tmp_path / "cut.sbin")
    assert_one_line_error(proc, "sharp-compile", "cut.onnx")
    assert files_in(tmp_path) == before


def test_unsupported_op(tmp_path):
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2, 4, 4])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3, 2, 2])
    w = numpy_helper.from_array(np.ones((3, 2, 3, 3), np.float32), "Wc")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["X", "Wc"], ["Y"], name="conv_1")], "conv", [x], [y], [w]
    )
    onnx.save(make_model(graph), tmp_path / "conv.onnx")
    before = files_in(tmp_path)
    proc = run("sharp-compile", tmp_path / "conv.onnx", "-o", tmp_path / "conv.sbin")
    assert_one_line_error(proc, "sharp-compile", "Conv", "conv_1")
    assert files_in(tmp_path) == before


def test_missing_model_file(tmp_path):
    proc = run("sharp-compile", tmp_path / "nothere.onnx", "-o", tmp_path / "x.sbin")
    assert_one_line_error(proc, "sharp-compile", "nothere.onnx")
    assert not (tmp_path / "x.sbin").exists()


@pytest.mark.parametrize("where", ["magic", "header", "middle", "last"])
def test_binary_with_one_flipped_byte(work, tmp_path, where):
    data = bytearray((work / "model.sbin").read_bytes())
    position = {"magic": 0, "header": 9, "middle": len(data) // 2, "last": len(data) - 1}[where]
    data[position] ^= 0x40
    (tmp_path / "bad.sbin").write_bytes(bytes(data))
    before = files_in(tmp_path)
    proc = run("sharp-run", tmp_path / "bad.sbin", "--inputs", work / "inputs.npz", "-o", tmp_path / "o.npz",
               "--stats", tmp_path / "s.json", "--trace", tmp_path / "t.json")  # fmt: skip
    assert_one_line_error(proc, "sharp-run", "bad.sbin")
    assert files_in(tmp_path) == before
    for mode in ("--listing", "--to-mlir"):
        proc = run("sharp-translate", tmp_path / "bad.sbin", mode, "-o", tmp_path / "t.txt")
        assert_one_line_error(proc, "sharp-translate", "bad.sbin")
        assert files_in(tmp_path) == before


def test_every_single_bit_flip_is_rejected_in_process(work):
    """The checksum (and magic) catch every single-bit flip; sampled across the file."""
    from sharp_compiler import sim

    data = (work / "model.sbin").read_bytes()
    for position in range(0, len(data), max(1, len(data) // 256)):
        for bit in (0, 7):
            flipped = bytearray(data)
            flipped[position] ^= 1 << bit
            with pytest.raises(sim.SharpBinaryError):
                sim.load(bytes(flipped))


@pytest.mark.parametrize(
    ("arrays", "words"),
    [
        ({}, ("missing", "X")),
        ({"X": np.zeros((4, 2, 6), np.float32)}, ("X", "shape")),
        ({"X": np.zeros((2, 4, 5), np.float32)}, ("X", "shape")),
        ({"Y": np.zeros((4, 2, 5), np.float32)}, ("Y",)),
    ],
    ids=["missing", "wrong-feature-size", "transposed", "wrong-name"],
)
def test_bad_inputs_file(work, tmp_path, arrays, words):
    np.savez(tmp_path / "in.npz", **arrays)
    before = files_in(tmp_path)
    proc = run("sharp-run", work / "model.sbin", "--inputs", tmp_path / "in.npz", "-o", tmp_path / "o.npz",
               "--stats", tmp_path / "s.json")  # fmt: skip
    assert_one_line_error(proc, "sharp-run", *words)
    assert files_in(tmp_path) == before


def test_inputs_file_that_is_not_npz(work, tmp_path):
    (tmp_path / "in.npz").write_text("not an archive\n")
    before = files_in(tmp_path)
    proc = run("sharp-run", work / "model.sbin", "--inputs", tmp_path / "in.npz", "-o", tmp_path / "o.npz")
    assert_one_line_error(proc, "sharp-run", "in.npz")
    assert files_in(tmp_path) == before


@pytest.mark.parametrize(
    ("prog", "args"),
    [("sharp-compile", ["{onnx}", "-o", "{out}", "--frobnicate"]),
     ("sharp-run", ["{sbin}", "--inputs", "{npz}", "-o", "{out}", "--frobnicate"]),
     ("sharp-translate", ["{sbin}", "--listing", "-o", "{out}", "--frobnicate"])],
    ids=["compile", "run", "translate"],
)  # fmt: skip
def test_unknown_option(work, tmp_path, prog, args):
    values = {"onnx": work / "model.onnx", "sbin": work / "model.sbin", "npz": work / "inputs.npz",
              "out": tmp_path / "out.bin"}  # fmt: skip
    proc = run(prog, *[a.format(**values) for a in args])
    assert_one_line_error(proc, prog, "--frobnicate")
    assert not (tmp_path / "out.bin").exists()


@pytest.mark.parametrize(
    ("budget", "words"),
    [("3000", ("3000", "power of two")), ("-4096", ("-4096",)), ("0", ("0",)), ("abc", ("budget", "abc")),
     ("32", ("32", "smallest tile"))],
)  # fmt: skip
def test_bad_budget(work, tmp_path, budget, words):
    proc = run("sharp-compile", work / "model.onnx", "-o", tmp_path / "x.sbin", f"--budget={budget}")
    assert_one_line_error(proc, "sharp-compile", *words)
    assert files_in(tmp_path) == set()


def test_model_that_does_not_fit(work, tmp_path):
    data = load_config("sharp-4k").to_dict()
    data.update(name="tiny", vector_buffer_bytes=16)
    (tmp_path / "tiny.json").write_text(json.dumps(data))
    before = files_in(tmp_path)
    proc = run(
        "sharp-compile", work / "model.onnx", "-o", tmp_path / "x.sbin", "--hw", tmp_path / "tiny.json"
    )
    assert_one_line_error(proc, "sharp-compile", "tiny", "does not fit")
    assert files_in(tmp_path) == before


@pytest.mark.parametrize(
    ("content", "words"),
    [("{not json", ("invalid JSON",)), ('{"name": "x"}', ("missing",)), (None, ("sharp-3k", "not a preset"))],
    ids=["bad-json", "missing-fields", "unknown-preset"],
)
def test_bad_hw_option(work, tmp_path, content, words):
    hw = "sharp-3k"
    if content is not None:
        hw = str(tmp_path / "hw.json")
        Path(hw).write_text(content)
    before = files_in(tmp_path)
    proc = run("sharp-compile", work / "model.onnx", "-o", tmp_path / "x.sbin", "--hw", hw)
    assert_one_line_error(proc, "sharp-compile", *words)
    assert files_in(tmp_path) == before


def test_output_into_missing_directory(work, tmp_path):
    proc = run("sharp-compile", work / "model.onnx", "-o", tmp_path / "no" / "x.sbin")
    assert_one_line_error(proc, "sharp-compile", "x.sbin")
    assert not (tmp_path / "no").exists()


def test_sequence_lens_out_of_range(tmp_path):
    model, feeds = rnn_model("GRU", T=3, B=2, I=3, H=4, seq_lens=[3, 1])
    onnx.save(model, tmp_path / "m.onnx")
    assert run("sharp-compile", tmp_path / "m.onnx", "-o", tmp_path / "m.sbin").returncode == 0
    feeds["sequence_lens"] = np.array([4, 1], np.int32)
    np.savez(tmp_path / "in.npz", **feeds)
    before = files_in(tmp_path)
    proc = run("sharp-run", tmp_path / "m.sbin", "--inputs", tmp_path / "in.npz", "-o", tmp_path / "o.npz")
    assert_one_line_error(proc, "sharp-run", "sequence_lens")
    assert files_in(tmp_path) == before
