// RUN: SHARP_ROUNDTRIP
// RUN: sharp-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC

// Every sharp op in its custom form survives print -> parse -> print, also through the generic form.
builtin.module {
  sharp.tensor input @X : tensor<4x1x3xf32> {onnx_name = "X"}
  sharp.tensor scratch @S : tensor<4x1x3xf32>
  sharp.buffer @x vmem [1 x 3]
  sharp.buffer @acc vmem [1 x 8] at 16
  sharp.buffer @W wmem [8 x 3] at 0
  sharp.layer @l0 "lstm" from "node0" tile <16x16> macs 96 {
    sharp.configure_tile <16x16>
    sharp.load_weights <@W[0:8, 0:3]>, <@X[base 0, rows 8 stride 3, cols 3]>
    sharp.sync "dma" tokens <pop [cell], push [array]>
    sharp.time_loop 4 {
      sharp.load <@x[0:1, 0:3]>, <@X[base 9, rows 1 stride 3, cols 3, step -3, lens @S]> reverse tokens <pop [], push [array]>
      sharp.dispatch <@acc[0:1, 0:8]>, <@x[0:1, 0:3]>, <@W[0:8, 0:3]> accumulate
      sharp.activate <@acc[0:1, 0:2]>, <@acc[0:1, 0:2]> <hard_sigmoid alpha 0.2 beta 0.5 clip 3.0>
      sharp.add <@acc[0:1 by 1, 0:2]>, <@acc[0:1, 0:2]>, <@acc[0:1, 2:2]>
      sharp.sub <@acc[0:1, 0:2]>, <@acc[0:1, 0:2]>, <@acc[0:1, 2:2]>
      sharp.mul <@acc[0:1, 0:2]>, <@acc[0:1, 0:2]>, <@acc[0:1, 2:2]>
      sharp.fma <@acc[0:1, 0:2]>, <@acc[0:1, 0:2]>, <@acc[0:1, 2:2]>, <@acc[0:1, 4:2]>
      sharp.one_minus <@acc[0:1, 0:2]>, <@acc[0:1, 2:2]>
      sharp.seq_mask <@acc[0:1, 0:1]>, <@acc[0:1, 1:1]>
      sharp.select <@acc[0:1, 0:2]>, <@acc[0:1, 7:1]>, <@acc[0:1, 2:2]>, <@acc[0:1, 4:2]>
      sharp.fill <@acc[0:1, 0:8]>, "0.5"
      sharp.softmax <@acc[0:1, 0:8]>, <@acc[0:1, 0:8]> log
      sharp.layer_norm <@acc[0:1, 0:8]>, <@acc[0:1, 0:8]>, "1e-05"
      sharp.gather <@acc[0:1, 0:3]>, <@x[0:1, 0:1]>, <@X[base 0, rows 4 stride 3, cols 3]>
      sharp.move <@x[0:1, 0:3]>, <@acc[0:1, 0:3]>
      sharp.store <@S[base 0, rows 1 stride 3, cols 3, step 3]>, <@x[0:1, 0:3]>
    }
    sharp.copy <@S -> @X, [1, 4, 1, 3], src 0 [0, 3, 3, 1], dst 0 [0, 3, 3, 1]>
  }
}

// CHECK:      sharp.tensor input @X : tensor<4x1x3xf32> {onnx_name = "X"}
// CHECK:      sharp.buffer @acc vmem [1 x 8] at 16
// CHECK:      sharp.layer @l0 "lstm" from "node0" tile <16x16> macs 96 {
// CHECK:        sharp.load <@x[0:1, 0:3]>, <@X[base 9, rows 1 stride 3, cols 3, step -3, lens @S]> reverse tokens <pop [], push [array]>
// CHECK:        sharp.activate <@acc[0:1, 0:2]>, <@acc[0:1, 0:2]> <hard_sigmoid alpha 0.2 beta 0.5 clip 3.0>
// CHECK:        sharp.add <@acc[0:1 by 1, 0:2]>
// CHECK:        sharp.softmax <@acc[0:1, 0:8]>, <@acc[0:1, 0:8]> log
// CHECK-NEXT:   sharp.layer_norm <@acc[0:1, 0:8]>, <@acc[0:1, 0:8]>, "1e-05"
// CHECK:      sharp.copy <@S -> @X, [1, 4, 1, 3], src 0 [0, 3, 3, 1], dst 0 [0, 3, 3, 1]>

// GENERIC: "sharp.dispatch"() <{dst = #sharp.win<@acc[0:1, 0:8]>, src = #sharp.win<@x[0:1, 0:3]>, weights = #sharp.win<@W[0:8, 0:3]>, accumulate}> : () -> ()
