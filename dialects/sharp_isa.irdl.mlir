// IRDL definition of the `sharp_isa` dialect, generated from sharp_compiler.dialects.sharp_isa
// by tools/export_irdl.py; do not edit (regenerate: python tools/export_irdl.py).
//
// Load in upstream MLIR: mlir-opt --irdl-file=dialects/sharp_isa.irdl.mlir input.mlir
// IRDL-defined ops use the generic syntax; xDSL properties become attributes ("name" = value in
// the attribute dictionary). Mapping and limits: dialects/README.md.

irdl.dialect @sharp_isa {
  // sharp_isa.nop: Token-only instruction on the unit in flags bits 4-5 (primes or drains a queue).
  // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
  // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
  // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  irdl.operation @nop

  // sharp_isa.loop: Repeat the instructions up to the matching endloop imm times.
  // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
  // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
  // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  irdl.operation @loop

  // sharp_isa.endloop: End of the innermost loop body.
  // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
  // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
  // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  irdl.operation @endloop

  // sharp_isa.cfgtile: Reconfigure the multiplier array into tiles of rows x cols.
  // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
  // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
  // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  irdl.operation @cfgtile

  // sharp_isa.load: DMA a DRAM window into a vector-buffer view (masked rows load zeros).
  irdl.operation @load {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.store: DMA a vector-buffer view into a DRAM window (masked rows are skipped).
  irdl.operation @store {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.loadw: DMA a block of a constant matrix into a weight-buffer view.
  irdl.operation @loadw {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.move: Copy one vector-buffer view into another.
  irdl.operation @move {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.dcopy: Strided 4-D DRAM-to-DRAM copy (transposes, concatenation).
  irdl.operation @dcopy {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    irdl.attributes {
      "a" = %a  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.mvm: Tiled dispatch: a[n,M] (+)= b[n,K] x c[M,K]^T, block by block over the tiles.
  irdl.operation @mvm {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %c = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.act: a = f(clip(b)) with f, alpha, beta, clip from param c.
  irdl.operation @act {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %c = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vadd: a = b + c (c broadcasts when it has one row).
  irdl.operation @vadd {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %c = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vsub: a = b - c.
  irdl.operation @vsub {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %c = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vmul: a = b * c.
  irdl.operation @vmul {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %c = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vfma: a = b * c + d.
  irdl.operation @vfma {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %c = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %d = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c,  // property
      "d" = %d  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.voneminus: a = 1 - b.
  irdl.operation @voneminus {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vsel: a = b != 0 ? c : d, b has one column broadcast along the row.
  irdl.operation @vsel {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %c = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %d = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c,  // property
      "d" = %d  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.seqmask: a[r,0] = 1 if the loop index < b[r,0] (sequence length) else 0.
  irdl.operation @seqmask {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.vfill: a = imm interpreted as a float32.
  irdl.operation @vfill {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    irdl.attributes {
      "a" = %a  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.gather: Embedding lookup: row r of a = row b[r,0] of the DRAM table c.
  irdl.operation @gather {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %c = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b,  // property
      "c" = %c  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.softmax: Row-wise softmax of b into a (log-softmax with flag LOG).
  irdl.operation @softmax {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.layernorm: Row-wise normalisation: a = (b - mean(b)) / sqrt(var(b) + imm), mean and variance per row.
  irdl.operation @layernorm {
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %a = irdl.any
    // IntAttr: #builtin.int is xDSL-only, not in upstream MLIR
    %b = irdl.any
    irdl.attributes {
      "a" = %a,  // property
      "b" = %b  // property
    }
    // optional "flags" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "imm" (property): irdl.any [IntAttr: #builtin.int is xDSL-only, not in upstream MLIR]
    // optional "tokens" (property): irdl.any [TokensAttr: #sharp.tokens is in sharp.irdl.mlir; a cross-file reference would not load alone]
  }

  // sharp_isa.tensor: A DRAM tensor: `sharp_isa.tensor {index, name, kind, dtype, shape, value?}`.
  irdl.operation @tensor {
    %index = irdl.base "#builtin.integer"
    %tensor_name = irdl.base "#builtin.string"
    %kind = irdl.base "#builtin.string"
    %dtype = irdl.base "#builtin.string"
    %shape = irdl.base "#builtin.string"
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
    %space = irdl.base "#builtin.string"
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

  // sharp_isa.copy: A strided DRAM-to-DRAM copy pattern; sizes and strides as "a,b,c,d".
  irdl.operation @copy {
    %index = irdl.base "#builtin.integer"
    %src = irdl.base "#builtin.integer"
    %dst = irdl.base "#builtin.integer"
    %src_base = irdl.base "#builtin.integer"
    %dst_base = irdl.base "#builtin.integer"
    %sizes = irdl.base "#builtin.string"
    %src_strides = irdl.base "#builtin.string"
    %dst_strides = irdl.base "#builtin.string"
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

  // sharp_isa.param: An activation parameter entry (function, alpha, beta, clip; the floats as exact reprs).
  irdl.operation @param {
    %index = irdl.base "#builtin.integer"
    %fn = irdl.base "#builtin.string"
    %alpha = irdl.base "#builtin.string"
    %beta = irdl.base "#builtin.string"
    irdl.attributes {
      "index" = %index,  // property
      "fn" = %fn,  // property
      "alpha" = %alpha,  // property
      "beta" = %beta  // property
    }
    // optional "clip" (property): irdl.base "#builtin.string"
  }

  // sharp_isa.layer: Instructions [pc_begin, pc_end) implement one model layer.
  irdl.operation @layer {
    %layer_name = irdl.base "#builtin.string"
    %onnx_node = irdl.base "#builtin.string"
    %kind = irdl.base "#builtin.string"
    %pc_begin = irdl.base "#builtin.integer"
    %pc_end = irdl.base "#builtin.integer"
    %tile = irdl.base "#builtin.string"
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
    // + Python verify_() checks not expressible in IRDL
  }
}
