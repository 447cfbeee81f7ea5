// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{hw=sharp-1k precision=fp16 scheme=unfolded}' | filecheck %s
// RUN: sharp-opt %s -p 'convert-rnn-to-sharp{hw=sharp-1k precision=fp16 scheme=sequential}' | filecheck %s --check-prefix=SEQ

// The pipelined input projection (any scheme but sequential): X first, then W in pieces of 128
// rows (the largest tile's rows on sharp-1k), each dispatched as it lands and its bias added
// after it (the cell unit adds while the array takes the next piece); R loads after the last
// piece. Sequential loads W and R first and projects in one dispatch, then adds the bias.
builtin.module {
  func.func @main(%X: tensor<3x1x8xf32>) -> (tensor<1x1x64xf32>) attributes {rnn.input_names = ["X"], rnn.output_names = ["h"]} {
    %W = rnn.constant #rnn.weights<"W", tensor<1x256x8xf32>, elided> : tensor<1x256x8xf32>
    %R = rnn.constant #rnn.weights<"R", tensor<1x256x64xf32>, elided> : tensor<1x256x64xf32>
    %B = rnn.constant #rnn.weights<"B", tensor<1x512xf32>, elided> : tensor<1x512xf32>
    %Y, %Y_h, %Y_c = rnn.lstm %X : tensor<3x1x8xf32>, %W : tensor<1x256x8xf32>, %R : tensor<1x256x64xf32> bias %B : tensor<1x512xf32> hidden_size 64 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.0 : f32, 0.0 : f32, 0.0 : f32] activation_beta [0.0 : f32, 0.0 : f32, 0.0 : f32] onnx_node "l" -> tensor<3x1x1x64xf32>, tensor<1x1x64xf32>, tensor<1x1x64xf32>
    func.return %Y_h : tensor<1x1x64xf32>
  }
}

// CHECK-LABEL: sharp.layer @l_fwd
// CHECK:         sharp.load <@l_fwd_xseq[0:3, 0:8]>, <@X
// CHECK-NEXT:    sharp.load_weights <@l_fwd_Wbuf[0:128, 0:8]>
// CHECK-NEXT:    sharp.dispatch <@l_fwd_xproj[0:3, 0:128]>, <@l_fwd_xseq[0:3, 0:8]>, <@l_fwd_Wbuf[0:128, 0:8]>{{$}}
// CHECK-NEXT:    sharp.add <@l_fwd_xproj[0:3, 0:128]>, <@l_fwd_xproj[0:3, 0:128]>, <@l_fwd_bias[0:1, 0:128]>
// CHECK-NEXT:    sharp.load_weights <@l_fwd_Wbuf[128:128, 0:8]>
// CHECK-NEXT:    sharp.dispatch <@l_fwd_xproj[0:3, 128:128]>, <@l_fwd_xseq[0:3, 0:8]>, <@l_fwd_Wbuf[128:128, 0:8]>{{$}}
// CHECK-NEXT:    sharp.load_weights <@l_fwd_Rbuf
// CHECK-NEXT:    sharp.add <@l_fwd_xproj[0:3, 128:128]>, <@l_fwd_xproj[0:3, 128:128]>, <@l_fwd_bias[0:1, 128:128]>
// CHECK-NOT:     sharp.fill <@l_fwd_xproj
// CHECK:         sharp.time_loop 3 {

// SEQ-LABEL: sharp.layer @l_fwd
// SEQ:         sharp.load_weights <@l_fwd_Wbuf[0:256, 0:8]>
// SEQ-NEXT:    sharp.load_weights <@l_fwd_Rbuf
// SEQ:         sharp.dispatch <@l_fwd_xproj[0:3, 0:256]>, <@l_fwd_xseq[0:3, 0:8]>, <@l_fwd_Wbuf[0:256, 0:8]>
// SEQ-NEXT:    sharp.add <@l_fwd_xproj[0:3, 0:256]>
