"""The `rnn` -> `sharp` lowering (`convert-rnn-to-sharp`, documented in `pass_`), one concept a module.

    pass_       ConvertRnnToSharpPass, module_config, resolve_config
    graph       lower_function: the walk over a model's func.func
    builder     Lowering: DRAM tensors, buffers, layers, unique names (no scheme decisions)
    plan        SchemeOptions (per scheme), RecurrentPlan (per recurrent node), choose_blocks
    recurrent   one sharp.layer per direction: whole-sequence, per-step or blocked, from a plan
    cell_setup  a direction's cell buffers, activations, biases and peepholes
    cells       CellEmitter: the per-step LSTM / GRU / RNN code
    weights     WeightRows, WeightDispatch: resident or streamed weights
    blocks      row blocks: block_spans, gate_permutation, count_macs
    geometry    DRAM windows of X, Y and the states
    glue        reshape views, transpose / concat / slice copies
    dense       linear, softmax, activations, layer norm, embeddings

Helpers take the `Lowering` they add to as their first argument; no module imports the
package back. Adding a scheme is adding a plan: its options in `SchemeOptions.of`, its
per-node decisions in `RecurrentPlan.make`, its code as an emitter in `recurrent`.
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
