"""Export small PyTorch RNN models to ONNX with both of torch's exporters (deterministic).

    .venv/bin/pip install -e '.[export]'          # torch==2.13.0 + onnxscript; never needed by the tests
    .venv/bin/python tools/export_torch_models.py [OUTDIR]      # default: tests/data/torch

Writes, under OUTDIR/<model>/:

- `torchscript.onnx`  TorchScript exporter (`dynamo=False`, opset 17) with `dynamic_axes` on the
  sequence and batch axes of every input and output, so one file serves every saved shape (the
  compiler makes the shapes static with `input_shapes=` / `--input-shape`).
- `torchscript_T<t>_B<b>.onnx`  instead, for a model that loops over time in Python (a cell loop):
  one static TorchScript export per saved shape, since the traced graph depends on T.
- `dynamo_T<t>_B<b>.onnx`  dynamo exporter (`dynamo=True, external_data=False`, opset 17: torch
  builds it at 18 and converts it down), one export per saved shape, with static shapes. Not
  `dynamic_shapes`: torch 2.13 specialises the sequence axis of nn.LSTM/GRU (`torch.export.export`
  raises "You marked seq as dynamic but your code specialized it to be a constant (6)"), and
  `torch.onnx.export` then quietly falls back and writes a graph whose input still says `seq` but
  whose output Reshape has the literal [6, -1, H], so it fails in onnxruntime at any other length;
  it also unrolls nn.RNN over time, so the graph depends on T anyway. Cell loops use opset 18: at 17
  torch writes Split(num_outputs), an opset-18 attribute, into the converted model. Packed sequences
  (pack_padded_sequence) have no dynamo export: torch.export cannot trace them.
- `<exporter>_T<t>_B<b>.inputs.npz` / `.outputs.npz`  PyTorch's own inputs and outputs, keyed by
  the ONNX graph's input and output names (read back from the exported file), at the export shape
  (T=6, B=2) and at two more shapes (T=4, B=1) and (T=9, B=3). The inputs file can be fed to
  `sharp-run --inputs` as it is.

plus one model with its weights in a side file (`lstm_3layer/torchscript_external.onnx` +
`.onnx.data`, every tensor external, mode 0644), and `OUTDIR/MANIFEST.json`: one entry per ONNX file with its exporter,
description, opset, graph inputs/outputs and the cases (npz files and the `input_shapes` to pass
to the compiler), and the torch/onnx/onnxscript versions used.

Every model is seeded (`torch.manual_seed`), in eval mode, and small (input 12, hidden 16-24,
vocab 50), and the npz files are written with fixed zip timestamps, so a rerun with the same
versions rewrites the same bytes.
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import time
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "tests" / "data" / "torch"
OPSET = 17
TORCH_VERSION = "2.13.0"
EXPORT_SHAPE = (6, 2)  # (T, B) the models are exported at
OTHER_SHAPES = [(4, 1), (9, 3)]
INPUT_SIZE = 12
VOCAB = 50


@dataclass
class Spec:
    """One PyTorch model: how to build it, its inputs and outputs, and which axes are T and B."""

    name: str
    description: str
    build: Callable[[], object]  # -> torch.nn.Module
    inputs: list[str]
    outputs: list[str]
    make_inputs: Callable[[int, int, object], tuple]  # (T, B, torch.Generator) -> input tensors
    # For each input/output name: {axis: "seq" | "batch"}.
    axes: dict[str, dict[int, str]] = field(default_factory=dict)
    # Which exporters can export it (torch.export cannot trace pack_padded_sequence).
    exporters: tuple[str, ...] = ("torchscript", "dynamo")
    # A Python loop over time traces to a graph that depends on T: one TorchScript file per shape.
    static_torchscript: bool = False
    # torch's dynamo exporter builds at 18 and writes Split(num_outputs) when converting to 17.
    dynamo_opset: int = OPSET
    # export_params=False: every weight becomes a graph input (fed from the npz like x).
    export_params: bool = True


def _specs() -> list[Spec]:
    import torch
    from torch import nn

    class Recurrent(nn.Module):
        """nn.LSTM/GRU/RNN returning (out, h_n[, c_n]) as a flat tuple."""

        def __init__(self, rnn: nn.Module) -> None:
            super().__init__()
            self.rnn = rnn

        def forward(self, x: torch.Tensor):  # noqa: ANN201
            out, state = self.rnn(x)
            return (out, *state) if isinstance(state, tuple) else (out, state)

    class RecurrentWithState(nn.Module):
        def __init__(self, rnn: nn.Module) -> None:
            super().__init__()
            self.rnn = rnn

        def forward(self, x: torch.Tensor, h0: torch.Tensor, c0: torch.Tensor):  # noqa: ANN201
            out, (h_n, c_n) = self.rnn(x, (h0, c0))
            return out, h_n, c_n

    class RecurrentWithHidden(nn.Module):
        def __init__(self, rnn: nn.Module) -> None:
            super().__init__()
            self.rnn = rnn

        def forward(self, x: torch.Tensor, h0: torch.Tensor):  # noqa: ANN201
            return self.rnn(x, h0)

    class Classifier(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(INPUT_SIZE, 16, 2)
            self.head = nn.Linear(16, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            return torch.log_softmax(self.head(out), dim=-1)

    class LanguageModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(VOCAB, 16)
            self.rnn = nn.LSTM(16, 20, 2)
            self.head = nn.Linear(20, VOCAB)

        def forward(self, tokens: torch.Tensor):  # noqa: ANN201
            out, (h_n, c_n) = self.rnn(self.embed(tokens))
            return self.head(out), h_n, c_n

    def x_tb(t: int, b: int, g: torch.Generator) -> tuple:
        return (torch.randn(t, b, INPUT_SIZE, generator=g),)

    def x_bt(t: int, b: int, g: torch.Generator) -> tuple:
        return (torch.randn(b, t, INPUT_SIZE, generator=g),)

    def x_state(t: int, b: int, g: torch.Generator) -> tuple:
        return (
            torch.randn(t, b, INPUT_SIZE, generator=g),
            torch.randn(2, b, 16, generator=g) * 0.5,
            torch.randn(2, b, 16, generator=g) * 0.5,
        )

    def x_hidden(t: int, b: int, g: torch.Generator) -> tuple:
        return (torch.randn(t, b, INPUT_SIZE, generator=g), torch.randn(2, b, 16, generator=g) * 0.5)

    class LastStep(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(INPUT_SIZE, 16, 2)
            self.head = nn.Linear(16, 10)

        def forward(self, x: torch.Tensor):  # noqa: ANN201
            out, (h_n, _) = self.rnn(x)
            return self.head(out[-1]), self.head(h_n[-1])

    class BatchFirstLast(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.GRU(INPUT_SIZE, 16, batch_first=True)
            self.head = nn.Linear(16, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    class Packed(nn.Module):
        def __init__(self, enforce_sorted: bool) -> None:
            super().__init__()
            self.rnn = nn.LSTM(INPUT_SIZE, 16, 2)
            self.enforce_sorted = enforce_sorted

        def forward(self, x: torch.Tensor, lengths: torch.Tensor):  # noqa: ANN201
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=self.enforce_sorted)
            out, (h_n, c_n) = self.rnn(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=x.shape[0])
            return out, h_n, c_n

    class CellLoop(nn.Module):
        def __init__(self, cell: nn.Module) -> None:
            super().__init__()
            self.cell = cell

        def forward(self, x: torch.Tensor):  # noqa: ANN201
            h = torch.zeros(x.shape[1], 16)
            c = torch.zeros(x.shape[1], 16)
            outs = []
            for t in range(x.shape[0]):
                if isinstance(self.cell, nn.LSTMCell):
                    h, c = self.cell(x[t], (h, c))
                else:
                    h = self.cell(x[t], h)
                outs.append(h)
            return torch.stack(outs), h

    class Normalised(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(INPUT_SIZE, 16)
            self.norm = nn.LayerNorm(16)
            self.head = nn.Linear(16, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            return self.head(self.norm(out))

    class HandNormalised(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.LSTM(INPUT_SIZE, 16)
            self.weight = nn.Parameter(torch.randn(16))
            self.bias = nn.Parameter(torch.randn(16))
            self.head = nn.Linear(16, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out, _ = self.rnn(x)
            mean = out.mean(-1, keepdim=True)
            var = ((out - mean) ** 2).mean(-1, keepdim=True)
            return self.head((out - mean) / torch.sqrt(var + 1e-5) * self.weight + self.bias)

    def lengths(t: int, b: int, g: torch.Generator, *, sort: bool) -> torch.Tensor:
        """Lengths in [1, T] with the longest = T (so pad_packed_sequence gives [T, B, H])."""
        lens = torch.randint(1, t + 1, (b,), generator=g)
        lens[0] = t
        if sort:
            return torch.sort(lens, descending=True).values
        return lens[torch.randperm(b, generator=g)]

    def x_sorted_lens(t: int, b: int, g: torch.Generator) -> tuple:
        return (torch.randn(t, b, INPUT_SIZE, generator=g), lengths(t, b, g, sort=True))

    def x_unsorted_lens(t: int, b: int, g: torch.Generator) -> tuple:
        return (torch.randn(t, b, INPUT_SIZE, generator=g), lengths(t, b, g, sort=False))

    def tokens(t: int, b: int, g: torch.Generator) -> tuple:
        return (torch.randint(0, VOCAB, (t, b), generator=g, dtype=torch.int64),)

    def recurrent(cls: type, **kwargs: object) -> tuple[str, Callable[[], nn.Module]]:
        args = ", ".join([str(INPUT_SIZE), *(f"{k}={v!r}" for k, v in kwargs.items())])
        return f"nn.{cls.__name__}({args})", lambda: Recurrent(cls(INPUT_SIZE, **kwargs))

    seq = {0: "seq", 1: "batch"}
    state = {1: "batch"}
    lstm_out, rnn_out = ["out", "h_n", "c_n"], ["out", "h_n"]
    lstm_axes = {"x": seq, "out": seq, "h_n": state, "c_n": state}
    rnn_axes = {"x": seq, "out": seq, "h_n": state}
    bf = {0: "batch", 1: "seq"}
    lstm = [
        ("lstm_3layer", recurrent(nn.LSTM, hidden_size=16, num_layers=3), ""),
        ("lstm_bidir_2layer", recurrent(nn.LSTM, hidden_size=16, num_layers=2, bidirectional=True), ""),
        ("lstm_batch_first", recurrent(nn.LSTM, hidden_size=20, num_layers=2, batch_first=True),
         "; x and out are [B, T, *]"),
    ]  # fmt: skip
    rnn = [
        ("gru_2layer", recurrent(nn.GRU, hidden_size=20, num_layers=2), ""),
        ("gru_bidir", recurrent(nn.GRU, hidden_size=16, bidirectional=True), ""),
        ("rnn_tanh_2layer", recurrent(nn.RNN, hidden_size=16, num_layers=2), "; dynamo unrolls it over time"),
        ("rnn_relu", recurrent(nn.RNN, hidden_size=20, nonlinearity="relu"), "; dynamo unrolls it over time"),
    ]
    specs = [Spec(n, text + note, build, ["x"], lstm_out, x_tb, lstm_axes) for n, (text, build), note in lstm]
    specs[2].make_inputs = x_bt
    specs[2].axes = {"x": bf, "out": bf, "h_n": state, "c_n": state}
    specs += [Spec(n, text + note, build, ["x"], rnn_out, x_tb, rnn_axes) for n, (text, build), note in rnn]
    return specs + [
        Spec("lstm_linear_logsoftmax", "nn.LSTM(12, 16, num_layers=2) -> nn.Linear(16, 10) -> log_softmax(-1)",
             Classifier, ["x"], ["logp"], x_tb, {"x": seq, "logp": seq}),
        Spec("embedding_lstm_lm", "nn.Embedding(50, 16) -> nn.LSTM(16, 20, num_layers=2) -> nn.Linear(20, 50); "
             "int64 tokens [T, B]", LanguageModel, ["tokens"], ["logits", "h_n", "c_n"], tokens,
             {"tokens": seq, "logits": seq, "h_n": state, "c_n": state}),
        Spec("lstm_with_state", "nn.LSTM(12, 16, num_layers=2) with explicit h0/c0 inputs [2, B, 16]",
             lambda: RecurrentWithState(nn.LSTM(INPUT_SIZE, 16, 2)), ["x", "h0", "c0"], lstm_out, x_state,
             {"x": seq, "h0": state, "c0": state, **lstm_axes}),
        # Appended last: each model's seed is its index, so earlier exports stay byte-identical.
        Spec("rnn_bidir_2layer", "nn.RNN(12, hidden_size=16, num_layers=2, bidirectional=True); dynamo unrolls "
             "it over time", lambda: Recurrent(nn.RNN(INPUT_SIZE, 16, 2, bidirectional=True)), ["x"], rnn_out,
             x_tb, rnn_axes),
        Spec("rnn_with_state", "nn.RNN(12, 16, num_layers=2, nonlinearity='relu') with an explicit h0 input "
             "[2, B, 16]; dynamo unrolls it over time",
             lambda: RecurrentWithHidden(nn.RNN(INPUT_SIZE, 16, 2, nonlinearity="relu")), ["x", "h0"], rnn_out,
             x_hidden, {"h0": state, **rnn_axes}),
        Spec("lstm_last_step", "nn.LSTM(12, 16, num_layers=2) -> nn.Linear(16, 10) on out[-1] and on h_n[-1]",
             LastStep, ["x"], ["from_out", "from_h"], x_tb, {"x": seq, "from_out": {0: "batch"},
                                                          "from_h": {0: "batch"}}),
        Spec("gru_batch_first_last", "nn.GRU(12, 16, batch_first=True) -> nn.Linear(16, 10) on out[:, -1]",
             BatchFirstLast, ["x"], ["logits"], x_bt, {"x": bf, "logits": {0: "batch"}}),
        Spec("lstm_packed_sorted", "pack_padded_sequence(x, lengths) -> nn.LSTM(12, 16, num_layers=2) -> "
             "pad_packed_sequence(total_length=T); int64 lengths [B], sorted; TorchScript only (torch.export "
             "cannot trace packing)", lambda: Packed(True), ["x", "lengths"], lstm_out, x_sorted_lens,
             {"x": seq, "lengths": {0: "batch"}, **{k: v for k, v in lstm_axes.items() if k != "x"}},
             exporters=("torchscript",)),
        Spec("lstm_packed_unsorted", "pack_padded_sequence(x, lengths, enforce_sorted=False) -> nn.LSTM(12, 16, "
             "num_layers=2) -> pad_packed_sequence(total_length=T); TorchScript only", lambda: Packed(False),
             ["x", "lengths"], lstm_out, x_unsorted_lens,
             {"x": seq, "lengths": {0: "batch"}, **{k: v for k, v in lstm_axes.items() if k != "x"}},
             exporters=("torchscript",)),
        Spec("lstmcell_loop", "nn.LSTMCell(12, 16) stepped over x[t] in a Python loop from zeros, "
             "torch.stack of the h; traced per shape", lambda: CellLoop(nn.LSTMCell(INPUT_SIZE, 16)), ["x"],
             ["out", "h_n"], x_tb, static_torchscript=True, dynamo_opset=18),
        Spec("grucell_loop", "nn.GRUCell(12, 16) stepped over x[t] in a Python loop from zeros, torch.stack of "
             "the h; traced per shape", lambda: CellLoop(nn.GRUCell(INPUT_SIZE, 16)), ["x"], ["out", "h_n"],
             x_tb, static_torchscript=True, dynamo_opset=18),
        Spec("lstm_layernorm_linear", "nn.LSTM(12, 16) -> nn.LayerNorm(16) -> nn.Linear(16, 10)", Normalised,
             ["x"], ["logits"], x_tb, {"x": seq, "logits": seq}),
        Spec("lstm_linear_weights_as_inputs", "nn.LSTM(12, 16, num_layers=2) -> nn.Linear(16, 10), exported with "
             "export_params=False: W, R, B of each layer and the head's weight and bias are graph inputs "
             "(their values, under the ONNX names, are in the inputs npz); TorchScript only (dynamo keeps "
             "initializers)", Classifier, ["x"], ["logp"], x_tb, {"x": seq, "logp": seq},
             exporters=("torchscript",), export_params=False),
        Spec("lstm_manual_norm_linear", "nn.LSTM(12, 16) -> a layer norm written with mean/pow/sqrt -> "
             "nn.Linear(16, 10)", HandNormalised, ["x"], ["logits"], x_tb, {"x": seq, "logits": seq}),
    ]  # fmt: skip


# --------------------------------------------------------------------------- helpers


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """`np.savez_compressed`, but with fixed zip timestamps so reruns write the same bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buffer.getvalue())
    os.chmod(path, 0o644)


