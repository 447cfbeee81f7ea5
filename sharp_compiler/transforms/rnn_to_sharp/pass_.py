"""convert-rnn-to-sharp: the tiled-dispatch lowering from `rnn` to `sharp`.

Every model tensor becomes a DRAM `sharp.tensor`; every recurrent layer
direction becomes a `sharp.layer` that loads its weights into the weight
buffer (or streams them in row blocks when they do not fit), then runs a
`sharp.time_loop` over the sequence whose body dispatches W and R to the
array, activates and updates the cell (see `rnn_to_sharp.cells`); a reshape is a
view of the same DRAM bytes (no code), the other glue ops (transpose, concat,
slice) become strided DRAM copies. Any input or
hidden size works: the dispatcher cuts matrices into tile blocks and the
padding of partial blocks costs time, never exactness.

Option `chunks` (default 0) forces the row blocks; with the default, `sequential`
keeps one block and `intergate`, `unfolded` and `auto` choose them per recurrent
node with the cost model (`plan.choose_blocks`). With chunks > 1
the hidden units of each layer direction are cut into that many contiguous
blocks (sizes as equal as possible; more chunks than units give one unit per
block). The gate rows of W, R and the biases are permuted at compile time to
[block][gate][unit] order, so one block's gate pre-activations are one
contiguous column range of the precomputed input projection. The h buffer
holds T + 1 blocks of B rows (the initial state, then every step's h), so a
step reads h_t-1 from one block and writes h_t into the next, with no copies;
Y and Y_h are stored from it after the loop. Each step then emits, block by
block, the dispatch of that block's rows of R, the input part, the
activations and the cell update writing its units of h_t (LSTM's c is
updated in place, block by block), so under `sharp-schedule{scheme=dataflow}`
the array works on block k+1 while the activation and cell units finish block
k. GRU with linear_before_reset = 0 computes z, r and r (.) h_t-1 of every
block before the candidates, which need the whole vector. Blocks need the
whole-sequence mode: a layer with layout 1, sequence_lens, or a sequence too
large for the vector buffer (with the T + 1 states) silently keeps chunks = 1.

Every decision per recurrent node (whole-sequence or per-step, blocks, resident weights, the
unfolded plan) is made once, in `plan.RecurrentPlan`; `recurrent` emits what it says.

Before (tests/filecheck/Inputs/lstm_small.onnx as `sharp-opt` imports it)::

    %Y, %Y_h, %Y_c = rnn.lstm %X : tensor<5x1x3xf32>, %W : tensor<1x16x3xf32>, %R : tensor<1x16x4xf32> bias %B : tensor<1x32xf32> hidden_size 4 direction forward layout 0 ... onnx_node "lstm_0" -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>
    %output = rnn.reshape %Y onnx_node "squeeze_0" : tensor<5x1x1x4xf32> -> tensor<5x1x4xf32>

After (`sharp-opt lstm_small.onnx -p convert-rnn-to-sharp`; the whole sequence fits on chip)::

    sharp.tensor input @X : tensor<5x1x3xf32> {onnx_name = "X"}
    sharp.tensor output @lstm_0_Y : tensor<5x1x4xf32> {onnx_name = "output"}
    sharp.tensor output @Y_h : tensor<1x1x4xf32> {onnx_name = "Y_h"}
    sharp.tensor const @lstm_0_fwd_W : tensor<16x3xf16> {value = #rnn.weights<"lstm_0_fwd_W", tensor<16x3xf16>, elided>}
    ...
    sharp.buffer @lstm_0_fwd_Wbuf wmem [16 x 3]
    sharp.buffer @lstm_0_fwd_Rbuf wmem [16 x 4]
    sharp.buffer @lstm_0_fwd_h vmem [1 x 4]
    ...
    sharp.layer @lstm_0_fwd "lstm" from "lstm_0" tile <32x32> macs 560 {
      sharp.load_weights <@lstm_0_fwd_Wbuf[0:16, 0:3]>, <@lstm_0_fwd_W[base 0, rows 16 stride 3, cols 3]>
      sharp.load_weights <@lstm_0_fwd_Rbuf[0:16, 0:4]>, <@lstm_0_fwd_R[base 0, rows 16 stride 4, cols 4]>
      sharp.load <@lstm_0_fwd_bias[0:1, 0:16]>, <@lstm_0_fwd_bias_init[base 0, rows 1 stride 16, cols 16]>
      sharp.load <@lstm_0_fwd_xseq[0:5, 0:3]>, <@X[base 0, rows 5 stride 3, cols 3]>
      sharp.dispatch <@lstm_0_fwd_xproj[0:5, 0:16]>, <@lstm_0_fwd_xseq[0:5, 0:3]>, <@lstm_0_fwd_Wbuf[0:16, 0:3]>
      sharp.add <@lstm_0_fwd_xproj[0:5, 0:16]>, <@lstm_0_fwd_xproj[0:5, 0:16]>, <@lstm_0_fwd_bias[0:1, 0:16]>
      sharp.fill <@lstm_0_fwd_h[0:1, 0:4]>, "0.0"
      sharp.fill <@lstm_0_fwd_c[0:1, 0:4]>, "0.0"
      sharp.time_loop 5 {
        sharp.dispatch <@lstm_0_fwd_acc[0:1, 0:16]>, <@lstm_0_fwd_h[0:1, 0:4]>, <@lstm_0_fwd_Rbuf[0:16, 0:4]>
        sharp.add <@lstm_0_fwd_acc[0:1, 0:16]>, <@lstm_0_fwd_acc[0:1, 0:16]>, <@lstm_0_fwd_xproj[0:1 by 1, 0:16]>
        sharp.activate <@lstm_0_fwd_gates[0:1, 0:4]>, <@lstm_0_fwd_acc[0:1, 0:4]> <sigmoid>
        ...
        sharp.mul <@lstm_0_fwd_h[0:1, 0:4]>, <@lstm_0_fwd_gates[0:1, 4:4]>, <@lstm_0_fwd_tmp[0:1, 0:4]>
        sharp.move <@lstm_0_fwd_y[0:1 by 1, 0:4]>, <@lstm_0_fwd_h[0:1, 0:4]>
      }
      sharp.store <@lstm_0_Y[base 0, rows 5 stride 4, cols 4]>, <@lstm_0_fwd_y[0:5, 0:4]>
      sharp.store <@Y_h[base 0, rows 1 stride 4, cols 4]>, <@lstm_0_fwd_h[0:1, 0:4]>
    }
"""

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
