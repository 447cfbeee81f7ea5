// IRDL definition of the `sharp` dialect, generated from sharp_compiler.dialects.sharp
// by tools/export_irdl.py; do not edit (regenerate: python tools/export_irdl.py).
//
// Load in upstream MLIR: mlir-opt --irdl-file=dialects/sharp.irdl.mlir input.mlir
// IRDL-defined ops use the generic syntax; xDSL properties become attributes ("name" = value in
// the attribute dictionary). Mapping and limits: dialects/README.md.

irdl.dialect @sharp {
  // sharp.hw: The hardware configuration a module is compiled for (canonical JSON).
  irdl.attribute @hw {
    %preset = irdl.base "#builtin.string"
    %json = irdl.base "#builtin.string"
    irdl.parameters(preset: %preset, json: %json)
    // + Python verify() checks not expressible in IRDL
  }

  // sharp.tile: A tile geometry of the multiplier array: `#sharp.tile<rows x cols>`.
  irdl.attribute @tile {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %rows = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %cols = irdl.any
    irdl.parameters(rows: %rows, cols: %cols)
    // + Python verify() checks not expressible in IRDL
  }

  // sharp.win: Rows [row0 + step*i, +nrows) x cols [col0, +ncols) of an on-chip buffer; i = loop index.
  irdl.attribute @win {
    %buffer = irdl.base "#builtin.string"
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %row0 = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %nrows = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %row_step = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %col0 = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %ncols = irdl.any
    irdl.parameters(buffer: %buffer, row0: %row0, nrows: %nrows, row_step: %row_step, col0: %col0, ncols: %ncols)
    // + Python verify() checks not expressible in IRDL
  }

  // sharp.dram: A [nrows, ncols] window of a DRAM tensor at loop index i (see isa.program.DmaDesc).
  irdl.attribute @dram {
    %tensor = irdl.base "#builtin.string"
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %base = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %nrows = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %row_stride = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %ncols = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %step_stride = irdl.any
    %lens = irdl.base "#builtin.string"
    irdl.parameters(tensor: %tensor, base: %base, nrows: %nrows, row_stride: %row_stride, ncols: %ncols, step_stride: %step_stride, lens: %lens)
  }

  // sharp.copy: A strided 4-D DRAM-to-DRAM copy (isa.program.CopyDesc).
  // renamed @copy_attr: irdl.dialect keeps ops and attributes in one symbol table, and op sharp.copy exists; upstream this attribute is #sharp.copy_attr
  irdl.attribute @copy_attr {
    %src = irdl.base "#builtin.string"
    %dst = irdl.base "#builtin.string"
    %sizes = irdl.base "#builtin.string"
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %src_base = irdl.any
    %src_strides = irdl.base "#builtin.string"
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %dst_base = irdl.any
    %dst_strides = irdl.base "#builtin.string"
    irdl.parameters(src: %src, dst: %dst, sizes: %sizes, src_base: %src_base, src_strides: %src_strides, dst_base: %dst_base, dst_strides: %dst_strides)
    // + Python verify() checks not expressible in IRDL
  }

  // sharp.act: An activation function with its ONNX alpha/beta and optional clip.
  irdl.attribute @act {
    %fn = irdl.base "#builtin.string"
    %alpha = irdl.base "#builtin.float"
    %beta = irdl.base "#builtin.float"
    %clip = irdl.base "#builtin.float"
    irdl.parameters(fn: %fn, alpha: %alpha, beta: %beta, clip: %clip)
    // + Python verify() checks not expressible in IRDL
  }

  // sharp.tokens: Dependency tokens of one instruction: queues it pops from and pushes to.
  irdl.attribute @tokens {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %pop = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %push = irdl.any
    irdl.parameters(pop: %pop, push: %push)
    // + Python verify() checks not expressible in IRDL
  }

  // sharp.tensor: A tensor in DRAM: a model input or output, a constant, or scratch.
  irdl.operation @tensor {
    %sym_name = irdl.base "#builtin.string"
    %kind = irdl.base "#builtin.string"
    %tensor_type = irdl.base "!builtin.tensor"
    irdl.attributes {
      "sym_name" = %sym_name,  // property
      "kind" = %kind,  // property
      "tensor_type" = %tensor_type  // property
    }
    // optional "onnx_name" (property): irdl.base "#builtin.string"
    // optional "value" (property): irdl.any
    // + Python verify_() checks not expressible in IRDL
  }

  // sharp.buffer: An on-chip buffer: rows x cols fp32 words in the vector (vmem) or weight (wmem) buffer.
  irdl.operation @buffer {
    %sym_name = irdl.base "#builtin.string"
    %space = irdl.base "#builtin.string"
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %rows = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %cols = irdl.any
    irdl.attributes {
      "sym_name" = %sym_name,  // property
      "space" = %space,  // property
      "rows" = %rows,  // property
      "cols" = %cols  // property
    }
    // optional "base" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // + Python verify_() checks not expressible in IRDL
  }

  // sharp.layer: The code of one model layer (one ONNX node), with its tile geometry and useful MAC count.
  // traits (IRDL has no traits): NoTerminator
  irdl.operation @layer {
    %sym_name = irdl.base "#builtin.string"
    %kind = irdl.base "#builtin.string"
    %onnx_node = irdl.base "#builtin.string"
    %tile = irdl.base @sharp::@tile
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %macs = irdl.any
    irdl.attributes {
      "sym_name" = %sym_name,  // property
      "kind" = %kind,  // property
      "onnx_node" = %onnx_node,  // property
      "tile" = %tile,  // property
      "macs" = %macs  // property
    }
    // optional "directions" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    %body = irdl.region with size 1
    irdl.regions(body: %body)
  }

  // sharp.time_loop: Repeat the body once per time step; windows advance by their `by` step per iteration.
  // traits (IRDL has no traits): NoTerminator
  irdl.operation @time_loop {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %trips = irdl.any
    irdl.attributes {
      "trips" = %trips  // property
    }
    %body = irdl.region with size 1
    irdl.regions(body: %body)
    // + Python verify_() checks not expressible in IRDL
  }

  // sharp.configure_tile: Reconfigure the multiplier array: `sharp.configure_tile <16x64>`.
  irdl.operation @configure_tile {
    %tile = irdl.base @sharp::@tile
    irdl.attributes {
      "tile" = %tile  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.load: DMA a DRAM window into a buffer window: `sharp.load <@x[0:1, 0:64]>, <@X[...]> reverse`.
  irdl.operation @load {
    %dst = irdl.base @sharp::@win
    %src = irdl.base @sharp::@dram
    irdl.attributes {
      "dst" = %dst,  // property
      "src" = %src  // property
    }
    // optional "reverse" (property): irdl.base "#builtin.unit"
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.store: DMA a buffer window into a DRAM window: `sharp.store <@Y[...]>, <@h[0:1, 0:64]>`.
  irdl.operation @store {
    %dst = irdl.base @sharp::@dram
    %src = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "src" = %src  // property
    }
    // optional "reverse" (property): irdl.base "#builtin.unit"
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.load_weights: DMA a block of a constant matrix into the weight buffer.
  irdl.operation @load_weights {
    %dst = irdl.base @sharp::@win
    %src = irdl.base @sharp::@dram
    irdl.attributes {
      "dst" = %dst,  // property
      "src" = %src  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.move: Copy one buffer window into another.
  irdl.operation @move {
    %dst = irdl.base @sharp::@win
    %src = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "src" = %src  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.copy: Strided DRAM-to-DRAM copy (transpose, reshape, concat glue).
  irdl.operation @copy {
    %pattern = irdl.base @sharp::@copy_attr
    irdl.attributes {
      "pattern" = %pattern  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.dispatch: Tiled dispatch of a weight matrix to the array: dst[n,M] (+)= src[n,K] x weights[M,K]^T.
  irdl.operation @dispatch {
    %dst = irdl.base @sharp::@win
    %src = irdl.base @sharp::@win
    %weights = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "src" = %src,  // property
      "weights" = %weights  // property
    }
    // optional "accumulate" (property): irdl.base "#builtin.unit"
    // optional "tokens" (property): irdl.base @sharp::@tokens
    // + Python verify_() checks not expressible in IRDL
  }

  // sharp.activate: Activation unit: dst = fn(clip(src)).
  irdl.operation @activate {
    %dst = irdl.base @sharp::@win
    %src = irdl.base @sharp::@win
    %fn = irdl.base @sharp::@act
    irdl.attributes {
      "dst" = %dst,  // property
      "src" = %src,  // property
      "fn" = %fn  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.add: Cell updater: dst = lhs + rhs (rhs broadcasts from one row).
  irdl.operation @add {
    %dst = irdl.base @sharp::@win
    %lhs = irdl.base @sharp::@win
    %rhs = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "lhs" = %lhs,  // property
      "rhs" = %rhs  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.sub: Cell updater: dst = lhs - rhs.
  irdl.operation @sub {
    %dst = irdl.base @sharp::@win
    %lhs = irdl.base @sharp::@win
    %rhs = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "lhs" = %lhs,  // property
      "rhs" = %rhs  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.mul: Cell updater: dst = lhs * rhs (rhs broadcasts from one row).
  irdl.operation @mul {
    %dst = irdl.base @sharp::@win
    %lhs = irdl.base @sharp::@win
    %rhs = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "lhs" = %lhs,  // property
      "rhs" = %rhs  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.fma: Cell updater: dst = lhs * rhs + addend.
  irdl.operation @fma {
    %dst = irdl.base @sharp::@win
    %lhs = irdl.base @sharp::@win
    %rhs = irdl.base @sharp::@win
    %addend = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "lhs" = %lhs,  // property
      "rhs" = %rhs,  // property
      "addend" = %addend  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.one_minus: Cell updater: dst = 1 - src.
  irdl.operation @one_minus {
    %dst = irdl.base @sharp::@win
    %src = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "src" = %src  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.select: Cell updater: dst = mask != 0 ? on_true : on_false (mask has one column).
  irdl.operation @select {
    %dst = irdl.base @sharp::@win
    %mask = irdl.base @sharp::@win
    %on_true = irdl.base @sharp::@win
    %on_false = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "mask" = %mask,  // property
      "on_true" = %on_true,  // property
      "on_false" = %on_false  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.seq_mask: Cell updater: dst[r] = (time step < lens[r]) — the mask of partial sequences.
  irdl.operation @seq_mask {
    %dst = irdl.base @sharp::@win
    %lens = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "lens" = %lens  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.fill: Cell updater: dst = value.
  irdl.operation @fill {
    %dst = irdl.base @sharp::@win
    %value = irdl.base "#builtin.string"
    irdl.attributes {
      "dst" = %dst,  // property
      "value" = %value  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.softmax: Activation unit, row-wise: dst = softmax(src) (log-softmax with `log`).
  irdl.operation @softmax {
    %dst = irdl.base @sharp::@win
    %src = irdl.base @sharp::@win
    irdl.attributes {
      "dst" = %dst,  // property
      "src" = %src  // property
    }
    // optional "log" (property): irdl.base "#builtin.unit"
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.layer_norm: Activation unit, row-wise: dst = (src - mean) / sqrt(variance + epsilon) per row.
  irdl.operation @layer_norm {
    %dst = irdl.base @sharp::@win
    %src = irdl.base @sharp::@win
    %epsilon = irdl.base "#builtin.string"
    irdl.attributes {
      "dst" = %dst,  // property
      "src" = %src,  // property
      "epsilon" = %epsilon  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.gather: DMA, embedding lookup: row r of dst = row indices[r] of a DRAM table.
  irdl.operation @gather {
    %dst = irdl.base @sharp::@win
    %indices = irdl.base @sharp::@win
    %table = irdl.base @sharp::@dram
    irdl.attributes {
      "dst" = %dst,  // property
      "indices" = %indices,  // property
      "table" = %table  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }

  // sharp.sync: A token-only instruction on one unit (primes or drains a dependency queue).
  irdl.operation @sync {
    %on_unit = irdl.base "#builtin.string"
    irdl.attributes {
      "on_unit" = %on_unit  // property
    }
    // optional "tokens" (property): irdl.base @sharp::@tokens
  }
}
