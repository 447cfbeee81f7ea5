// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded},sharp-interleave,sharp-sink-projection{mode=always}' | filecheck %s
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded},sharp-interleave,sharp-sink-projection{mode=none}' | filecheck %s --check-prefix=NONE
// RUN: not sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded},sharp-sink-projection{mode=later}' 2>&1 | filecheck %s --check-prefix=BAD

// A bidirectional GRU of 3 steps, its directions fused in one loop. sharp-sink-projection moves
// each direction's input projection (X W^T + Wb) into the loop, one step ahead: step 0's rows
// (row 0 forwards, row 2 backwards) are projected in front of the loop, iteration i projects
// the rows step i + 1 reads (forwards by +1 from row 1, backwards by -1 from row 1), the loop
// runs 2 trips, and its last step follows it, peeled, with its windows at index 2. The
// reversed store of Y moves one step in the loop (base 4 -> 12: index 2 - i over 3 trips is
// 1 - i over 2, plus one step) and lands at index 0 (base 4) in the peeled step.
builtin.module {
  func.func @main(%X: tensor<3x1x2xf32>) -> (tensor<3x2x1x4xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["Y"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<2x12x2xf32>, elided> : tensor<2x12x2xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<2x12x4xf32>, elided> : tensor<2x12x4xf32>
    %B = rnn.constant #rnn.weights<"B", tensor<2x24xf32>, elided> : tensor<2x24xf32>
    %Y, %Y_h = rnn.gru %X : tensor<3x1x2xf32>, %W : tensor<2x12x2xf32>, %R : tensor<2x12x4xf32> bias %B : tensor<2x24xf32> hidden_size 4 direction bidirectional layout 0 linear_before_reset 1 activations ["Sigmoid", "Tanh", "Sigmoid", "Tanh"] activation_alpha [0.0 : f32, 0.0 : f32, 0.0 : f32, 0.0 : f32] activation_beta [0.0 : f32, 0.0 : f32, 0.0 : f32, 0.0 : f32] onnx_node "gru0" -> tensor<3x2x1x4xf32>, tensor<2x1x4xf32>
    func.return %Y : tensor<3x2x1x4xf32>
  }
}

// CHECK-LABEL: sharp.layer @gru0_bidir
// CHECK-NOT:     sharp.dispatch <@gru0_fwd_xproj[0:3
// CHECK:         sharp.dispatch <@gru0_fwd_xproj[0:1, 0:12]>, <@gru0_fwd_xseq[0:1, 0:2]>, <@gru0_fwd_Wbuf[0:12, 0:2]>
// CHECK-NEXT:    sharp.add <@gru0_fwd_xproj[0:1, 0:12]>, <@gru0_fwd_xproj[0:1, 0:12]>, <@gru0_fwd_bias[0:1, 0:12]>
// CHECK-NEXT:    sharp.dispatch <@gru0_bwd_xproj[2:1, 0:12]>, <@gru0_fwd_xseq[2:1, 0:2]>, <@gru0_bwd_Wbuf[0:12, 0:2]>
// CHECK-NEXT:    sharp.add <@gru0_bwd_xproj[2:1, 0:12]>, <@gru0_bwd_xproj[2:1, 0:12]>, <@gru0_bwd_bias[0:1, 0:12]>
// CHECK-NEXT:    sharp.time_loop 2 {
// CHECK-NEXT:      sharp.dispatch <@gru0_fwd_xproj[0:1 by 1, 0:8]>, <@gru0_seq[0:1 by 1, 0:4]>, <@gru0_fwd_Rbuf[0:8, 0:4]> accumulate
// CHECK:           sharp.store <@Y[base 0, rows 1 stride 4, cols 4, step 8]>, <@gru0_seq[1:1 by 1, 0:4]>
// CHECK:           sharp.store <@Y[base 12, rows 1 stride 4, cols 4, step 8]>, <@gru0_seq[3:1 by -1, 4:4]> reverse
// CHECK-NEXT:      sharp.dispatch <@gru0_fwd_xproj[1:1 by 1, 0:12]>, <@gru0_fwd_xseq[1:1 by 1, 0:2]>, <@gru0_fwd_Wbuf[0:12, 0:2]>
// CHECK-NEXT:      sharp.add <@gru0_fwd_xproj[1:1 by 1, 0:12]>, <@gru0_fwd_xproj[1:1 by 1, 0:12]>, <@gru0_fwd_bias[0:1, 0:12]>
// CHECK-NEXT:      sharp.dispatch <@gru0_bwd_xproj[1:1 by -1, 0:12]>, <@gru0_fwd_xseq[1:1 by -1, 0:2]>, <@gru0_bwd_Wbuf[0:12, 0:2]>
// CHECK-NEXT:      sharp.add <@gru0_bwd_xproj[1:1 by -1, 0:12]>, <@gru0_bwd_xproj[1:1 by -1, 0:12]>, <@gru0_bwd_bias[0:1, 0:12]>
// CHECK-NEXT:    }
// CHECK-NEXT:    sharp.dispatch <@gru0_fwd_xproj[2:1, 0:8]>, <@gru0_seq[2:1, 0:4]>, <@gru0_fwd_Rbuf[0:8, 0:4]> accumulate
// CHECK:         sharp.store <@Y[base 16, rows 1 stride 4, cols 4]>, <@gru0_seq[3:1, 0:4]>
// CHECK:         sharp.dispatch <@gru0_bwd_xproj[0:1, 0:8]>, <@gru0_seq[2:1, 4:4]>, <@gru0_bwd_Rbuf[0:8, 0:4]> accumulate
// CHECK:         sharp.store <@Y[base 4, rows 1 stride 4, cols 4]>, <@gru0_seq[1:1, 4:4]>
// CHECK-NEXT:  }

// NONE:        sharp.dispatch <@gru0_fwd_xproj[0:3, 0:12]>, <@gru0_fwd_xseq[0:3, 0:2]>, <@gru0_fwd_Wbuf[0:12, 0:2]>
// NONE:        sharp.time_loop 3 {
// NONE-NOT:      <@gru0_fwd_Wbuf

// BAD: sharp-sink-projection: mode must be one of auto, always, none, got 'later'
