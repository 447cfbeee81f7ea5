"""The ONNX backend node tests of LSTM, GRU and RNN, through compile_onnx + simulate (fp32).

`onnx.backend.test.case.node.collect_testcases` builds every node test in memory (the onnx
wheel ships no `data/node`); it takes ~5 s and works only once per process (a second call
returns the first call's list whatever its argument), so it is called once, lazily, through a
cached function, and the 18 recurrent cases are picked by name.

Each case runs as shipped, with W, R, B and P as graph inputs (the binary loads them from its
input tensors by DMA), and with those inputs turned into initializers holding the case's data
(constant weights in the binary); X, sequence_lens and the initial states stay graph inputs
fed from the case's data set. Expected outputs are the case's own (computed by the test
generators' numpy references), compared with rtol 1e-4, atol 1e-5.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import onnx
import pytest
from e2e_helpers import assert_outputs_close, compile_model, simulate_binary
from onnx import numpy_helper

RECURRENT_KEYS = ("lstm", "gru", "rnn")
WEIGHT_INPUTS = {1: "W", 2: "R", 3: "B", 7: "P"}  # node input slot -> ONNX name
EXPECTED_NAMES = sorted([
    "test_gru_defaults", "test_gru_with_initial_bias", "test_gru_seq_length", "test_gru_batchwise",
    "test_gru_reverse", "test_gru_bidirectional", "test_lstm_defaults", "test_lstm_with_initial_bias",
    "test_lstm_with_peepholes", "test_lstm_batchwise", "test_lstm_reverse", "test_lstm_bidirectional",
    "test_simple_rnn_defaults", "test_simple_rnn_with_initial_bias", "test_rnn_seq_length",
    "test_simple_rnn_batchwise", "test_simple_rnn_reverse", "test_simple_rnn_bidirectional",
])  # fmt: skip


@functools.cache
def all_node_testcases() -> tuple:
    """Every ONNX node test case; built once per process (see the module docstring)."""
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RuntimeWarnings of unrelated cast/reduce generators
        return tuple(collect_testcases())


@functools.cache
def recurrent_cases() -> dict:
    return {c.name: c for c in all_node_testcases() if any(k in c.name for k in RECURRENT_KEYS)}


def test_the_recurrent_node_tests_are_the_18_known_ones():
    assert sorted(recurrent_cases()) == EXPECTED_NAMES


def with_constant_weights(model: onnx.ModelProto, inputs: list[np.ndarray]) -> tuple[onnx.ModelProto, dict]:
    """Move W/R/B/P graph inputs into initializers; return the model and the remaining feeds."""
    (node,) = model.graph.node
    assert node.op_type in ("LSTM", "GRU", "RNN"), node.op_type
    weights = {name for slot, name in enumerate(node.input) if slot in WEIGHT_INPUTS and name}
    data = dict(zip((vi.name for vi in model.graph.input), inputs, strict=True))
    out = onnx.ModelProto()
    out.CopyFrom(model)
    del out.graph.input[:]
    out.graph.input.extend(vi for vi in model.graph.input if vi.name not in weights)
    out.graph.initializer.extend(numpy_helper.from_array(data[name], name) for name in sorted(weights))
    onnx.checker.check_model(out)
    feeds = {name: value for name, value in data.items() if name not in weights}
    return out, feeds


def as_shipped(model: onnx.ModelProto, inputs: list[np.ndarray]) -> tuple[onnx.ModelProto, dict]:
    """The node test's model, every input (weights too) fed from the data set."""
    return model, dict(zip((vi.name for vi in model.graph.input), inputs, strict=True))


@pytest.mark.parametrize(
    "weights", [as_shipped, with_constant_weights], ids=["weights-as-inputs", "constant-weights"]
)
@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_node_conformance(name, weights):
    case = recurrent_cases()[name]
    assert case.kind == "node" and case.data_sets
    for inputs, expected in case.data_sets:
        model, feeds = weights(case.model, list(inputs))
        result = simulate_binary(compile_model(model, precision="fp32"), feeds)
        outputs = [vi.name for vi in case.model.graph.output]
        want = dict(zip(outputs, expected, strict=True))
        # Only the outputs the node test requests are produced (others are empty in the node).
        assert sorted(result.outputs) == sorted(outputs)
        assert_outputs_close(result.outputs, want)


@pytest.mark.parametrize("name", EXPECTED_NAMES)
def test_node_conformance_through_the_tools(name, tmp_path):
    """The cases as shipped (weights as inputs), as a user runs them: sharp-compile, then sharp-run.

    The tools' `main` functions are called in-process (tests/test_cli.py runs them as
    processes); the .npz keys are the node test's ONNX input and output names.
    """
    from sharp_compiler.tools import sharp_compile, sharp_run

    case = recurrent_cases()[name]
    for index, (inputs, expected) in enumerate(case.data_sets):
        model, feeds = as_shipped(case.model, list(inputs))
        onnx.save(model, tmp_path / f"{index}.onnx")
        np.savez(tmp_path / f"{index}.in.npz", **feeds)
        sbin, out = tmp_path / f"{index}.sbin", tmp_path / f"{index}.out.npz"
        assert (
            sharp_compile.main([str(tmp_path / f"{index}.onnx"), "-o", str(sbin), "--precision", "fp32"]) == 0
        )
        assert (
            sharp_run.main([str(sbin), "--inputs", str(tmp_path / f"{index}.in.npz"), "-o", str(out), "-q"])
            == 0
        )
        outputs = [vi.name for vi in case.model.graph.output]
        with np.load(out) as produced:
            assert sorted(produced.files) == sorted(outputs)
            assert_outputs_close(
                {k: produced[k] for k in produced.files}, dict(zip(outputs, expected, strict=True))
            )
