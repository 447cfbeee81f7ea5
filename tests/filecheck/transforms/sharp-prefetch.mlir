// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded},sharp-prefetch' | filecheck %s
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded},sharp-prefetch{mode=none}' | filecheck %s --check-prefix=NONE
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{precision=fp32 scheme=unfolded},sharp-prefetch,sharp-schedule{scheme=unfolded}' | filecheck %s --check-prefix=FLOAT

// sharp-prefetch moves the second layer's weight loads that its prologue consumes (W, for the input
// projection) in front of the first layer's time loop, so they stream from DRAM while the first
// layer computes (both layers' weights fit the weight buffer together; the allocator keeps them
// apart). R, read by the second loop, stays: it streams while the projection runs.
// sharp-schedule then lets the moved load float across the barrier before the loop: it sits
// between the DMA's join and fork (hub: the array), so the loop does not wait for it.
builtin.module {
  func.func @main(%X: tensor<3x1x2xf32>) -> (tensor<1x1x4xf32>, tensor<1x1x4xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["a", "b"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x4x2xf32>, elided> : tensor<1x4x2xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x4x4xf32>, elided> : tensor<1x4x4xf32>
    %Y, %Y_h = rnn.rnn %X : tensor<3x1x2xf32>, %W : tensor<1x4x2xf32>, %R : tensor<1x4x4xf32> hidden_size 4 direction forward layout 0 activations ["Tanh"] activation_alpha [0.0 : f32] activation_beta [0.0 : f32] onnx_node "first" -> tensor<3x1x1x4xf32>, tensor<1x1x4xf32>
    %Y2, %Y_h2 = rnn.rnn %X : tensor<3x1x2xf32>, %W : tensor<1x4x2xf32>, %R : tensor<1x4x4xf32> hidden_size 4 direction forward layout 0 activations ["Tanh"] activation_alpha [0.0 : f32] activation_beta [0.0 : f32] onnx_node "second" -> tensor<3x1x1x4xf32>, tensor<1x1x4xf32>
    func.return %Y_h, %Y_h2 : tensor<1x1x4xf32>, tensor<1x1x4xf32>
  }
}

// CHECK-LABEL: sharp.layer @first_fwd
// CHECK:         sharp.load_weights <@second_fwd_Wbuf
// CHECK-NEXT:    sharp.time_loop 3 {
// CHECK:       sharp.layer @second_fwd
// CHECK-NOT:     sharp.load_weights <@second_fwd_Wbuf
// CHECK:         sharp.load_weights <@second_fwd_Rbuf
// CHECK:         sharp.time_loop 3 {

// NONE-LABEL: sharp.layer @first_fwd
// NONE-NOT:     @second_fwd_Wbuf
// NONE:       sharp.layer @second_fwd
// NONE-NEXT:    sharp.load_weights <@second_fwd_Wbuf

// FLOAT-LABEL: sharp.layer @first_fwd
// FLOAT:         sharp.sync "dma" tokens <pop [], push [array]>
// FLOAT:         sharp.sync "array" tokens <pop [dma, act, cell], push [dma, act, cell]>
// FLOAT-NEXT:    sharp.load_weights <@second_fwd_Wbuf[0:4, 0:2]>, <@second_fwd_W{{.*}}> tokens <pop [], push []>
// FLOAT-NEXT:    sharp.sync "dma" tokens <pop [array], push []>
// FLOAT:         sharp.time_loop 3 {
