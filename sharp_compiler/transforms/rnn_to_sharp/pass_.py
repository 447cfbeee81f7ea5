"""The `convert-rnn-to-sharp` pass, and the hardware config a lowered module carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.passes import ModulePass

from sharp_compiler.dialects.sharp_attrs import HwConfigAttr
from sharp_compiler.hw.config import DEFAULT_PRESET, HwConfig, load_config
from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.rnn_to_sharp.builder import Lowering
from sharp_compiler.transforms.rnn_to_sharp.graph import lower_function
from sharp_compiler.transforms.rnn_to_sharp.plan import SchemeOptions, choose_blocks


def module_config(module: ModuleOp) -> tuple[HwConfig, str]:
    """The hardware config and precision a module carries (set by convert-rnn-to-sharp)."""
    hw = module.attributes.get("sharp.hw")
    prec = module.attributes.get("sharp.precision")
    if not isinstance(hw, HwConfigAttr) or not isinstance(prec, StringAttr):
        raise LoweringError("module carries no sharp.hw / sharp.precision; run convert-rnn-to-sharp first")
    return hw.config(), prec.data


def resolve_config(module: ModuleOp, preset: str, budget: int, precision: str) -> HwConfig:
    existing = module.attributes.get("sharp.hw")
    if isinstance(existing, HwConfigAttr) and preset == DEFAULT_PRESET and not budget:
        cfg = existing.config()
    else:
        cfg = load_config(preset)
    if budget:
        cfg = cfg.with_budget(budget)
    if precision:
        cfg = cfg.with_precision(precision)
    return cfg


@dataclass(frozen=True)
class ConvertRnnToSharpPass(ModulePass):
    """Lower `rnn` layers to tiled dispatch over time steps in `sharp`."""

    name = "convert-rnn-to-sharp"
    hw: str = DEFAULT_PRESET
    budget: int = 0
    precision: str = ""
    chunks: int = 0
    """Row blocks per recurrent layer; 0 (default): 1 for `sequential`, chosen by the cost model for
    the block schemes (`intergate`, `unfolded`, `auto`)."""
    scheme: str = "sequential"
    """The schedule the code is laid out for: `unfolded` and `auto` accumulate R h in place."""
    order: str = "row"
    """Unfolded plan: `row` (block by block) or `column` (every block's early columns first)."""

    def options(self, blocks: dict[str, int], chunks: int | None = None) -> SchemeOptions:
        """This pass's scheme as lowering options, row blocks per node given (else `chunks`)."""
        return SchemeOptions.of(self.scheme, self.order, chunks or self.chunks, blocks)

    def lowered(self, fn: func.FuncOp) -> Callable[[HwConfig, dict[str, int], int], Lowering]:
        """`fn` lowered with this pass's options for `choose_blocks` (n row blocks per node)."""
        return lambda cfg, blocks, n: lower_function(
            Lowering(cfg, cfg.precision), fn, self.options(blocks, n)
        )

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        cfg = resolve_config(op, self.hw, self.budget, self.precision)
        funcs = [f for f in op.body.block.ops if isinstance(f, func.FuncOp)]
        if len(funcs) != 1:
            raise LoweringError(f"expected one func.func holding the model, found {len(funcs)}")
        if self.chunks < 0:
            raise LoweringError(f"chunks must be 0 (chosen) or a positive integer, got {self.chunks}")
        choose = self.scheme in ("intergate", "unfolded", "auto", "dataflow") and self.chunks == 0
        blocks = choose_blocks(cfg, funcs[0], self.lowered(funcs[0]), self.scheme) if choose else {}
        lowering = lower_function(Lowering(cfg, cfg.precision), funcs[0], self.options(blocks))
        for old in list(op.body.block.ops):
            old.detach()
            old.erase()
        op.body.block.add_ops([*lowering.tensors, *lowering.buffers, *lowering.layers])
        op.attributes["sharp.hw"] = HwConfigAttr(cfg)
        op.attributes["sharp.precision"] = StringAttr(cfg.precision)
