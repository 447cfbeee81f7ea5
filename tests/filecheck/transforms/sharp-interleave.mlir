// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp16 chunks=2 scheme=unfolded},sharp-interleave' | filecheck %s
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp16 chunks=2 scheme=unfolded},sharp-interleave{mode=none}' | filecheck %s --check-prefix=NONE

// The unfolded plan: R h accumulates in place into this step's rows of the input projection
// (`accumulate`, no add), one column block of h at a time (fp16: blocks of 3 and 2 units), so a
// block's dispatch needs only that block of h_t-1; each step's h goes to Y from inside the loop.
// sharp-interleave then fuses the two directions of the bidirectional layer: both prologues,
// one time loop with both bodies (the backward one walks the projection and h upwards: `by -1`),
// both epilogues, in one layer @lstm0_bidir; the backward direction reads the input sequence
// the forward one loaded (one DMA of X, not two). Both directions keep their states in the
// node's one sequence buffer @lstm0_seq (T + 2 blocks of B rows): step t's h is block t + 1,
// forward in columns 0:5, backward in 5:10 (its initial state is block T + 1 = 4).
builtin.module {
  func.func @main(%X: tensor<3x1x2xf32>) -> (tensor<3x2x1x5xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["Y"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<2x20x2xf32>, elided> : tensor<2x20x2xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<2x20x5xf32>, elided> : tensor<2x20x5xf32>
    %Y, %Y_h, %Y_c = rnn.lstm %X : tensor<3x1x2xf32>, %W : tensor<2x20x2xf32>, %R : tensor<2x20x5xf32> hidden_size 5 direction bidirectional layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh", "Sigmoid", "Tanh", "Tanh"] activation_alpha [0.0 : f32, 0.0 : f32, 0.0 : f32, 0.0 : f32, 0.0 : f32, 0.0 : f32] activation_beta [0.0 : f32, 0.0 : f32, 0.0 : f32, 0.0 : f32, 0.0 : f32, 0.0 : f32] onnx_node "lstm0" -> tensor<3x2x1x5xf32>, tensor<2x1x5xf32>, tensor<2x1x5xf32>
    func.return %Y : tensor<3x2x1x5xf32>
  }
}

// CHECK-LABEL: sharp.layer @lstm0_bidir "lstm" from "lstm0"
// CHECK:         sharp.dispatch <@lstm0_fwd_xproj[0:3, 0:20]>, <@lstm0_fwd_xseq
// CHECK-NOT:     sharp.load <@lstm0_bwd_xseq
// CHECK:         sharp.dispatch <@lstm0_bwd_xproj[0:3, 0:20]>, <@lstm0_fwd_xseq
// CHECK:         sharp.time_loop 3 {
// CHECK-NEXT:      sharp.dispatch <@lstm0_fwd_xproj[0:1 by 1, 0:12]>, <@lstm0_seq[0:1 by 1, 0:3]>, <@lstm0_fwd_Rbuf[0:12, 0:3]> accumulate
// CHECK-NEXT:      sharp.dispatch <@lstm0_fwd_xproj[0:1 by 1, 0:12]>, <@lstm0_seq[0:1 by 1, 3:2]>, <@lstm0_fwd_Rbuf[0:12, 3:2]> accumulate
// CHECK-NEXT:      sharp.activate <@lstm0_fwd_gates[0:1, 0:9]>, <@lstm0_fwd_xproj[0:1 by 1, 0:9]> <sigmoid>
// CHECK:           sharp.store <@Y[{{.*}}]>, <@lstm0_seq[1:1 by 1, 0:5]>
// CHECK-NEXT:      sharp.dispatch <@lstm0_bwd_xproj[2:1 by -1, 0:12]>, <@lstm0_seq[4:1 by -1, 5:3]>, <@lstm0_bwd_Rbuf[0:12, 0:3]> accumulate
// CHECK:           sharp.store <@Y[{{.*}}]>, <@lstm0_seq[3:1 by -1, 5:5]> reverse
// CHECK-NEXT:    }
// CHECK-NOT:     sharp.layer

// NONE: sharp.layer @lstm0_fwd
// NONE: sharp.layer @lstm0_bwd
