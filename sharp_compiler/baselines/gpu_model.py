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
class RnnShape:
    """What the model needs of a recurrent model: one entry per layer, all layers alike but the first."""

    kind: str
    layers: int
    hidden: int
    input_size: int
    steps: int
    batch: int = 1
    bidirectional: bool = False


def _kernel(model: GpuModel, nbytes: float, flops: float) -> float:
    return model.sync_seconds + max(nbytes / model.bytes_per_second, flops / model.peak_flops)


def seconds(shape: RnnShape, model: GpuModel = PASCAL) -> float:
    """Modelled inference time of a stacked RNN at the given batch."""
    dirs = 2 if shape.bidirectional else 1
    gh = GATES[shape.kind] * shape.hidden
    total, k = 0.0, shape.input_size
    for _ in range(shape.layers):
        w_elems, r_elems = dirs * gh * k, dirs * gh * shape.hidden
        total += _kernel(model, w_elems * model.weight_bytes, 2 * w_elems * shape.steps * shape.batch)
        r_bytes = r_elems * model.weight_bytes
        streamed = r_bytes if r_bytes > model.l2_bytes else 0
        total += shape.steps * _kernel(model, streamed, 2 * r_elems * shape.batch)
        k = dirs * shape.hidden
    return total


def flops(shape: RnnShape) -> int:
    """Useful FLOPs (2 per MAC of W x and R h)."""
    dirs = 2 if shape.bidirectional else 1
    gh = GATES[shape.kind] * shape.hidden
    total, k = 0, shape.input_size
    for _ in range(shape.layers):
        total += 2 * dirs * gh * (k + shape.hidden) * shape.steps * shape.batch
        k = dirs * shape.hidden
    return total


def gflops_per_watt(shape: RnnShape, model: GpuModel = PASCAL) -> float:
    return flops(shape) / (seconds(shape, model) * model.board_watts) / 1e9


def calibration_table(model: GpuModel = PASCAL) -> list[tuple[str, float, float, float]]:
    """(case, measured ms, modelled ms, relative error) for every DeepBench calibration point."""
    rows = []
    for kind, hidden, batch, steps, ms, gpu in DEEPBENCH_POINTS:
        modelled = seconds(RnnShape(kind, 1, hidden, hidden, steps, batch), model) * 1e3
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
