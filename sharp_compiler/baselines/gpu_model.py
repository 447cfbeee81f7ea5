"""An analytic model of batch-1 RNN inference on a GPU (cuDNN), calibrated to DeepBench.

A GPU runs a recurrent layer as one large GEMM for the input projections of every step
(W x, no recurrence), then one step at a time: each step launches kernels, re-reads the
recurrent weights R from DRAM (at batch 1 they are used once per step and do not stay in
the caches unless the whole matrix fits the L2), multiplies, applies the gates and
synchronises before the next step can start. Per layer and step::

    t_step = t_sync + max(R_bytes / bandwidth, R_flops / peak_flops)   (R_bytes = 0 if it fits the L2)
    t_wx   = t_sync + max(W_bytes / bandwidth, W_flops / peak_flops)   (once per layer)

Both directions of a bidirectional layer run concurrently (cuDNN issues them on two
streams): they share one t_sync and the bandwidth. Layers run one after the other.

Calibration (`PASCAL`): DeepBench's published inference RNN results (cuDNN, fp32,
github.com/baidu-research/DeepBench README, "Inference Server Results / RNN Results"):

    LSTM 1536 x batch 4 x T 50     6.93 ms  TitanXp
    LSTM  256 x batch 4 x T 150    1.63 ms  GTX 1080 Ti
    GRU  2816 x batch 1 x T 1500 350.62 ms  TitanXp
    GRU  2560 x batch 2 x T 375   75.02 ms  TitanXp

The 256-hidden LSTM's weights (1 MiB) fit the L2, so its 10.9 us per step is the sync
cost; the bandwidth is the least-squares fit of the other three per-step times given that
sync cost (407 GB/s, 74% of the TitanXp's 547.6 GB/s peak). Peak FLOPS and the L2 are the
TitanXp's data-sheet figures. `calibration_table()` prints the fit beside the measurements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import onnx

GATES = {"lstm": 4, "gru": 3, "rnn": 1}


@dataclass(frozen=True)
class GpuModel:
    name: str
    sync_seconds: float
    """Kernel launches + synchronisation per layer step."""
    bytes_per_second: float
    """Effective DRAM bandwidth of a weight-streaming matrix-vector product."""
    peak_flops: float
    """Peak fp32 FLOP/s."""
    l2_bytes: int
    """Weights up to this size stay on chip across steps."""
    weight_bytes: int
    """Bytes per weight (4: DeepBench's RNN results are fp32)."""
    board_watts: float
    """Board power while running (TDP), for GFLOPS/W."""


PASCAL = GpuModel(
    name="gpu-like (Pascal, DeepBench-calibrated)",
    sync_seconds=10.87e-6,
    bytes_per_second=407.5e9,
    peak_flops=12.15e12,
    l2_bytes=3 * 1024 * 1024,
    weight_bytes=4,
    board_watts=250.0,
)

DEEPBENCH_POINTS = (
    # (kind, hidden, batch, steps, milliseconds, GPU)
    ("lstm", 1536, 4, 50, 6.93, "TitanXp"),
    ("lstm", 256, 4, 150, 1.63, "GTX 1080 Ti"),
    ("gru", 2816, 1, 1500, 350.62, "TitanXp"),
    ("gru", 2560, 2, 375, 75.02, "TitanXp"),
)


@dataclass(frozen=True)
class RnnLayer:
    """One recurrent layer as the GPU sees it."""

    kind: str  # lstm | gru | rnn
    hidden: int
    input_size: int
    directions: int = 1


@dataclass(frozen=True)
class RnnShape:
    """A stack of recurrent layers over `steps` time steps at `batch`."""

    layers: tuple[RnnLayer, ...]
    steps: int
    batch: int = 1

    @classmethod
    def stack(cls, kind: str, layers: int, hidden: int, input_size: int, steps: int, batch: int = 1,
              bidirectional: bool = False) -> RnnShape:  # fmt: skip
        dirs = 2 if bidirectional else 1
        sizes = [input_size] + [dirs * hidden] * (layers - 1)
        return cls(tuple(RnnLayer(kind, hidden, k, dirs) for k in sizes), steps, batch)


def _kernel(model: GpuModel, nbytes: float, flops: float) -> float:
    return model.sync_seconds + max(nbytes / model.bytes_per_second, flops / model.peak_flops)


def seconds(shape: RnnShape, model: GpuModel = PASCAL) -> float:
    """Modelled inference time of a stacked RNN."""
    total = 0.0
    for layer in shape.layers:
        gh = GATES[layer.kind] * layer.hidden
        w_elems, r_elems = layer.directions * gh * layer.input_size, layer.directions * gh * layer.hidden
        total += _kernel(model, w_elems * model.weight_bytes, 2 * w_elems * shape.steps * shape.batch)
        r_bytes = r_elems * model.weight_bytes
        streamed = r_bytes if r_bytes > model.l2_bytes else 0
        total += shape.steps * _kernel(model, streamed, 2 * r_elems * shape.batch)
    return total


def flops(shape: RnnShape) -> int:
    """Useful FLOPs (2 per MAC of W x and R h)."""
    total = 0
    for layer in shape.layers:
        gh = GATES[layer.kind] * layer.hidden
        total += 2 * layer.directions * gh * (layer.input_size + layer.hidden) * shape.steps * shape.batch
    return total


def gflops_per_watt(shape: RnnShape, model: GpuModel = PASCAL) -> float:
    return flops(shape) / (seconds(shape, model) * model.board_watts) / 1e9


def shape_of_onnx(model: onnx.ModelProto) -> RnnShape:
    """The recurrent layers of an ONNX model (LSTM/GRU/RNN nodes, in graph order) and its T, B."""
    inferred = onnx.shape_inference.infer_shapes(model)
    dims: dict[str, list[int]] = {}
    for info in [*inferred.graph.input, *inferred.graph.value_info]:
        dims[info.name] = [d.dim_value for d in info.type.tensor_type.shape.dim]
    weights = {init.name: list(init.dims) for init in model.graph.initializer}
    layers: list[RnnLayer] = []
    steps = batch = 0
    for node in model.graph.node:
        if node.op_type not in ("LSTM", "GRU", "RNN"):
            continue
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        w = weights.get(node.input[1])
        x = dims.get(node.input[0])
        if w is None or not x or len(x) != 3:
            raise ValueError(f"{node.name}: the GPU model needs constant W and a static [T, B, I] input")
        layout = attrs.get("layout", 0)
        steps, batch = (x[0], x[1]) if layout == 0 else (x[1], x[0])
        kind = node.op_type.lower()
        layers.append(RnnLayer(kind, int(attrs["hidden_size"]), w[2], w[0]))
    if not layers:
        raise ValueError("the model has no LSTM, GRU or RNN node")
    return RnnShape(tuple(layers), steps, batch)


def calibration_table(model: GpuModel = PASCAL) -> list[tuple[str, float, float, float]]:
    """(case, measured ms, modelled ms, relative error) for every DeepBench calibration point."""
    rows = []
    for kind, hidden, batch, steps, ms, gpu in DEEPBENCH_POINTS:
        modelled = seconds(RnnShape.stack(kind, 1, hidden, hidden, steps, batch), model) * 1e3
        case = f"{kind.upper()} {hidden} b{batch} T{steps} ({gpu})"
        rows.append((case, ms, modelled, modelled / ms - 1.0))
    return rows


def fit_bandwidth(sync_seconds: float, model: GpuModel = PASCAL) -> float:
    """Least-squares bandwidth of the streamed calibration points given the sync cost (documents the fit)."""
    num = den = 0.0
    for kind, hidden, _batch, steps, ms, _gpu in DEEPBENCH_POINTS:
        r_bytes = GATES[kind] * hidden * hidden * model.weight_bytes
        if r_bytes <= model.l2_bytes:
            continue
        per_step = ms * 1e-3 / steps - sync_seconds
        num += r_bytes * per_step
        den += r_bytes * r_bytes
    return den / num if num else math.inf
