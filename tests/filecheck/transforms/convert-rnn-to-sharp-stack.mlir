// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded}' | filecheck %s
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=sequential}' | filecheck %s --check-prefix=SEQ

// A stack stays on chip: the first layer (unfolded, so blocked) keeps its states in one sequence
// buffer @first_seq whose blocks 1..T are Y's rows; the exporters' Squeeze between the layers is
// a view, so the second layer's projection reads those rows directly (no DMA of Y out and back)
// and the stores to the scratch Y, which nothing reads any more, are gone. The sequential scheme
// keeps its layer-by-layer DRAM round trip.
builtin.module {
  func.func @main(%X: tensor<3x1x2xf32>) -> (tensor<1x1x4xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["h"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x4x2xf32>, elided> : tensor<1x4x2xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x4x4xf32>, elided> : tensor<1x4x4xf32>
    %W2 = rnn.constant #rnn.weights<"W2", tensor<1x4x4xf32>, elided> : tensor<1x4x4xf32>
    %Y, %Y_h = rnn.rnn %X : tensor<3x1x2xf32>, %W : tensor<1x4x2xf32>, %R : tensor<1x4x4xf32> hidden_size 4 direction forward layout 0 activations ["Tanh"] activation_alpha [0.0 : f32] activation_beta [0.0 : f32] onnx_node "first" -> tensor<3x1x1x4xf32>, tensor<1x1x4xf32>
    %X2 = rnn.reshape %Y onnx_node "squeeze_0" : tensor<3x1x1x4xf32> -> tensor<3x1x4xf32>
    %Y2, %Y_h2 = rnn.rnn %X2 : tensor<3x1x4xf32>, %W2 : tensor<1x4x4xf32>, %R : tensor<1x4x4xf32> hidden_size 4 direction forward layout 0 activations ["Tanh"] activation_alpha [0.0 : f32] activation_beta [0.0 : f32] onnx_node "second" -> tensor<3x1x1x4xf32>, tensor<1x1x4xf32>
    func.return %Y_h2 : tensor<1x1x4xf32>
  }
}

// CHECK-LABEL: sharp.layer @first_fwd
// CHECK:         sharp.time_loop 3 {
// CHECK-NOT:       sharp.store
// CHECK:         }
// CHECK-LABEL: sharp.layer @second_fwd
// CHECK-NOT:     sharp.load <@second_fwd_xseq
// CHECK:         sharp.dispatch <@second_fwd_xproj[0:3, 0:4]>, <@first_seq[1:3, 0:4]>, <@second_fwd_Wbuf[0:4, 0:4]>
// CHECK:         sharp.time_loop 3 {
// CHECK:         sharp.store <@h[{{.*}}]>, <@second_seq[3:1, 0:4]>

// SEQ-LABEL: sharp.layer @first_fwd
// SEQ:         sharp.store <@first_Y
// SEQ-LABEL: sharp.layer @second_fwd
// SEQ:         sharp.load <@second_fwd_xseq[0:3, 0:4]>, <@first_Y
