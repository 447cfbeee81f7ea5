"""sharp-schedule: order the units' work with dependency tokens.

`scheme=dataflow` lets units overlap wherever the data allows: an instruction
waits only for the instructions it truly depends on (see `dataflow_tokens`).

Under `scheme=unfolded` and `scheme=auto` each time loop's body is first
list-scheduled (`loop_order`): the units are in-order queues, so independent
ops are reordered to the order in which they become ready (e.g. the next
hidden block's gate activations before this block's `tanh(c)`), where the
simulator's timing of the layer gets shorter; ops that touch the same window
keep their order, so the numbers do not change.

`scheme=sequential` is the straightforward schedule: every instruction waits
for the one before it (in dynamic order), so no two units ever overlap. At a
unit change the earlier instruction pushes a token to the later one's unit,
which pops it. Loop bodies are bracketed by `sharp.sync "dma"` ops so the
token pattern of every iteration is the same, whatever unit the body starts
or ends on: a sync before the loop, one at the head and one at the tail of the
body make every crossing of the loop boundary a DMA-to-DMA step, so each
queue gets exactly one push per pop (code stays independent of the sequence
length).

Before::

    sharp.load <@x[0:1, 0:8]>, <@X[...]>
    sharp.dispatch <@acc[0:1, 0:64]>, <@x[0:1, 0:8]>, <@W[0:64, 0:8]>

After::

    sharp.load <@x[0:1, 0:8]>, <@X[...]> tokens <pop [], push [array]>
    sharp.dispatch <@acc[0:1, 0:64]>, <@x[0:1, 0:8]>, <@W[0:64, 0:8]> tokens <pop [dma], push []>
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block
from xdsl.passes import ModulePass

from sharp_compiler.dialects import sharp
from sharp_compiler.dialects.sharp_attrs import TokensAttr
from sharp_compiler.isa.spec import Unit
from sharp_compiler.transforms.dataflow_tokens import assign_dataflow_tokens
from sharp_compiler.transforms.loop_order import ORDERED_SCHEMES
from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.rnn_to_sharp import module_config
from sharp_compiler.transforms.schedule_cost import order_loop_bodies

SCHEMES = ("sequential", "intergate", "unfolded", "auto")
"""Named schemes; `dataflow` is accepted as the older name of `intergate`."""


@dataclass
class _Chain:
    """Links each instruction to its dynamic predecessor with a token when units differ."""

    masks: dict[sharp.InstructionOp, list[int]] = field(default_factory=dict)
    prev: sharp.InstructionOp | None = None

    def link(self, op: sharp.InstructionOp) -> None:
        self.masks.setdefault(op, [0, 0])
        if self.prev is not None and self.prev.unit != op.unit:
            self.masks[self.prev][1] |= 1 << op.unit
            self.masks[op][0] |= 1 << self.prev.unit
        self.prev = op

    def walk(self, block: Block) -> None:
        for op in list(block.ops):
            if isinstance(op, sharp.TimeLoopOp):
                entry = sharp.SyncOp(Unit.DMA)
                block.insert_op_before(entry, op)
                self.link(entry)
                body = op.body.block
                head = sharp.SyncOp(Unit.DMA)
                if body.first_op is None:
                    body.add_op(head)
                else:
                    body.insert_op_before(head, body.first_op)
                self.walk(body)
                tail = sharp.SyncOp(Unit.DMA)
                op.body.block.add_op(tail)
                self.link(tail)
            elif isinstance(op, sharp.LayerOp):
                self.walk(op.body.block)
            elif isinstance(op, sharp.InstructionOp):
                self.link(op)


def sequential_tokens(block: Block) -> dict[sharp.InstructionOp, list[int]]:
    """The sequential scheme's masks (syncs inserted around loops)."""
    chain = _Chain()
    chain.walk(block)
    return chain.masks


@dataclass(frozen=True)
class SharpSchedulePass(ModulePass):
    """Assign dependency tokens to every instruction according to a scheme."""

    name = "sharp-schedule"
    scheme: str = "sequential"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        scheme = "intergate" if self.scheme == "dataflow" else self.scheme
        if scheme not in SCHEMES:
            raise LoweringError(
                f"sharp-schedule: scheme must be one of {', '.join(SCHEMES)}, got '{self.scheme}'"
            )
        for existing in [o for o in op.walk() if isinstance(o, sharp.SyncOp)]:
            existing.detach()
            existing.erase()
        if scheme != "sequential":
            cfg, precision = module_config(op)
            cross_step = scheme != "intergate" and cfg.cross_step_overlap
            if scheme in ORDERED_SCHEMES:
                for layer in [o for o in op.body.block.ops if isinstance(o, sharp.LayerOp)]:
                    order_loop_bodies(layer, cfg, precision, layer.tile.shape, scheme)
            masks = assign_dataflow_tokens(op.body.block, cross_step)
        else:
            masks = sequential_tokens(op.body.block)
        for inst, (pop, push) in masks.items():
            inst.properties["tokens"] = TokensAttr(pop, push)
