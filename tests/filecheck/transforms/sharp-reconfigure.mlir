// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{budget=65536},sharp-reconfigure' | filecheck %s
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp,sharp-reconfigure' | filecheck %s --check-prefix=KEEP
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp,sharp-reconfigure{mode=fixed}' | filecheck %s --check-prefix=FIXED
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{hw=epur-like},sharp-reconfigure' | filecheck %s --check-prefix=EPUR

// Two hidden-24 layers on a 64K array: its 128x128 default gives the 96 gate rows one tile of
// four and a deep adder tree, so the pass picks one cheaper geometry, configures it once before
// the first layer, and keeps it (no redundant reconfiguration for the second LSTM; the Squeeze between them
// is a view of the same DRAM bytes, not a layer). On sharp-4k no geometry beats the default 32x32 by more than a reconfiguration costs.
builtin.module {
  func.func @main(%X: tensor<100x1x10xf32>) -> (tensor<1x1x24xf32>, tensor<1x1x24xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["h0", "h1"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x96x10xf32>, elided> : tensor<1x96x10xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x96x24xf32>, elided> : tensor<1x96x24xf32>
    %Y, %Y_h, %Y_c = rnn.lstm %X : tensor<100x1x10xf32>, %W : tensor<1x96x10xf32>, %R : tensor<1x96x24xf32> hidden_size 24 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.0 : f32, 0.0 : f32, 0.0 : f32] activation_beta [0.0 : f32, 0.0 : f32, 0.0 : f32] onnx_node "small" -> tensor<100x1x1x24xf32>, tensor<1x1x24xf32>, tensor<1x1x24xf32>
    %X2 = rnn.reshape %Y onnx_node "squeeze" : tensor<100x1x1x24xf32> -> tensor<100x1x24xf32>
    %W2 = rnn.constant #rnn.weights<"W2", tensor<1x96x24xf32>, elided> : tensor<1x96x24xf32>
    %R2 = rnn.constant #rnn.weights<"R2", tensor<1x96x24xf32>, elided> : tensor<1x96x24xf32>
    %Y2, %Y_h2, %Y_c2 = rnn.lstm %X2 : tensor<100x1x24xf32>, %W2 : tensor<1x96x24xf32>, %R2 : tensor<1x96x24xf32> hidden_size 24 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.0 : f32, 0.0 : f32, 0.0 : f32] activation_beta [0.0 : f32, 0.0 : f32, 0.0 : f32] onnx_node "small2" -> tensor<100x1x1x24xf32>, tensor<1x1x24xf32>, tensor<1x1x24xf32>
    func.return %Y_h, %Y_h2 : tensor<1x1x24xf32>, tensor<1x1x24xf32>
  }
}

// CHECK:       sharp.layer @small_fwd "lstm" from "small" tile <[[TILE:[0-9]+x[0-9]+]]>
// CHECK-NEXT:    sharp.configure_tile <[[TILE]]>
// CHECK:       sharp.layer @small2_fwd "lstm" from "small2" tile <[[TILE]]>
// CHECK-NOT:   sharp.configure_tile

// KEEP:        sharp.layer @small_fwd "lstm" from "small" tile <32x32>
// KEEP-NOT:    sharp.configure_tile

// FIXED:       sharp.layer @small_fwd "lstm" from "small" tile <32x32>
// FIXED-NOT:   sharp.configure_tile
// FIXED:       sharp.layer @small2_fwd "lstm" from "small2" tile <32x32>

// The E-PUR-like baseline cannot reconfigure: its one 1x1024 geometry stays.
// EPUR:        sharp.layer @small_fwd "lstm" from "small" tile <1x1024>
// EPUR-NOT:    sharp.configure_tile
