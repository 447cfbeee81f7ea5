// RUN: sharp-opt %s --split-input-file --verify-diagnostics -p 'convert-rnn-to-sharp{hw=%inputs/tiny-hw.json}'
// Errors of the lowering are located at the op (or the module) they are about.

// expected-error @+1 {{expected one func.func holding the model, found 0}}
builtin.module {
}

// -----
builtin.module {
  func.func @main(%X: tensor<3x1x2xf32>) -> (tensor<3x1x2xf32>) {
    // expected-error @+1 {{arith.constant: no lowering for 'arith.constant' yet}}
    %s = arith.constant dense<0.0> : tensor<3x1x2xf32>
    func.return %s : tensor<3x1x2xf32>
  }
}
