// IRDL definition of the `sharp_isa` dialect, generated from sharp_compiler.dialects.sharp_isa
// by tools/export_irdl.py; do not edit (regenerate: python tools/export_irdl.py).
//
// Load in upstream MLIR: mlir-opt --irdl-file=dialects/sharp_isa.irdl.mlir input.mlir
// IRDL-defined ops use the generic syntax; xDSL properties become attributes ("name" = value in
// the attribute dictionary). Mapping and limits: dialects/README.md.

irdl.dialect @sharp_isa {
  // sharp_isa.nop: Token-only instruction on the unit in flags bits 4-5 (primes or drains a queue).
  // optional "flags" (property): irdl.base "#builtin.integer"
  // optional "imm" (property): irdl.base "#builtin.integer"
  // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  irdl.operation @nop

  // sharp_isa.loop: Repeat the instructions up to the matching endloop imm times.
  // optional "flags" (property): irdl.base "#builtin.integer"
  // optional "imm" (property): irdl.base "#builtin.integer"
  // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  irdl.operation @loop

  // sharp_isa.endloop: End of the innermost loop body.
  // optional "flags" (property): irdl.base "#builtin.integer"
  // optional "imm" (property): irdl.base "#builtin.integer"
  // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  irdl.operation @endloop

  // sharp_isa.cfgtile: Reconfigure the multiplier array into tiles of rows x cols.
  // optional "flags" (property): irdl.base "#builtin.integer"
  // optional "imm" (property): irdl.base "#builtin.integer"
  // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  irdl.operation @cfgtile

  // sharp_isa.load: DMA a DRAM window into a vector-buffer view (masked rows load zeros).
  irdl.operation @load {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.store: DMA a vector-buffer view into a DRAM window (masked rows are skipped).
  irdl.operation @store {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.loadw: DMA a block of a constant matrix into a weight-buffer view.
  irdl.operation @loadw {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.move: Copy one vector-buffer view into another.
  irdl.operation @move {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.dcopy: Strided 4-D DRAM-to-DRAM copy (transposes, concatenation).
  irdl.operation @dcopy {
    %a = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.mvm: Tiled dispatch: a[n,M] (+)= b[n,K] x c[M,K]^T, block by block over the tiles.
  irdl.operation @mvm {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    %c = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.act: a = f(clip(b)) with f, alpha, beta, clip from param c.
  irdl.operation @act {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    %c = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vadd: a = b + c (c broadcasts when it has one row).
  irdl.operation @vadd {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    %c = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vsub: a = b - c.
  irdl.operation @vsub {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    %c = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vmul: a = b * c.
  irdl.operation @vmul {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    %c = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vfma: a = b * c + d.
  irdl.operation @vfma {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    %c = irdl.base "#builtin.integer"
    %d = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c,  // property
      "d" = %d  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.voneminus: a = 1 - b.
  irdl.operation @voneminus {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vsel: a = b != 0 ? c : d, b has one column broadcast along the row.
  irdl.operation @vsel {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    %c = irdl.base "#builtin.integer"
    %d = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c,  // property
      "d" = %d  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.seqmask: a[r,0] = 1 if the loop index < b[r,0] (sequence length) else 0.
  irdl.operation @seqmask {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vfill: a = imm interpreted as a float32.
  irdl.operation @vfill {
    %a = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.gather: Embedding lookup: row r of a = row b[r,0] of the DRAM table c.
  irdl.operation @gather {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    %c = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.softmax: Row-wise softmax of b into a (log-softmax with flag LOG).
  irdl.operation @softmax {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.layernorm: Row-wise normalisation: a = (b - mean(b)) / sqrt(var(b) + imm), mean and variance per row.
  irdl.operation @layernorm {
    %a = irdl.base "#builtin.integer"
    %b = irdl.base "#builtin.integer"
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.base "#builtin.integer"
    // optional "imm" (property): irdl.base "#builtin.integer"
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.tensor: A DRAM tensor: `sharp_isa.tensor {index, name, kind, dtype, shape, value?}`.
  irdl.operation @tensor {
    %index = irdl.base "#builtin.integer"
    %tensor_name = irdl.base "#builtin.string"
    %kind_0 = irdl.is "const"
    %kind_1 = irdl.is "input"
    %kind_2 = irdl.is "output"
    %kind_3 = irdl.is "scratch"
    %kind = irdl.any_of(%kind_0, %kind_1, %kind_2, %kind_3)
    %dtype_0 = irdl.is "float16"
    %dtype_1 = irdl.is "float32"
    %dtype_2 = irdl.is "int32"
    %dtype_3 = irdl.is "int64"
    %dtype = irdl.any_of(%dtype_0, %dtype_1, %dtype_2, %dtype_3)
    // DenseArrayBase[i64, Attribute]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %shape = irdl.base "#builtin.dense_array"
    irdl.attributes {
      "index" = %index,  // property
      "tensor_name" = %tensor_name,  // property
      "kind" = %kind,  // property
      "dtype" = %dtype,  // property
      "shape" = %shape  // property
    }
    // optional "value" (property): irdl.any
  }

  // sharp_isa.region: An allocated on-chip region.
  irdl.operation @region {
    %index = irdl.base "#builtin.integer"
    %region_name = irdl.base "#builtin.string"
    %space_0 = irdl.is "vmem"
    %space_1 = irdl.is "wmem"
    %space = irdl.any_of(%space_0, %space_1)
    %rows = irdl.base "#builtin.integer"
    %cols = irdl.base "#builtin.integer"
    %base = irdl.base "#builtin.integer"
    irdl.attributes {
      "index" = %index,  // property
      "region_name" = %region_name,  // property
      "space" = %space,  // property
      "rows" = %rows,  // property
      "cols" = %cols,  // property
      "base" = %base  // property
    }
  }

  // sharp_isa.view: A window of a region, advancing `row_step` rows per loop iteration.
  irdl.operation @view {
    %index = irdl.base "#builtin.integer"
    %region = irdl.base "#builtin.integer"
    %row0 = irdl.base "#builtin.integer"
    %row_step = irdl.base "#builtin.integer"
    %nrows = irdl.base "#builtin.integer"
    %col0 = irdl.base "#builtin.integer"
    %ncols = irdl.base "#builtin.integer"
    irdl.attributes {
      "index" = %index,  // property
      "region" = %region,  // property
      "row0" = %row0,  // property
      "row_step" = %row_step,  // property
      "nrows" = %nrows,  // property
      "col0" = %col0,  // property
      "ncols" = %ncols  // property
    }
  }

  // sharp_isa.dma: A DRAM window (isa.program.DmaDesc); `lens` = -1 when unmasked.
  irdl.operation @dma {
    %index = irdl.base "#builtin.integer"
    %tensor = irdl.base "#builtin.integer"
    %lens = irdl.base "#builtin.integer"
    %base = irdl.base "#builtin.integer"
    %row_stride = irdl.base "#builtin.integer"
    %step_stride = irdl.base "#builtin.integer"
    %nrows = irdl.base "#builtin.integer"
    %ncols = irdl.base "#builtin.integer"
    irdl.attributes {
      "index" = %index,  // property
      "tensor" = %tensor,  // property
      "lens" = %lens,  // property
      "base" = %base,  // property
      "row_stride" = %row_stride,  // property
      "step_stride" = %step_stride,  // property
      "nrows" = %nrows,  // property
      "ncols" = %ncols  // property
    }
  }

  // sharp_isa.copy: A strided DRAM-to-DRAM copy pattern; sizes and strides as four-element arrays.
  irdl.operation @copy {
    %index = irdl.base "#builtin.integer"
    %src = irdl.base "#builtin.integer"
    %dst = irdl.base "#builtin.integer"
    %src_base = irdl.base "#builtin.integer"
    %dst_base = irdl.base "#builtin.integer"
    // DenseArrayBase[i64, Attribute]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %sizes = irdl.base "#builtin.dense_array"
    // DenseArrayBase[i64, Attribute]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %src_strides = irdl.base "#builtin.dense_array"
    // DenseArrayBase[i64, Attribute]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %dst_strides = irdl.base "#builtin.dense_array"
    irdl.attributes {
      "index" = %index,  // property
      "src" = %src,  // property
      "dst" = %dst,  // property
      "src_base" = %src_base,  // property
      "dst_base" = %dst_base,  // property
      "sizes" = %sizes,  // property
      "src_strides" = %src_strides,  // property
      "dst_strides" = %dst_strides  // property
    }
  }

  // sharp_isa.param: An activation parameter entry (function, alpha, beta, clip; f64, printed exactly).
  irdl.operation @param {
    %index = irdl.base "#builtin.integer"
    %fn_0 = irdl.is "affine"
    %fn_1 = irdl.is "elu"
    %fn_2 = irdl.is "hard_sigmoid"
    %fn_3 = irdl.is "identity"
    %fn_4 = irdl.is "leaky_relu"
    %fn_5 = irdl.is "relu"
    %fn_6 = irdl.is "scaled_tanh"
    %fn_7 = irdl.is "sigmoid"
    %fn_8 = irdl.is "softplus"
    %fn_9 = irdl.is "softsign"
    %fn_10 = irdl.is "tanh"
    %fn_11 = irdl.is "thresholded_relu"
    %fn = irdl.any_of(%fn_0, %fn_1, %fn_2, %fn_3, %fn_4, %fn_5, %fn_6, %fn_7, %fn_8, %fn_9, %fn_10, %fn_11)
    %alpha = irdl.base "#builtin.float"
    %beta = irdl.base "#builtin.float"
    irdl.attributes {
      "index" = %index,  // property
      "fn" = %fn,  // property
      "alpha" = %alpha,  // property
      "beta" = %beta  // property
    }
    // optional "clip" (property): irdl.base "#builtin.float"
  }

  // sharp_isa.layer: Instructions [pc_begin, pc_end) implement one model layer.
  irdl.operation @layer {
    %layer_name = irdl.base "#builtin.string"
    %onnx_node = irdl.base "#builtin.string"
    %kind = irdl.base "#builtin.string"
    %pc_begin = irdl.base "#builtin.integer"
    %pc_end = irdl.base "#builtin.integer"
    // TileAttr: #sharp.tile is in sharp.irdl.mlir; a cross-file reference would not load alone
    %tile = irdl.any
    %macs = irdl.base "#builtin.integer"
    irdl.attributes {
      "layer_name" = %layer_name,  // property
      "onnx_node" = %onnx_node,  // property
      "kind" = %kind,  // property
      "pc_begin" = %pc_begin,  // property
      "pc_end" = %pc_end,  // property
      "tile" = %tile,  // property
      "macs" = %macs  // property
    }
    // optional "directions" (property): irdl.base "#builtin.integer"
    // + Python verify_() checks not expressible in IRDL
  }
}
