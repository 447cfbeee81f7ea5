// RUN: sharp-opt %s --split-input-file | sharp-opt --split-input-file | filecheck %s
// RUN: SHARP_ROUNDTRIP

// Every rnn op, with every optional operand and property, round-trips through the custom
// syntax and through the generic syntax; weights of <= 16 elements keep their exact bytes,
// larger ones print `elided`.

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2x2xf32>, tensor<2xi32>, tensor<3xi64>, tensor<2xf16>, tensor<4x5xf32>) {
  %a = rnn.constant #rnn.weights<"a", tensor<2x2xf32>, "0x0000803F000000400000404000008040"> : tensor<2x2xf32>
  %b = rnn.constant #rnn.weights<"b", tensor<2xi32>, "0x0300000002000000"> : tensor<2xi32>
  %c = rnn.constant #rnn.weights<"c", tensor<3xi64>, "0x010000000000000002000000000000000300000000000000"> : tensor<3xi64>
  %d = rnn.constant #rnn.weights<"d", tensor<2xf16>, "0x003C0040"> : tensor<2xf16>
  %e = rnn.constant #rnn.weights<"e", tensor<4x5xf32>, elided> : tensor<4x5xf32>
  func.return %a, %b, %c, %d, %e : tensor<2x2xf32>, tensor<2xi32>, tensor<3xi64>, tensor<2xf16>, tensor<4x5xf32>
}
// CHECK:      %a = rnn.constant #rnn.weights<"a", tensor<2x2xf32>, "0x0000803F000000400000404000008040"> : tensor<2x2xf32>
// CHECK-NEXT: %b = rnn.constant #rnn.weights<"b", tensor<2xi32>, "0x0300000002000000"> : tensor<2xi32>
// CHECK-NEXT: %c = rnn.constant #rnn.weights<"c", tensor<3xi64>, "0x010000000000000002000000000000000300000000000000"> : tensor<3xi64>
// CHECK-NEXT: %d = rnn.constant #rnn.weights<"d", tensor<2xf16>, "0x003C0040"> : tensor<2xf16>
// CHECK-NEXT: %e = rnn.constant #rnn.weights<"e", tensor<4x5xf32>, elided> : tensor<4x5xf32>

// -----

// CHECK-LABEL: func.func @lstm_everything
func.func @lstm_everything(%x: tensor<3x2x1xf32>, %w: tensor<2x4x1xf32>, %r: tensor<2x4x1xf32>, %b: tensor<2x8xf32>,
                           %lens: tensor<2xi32>, %h0: tensor<2x2x1xf32>, %c0: tensor<2x2x1xf32>, %p: tensor<2x3xf32>)
    -> (tensor<3x2x2x1xf32>, tensor<2x2x1xf32>, tensor<2x2x1xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<3x2x1xf32>, %w : tensor<2x4x1xf32>, %r : tensor<2x4x1xf32>
      bias %b : tensor<2x8xf32> sequence_lens %lens : tensor<2xi32> initial_h %h0 : tensor<2x2x1xf32>
      initial_c %c0 : tensor<2x2x1xf32> peepholes %p : tensor<2x3xf32>
      hidden_size 1 direction bidirectional layout 0 input_forget 1
      activations ["HardSigmoid", "Tanh", "Elu", "Sigmoid", "ScaledTanh", "Affine"]
      activation_alpha [3.000000e-01 : f32, 0.000000e+00 : f32, 7.000000e-01 : f32, 0.000000e+00 : f32, 2.000000e+00 : f32, 0.000000e+00 : f32]
      activation_beta [6.000000e-01 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32]
      clip 3.000000e+00 onnx_node "lstm_all" -> tensor<3x2x2x1xf32>, tensor<2x2x1xf32>, tensor<2x2x1xf32>
  func.return %y, %y_h, %y_c : tensor<3x2x2x1xf32>, tensor<2x2x1xf32>, tensor<2x2x1xf32>
}
// CHECK:      %y, %y_h, %y_c = rnn.lstm %x : tensor<3x2x1xf32>, %w : tensor<2x4x1xf32>, %r : tensor<2x4x1xf32>
// CHECK-SAME:   bias %b : tensor<2x8xf32> sequence_lens %lens : tensor<2xi32> initial_h %h0 : tensor<2x2x1xf32>
// CHECK-SAME:   initial_c %c0 : tensor<2x2x1xf32> peepholes %p : tensor<2x3xf32>
// CHECK-SAME:   hidden_size 1 direction bidirectional layout 0 input_forget 1
// CHECK-SAME:   activations ["HardSigmoid", "Tanh", "Elu", "Sigmoid", "ScaledTanh", "Affine"]
// CHECK-SAME:   activation_alpha [3.000000e-01 : f32, 0.000000e+00 : f32, 7.000000e-01 : f32, 0.000000e+00 : f32, 2.000000e+00 : f32, 0.000000e+00 : f32]
// CHECK-SAME:   activation_beta [6.000000e-01 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32]
// CHECK-SAME:   clip 3.000000e+00 onnx_node "lstm_all" -> tensor<3x2x2x1xf32>, tensor<2x2x1xf32>, tensor<2x2x1xf32>