def _dims(vi: onnx.ValueInfoProto) -> list[int | str]:
    return [
        d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
        for d in vi.type.tensor_type.shape.dim
    ]


def _io(model: onnx.ModelProto) -> tuple[list[onnx.ValueInfoProto], list[onnx.ValueInfoProto]]:
    initialized = {t.name for t in model.graph.initializer}
    return [vi for vi in model.graph.input if vi.name not in initialized], list(model.graph.output)


def _accepts(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> bool:
    """Whether every static input dim of the model matches the arrays."""
    inputs, _ = _io(model)
    for vi, array in zip(inputs, feeds.values(), strict=True):
        dims = _dims(vi)
        if len(dims) != array.ndim or any(
            isinstance(d, int) and d != n for d, n in zip(dims, array.shape, strict=True)
        ):
            return False
    return True


def _quiet() -> None:
    warnings.filterwarnings("ignore")
    for name in ("torch", "torch.onnx", "torch.export", "torch._dynamo", "onnxscript", "onnx_ir"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _export_torchscript(spec: Spec, module, args: tuple, path: Path) -> onnx.ModelProto:  # noqa: ANN001
    import torch

    dynamic_axes = {} if spec.static_torchscript else {name: dict(axes) for name, axes in spec.axes.items()}
    torch.onnx.export(
        module,
        args,
        str(path),
        dynamo=False,
        opset_version=OPSET,
        input_names=spec.inputs,
        output_names=spec.outputs,
        dynamic_axes=dynamic_axes,
        export_params=spec.export_params,
    )
    return onnx.load(str(path))


def _parameter_feeds(spec: Spec, module, args: tuple) -> dict[str, np.ndarray]:  # noqa: ANN001
    """The weights an export_params=False file takes as inputs: the initializers of the same export
    with parameters (the traces are identical, so the names are too)."""
    import torch
    from onnx import numpy_helper

    if spec.export_params:
        return {}
    buffer = io.BytesIO()
    dynamic_axes = {} if spec.static_torchscript else {name: dict(axes) for name, axes in spec.axes.items()}
    torch.onnx.export(module, args, buffer, dynamo=False, opset_version=OPSET, input_names=spec.inputs,
                      output_names=spec.outputs, dynamic_axes=dynamic_axes)  # fmt: skip
    model = onnx.load_from_string(buffer.getvalue())
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def _export_dynamo(spec: Spec, module, args: tuple, path: Path) -> onnx.ModelProto:  # noqa: ANN001
    """One static-shape export (see the module docstring for why not `dynamic_shapes`)."""
    import contextlib

    import torch

    # The dynamo exporter prints its progress and the opset-conversion notice on stdout.
    with contextlib.redirect_stdout(io.StringIO()):
        program = torch.onnx.export(
            module,
            args,
            dynamo=True,
            external_data=False,
            opset_version=spec.dynamo_opset,
            input_names=spec.inputs,
            output_names=spec.outputs,
            verbose=False,
        )
    model = program.model_proto
    onnx.save_model(model, str(path))
    return onnx.load(str(path))


def _run_torch(module, args: tuple) -> list[np.ndarray]:  # noqa: ANN001
    import torch

    with torch.no_grad():
        result = module(*args)
    result = result if isinstance(result, tuple) else (result,)
    return [r.detach().numpy() for r in result]


def _ort_check(path: Path, feeds: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> float:
    """Max abs difference between onnxruntime and PyTorch (a sanity check; -1 without onnxruntime)."""
    try:
        import onnxruntime as ort
    except ImportError:
        return -1.0
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    got = session.run(list(want), feeds)
    return max(float(np.max(np.abs(g - w))) for g, w in zip(got, want.values(), strict=True))


# --------------------------------------------------------------------------- main


def export_all(out_dir: Path) -> dict:
    import torch

    if not torch.__version__.startswith(TORCH_VERSION):
        raise SystemExit(
            f"torch {TORCH_VERSION} is required (found {torch.__version__}): pip install -e '.[export]'"
        )
    import onnxscript

    _quiet()
    torch.set_num_threads(1)
    out_dir.mkdir(parents=True, exist_ok=True)
    entries: list[dict] = []
    worst = 0.0
    for index, spec in enumerate(_specs()):
        model_dir = out_dir / spec.name
        model_dir.mkdir(exist_ok=True)
        for stale in model_dir.iterdir():
            stale.unlink()
        torch.manual_seed(1000 + index)
        module = spec.build().eval()  # type: ignore[attr-defined]
        generator = torch.Generator().manual_seed(2000 + index)
        shapes = [EXPORT_SHAPE, *OTHER_SHAPES]
        samples = {shape: spec.make_inputs(*shape, generator) for shape in shapes}
        export_args = samples[EXPORT_SHAPE]

        files: list[tuple[str, Path, onnx.ModelProto, tuple[int, int] | None]] = []
        ts_path = model_dir / "torchscript.onnx"
        if spec.static_torchscript:
            for shape in shapes:
                path = model_dir / f"torchscript_T{shape[0]}_B{shape[1]}.onnx"
                files.append(
                    ("torchscript", path, _export_torchscript(spec, module, samples[shape], path), shape)
                )
        else:
            files.append(
                ("torchscript", ts_path, _export_torchscript(spec, module, export_args, ts_path), None)
            )
        for shape in shapes if "dynamo" in spec.exporters else []:
            path = model_dir / f"dynamo_T{shape[0]}_B{shape[1]}.onnx"
            files.append(("dynamo", path, _export_dynamo(spec, module, samples[shape], path), shape))
        if spec.name == "lstm_3layer":
            ext_path = model_dir / "torchscript_external.onnx"
            data_name = ext_path.name + ".data"
            ext_model = onnx.load(str(ts_path))
            onnx.save_model(
                ext_model, str(ext_path), save_as_external_data=True, all_tensors_to_one_file=True,
                location=data_name, size_threshold=0,
            )  # fmt: skip
            os.chmod(model_dir / data_name, 0o644)
            files.append(("torchscript", ext_path, onnx.load(str(ext_path), load_external_data=False), None))

        for exporter, path, model, only_shape in files:
            os.chmod(path, 0o644)
            in_vis, out_vis = _io(model)
            in_names, out_names = [vi.name for vi in in_vis], [vi.name for vi in out_vis]
            # The external-data copy shares the TorchScript file's npz files (same names, same data).
            entry_id = f"{spec.name}-{path.stem.replace('_', '-')}"
            cases = []
            for shape in shapes:
                if only_shape is not None and shape != only_shape:
                    continue
                if spec.export_params:
                    feeds = {n: a.numpy() for n, a in zip(in_names, samples[shape], strict=True)}
                else:  # x by its name, then the weights, in the graph's input order
                    given = {n: a.numpy() for n, a in zip(spec.inputs, samples[shape], strict=True)}
                    given.update(_parameter_feeds(spec, module, samples[shape]))
                    feeds = {n: given[n] for n in in_names}
                assert _accepts(model, feeds), (path, shape)
                want = dict(zip(out_names, _run_torch(module, samples[shape]), strict=True))
                t, b = shape
                in_file = model_dir / f"{exporter}_T{t}_B{b}.inputs.npz"
                out_file = model_dir / f"{exporter}_T{t}_B{b}.outputs.npz"
                save_npz(in_file, feeds)
                save_npz(out_file, want)
                err = _ort_check(path, feeds, want)
                worst = max(worst, err)
                cases.append({
                    "seq_len": t,
                    "batch": b,
                    "export_shape": shape == EXPORT_SHAPE,
                    "inputs": in_file.relative_to(out_dir).as_posix(),
                    "outputs": out_file.relative_to(out_dir).as_posix(),
                    "input_shapes": {n: list(a.shape) for n, a in feeds.items()},
                    "ort_vs_torch_max_abs": float(f"{err:.2g}"),
                })  # fmt: skip
            external = [
                e.value for t in model.graph.initializer for e in t.external_data if e.key == "location"
            ]
            entries.append({
                "id": entry_id,
                "model": spec.name,
                "file": path.relative_to(out_dir).as_posix(),
                "external_data": (model_dir / external[0]).relative_to(out_dir).as_posix() if external else None,
                "exporter": exporter,
                "export_call": (
                    f"torch.onnx.export(dynamo=False, opset_version={OPSET}"
                    + ("), static shapes" if spec.static_torchscript else ", dynamic_axes=seq+batch)")
                    if exporter == "torchscript"
                    else f"torch.onnx.export(dynamo=True, external_data=False, opset_version={spec.dynamo_opset}), "
                    "static shapes"
                ),
                "description": spec.description,
                "opset": next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                "ir_version": model.ir_version,
                "inputs": {vi.name: _dims(vi) for vi in in_vis},
                "outputs": {vi.name: _dims(vi) for vi in out_vis},
                "bytes": path.stat().st_size + sum((model_dir / e).stat().st_size for e in set(external)),
                "cases": cases,
            })  # fmt: skip
            print(f"  {entries[-1]['file']:<48} {entries[-1]['bytes']:>7} B  {len(cases)} shapes", flush=True)

    manifest = {
        "about": "PyTorch RNN models as torch.onnx.export writes them; made by tools/export_torch_models.py. "
        "Each case's inputs npz holds PyTorch's inputs and its outputs npz PyTorch's outputs, keyed by the "
        "ONNX graph's input/output names; input_shapes is what to pass to compile_onnx/--input-shape.",
        "versions": {
            "torch": torch.__version__,
            "onnx": onnx.__version__,
            "onnxscript": onnxscript.__version__,
            "numpy": np.__version__,
        },
        "opset_requested": OPSET,
        "export_shape": {"seq_len": EXPORT_SHAPE[0], "batch": EXPORT_SHAPE[1]},
        "models": entries,
    }
    (out_dir / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
    os.chmod(out_dir / "MANIFEST.json", 0o644)
    print(f"ORT vs torch: max abs difference {worst:.3g} over all cases")
    return manifest


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else DEFAULT_OUT
    start = time.perf_counter()
    manifest = export_all(out_dir)
    total = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    print(
        f"{len(manifest['models'])} ONNX files, {total / 1e6:.2f} MB in {out_dir}, "
        f"{time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
