// RUN: sharp-opt %s -p 'convert-rnn-to-sharp,sharp-schedule' | filecheck %s

// The sequential scheme chains every instruction to the one before it: a token at every unit
// change. The loop is bracketed by DMA syncs (before it, at the head and tail of the body) so
// every iteration pops and pushes the same queues.
builtin.module {
  func.func @main(%X: tensor<3x1x2xf32>) -> (tensor<1x1x2xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["Y_h"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x2x2xf32>, elided> : tensor<1x2x2xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x2x2xf32>, elided> : tensor<1x2x2xf32>
    %Y, %Y_h = rnn.rnn %X : tensor<3x1x2xf32>, %W : tensor<1x2x2xf32>, %R : tensor<1x2x2xf32> hidden_size 2 direction forward layout 0 activations ["Tanh"] activation_alpha [0.0 : f32] activation_beta [0.0 : f32] onnx_node "rnn0" -> tensor<3x1x1x2xf32>, tensor<1x1x2xf32>
    func.return %Y_h : tensor<1x1x2xf32>
  }
}

// CHECK-LABEL: sharp.layer @rnn0_fwd
// CHECK:         sharp.load <@rnn0_fwd_xseq{{.*}} tokens <pop [], push [array]>
// CHECK-NEXT:    sharp.dispatch <@rnn0_fwd_xproj{{.*}} tokens <pop [dma], push [cell]>
// CHECK-NEXT:    sharp.fill <@rnn0_fwd_h{{.*}} tokens <pop [array], push [dma]>
// CHECK-NEXT:    sharp.sync "dma" tokens <pop [cell], push []>
// CHECK-NEXT:    sharp.time_loop 3 {
// CHECK-NEXT:      sharp.sync "dma" tokens <pop [], push [array]>
// CHECK-NEXT:      sharp.dispatch <@rnn0_fwd_acc{{.*}} tokens <pop [dma], push [cell]>
// CHECK-NEXT:      sharp.add {{.*}} tokens <pop [array], push [act]>
// CHECK-NEXT:      sharp.activate {{.*}} tokens <pop [cell], push [dma]>
// CHECK-NEXT:      sharp.sync "dma" tokens <pop [act], push []>
// CHECK-NEXT:    }
// CHECK-NEXT:    sharp.store <@Y_h{{.*}} tokens <pop [], push []>

// RUN: sharp-opt %s -p 'convert-rnn-to-sharp,sharp-schedule{scheme=dataflow}' | filecheck %s --check-prefix=FLOW

// The dataflow scheme: each segment (straight-line code, one loop iteration) is bracketed by a
// DMA fork and join; inside, an instruction waits only for what it reads or overwrites, and
// waits already implied through other units are dropped (the add needs no token from the
// fork: the dispatch it waits for did; the join needs only the activation, which waited for
// everything else in the iteration).
// FLOW-LABEL: sharp.layer @rnn0_fwd
// FLOW:         sharp.fill <@rnn0_fwd_h{{.*}} tokens <pop [dma], push [dma]>
// FLOW:         sharp.time_loop 3 {
// FLOW-NEXT:      sharp.sync "dma" tokens <pop [], push [array]>
// FLOW-NEXT:      sharp.dispatch <@rnn0_fwd_acc{{.*}} tokens <pop [dma], push [cell]>
// FLOW-NEXT:      sharp.add {{.*}} tokens <pop [array], push [act]>
// FLOW-NEXT:      sharp.activate {{.*}} tokens <pop [cell], push [dma]>
// FLOW-NEXT:      sharp.sync "dma" tokens <pop [act], push []>
// FLOW-NEXT:    }