// -----

// Layout 1 (batch first) and the minimal operand list.
// CHECK-LABEL: func.func @lstm_batch_first
func.func @lstm_batch_first(%x: tensor<2x3x5xf32>, %w: tensor<1x16x5xf32>, %r: tensor<1x16x4xf32>)
    -> (tensor<2x3x1x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<2x3x5xf32>, %w : tensor<1x16x5xf32>, %r : tensor<1x16x4xf32>
      hidden_size 4 direction forward layout 1 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"]
      activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32]
      activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32]
      -> tensor<2x3x1x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>
  func.return %y, %y_h, %y_c : tensor<2x3x1x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>
}
// CHECK: rnn.lstm %x : tensor<2x3x5xf32>, %w : tensor<1x16x5xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 1 input_forget 0
// CHECK-SAME: -> tensor<2x3x1x4xf32>, tensor<2x1x4xf32>, tensor<2x1x4xf32>

// -----

// CHECK-LABEL: func.func @gru_and_rnn
func.func @gru_and_rnn(%x: tensor<5x1x3xf32>, %wg: tensor<1x12x3xf32>, %rg: tensor<1x12x4xf32>, %bg: tensor<1x24xf32>,
                       %wr: tensor<1x4x3xf32>, %rr: tensor<1x4x4xf32>, %lens: tensor<1xi64>)
    -> (tensor<5x1x1x4xf32>, tensor<1x1x4xf32>) {
  %g, %g_h = rnn.gru %x : tensor<5x1x3xf32>, %wg : tensor<1x12x3xf32>, %rg : tensor<1x12x4xf32> bias %bg : tensor<1x24xf32>
      hidden_size 4 direction forward layout 0 linear_before_reset 1 activations ["Sigmoid", "Tanh"]
      activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32]
      onnx_node "gru_0" -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  %s, %s_h = rnn.rnn %x : tensor<5x1x3xf32>, %wr : tensor<1x4x3xf32>, %rr : tensor<1x4x4xf32> sequence_lens %lens : tensor<1xi64>
      hidden_size 4 direction reverse layout 0 activations ["LeakyRelu"] activation_alpha [2.000000e-01 : f32]
      activation_beta [0.000000e+00 : f32] clip 2.500000e+00 -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
  func.return %g, %s_h : tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
}
// CHECK:      %g, %g_h = rnn.gru %x : tensor<5x1x3xf32>, %wg : tensor<1x12x3xf32>, %rg : tensor<1x12x4xf32> bias %bg : tensor<1x24xf32>
// CHECK-SAME:   hidden_size 4 direction forward layout 0 linear_before_reset 1 activations ["Sigmoid", "Tanh"]
// CHECK-SAME:   onnx_node "gru_0" -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>
// CHECK-NEXT: %s, %s_h = rnn.rnn %x : tensor<5x1x3xf32>, %wr : tensor<1x4x3xf32>, %rr : tensor<1x4x4xf32> sequence_lens %lens : tensor<1xi64>
// CHECK-SAME:   hidden_size 4 direction reverse layout 0 activations ["LeakyRelu"] activation_alpha [2.000000e-01 : f32]
// CHECK-SAME:   activation_beta [0.000000e+00 : f32] clip 2.500000e+00 -> tensor<5x1x1x4xf32>, tensor<1x1x4xf32>

// -----

