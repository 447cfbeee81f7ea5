"""convert-rnn-to-sharp: the tiled-dispatch lowering from `rnn` to `sharp`.

Every model tensor becomes a DRAM `sharp.tensor`; every recurrent layer
direction becomes a `sharp.layer` that loads its weights into the weight
buffer (or streams them in row blocks when they do not fit), then runs a
`sharp.time_loop` over the sequence whose body dispatches W and R to the
array, activates and updates the cell (see `recurrent_cells`); a reshape is a
view of the same DRAM bytes (no code), the other glue ops (transpose, concat,
slice) become strided DRAM copies. Any input or
hidden size works: the dispatcher cuts matrices into tile blocks and the
padding of partial blocks costs time, never exactness.

Option `chunks` (default 0) forces the row blocks; with the default, `sequential`
keeps one block and `intergate`, `unfolded` and `auto` choose them per recurrent
node with the cost model (`choose_blocks`). With chunks > 1
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

Before::

    %y, %yh, %yc = rnn.lstm %x, %w, %r ... {hidden_size = 16 ...}

After::

    sharp.tensor input @X : tensor<10x1x8xf32> {onnx_name = "X"}
    sharp.layer @lstm0_fwd "lstm" from "lstm0" tile <32x32> macs 7680 {
      sharp.load_weights <@lstm0_fwd_Wbuf[0:64, 0:8]>, <@lstm0_fwd_W[...]>
      ...
      sharp.time_loop 10 {
        sharp.load <@lstm0_fwd_x[0:1, 0:8]>, <@X[base 0, rows 1 stride 8, cols 8, step 8]>
        sharp.dispatch <@lstm0_fwd_acc[0:1, 0:64]>, <@lstm0_fwd_x[0:1, 0:8]>, <@lstm0_fwd_Wbuf[0:64, 0:8]>
        ...
"""

from sharp_compiler.transforms.rnn_access import LoweringError
from sharp_compiler.transforms.rnn_to_sharp.builder import Lowering
from sharp_compiler.transforms.rnn_to_sharp.pass_ import ConvertRnnToSharpPass, module_config, resolve_config
from sharp_compiler.transforms.rnn_to_sharp.plan import RecurrentPlan, SchemeOptions

__all__ = [
    "ConvertRnnToSharpPass",
    "LoweringError",
    "Lowering",
    "RecurrentPlan",
    "SchemeOptions",
    "module_config",
    "resolve_config",
]
