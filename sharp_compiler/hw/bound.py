"""The physical lower bound of a run: what no schedule on this machine can beat.

Every run's statistics carry it (``stats["bound"]``, per layer and total) and the
schedule benchmarks measure against it; the terms are pure arithmetic on
`HwConfig` and the work a program does (imports no xDSL), defined in
``docs/simulator.md``::

    compute     = ceil(useful MACs / multipliers)
    elementwise = max(ceil(act elements / act_lanes), ceil(cell elements / cell_lanes))
    dram        = ceil(cold bytes / dram_bytes_per_cycle)     (weights, inputs, outputs once)
    recurrence  = the longest chain of dependent steps through the stack of recurrent layers
    startup     = dram_latency + ceil(every recurrent layer's weight bytes / bandwidth)
                  + (T - 1) x max(chain, ceil(recurrent MACs of one step / multipliers))
    cycles      = max of the terms

`chain` is the shortest dependent chain of one time step: the last `mvm` block
(one issue cycle plus the shallowest legal adder tree) followed by the cell's
dependent activation and cell-updater operations on one element each
(``1 + latency`` apiece)::

    LSTM  mvm -> act (i,f,g,o) -> mul (f c) -> fma (+ i g) -> act (tanh c) -> mul (o)
    GRU   mvm -> act (z,r) -> fma (r (.) rec + x) -> act (tanh) -> fma (blend)       (lbr = 1)
          mvm -> act (r) -> mul (r (.) h) -> mvm -> act (tanh) -> fma (blend)         (lbr = 0)
    RNN   mvm -> act

`recurrence` follows the steps' dependences: step t of a direction needs its step t - 1
(t + 1 backwards) and the previous layer's output at t, which a bidirectional layer has
only once both its directions reached t. A stack of unidirectional layers is a wavefront
(`chain x (T + layers - 1)`); after a bidirectional layer the next layer's first step waits
for the previous layer's last one, so a stack of L bidirectional layers takes `chain x L x T`.
Each layer's steps take its own cell's chain.

`startup` is the one dependence the others miss: a recurrent layer's second
step needs all its weights on chip, so the layer whose weights finish arriving
last, whichever order the transfers take, still has all its remaining steps to
run (each at least a chain long and at least its recurrent MACs on the whole
array) after the last byte: no schedule overlaps them with the transfer of
every recurrent layer's weights. The step is the smallest over the layers (and
over the two directions: whichever direction's weights arrive last still has
all its steps to run). For one layer's own bound the bytes are those its own
code loads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sharp_compiler.hw.config import HwConfig

TERMS = ("compute", "recurrence", "elementwise", "dram", "startup")


@dataclass(frozen=True)
class Work:
    """What one layer (or the whole program) does, as the bound needs it."""

    macs: int = 0
    act_elements: int = 0
    cell_elements: int = 0
    cold_bytes: int = 0
    recurrent_kind: str = ""  # "lstm" | "gru" | "gru_lbr0" | "rnn" | "" (not recurrent)
    steps: int = 0
    startup_bytes: int = 0  # weight bytes the first recurrent layer needs before its second step
    step_macs: int = 0  # recurrent MACs of one step of that layer (the smallest direction's)
    stack: tuple[tuple[str, int], ...] = ()
    """(cell kind, directions) of each stacked recurrent layer, in order (the dependence chain)."""


def mvm_chain(cfg: HwConfig) -> int:
    """One `mvm` block on the critical path: one issue cycle and the shallowest legal pipeline."""
    return 1 + min(cfg.array_latency(tile) for tile in cfg.tile_shapes)


def step_chain(cfg: HwConfig, kind: str) -> int:
    """The shortest dependent chain of one time step of a recurrent cell, in cycles."""
    act, cell, mvm = 1 + cfg.act_latency, 1 + cfg.cell_latency, mvm_chain(cfg)
    chains = {
        "lstm": mvm + 2 * act + 3 * cell,
        "gru": mvm + 2 * act + 2 * cell,
        "gru_lbr0": 2 * mvm + 2 * act + 2 * cell,
        "rnn": mvm + act,
    }
    return chains.get(kind, 0)


def dependent_steps(cfg: HwConfig, stack: tuple[tuple[str, int], ...], steps: int) -> int:
    """Cycles of the longest chain of dependent steps through a stack of recurrent layers.

    Two unidirectional LSTM layers over 50 steps give `step_chain(cfg, "lstm") * 51`; two
    bidirectional GRU layers give `step_chain(cfg, "gru") * 100`.
    """
    ready = [0] * steps  # when the previous layer's output at each time index is complete
    for kind, directions in stack:
        chain = step_chain(cfg, kind)
        forward, done = 0, [0] * steps
        for t in range(steps):
            forward = max(forward, ready[t]) + chain
            done[t] = forward
        if directions > 1:
            backward = 0
            for t in reversed(range(steps)):
                backward = max(backward, ready[t]) + chain
                done[t] = max(done[t], backward)
        ready = done
    return max(ready, default=0)


def terms(cfg: HwConfig, work: Work) -> dict[str, int]:
    """Each term of the bound for a piece of work, in cycles."""
    chain = step_chain(cfg, work.recurrent_kind)
    bandwidth = cfg.dram_bytes_per_cycle
    startup = 0
    if chain and work.steps and work.startup_bytes:
        step = max(chain, math.ceil(work.step_macs / cfg.macs))
        startup = cfg.dram_latency + math.ceil(work.startup_bytes / bandwidth) + (work.steps - 1) * step
    return {
        "compute": math.ceil(work.macs / cfg.macs),
        "recurrence": _recurrence(cfg, work, chain),
        "elementwise": max(
            math.ceil(work.act_elements / cfg.act_lanes), math.ceil(work.cell_elements / cfg.cell_lanes)
        ),
        "dram": math.ceil(work.cold_bytes / bandwidth),
        "startup": startup,
    }


def _recurrence(cfg: HwConfig, work: Work, chain: int) -> int:
    return dependent_steps(cfg, work.stack, work.steps) if chain and work.steps else 0


def bound(cfg: HwConfig, work: Work, cycles: int) -> dict[str, float | int]:
    """The bound's terms, their maximum (`cycles`) and the run's `cycles_over_bound`."""
    found: dict[str, float | int] = dict(terms(cfg, work))
    best = max(found.values(), default=0)
    found["cycles"] = best
    found["cycles_over_bound"] = cycles / best if best else 0.0
    return found
