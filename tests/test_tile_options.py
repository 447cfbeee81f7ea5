"""Forced tiles: `sharp-compile --tile/--no-reconfig/--list-tiles` and `sharp-reconfigure{mode=forced}`.

A forced legal shape lands on every layer and changes timing, never numbers; an illegal or
malformed one is one line naming the shape and how to list the legal ones, exit 1, no file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from e2e_helpers import compile_model, simulate_binary, stack_model

from sharp_compiler import sim
from sharp_compiler.hw.config import PRESET_NAMES, load_config
from sharp_compiler.hw.tiles import format_tile
from sharp_compiler.pipeline import PipelineOptions, pipeline_spec
from sharp_compiler.tools import sharp_compile

MODEL, FEEDS = stack_model("LSTM", layers=2, T=3, B=1, I=5, H=12)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiles") / "lstm.onnx"
    onnx.save(MODEL, path)
    return path


def compile_cli(capsys, *args: object) -> tuple[int, str, str]:
    rc = sharp_compile.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sharp-compile: error: "), lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize("hw", PRESET_NAMES)
def test_list_tiles_prints_every_legal_shape(capsys, hw) -> None:
    rc, out, err = compile_cli(capsys, "--list-tiles", "--hw", hw)
    assert (rc, err) == (0, "")
    assert out.splitlines() == [format_tile(t) for t in load_config(hw).tile_shapes]


def test_list_tiles_follows_the_budget(capsys) -> None:
    rc, out, _ = compile_cli(capsys, "--list-tiles", "--hw", "sharp-4k", "--budget", "256")
    assert rc == 0
    assert out.splitlines() == ["8x8", "8x16", "8x32", "16x8", "16x16", "32x8"]


def test_list_tiles_bad_budget(capsys) -> None:
    rc, out, err = compile_cli(capsys, "--list-tiles", "--budget", "3000")
    assert (rc, out) == (1, "")
    assert_one_line_error(err, "3000", "power of two")


def test_model_and_output_required_without_list_tiles(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        sharp_compile.main([])
    assert exit_info.value.code == 2
    assert_one_line_error(capsys.readouterr().err, "model", "-o/--output")


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--tile", "7x7"], ["7x7", "sharp-4k", "`sharp-compile --list-tiles --hw sharp-4k`"]),
     (["--tile", "8x1024", "--budget", "16384"],
      ["8x1024", "16384 multipliers", "`sharp-compile --list-tiles --hw sharp-4k --budget 16384`"]),
     (["--tile", "32x32", "--hw", "epur-like"], ["32x32", "epur-like", "--list-tiles --hw epur-like"]),
     (["--tile", "16by16"], ["'16by16'", "ROWSxCOLS"]),
     (["--tile", "0x16"], ["'0x16'", "ROWSxCOLS"]),
     (["--tile", "16x16", "--no-reconfig"], ["--tile", "--no-reconfig"]),
     (["--tile", "16x16", "--reconfigure", "fixed"], ["--tile", "--reconfigure fixed"])],
    ids=["illegal", "illegal-at-budget", "not-reconfigurable", "malformed", "zero", "no-reconfig", "fixed"],
)  # fmt: skip
def test_bad_tile_is_one_line_and_no_file(capsys, model_path, tmp_path, args, words) -> None:
    rc, out, err = compile_cli(capsys, model_path, "-o", tmp_path / "x.sbin", *args)
    assert (rc, out) == (1, "")
    assert_one_line_error(err, *words)
    assert list(tmp_path.iterdir()) == []


def layer_tiles(binary: bytes) -> set[tuple[int, int]]:
    return {layer.tile for layer in sim.load(binary).layers}


def test_cli_forced_tile_reaches_every_layer(capsys, model_path, tmp_path) -> None:
    rc, _, err = compile_cli(capsys, model_path, "-o", tmp_path / "x.sbin", "--tile", "16x64")
    assert (rc, err) == (0, "")
    assert layer_tiles((tmp_path / "x.sbin").read_bytes()) == {(16, 64)}


def test_cli_no_reconfig_keeps_the_default_tile(capsys, model_path, tmp_path) -> None:
    rc, _, _ = compile_cli(
        capsys, model_path, "-o", tmp_path / "x.sbin", "--no-reconfig", "--budget", "65536"
    )
    assert rc == 0
    default = load_config("sharp-4k").with_budget(65536).default_tile
    assert layer_tiles((tmp_path / "x.sbin").read_bytes()) == {default}
    assert default not in layer_tiles(compile_model(MODEL, budget=65536))  # the choice differs here


def test_every_forced_tile_gives_the_same_bits() -> None:
    """On sharp-1k every legal shape is accepted, used, and leaves fp32 outputs bit-identical."""
    base = simulate_binary(compile_model(MODEL, hw="sharp-1k"), FEEDS).outputs
    for tile in load_config("sharp-1k").tile_shapes:
        binary = compile_model(MODEL, hw="sharp-1k", tile=format_tile(tile))
        assert layer_tiles(binary) == {tile}
        outputs = simulate_binary(binary, FEEDS).outputs
        for name, value in base.items():
            assert np.array_equal(outputs[name], value), (tile, name)


def test_pipeline_spec_spells_the_forced_mode() -> None:
    spec = pipeline_spec(PipelineOptions(tile="16x64"))
    assert ',sharp-reconfigure{mode="forced" tile="16x64"},' in spec, spec
