// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 chunks=2 scheme=unfolded}' | filecheck %s --check-prefix=LOWERED
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 chunks=2 scheme=unfolded},sharp-schedule{scheme=unfolded}' | filecheck %s --check-prefix=ORDERED

// sharp-schedule list-schedules loop bodies under `unfolded` (transforms/loop_order.py). As
// lowered, block 1's dispatch and gate activations follow block 0's whole cell update, so the
// in-order activation unit keeps them behind block 0's tanh(c), which waits for that update.
// Ordered, both dispatches issue first, both blocks' gate activations follow, and the cell
// updates of the two blocks interleave; ops on the same windows keep their order.
builtin.module {
  func.func @main(%X: tensor<3x1x2xf32>) -> (tensor<3x1x1x5xf32>, tensor<1x1x5xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["Y", "Y_h"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x20x2xf32>, elided> : tensor<1x20x2xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x20x5xf32>, elided> : tensor<1x20x5xf32>
    %Y, %Y_h, %Y_c = rnn.lstm %X : tensor<3x1x2xf32>, %W : tensor<1x20x2xf32>, %R : tensor<1x20x5xf32> hidden_size 5 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.0 : f32, 0.0 : f32, 0.0 : f32] activation_beta [0.0 : f32, 0.0 : f32, 0.0 : f32] onnx_node "lstm0" -> tensor<3x1x1x5xf32>, tensor<1x1x5xf32>, tensor<1x1x5xf32>
    func.return %Y, %Y_h : tensor<3x1x1x5xf32>, tensor<1x1x5xf32>
  }
}

// LOWERED:      sharp.time_loop 3 {
// LOWERED-NEXT:   sharp.dispatch <@lstm0_fwd_xproj[0:1 by 1, 0:12]>
// LOWERED:        sharp.mul <@lstm0_seq[1:1 by 1, 0:3]>
// LOWERED-NEXT:   sharp.dispatch <@lstm0_fwd_xproj[0:1 by 1, 12:8]>
// LOWERED-NEXT:   sharp.activate <@lstm0_fwd_gates[0:1, 12:6]>

// ORDERED:      sharp.time_loop 3 {
// ORDERED:        sharp.dispatch <@lstm0_fwd_xproj[0:1 by 1, 0:12]>, {{.*}} accumulate tokens <pop [cell], push [act]>
// ORDERED-NEXT:   sharp.dispatch <@lstm0_fwd_xproj[0:1 by 1, 12:8]>, {{.*}} accumulate tokens <pop [], push [act]>
// ORDERED-NEXT:   sharp.activate <@lstm0_fwd_gates[0:1, 0:9]>, <@lstm0_fwd_xproj[0:1 by 1, 0:9]> <sigmoid>
// ORDERED-NEXT:   sharp.activate <@lstm0_fwd_gates[0:1, 9:3]>
// ORDERED-NEXT:   sharp.activate <@lstm0_fwd_gates[0:1, 12:6]>, <@lstm0_fwd_xproj[0:1 by 1, 12:6]> <sigmoid>
// ORDERED-NEXT:   sharp.activate <@lstm0_fwd_gates[0:1, 18:2]>
// ORDERED-NEXT:   sharp.mul <@lstm0_fwd_c[0:1, 0:3]>
// ORDERED-NEXT:   sharp.mul <@lstm0_fwd_c[0:1, 3:2]>
// ORDERED-NEXT:   sharp.fma <@lstm0_fwd_c[0:1, 0:3]>
// ORDERED-NEXT:   sharp.fma <@lstm0_fwd_c[0:1, 3:2]>
// ORDERED-NEXT:   sharp.activate <@lstm0_fwd_tmp[0:1, 0:3]>
// ORDERED-NEXT:   sharp.activate <@lstm0_fwd_tmp[0:1, 3:2]>
// ORDERED-NEXT:   sharp.mul <@lstm0_seq[1:1 by 1, 0:3]>
// ORDERED-NEXT:   sharp.mul <@lstm0_seq[1:1 by 1, 3:2]>
// ORDERED-NEXT:   sharp.store <@Y
// ORDERED-NEXT: }
