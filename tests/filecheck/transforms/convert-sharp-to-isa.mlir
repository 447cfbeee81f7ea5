// RUN: sharp-opt %s -p 'convert-rnn-to-sharp,sharp-schedule,sharp-allocate,convert-sharp-to-isa' | filecheck %s

// Buffers become regions, windows are interned once into the view table, the time loop becomes
// loop/endloop, and the layer records its pc range.
builtin.module {
  func.func @main(%X: tensor<3x1x2xf32>) -> (tensor<1x1x2xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["Y_h"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x2x2xf32>, elided> : tensor<1x2x2xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x2x2xf32>, elided> : tensor<1x2x2xf32>
    %Y, %Y_h = rnn.rnn %X : tensor<3x1x2xf32>, %W : tensor<1x2x2xf32>, %R : tensor<1x2x2xf32> hidden_size 2 direction forward layout 0 activations ["Tanh"] activation_alpha [0.0 : f32] activation_beta [0.0 : f32] onnx_node "rnn0" -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>
    func.return %Y_h : tensor<1x1x2xf32>
  }
}

// CHECK:      sharp_isa.tensor {index = 0 : i64, tensor_name = "X", kind = "input", dtype = "float32", shape = array<i64: 3, 1, 2>}
// CHECK:      sharp_isa.region {index = 0 : i64, region_name = "rnn0_fwd_Wbuf", space = "wmem", rows = 2 : i64, cols = 2 : i64, base = {{[0-9]+}} : i64}
// CHECK:      sharp_isa.param {index = 0 : i64, fn = "tanh", alpha = 0.000000e+00 : f64, beta = 0.000000e+00 : f64}
// CHECK:      sharp_isa.layer {layer_name = "rnn0_fwd", onnx_node = "rnn0", kind = "rnn", pc_begin = 0 : i64, pc_end = [[END:[0-9]+]] : i64, tile = #sharp.tile<32x32>, macs = 24 : i64}
// CHECK-NEXT: sharp_isa.loadw v0, d0
// CHECK:      sharp_isa.mvm v{{[0-9]+}}, v{{[0-9]+}}, v{{[0-9]+}} tokens <pop [dma], push [cell]>
// CHECK:      sharp_isa.nop tokens <pop [cell], push []>
// CHECK-NEXT: sharp_isa.loop imm 3
// CHECK-NEXT: sharp_isa.nop tokens <pop [], push [array]>
// CHECK-NEXT: sharp_isa.mvm
// CHECK-NEXT: sharp_isa.vadd
// CHECK-NEXT: sharp_isa.act v{{[0-9]+}}, v{{[0-9]+}}, p0
// CHECK-NEXT: sharp_isa.nop tokens <pop [act], push []>
// CHECK-NEXT: sharp_isa.endloop
// CHECK-NEXT: sharp_isa.store d{{[0-9]+}}, v{{[0-9]+}}
