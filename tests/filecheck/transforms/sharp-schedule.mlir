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

// RUN: sharp-opt %s -p 'convert-rnn-to-sharp,sharp-schedule{scheme=intergate}' | filecheck %s --check-prefix=STEP

// intergate: units overlap within a step, steps do not: every iteration starts with a barrier
// (each unit's sync pushes to the DMA hub, which releases them all), then an instruction waits
// only for what it reads or overwrites in the same iteration.
// STEP-LABEL: sharp.layer @rnn0_fwd
// STEP:         sharp.time_loop 3 {
// STEP-NEXT:      sharp.sync "array" tokens <pop [], push [dma]>
// STEP-NEXT:      sharp.sync "act" tokens <pop [], push [dma]>
// STEP-NEXT:      sharp.sync "cell" tokens <pop [], push [dma]>
// STEP-NEXT:      sharp.sync "dma" tokens <pop [array, act, cell], push [array, act, cell]>
// STEP-NEXT:      sharp.sync "array" tokens <pop [dma], push []>
// STEP-NEXT:      sharp.sync "act" tokens <pop [dma], push []>
// STEP-NEXT:      sharp.sync "cell" tokens <pop [dma], push []>
// STEP-NEXT:      sharp.dispatch <@rnn0_fwd_acc{{.*}} tokens <pop [], push [cell]>
// STEP-NEXT:      sharp.add {{.*}} tokens <pop [array], push [act]>
// STEP-NEXT:      sharp.activate {{.*}} tokens <pop [cell], push []>
// STEP-NEXT:    }

// RUN: sharp-opt %s -p 'convert-rnn-to-sharp,sharp-schedule{scheme=unfolded}' | filecheck %s --check-prefix=CARRY

// unfolded: loop-carried tokens instead of a barrier per step. The dispatch of step t+1 pops
// the activation's token pushed in step t (it reads h_t: RAW) and the add's (it overwrites the
// acc the add read: WAR); before the loop one sync per carried queue primes it for step 0,
// after the loop one sync drains what the last step pushed.
// CARRY-LABEL: sharp.layer @rnn0_fwd
// CARRY:         sharp.sync "cell" tokens <pop [dma], push []>
// CARRY-NEXT:    sharp.sync "act" tokens <pop [], push [array]>
// CARRY-NEXT:    sharp.sync "cell" tokens <pop [], push [array]>
// CARRY-NEXT:    sharp.time_loop 3 {
// CARRY-NEXT:      sharp.dispatch <@rnn0_fwd_acc{{.*}} tokens <pop [act, cell], push [cell]>
// CARRY-NEXT:      sharp.add {{.*}} tokens <pop [array], push [array, act]>
// CARRY-NEXT:      sharp.activate <@rnn0_fwd_h{{.*}} tokens <pop [cell], push [array]>
// CARRY-NEXT:    }
// CARRY-NEXT:    sharp.sync "array" tokens <pop [act], push []>
// CARRY-NEXT:    sharp.sync "array" tokens <pop [cell], push []>