// CHECK-LABEL: func.func @glue
func.func @glue(%y: tensor<5x2x1x4xf32>, %h: tensor<1x1x4xf32>) -> (tensor<5x1x8xf32>, tensor<2x1x4xf32>, tensor<3x1x8xf32>) {
  %t = rnn.transpose %y perm [0, 2, 1, 3] onnx_node "transpose_0" : tensor<5x2x1x4xf32> -> tensor<5x1x2x4xf32>
  %r = rnn.reshape %t onnx_node "reshape_0" : tensor<5x1x2x4xf32> -> tensor<5x1x8xf32>
  %c = rnn.concat %h, %h axis 0 : tensor<1x1x4xf32>, tensor<1x1x4xf32> -> tensor<2x1x4xf32>
  %s = rnn.slice %r starts [4] ends [-6] axes [0] steps [-2] : tensor<5x1x8xf32> -> tensor<3x1x8xf32>
  func.return %r, %c, %s : tensor<5x1x8xf32>, tensor<2x1x4xf32>, tensor<3x1x8xf32>
}
// CHECK:      %t = rnn.transpose %y perm [0, 2, 1, 3] onnx_node "transpose_0" : tensor<5x2x1x4xf32> -> tensor<5x1x2x4xf32>
// CHECK-NEXT: %r = rnn.reshape %t onnx_node "reshape_0" : tensor<5x1x2x4xf32> -> tensor<5x1x8xf32>
// CHECK-NEXT: %c = rnn.concat %h, %h axis 0 : tensor<1x1x4xf32>, tensor<1x1x4xf32> -> tensor<2x1x4xf32>
// CHECK-NEXT: %s = rnn.slice %r starts [4] ends [-6] axes [0] steps [-2] : tensor<5x1x8xf32> -> tensor<3x1x8xf32>

// -----

// CHECK-LABEL: func.func @heads
func.func @heads(%x: tensor<5x1x4xf32>, %w: tensor<4x10xf32>, %b: tensor<10xf32>, %table: tensor<100x4xf32>,
                 %tokens: tensor<5x1xi64>, %g: tensor<4xf32>) -> (tensor<5x1x10xf32>, tensor<5x1x10xf32>, tensor<5x1x4xf32>) {
  %l = rnn.linear %x : tensor<5x1x4xf32>, %w : tensor<4x10xf32> bias %b : tensor<10xf32> onnx_node "fc" -> tensor<5x1x10xf32>
  %n = rnn.linear %x : tensor<5x1x4xf32>, %w : tensor<4x10xf32> -> tensor<5x1x10xf32>
  %p = rnn.softmax %l log onnx_node "log_softmax" : tensor<5x1x10xf32>
  %q = rnn.softmax %n : tensor<5x1x10xf32>
  %a = rnn.activation "Tanh" %q onnx_node "tanh" : tensor<5x1x10xf32>
  %e = rnn.embedding %table : tensor<100x4xf32>, %tokens : tensor<5x1xi64> onnx_node "emb" -> tensor<5x1x4xf32>
  %ln = rnn.layer_norm %x : tensor<5x1x4xf32>, %g : tensor<4xf32> bias %g : tensor<4xf32> epsilon 1.000000e-05 onnx_node "ln" -> tensor<5x1x4xf32>
  %ln2 = rnn.layer_norm %ln : tensor<5x1x4xf32>, %g : tensor<4xf32> epsilon 0.000000e+00 -> tensor<5x1x4xf32>
  func.return %p, %a, %e : tensor<5x1x10xf32>, tensor<5x1x10xf32>, tensor<5x1x4xf32>
}
// CHECK:      %l = rnn.linear %x : tensor<5x1x4xf32>, %w : tensor<4x10xf32> bias %b : tensor<10xf32> onnx_node "fc" -> tensor<5x1x10xf32>
// CHECK-NEXT: %n = rnn.linear %x : tensor<5x1x4xf32>, %w : tensor<4x10xf32> -> tensor<5x1x10xf32>
// CHECK-NEXT: %p = rnn.softmax %l log onnx_node "log_softmax" : tensor<5x1x10xf32>
// CHECK-NEXT: %q = rnn.softmax %n : tensor<5x1x10xf32>
// CHECK-NEXT: %a = rnn.activation "Tanh" %q onnx_node "tanh" : tensor<5x1x10xf32>
// CHECK-NEXT: %e = rnn.embedding %table : tensor<100x4xf32>, %tokens : tensor<5x1xi64> onnx_node "emb" -> tensor<5x1x4xf32>
// CHECK-NEXT: %ln = rnn.layer_norm %x : tensor<5x1x4xf32>, %g : tensor<4xf32> bias %g : tensor<4xf32> epsilon 1.000000e-05 onnx_node "ln" -> tensor<5x1x4xf32>
// CHECK-NEXT: %ln2 = rnn.layer_norm %ln : tensor<5x1x4xf32>, %g : tensor<4xf32> epsilon 0.000000e+00 -> tensor<5x1x4xf32>
