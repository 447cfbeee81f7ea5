// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32}' --split-input-file | filecheck %s

// A forward LSTM with the whole sequence on chip: the input projection of all 5 steps is one
// dispatch before the time loop; each step dispatches R and adds its row of the projection.
builtin.module {
  func.func @main(%X: tensor<5x1x3xf32>) -> (tensor<5x1x1x4xf32>, tensor<1x1x4xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["Y", "Y_h"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x16x3xf32>, elided> : tensor<1x16x3xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x16x4xf32>, elided> : tensor<1x16x4xf32>
    %Y, %Y_h, %Y_c = rnn.lstm %X : tensor<5x1x3xf32>, %W : tensor<1x16x3xf32>, %R : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.0 : f32, 0.0 : f32, 0.0 : f32] activation_beta [0.0 : f32, 0.0 : f32, 0.0 : f32] onnx_node "lstm0" -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>
    func.return %Y, %Y_h : tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  }
}

// CHECK:      builtin.module attributes {sharp.hw = #sharp.hw<"sharp-4k", {{.*}}>, sharp.precision = "fp32"}
// CHECK-DAG:  sharp.tensor input @X : tensor<5x1x3xf32> {onnx_name = "X"}
// CHECK-DAG:  sharp.tensor output @Y : tensor<5x1x1x4xf32> {onnx_name = "Y"}
// CHECK-DAG:  sharp.tensor const @lstm0_fwd_W : tensor<16x3xf32>
// CHECK-LABEL: sharp.layer @lstm0_fwd "lstm" from "lstm0" tile <32x32> macs 560 {
// CHECK-NEXT:   sharp.load_weights <@lstm0_fwd_Wbuf[0:16, 0:3]>, <@lstm0_fwd_W[base 0, rows 16 stride 3, cols 3]>
// CHECK-NEXT:   sharp.load_weights <@lstm0_fwd_Rbuf[0:16, 0:4]>
// CHECK-NEXT:   sharp.load <@lstm0_fwd_xseq[0:5, 0:3]>, <@X[base 0, rows 5 stride 3, cols 3]>
// CHECK-NEXT:   sharp.dispatch <@lstm0_fwd_xproj[0:5, 0:16]>, <@lstm0_fwd_xseq[0:5, 0:3]>, <@lstm0_fwd_Wbuf[0:16, 0:3]>
// CHECK-NEXT:   sharp.fill <@lstm0_fwd_h[0:1, 0:4]>, "0.0"
// CHECK-NEXT:   sharp.fill <@lstm0_fwd_c[0:1, 0:4]>, "0.0"
// CHECK-NEXT:   sharp.time_loop 5 {
// CHECK-NEXT:     sharp.dispatch <@lstm0_fwd_acc[0:1, 0:16]>, <@lstm0_fwd_h[0:1, 0:4]>, <@lstm0_fwd_Rbuf[0:16, 0:4]>
// CHECK-NEXT:     sharp.add <@lstm0_fwd_acc[0:1, 0:16]>, <@lstm0_fwd_acc[0:1, 0:16]>, <@lstm0_fwd_xproj[0:1 by 1, 0:16]>
// CHECK-NEXT:     sharp.activate <@lstm0_fwd_gates[0:1, 0:4]>, <@lstm0_fwd_acc[0:1, 0:4]> <sigmoid>
// CHECK:          sharp.move <@lstm0_fwd_y[0:1 by 1, 0:4]>, <@lstm0_fwd_h[0:1, 0:4]>
// CHECK-NEXT:   }
// CHECK-NEXT:   sharp.store <@Y[base 0, rows 5 stride 4, cols 4]>, <@lstm0_fwd_y[0:5, 0:4]>
// CHECK-NEXT:   sharp.store <@Y_h[base 0, rows 1 stride 4, cols 4]>, <@lstm0_fwd_h[0:1, 0:4]>
// CHECK-NEXT: }

// -----

// Partial sequences in reverse: per-step DMA walks each row backwards from its own length
// (reverse + lens) and the state of finished rows is kept with a select on the step mask.
builtin.module {
  func.func @main(%X: tensor<4x2x3xf32>, %L: tensor<2xi32>) -> (tensor<1x2x2xf32>) attributes {rnn.input_names = ["X", "L"], rnn.output_names = ["Y_h"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x2x3xf32>, elided> : tensor<1x2x3xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x2x2xf32>, elided> : tensor<1x2x2xf32>
    %Y, %Y_h = rnn.rnn %X : tensor<4x2x3xf32>, %W : tensor<1x2x3xf32>, %R : tensor<1x2x2xf32> sequence_lens %L : tensor<2xi32> hidden_size 2 direction reverse layout 0 activations ["Tanh"] activation_alpha [0.0 : f32] activation_beta [0.0 : f32] onnx_node "rnn0" -> tensor<4x1x2x2xf32>, tensor<1x2x2xf32>
    func.return %Y_h : tensor<1x2x2xf32>
  }
}

// CHECK-LABEL: sharp.layer @rnn0_bwd "rnn" from "rnn0"
// CHECK:        sharp.load <@rnn0_bwd_lens[0:2, 0:1]>, <@L[base 0, rows 2 stride 1, cols 1]>
// CHECK:        sharp.time_loop 4 {
// CHECK-NEXT:     sharp.seq_mask <@rnn0_bwd_mask[0:2, 0:1]>, <@rnn0_bwd_lens[0:2, 0:1]>
// CHECK-NEXT:     sharp.load <@rnn0_bwd_x[0:2, 0:3]>, <@X[base 0, rows 2 stride 3, cols 3, step 6, lens @L]> reverse
// CHECK-NEXT:     sharp.dispatch <@rnn0_bwd_acc[0:2, 0:2]>, <@rnn0_bwd_x[0:2, 0:3]>, <@rnn0_bwd_Wbuf[0:2, 0:3]>
// CHECK-NEXT:     sharp.dispatch <@rnn0_bwd_acc[0:2, 0:2]>, <@rnn0_bwd_h[0:2, 0:2]>, <@rnn0_bwd_Rbuf[0:2, 0:2]> accumulate
// CHECK-NEXT:     sharp.activate <@rnn0_bwd_h_new[0:2, 0:2]>, <@rnn0_bwd_acc[0:2, 0:2]> <tanh>
// CHECK-NEXT:     sharp.select <@rnn0_bwd_h[0:2, 0:2]>, <@rnn0_bwd_mask[0:2, 0:1]>, <@rnn0_bwd_h_new[0:2, 0:2]>, <@rnn0_bwd_h[0:2, 0:2]>
// CHECK-NEXT:   }
// CHECK-NEXT:   sharp.store <@Y_h[base 0, rows 2 stride 2, cols 2]>, <@rnn0_bwd_h[0:2, 0:2]>
