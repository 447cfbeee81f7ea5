// RUN: sharp-opt %s -p 'convert-rnn-to-sharp,sharp-reconfigure{mode=forced tile=16x64}' | filecheck %s
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{budget=65536},sharp-reconfigure{mode=forced tile=32x32}' | filecheck %s --check-prefix=DEFAULT
// RUN: not sharp-opt %s -p 'convert-rnn-to-sharp{budget=16384},sharp-reconfigure{mode=forced tile=8x1024}' 2>&1 | filecheck %s --check-prefix=ILLEGAL
// RUN: not sharp-opt %s -p 'convert-rnn-to-sharp,sharp-reconfigure{mode=forced tile=big}' 2>&1 | filecheck %s --check-prefix=SYNTAX
// RUN: not sharp-opt %s -p 'convert-rnn-to-sharp,sharp-reconfigure{mode=forced}' 2>&1 | filecheck %s --check-prefix=NOTILE
// RUN: not sharp-opt %s -p 'convert-rnn-to-sharp,sharp-reconfigure{tile=16x64}' 2>&1 | filecheck %s --check-prefix=NOTILE

// mode=forced puts one legal shape on every layer, whatever the cost model would choose: the
// tile is configured once, before the first layer with matrix work, and kept for the second
// (no redundant reconfiguration). Forcing a shape that differs from the default (32x32 on
// sharp-4k) configures it; forcing one on a 64K array picks that shape over its 128x128 default.
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

// CHECK:       sharp.layer @small_fwd "lstm" from "small" tile <16x64>
// CHECK-NEXT:    sharp.configure_tile <16x64>
// CHECK:       sharp.layer @small2_fwd "lstm" from "small2" tile <16x64>
// CHECK-NOT:   sharp.configure_tile

// DEFAULT:     sharp.layer @small_fwd "lstm" from "small" tile <32x32>
// DEFAULT-NEXT:  sharp.configure_tile <32x32>
// DEFAULT:     sharp.layer @small2_fwd "lstm" from "small2" tile <32x32>
// DEFAULT-NOT: sharp.configure_tile

// ILLEGAL: sharp-opt: error: {{.*}}sharp-reconfigure: tile 8x1024 is not a legal shape of sharp-16k (16384 multipliers); `sharp-compile --list-tiles --hw sharp-16k` lists the legal ones
// SYNTAX:  sharp-opt: error: {{.*}}sharp-reconfigure: tile 'big' is not ROWSxCOLS with positive integers (e.g. 16x64)
// NOTILE:  sharp-opt: error: {{.*}}sharp-reconfigure: mode=forced needs tile=RxC, and tile=RxC needs mode=forced
