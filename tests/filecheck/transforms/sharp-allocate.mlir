// RUN: sharp-opt %s -p 'convert-rnn-to-sharp,sharp-allocate' | filecheck %s
// RUN: not sharp-opt %s -p 'convert-rnn-to-sharp{hw="%inputs/tiny-hw.json"},sharp-allocate' 2>&1 | filecheck %s --check-prefix=FULL

// Buffers of layers that run one after the other share addresses; every buffer gets one.
builtin.module {
  func.func @main(%X: tensor<3x1x2xf32>) -> (tensor<3x1x2xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["Y"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x2x2xf32>, elided> : tensor<1x2x2xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x2x2xf32>, elided> : tensor<1x2x2xf32>
    %Y, %Y_h = rnn.rnn %X : tensor<3x1x2xf32>, %W : tensor<1x2x2xf32>, %R : tensor<1x2x2xf32> hidden_size 2 direction forward layout 0 activations ["Tanh"] activation_alpha [0.0 : f32] activation_beta [0.0 : f32] onnx_node "first" -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>
    %X2 = rnn.reshape %Y onnx_node "squeeze" : tensor<3x1x1x2xf32> -> tensor<3x1x2xf32>
    %Y2, %Y_h2 = rnn.rnn %X2 : tensor<3x1x2xf32>, %W : tensor<1x2x2xf32>, %R : tensor<1x2x2xf32> hidden_size 2 direction forward layout 0 activations ["Tanh"] activation_alpha [0.0 : f32] activation_beta [0.0 : f32] onnx_node "second" -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>
    %out = rnn.reshape %Y2 onnx_node "squeeze2" : tensor<3x1x1x2xf32> -> tensor<3x1x2xf32>
    func.return %out : tensor<3x1x2xf32>
  }
}

// CHECK-DAG:  sharp.buffer @first_fwd_acc vmem [1 x 2] at [[ACC:[0-9]+]]
// CHECK-DAG:  sharp.buffer @second_fwd_acc vmem [1 x 2] at [[ACC]]
// CHECK-DAG:  sharp.buffer @first_fwd_Wbuf wmem [2 x 2] at [[W:[0-9]+]]
// CHECK-DAG:  sharp.buffer @second_fwd_Wbuf wmem [2 x 2] at [[W]]

// FULL: sharp-opt: error: {{.*}}sharp-allocate.mlir: node 'first' (sharp.layer): layer @first_fwd needs {{[0-9]+}} bytes of vector buffer, tiny has 16: the model does not fit this configuration
