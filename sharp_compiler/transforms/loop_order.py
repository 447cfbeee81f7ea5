"""Loop-body order: list scheduling of a time loop's body under the cost model.

The units are in-order queues, so the order of a loop body decides what each
unit waits for: an activation that is ready early can sit behind one that waits
for the end of a long chain. `greedy_order` reorders a body so that each unit
takes its work in the order it becomes ready: a greedy list scheduler runs
a few iterations of the loop on the units (each op's occupancy and latency from
`hw.cost_model`, its dependences from the windows it touches, carried ones one
iteration back) and keeps the order its steady-state iteration chose. Two ops
that conflict in the same iteration keep their order, so results are unchanged
bit for bit (across iterations every pair keeps its order whatever the body's
order). `schedule_cost.order_loop_bodies` keeps the new order only when the
simulator's timing of the layer (tokens included) is shorter::

    act %gates[0:1, 0:384], %xproj[...]        // block 0's gates
    act %tmp[0:1, 0:128], %c[0:1, 0:128], tanh // waits for block 0's cell update
    act %gates[0:1, 512:896], %xproj[...]      // block 1's gates: ready first, now before tanh(c)
"""

from __future__ import annotations

from sharp_compiler.dialects import sharp
from sharp_compiler.transforms.dataflow_tokens import Access, accesses, carried_conflict

ORDERED_SCHEMES = ("unfolded", "auto")
"""The schemes whose loop bodies are list-scheduled (the paper's `intergate` keeps its block order)."""

MODEL_ITERATIONS = 6
"""Iterations the greedy model runs; the order of the last but one is kept."""


def _conflict(a: list[Access], b: list[Access]) -> bool:
    return any(x.conflicts(y) for x in a for y in b)


def dependences(seq: list[sharp.InstructionOp], trips: int) -> tuple[list[list[int]], list[list[int]]]:
    """Per op: the earlier ops it conflicts with in the same iteration, and the ops of the previous
    iterations it conflicts with (`dataflow_tokens.carried_conflict`); pairs are only compared
    where they touch a common resource."""
    n = len(seq)
    found = [accesses(op) for op in seq]
    users: dict[str, set[int]] = {}
    for k, mine in enumerate(found):
        for access in mine:
            users.setdefault(access.resource, set()).add(k)
    same: list[list[int]] = [[] for _ in range(n)]
    back: list[list[int]] = [[] for _ in range(n)]
    for c in range(n):
        near = sorted({p for access in found[c] for p in users[access.resource]})
        same[c] = [p for p in near if p < c and _conflict(found[c], found[p])]
        back[c] = [p for p in near if any(carried_conflict(x, y, trips) for x in found[c] for y in found[p])]
    return same, back


def greedy_order(seq: list[sharp.InstructionOp], trips: int, costs: list[tuple[int, int]]) -> list[int]:
    """Body positions in the order a greedy list scheduler issues them in a steady-state iteration.

    `costs[k]` is (occupancy, latency) of `seq[k]`. Each unit finishes its ops of one iteration
    before it starts the next one's, as an in-order queue running the body does.
    """
    n = len(seq)
    same, back = dependences(seq, trips)
    iterations = min(trips, MODEL_ITERATIONS)
    units = sorted({op.unit for op in seq})
    mine = {u: [k for k in range(n) if seq[k].unit == u] for u in units}
    left = {u: list(mine[u]) for u in units}
    current = dict.fromkeys(units, 0)
    free = dict.fromkeys(units, 0)
    end: dict[tuple[int, int], int] = {}
    start: dict[tuple[int, int], int] = {}
    while True:
        best: tuple[tuple[int, int, int], int] | None = None
        for u in units:
            it = current[u]
            if it >= iterations:
                continue
            for k in left[u]:
                deps = [(p, it) for p in same[k]] + ([(p, it - 1) for p in back[k]] if it else [])
                if any(d not in end for d in deps):
                    continue
                t = max([free[u], *(end[d] for d in deps)])
                key = (t, it, k)
                if best is None or key < best[0]:
                    best = (key, u)
        if best is None:
            break
        (t, it, k), u = best
        occupancy, latency = costs[k]
        start[(k, it)] = t
        end[(k, it)] = t + occupancy + latency
        free[u] = t + occupancy
        left[u].remove(k)
        if not left[u]:
            current[u] += 1
            left[u] = list(mine[u])
    steady = max(0, iterations - 2)
    ranked = sorted(range(n), key=lambda k: (start.get((k, steady), 0), k))
    return _topological(ranked, same)


def _topological(ranked: list[int], same: list[list[int]]) -> list[int]:
    """`ranked`, changed as little as needed so that every op follows the ops it conflicts with before it."""
    placed: set[int] = set()
    out: list[int] = []
    pending = list(ranked)
    while pending:
        for k in pending:
            if all(p in placed for p in same[k]):
                out.append(k)
                placed.add(k)
                pending.remove(k)
                break
    return out


def reorder_body(loop: sharp.TimeLoopOp, order: list[int]) -> None:
    """Put the body's ops in `order` (positions in the current body)."""
    body = loop.body.block
    ops = list(body.ops)
    for op in ops:
        op.detach()
    for k in order:
        body.add_op(ops[k])
