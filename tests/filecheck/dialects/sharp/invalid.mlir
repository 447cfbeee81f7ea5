// RUN: sharp-opt %s --verify-diagnostics --split-input-file | filecheck %s

// Each verifier message of the sharp dialect, verbatim.

builtin.module {
  sharp.layer @l "lstm" from "n" tile <8x8> macs 0 {
    sharp.dispatch <@acc[0:2, 0:8]>, <@x[0:1, 0:3]>, <@W[0:8, 0:3]>
  }
}
// CHECK: dispatch source has 1 rows, destination 2

// -----

builtin.module {
  sharp.layer @l "lstm" from "n" tile <8x8> macs 0 {
    sharp.dispatch <@acc[0:1, 0:8]>, <@x[0:1, 0:3]>, <@W[0:8, 0:4]>
  }
}
// CHECK: dispatch weights are 8x4, expected 8x3

// -----

builtin.module {
  sharp.tensor weird @X : tensor<4xf32> {onnx_name = "X"}
}
// CHECK: tensor kind must be one of input, output, const, scratch, got 'weird'

// -----

builtin.module {
  sharp.tensor input @X : tensor<4xf32>
}
// CHECK: model inputs and outputs carry their onnx_name

// -----

builtin.module {
  sharp.buffer @b smem [1 x 4]
}
// CHECK: buffer space must be vmem or wmem, got 'smem'

// -----

builtin.module {
  sharp.time_loop 0 {
    sharp.sync "dma"
  }
}
// CHECK: a time loop runs at least once
