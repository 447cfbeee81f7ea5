"""Lift a decoded `Program` back into a `sharp_isa` module (the inverse of `emit`).

`sharp-translate model.sbin --to-mlir` prints it; feeding that text to
`sharp-translate --to-binary` gives back the same bytes.
"""

from __future__ import annotations

import numpy as np
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation

from sharp_compiler.dialects import sharp_isa
from sharp_compiler.dialects.sharp_attrs import HwConfigAttr
from sharp_compiler.hw.config import config_from_json
from sharp_compiler.isa.program import Program, TensorKind


def program_to_isa(program: Program) -> ModuleOp:
    from sharp_compiler.dialects.weights import WeightsAttr

    ops: list[Operation] = []
    for index, t in enumerate(program.tensors):
        value = None
        if t.kind == TensorKind.CONST:
            raw = program.constants[t.data_offset : t.data_offset + t.data_size]
            value = WeightsAttr.from_array(t.name, np.frombuffer(raw, t.dtype).reshape(t.shape))
        ops.append(sharp_isa.tensor_entry(index, t, value))
    ops += [sharp_isa.region_entry(i, r) for i, r in enumerate(program.regions)]
    ops += [sharp_isa.view_entry(i, v) for i, v in enumerate(program.views)]
    ops += [sharp_isa.dma_entry(i, d) for i, d in enumerate(program.dmas)]
    ops += [sharp_isa.copy_entry(i, c) for i, c in enumerate(program.copies)]
    ops += [sharp_isa.param_entry(i, p) for i, p in enumerate(program.params)]
    ops += [sharp_isa.layer_entry(layer) for layer in program.layers]
    ops += [sharp_isa.instruction(ins) for ins in program.instructions]
    module = ModuleOp(ops)
    module.attributes["sharp.hw"] = HwConfigAttr(config_from_json(program.config_json))
    module.attributes["sharp.precision"] = StringAttr(program.precision)
    return module
