// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded},sharp-interleave-rows{mode=always}' | filecheck %s
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded},sharp-interleave-rows{mode=none}' | filecheck %s --check-prefix=NONE
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded},sharp-interleave-rows{mode=always group=2}' | filecheck %s --check-prefix=PAIRS
// RUN: not sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded},sharp-interleave-rows{mode=sometimes}' 2>&1 | filecheck %s --check-prefix=BAD

// A GRU at batch 2: each row of the batch is its own recurrence. sharp-interleave-rows turns the
// step's instructions on windows of 2 rows into one copy per row (copy r on row r of each batch
// window: the projection's rows, the sequence buffer's blocks, the gate buffers); the moving
// windows still advance by the whole batch per step (`by 2`), and the per-step store of Y stays
// one transfer of both rows, after the copies.
builtin.module {
  func.func @main(%X: tensor<3x2x2xf32>) -> (tensor<3x1x2x4xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["Y"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x12x2xf32>, elided> : tensor<1x12x2xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x12x4xf32>, elided> : tensor<1x12x4xf32>
    %Y, %Y_h = rnn.gru %X : tensor<3x2x2xf32>, %W : tensor<1x12x2xf32>, %R : tensor<1x12x4xf32> hidden_size 4 direction forward layout 0 linear_before_reset 1 activations ["Sigmoid", "Tanh"] activation_alpha [0.0 : f32, 0.0 : f32] activation_beta [0.0 : f32, 0.0 : f32] onnx_node "gru0" -> tensor<3x1x2x4xf32>, tensor<1x2x4xf32>
    func.return %Y : tensor<3x1x2x4xf32>
  }
}

// CHECK:      sharp.time_loop 3 {
// CHECK-NEXT:   sharp.dispatch <@gru0_fwd_xproj[0:1 by 2, 0:8]>, <@gru0_seq[0:1 by 2, 0:4]>, <@gru0_fwd_Rbuf[0:8, 0:4]> accumulate
// CHECK-NEXT:   sharp.dispatch <@gru0_fwd_rec[0:1, 8:4]>, <@gru0_seq[0:1 by 2, 0:4]>, <@gru0_fwd_Rbuf[8:4, 0:4]>
// CHECK-NEXT:   sharp.activate <@gru0_fwd_gates[0:1, 0:8]>, <@gru0_fwd_xproj[0:1 by 2, 0:8]> <sigmoid>
// CHECK:        sharp.fma <@gru0_seq[2:1 by 2, 0:4]>, <@gru0_fwd_rec[0:1, 0:4]>, <@gru0_fwd_gates[0:1, 8:4]>, <@gru0_fwd_tmp[0:1, 0:4]>
// CHECK-NEXT:   sharp.dispatch <@gru0_fwd_xproj[1:1 by 2, 0:8]>, <@gru0_seq[1:1 by 2, 0:4]>, <@gru0_fwd_Rbuf[0:8, 0:4]> accumulate
// CHECK:        sharp.fma <@gru0_seq[3:1 by 2, 0:4]>, <@gru0_fwd_rec[1:1, 0:4]>, <@gru0_fwd_gates[1:1, 8:4]>, <@gru0_fwd_tmp[1:1, 0:4]>
// CHECK-NEXT:   sharp.store <@Y[base 0, rows 2 stride 4, cols 4, step 8]>, <@gru0_seq[2:2 by 2, 0:4]>
// CHECK-NEXT: }

// NONE:      sharp.time_loop 3 {
// NONE-NEXT:   sharp.dispatch <@gru0_fwd_xproj[0:2 by 2, 0:8]>, <@gru0_seq[0:2 by 2, 0:4]>

// Groups of two rows: one copy here, the whole batch (the pass never makes a group wider than B).
// PAIRS:      sharp.time_loop 3 {
// PAIRS-NEXT:   sharp.dispatch <@gru0_fwd_xproj[0:2 by 2, 0:8]>

// BAD: sharp-interleave-rows: mode must be one of auto, always, none, got 'sometimes'
