// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 chunks=2}' | filecheck %s
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 chunks=2},sharp-schedule{scheme=dataflow}' | filecheck %s --check-prefix=FLOW

// Intergate pipelining: hidden size 5 in two blocks of 3 and 2 units. The gate rows of W and R
// are permuted to [block][gate][unit], so block 0 owns acc columns 0:12 (i o f c, 3 each) and
// block 1 columns 12:20 (2 each). h holds T + 1 = 4 rows: the initial state in row 0, step t
// reads row t and writes row t + 1; Y and Y_h are stored from it after the loop.
builtin.module {
  func.func @main(%X: tensor<3x1x2xf32>) -> (tensor<3x1x1x5xf32>, tensor<1x1x5xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["Y", "Y_h"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x20x2xf32>, elided> : tensor<1x20x2xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x20x5xf32>, elided> : tensor<1x20x5xf32>
    %Y, %Y_h, %Y_c = rnn.lstm %X : tensor<3x1x2xf32>, %W : tensor<1x20x2xf32>, %R : tensor<1x20x5xf32> hidden_size 5 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.0 : f32, 0.0 : f32, 0.0 : f32] activation_beta [0.0 : f32, 0.0 : f32, 0.0 : f32] onnx_node "lstm0" -> tensor<3x1x1x5xf32>, tensor<1x1x5xf32>, tensor<1x1x5xf32>
    func.return %Y, %Y_h : tensor<3x1x1x5xf32>, tensor<1x1x5xf32>
  }
}

// CHECK-LABEL: sharp.layer @lstm0_fwd "lstm" from "lstm0" tile <32x32> macs 420 {
// CHECK:        sharp.dispatch <@lstm0_fwd_xproj[0:3, 0:20]>, <@lstm0_fwd_xseq[0:3, 0:2]>, <@lstm0_fwd_Wbuf[0:20, 0:2]>
// CHECK-NEXT:   sharp.fill <@lstm0_seq[0:1, 0:5]>, "0.0"
// CHECK-NEXT:   sharp.fill <@lstm0_fwd_c[0:1, 0:5]>, "0.0"
// CHECK-NEXT:   sharp.time_loop 3 {
// CHECK-NEXT:     sharp.dispatch <@lstm0_fwd_acc[0:1, 0:12]>, <@lstm0_seq[0:1 by 1, 0:5]>, <@lstm0_fwd_Rbuf[0:12, 0:5]>
// CHECK-NEXT:     sharp.add <@lstm0_fwd_acc[0:1, 0:12]>, <@lstm0_fwd_acc[0:1, 0:12]>, <@lstm0_fwd_xproj[0:1 by 1, 0:12]>
// CHECK-NEXT:     sharp.activate <@lstm0_fwd_gates[0:1, 0:9]>, <@lstm0_fwd_acc[0:1, 0:9]> <sigmoid>
// CHECK-NEXT:     sharp.activate <@lstm0_fwd_gates[0:1, 9:3]>, <@lstm0_fwd_acc[0:1, 9:3]> <tanh>
// CHECK-NEXT:     sharp.mul <@lstm0_fwd_c[0:1, 0:3]>, <@lstm0_fwd_gates[0:1, 6:3]>, <@lstm0_fwd_c[0:1, 0:3]>
// CHECK-NEXT:     sharp.fma <@lstm0_fwd_c[0:1, 0:3]>, <@lstm0_fwd_gates[0:1, 0:3]>, <@lstm0_fwd_gates[0:1, 9:3]>, <@lstm0_fwd_c[0:1, 0:3]>
// CHECK-NEXT:     sharp.activate <@lstm0_fwd_tmp[0:1, 0:3]>, <@lstm0_fwd_c[0:1, 0:3]> <tanh>
// CHECK-NEXT:     sharp.mul <@lstm0_seq[1:1 by 1, 0:3]>, <@lstm0_fwd_gates[0:1, 3:3]>, <@lstm0_fwd_tmp[0:1, 0:3]>
// CHECK-NEXT:     sharp.dispatch <@lstm0_fwd_acc[0:1, 12:8]>, <@lstm0_seq[0:1 by 1, 0:5]>, <@lstm0_fwd_Rbuf[12:8, 0:5]>
// CHECK-NEXT:     sharp.add <@lstm0_fwd_acc[0:1, 12:8]>, <@lstm0_fwd_acc[0:1, 12:8]>, <@lstm0_fwd_xproj[0:1 by 1, 12:8]>
// CHECK-NEXT:     sharp.activate <@lstm0_fwd_gates[0:1, 12:6]>, <@lstm0_fwd_acc[0:1, 12:6]> <sigmoid>
// CHECK-NEXT:     sharp.activate <@lstm0_fwd_gates[0:1, 18:2]>, <@lstm0_fwd_acc[0:1, 18:2]> <tanh>
// CHECK-NEXT:     sharp.mul <@lstm0_fwd_c[0:1, 3:2]>, <@lstm0_fwd_gates[0:1, 16:2]>, <@lstm0_fwd_c[0:1, 3:2]>
// CHECK-NEXT:     sharp.fma <@lstm0_fwd_c[0:1, 3:2]>, <@lstm0_fwd_gates[0:1, 12:2]>, <@lstm0_fwd_gates[0:1, 18:2]>, <@lstm0_fwd_c[0:1, 3:2]>
// CHECK-NEXT:     sharp.activate <@lstm0_fwd_tmp[0:1, 3:2]>, <@lstm0_fwd_c[0:1, 3:2]> <tanh>
// CHECK-NEXT:     sharp.mul <@lstm0_seq[1:1 by 1, 3:2]>, <@lstm0_fwd_gates[0:1, 14:2]>, <@lstm0_fwd_tmp[0:1, 3:2]>
// CHECK-NEXT:   }
// CHECK-NEXT:   sharp.store <@Y[base 0, rows 3 stride 5, cols 5]>, <@lstm0_seq[1:3, 0:5]>
// CHECK-NEXT:   sharp.store <@Y_h[base 0, rows 1 stride 5, cols 5]>, <@lstm0_seq[3:1, 0:5]>
// CHECK-NEXT: }

// Under the dataflow scheme block 1's dispatch waits for nothing but the array's previous
// instruction: it overlaps block 0's activations and cell update.
// FLOW:       sharp.mul <@lstm0_seq[1:1 by 1, 0:3]>, {{.*}} tokens <pop [act], push []>
// FLOW-NEXT:  sharp.dispatch <@lstm0_fwd_acc[0:1, 12:8]>, {{.*}} tokens <pop [], push [cell]>
