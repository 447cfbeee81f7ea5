// RUN: sharp-opt %s --verify-diagnostics --split-input-file | filecheck %s

// Each rnn verifier rejects exactly what it should, with the message below.

// rnn.constant: the result type is the weights' type
func.func @f() {
  %c = rnn.constant #rnn.weights<"c", tensor<2xf32>, "0x0000803F00000040"> : tensor<3xf32>
  func.return
}
// CHECK: result type tensor<3xf32> does not match weights type tensor<2xf32>

// -----

// #rnn.weights: supported element types only
func.func @f() {
  %c = rnn.constant #rnn.weights<"c", tensor<1xf64>, "0x0000000000000000"> : tensor<1xf64>
  func.return
}
// CHECK: weights 'c' have element type f64; expected f32, f16, i32 or i64

// -----

// #rnn.weights: the bytes match the type
func.func @f() {
  %c = rnn.constant #rnn.weights<"c", tensor<2xf32>, "0x0000803F"> : tensor<2xf32>
  func.return
}
// CHECK: weights 'c' hold 4 bytes, expected 8 for tensor<2xf32>

// -----

// #rnn.weights: static shapes only
func.func @f() {
  %c = rnn.constant #rnn.weights<"c", tensor<?xf32>, elided> : tensor<?xf32>
  func.return
}
// CHECK: weights 'c' must have a static shape, got tensor<?xf32>

// -----

// hidden_size > 0
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 0 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: hidden_size must be positive, got 0

// -----

// layout is 0 or 1
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 2 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: layout must be 0 or 1, got 2

// -----

// X is rank 3
func.func @f(%x: tensor<5x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: X must be a statically shaped rank-3 tensor of floats, got tensor<5x3xf32>

// -----

// W is [D, 4H, I]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x12x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x12x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: W has type tensor<1x12x3xf32>, expected tensor<1x16x3xf32> ([num_directions, 4*hidden_size, input_size])

// -----

// R is [D, 4H, H]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x3xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x3xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: R has type tensor<1x16x3xf32>, expected tensor<1x16x4xf32> ([num_directions, 4*hidden_size, hidden_size])

// -----

// B is [D, 8H]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>, %b: tensor<1x16xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> bias %b : tensor<1x16xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: B has type tensor<1x16xf32>, expected tensor<1x32xf32> ([num_directions, 8*hidden_size])

// -----

// sequence_lens is [B] of i32 or i64
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>, %l: tensor<2xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> sequence_lens %l : tensor<2xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: sequence_lens has type tensor<2xf32>, expected tensor<2xi32> or tensor<2xi64> ([batch_size])

// -----

// initial_h is [D, B, H]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>, %h: tensor<1x1x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> initial_h %h : tensor<1x1x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: initial_h has type tensor<1x1x4xf32>, expected tensor<1x2x4xf32> ([num_directions, batch_size, hidden_size])

// -----

// initial_c is [D, B, H]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>, %c: tensor<2x2x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> initial_c %c : tensor<2x2x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: initial_c has type tensor<2x2x4xf32>, expected tensor<1x2x4xf32> ([num_directions, batch_size, hidden_size])

// -----

// P is [D, 3H]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>, %p: tensor<1x16xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> peepholes %p : tensor<1x16xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: P has type tensor<1x16xf32>, expected tensor<1x12xf32> ([num_directions, 3*hidden_size])

// -----

// input_forget is 0 or 1
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 2 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: input_forget must be 0 or 1, got 2

// -----

// one list of functions per direction
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: expected 3 activations (3 per direction), got 2

// -----

// known functions only
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Gelu"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: unknown activation 'Gelu'; expected one of Relu, Tanh, Sigmoid, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus

// -----

// one alpha per function
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: activation_alpha has 1 entries, expected 3 (one per activation)

// -----

// one beta per function
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: activation_beta has 0 entries, expected 3 (one per activation)

// -----

// alpha and beta are f32
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f64, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: activation_alpha entries must be f32

// -----

// clip > 0
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] clip -1.000000e+00 -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: clip must be positive, got -1.0

// -----

// Y is [T, D, B, H]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: Y has type tensor<5x2x4xf32>, expected tensor<5x1x2x4xf32> ([seq_length, num_directions, batch_size, hidden_size])

// -----

// Y is [B, T, D, H] with layout 1
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 1 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: Y has type tensor<5x1x2x4xf32>, expected tensor<5x2x1x4xf32> ([batch_size, seq_length, num_directions, hidden_size])

// -----

// Y_h is [D, B, H]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<2x1x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: Y_h has type tensor<2x1x4xf32>, expected tensor<1x2x4xf32> ([num_directions, batch_size, hidden_size])

// -----

// Y_c is [B, D, H] with layout 1
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 1 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x2x1x4xf32>, tensor<5x1x4xf32>, tensor<1x5x4xf32>
  func.return
}
// CHECK: Y_c has type tensor<1x5x4xf32>, expected tensor<5x1x4xf32> ([batch_size, num_directions, hidden_size])

// -----

// bidirectional doubles D
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h, %y_c = rnn.lstm %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction bidirectional layout 0 input_forget 0 activations ["Sigmoid", "Tanh", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: W has type tensor<1x16x3xf32>, expected tensor<2x16x3xf32> ([num_directions, 4*hidden_size, input_size])

// -----

// GRU: W is [D, 3H, I]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h = rnn.gru %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 linear_before_reset 0 activations ["Sigmoid", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: W has type tensor<1x16x3xf32>, expected tensor<1x12x3xf32> ([num_directions, 3*hidden_size, input_size])

// -----

// GRU: linear_before_reset is 0 or 1
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x12x3xf32>, %r: tensor<1x12x4xf32>) {
  %y, %y_h = rnn.gru %x : tensor<5x2x3xf32>, %w : tensor<1x12x3xf32>, %r : tensor<1x12x4xf32> hidden_size 4 direction forward layout 0 linear_before_reset 3 activations ["Sigmoid", "Tanh"] activation_alpha [0.000000e+00 : f32, 0.000000e+00 : f32] activation_beta [0.000000e+00 : f32, 0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: linear_before_reset must be 0 or 1, got 3

// -----

// RNN: W is [D, H, I]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x16x3xf32>, %r: tensor<1x16x4xf32>) {
  %y, %y_h = rnn.rnn %x : tensor<5x2x3xf32>, %w : tensor<1x16x3xf32>, %r : tensor<1x16x4xf32> hidden_size 4 direction forward layout 0 activations ["Tanh"] activation_alpha [0.000000e+00 : f32] activation_beta [0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: W has type tensor<1x16x3xf32>, expected tensor<1x4x3xf32> ([num_directions, hidden_size, input_size])

// -----

// RNN: B is [D, 2H]
func.func @f(%x: tensor<5x2x3xf32>, %w: tensor<1x4x3xf32>, %r: tensor<1x4x4xf32>, %b: tensor<1x4xf32>) {
  %y, %y_h = rnn.rnn %x : tensor<5x2x3xf32>, %w : tensor<1x4x3xf32>, %r : tensor<1x4x4xf32> bias %b : tensor<1x4xf32> hidden_size 4 direction forward layout 0 activations ["Tanh"] activation_alpha [0.000000e+00 : f32] activation_beta [0.000000e+00 : f32] -> tensor<5x1x2x4xf32>, tensor<1x2x4xf32>
  func.return
}
// CHECK: B has type tensor<1x4xf32>, expected tensor<1x8xf32> ([num_directions, 2*hidden_size])

// -----

// transpose: perm is a permutation
func.func @f(%a: tensor<2x3x4xf32>) {
  %t = rnn.transpose %a perm [0, 0, 1] : tensor<2x3x4xf32> -> tensor<2x2x3xf32>
  func.return
}
// CHECK: perm [0, 0, 1] is not a permutation of [0, 3)

// -----

// transpose: result shape
func.func @f(%a: tensor<2x3x4xf32>) {
  %t = rnn.transpose %a perm [2, 0, 1] : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  func.return
}
// CHECK: result has type tensor<2x3x4xf32>, expected tensor<4x2x3xf32>

// -----

// glue ops take static shapes
func.func @f(%a: tensor<?x3xf32>) {
  %t = rnn.transpose %a perm [1, 0] : tensor<?x3xf32> -> tensor<3x?xf32>
  func.return
}
// CHECK: input must be a statically shaped tensor, got tensor<?x3xf32>

// -----

// reshape: same element count
func.func @f(%a: tensor<2x3xf32>) {
  %r = rnn.reshape %a : tensor<2x3xf32> -> tensor<5xf32>
  func.return
}
// CHECK: cannot reshape tensor<2x3xf32> (6 elements) into tensor<5xf32> (5 elements)

// -----

// reshape: same element type
func.func @f(%a: tensor<2x3xf32>) {
  %r = rnn.reshape %a : tensor<2x3xf32> -> tensor<6xf16>
  func.return
}
// CHECK: result element type f16 differs from input element type f32

// -----

// concat: axis in range
func.func @f(%a: tensor<1x2x4xf32>) {
  %c = rnn.concat %a, %a axis 3 : tensor<1x2x4xf32>, tensor<1x2x4xf32> -> tensor<2x2x4xf32>
  func.return
}
// CHECK: axis 3 is out of range for rank 3

// -----

// concat: other dimensions agree
func.func @f(%a: tensor<1x2x4xf32>, %b: tensor<1x3x4xf32>) {
  %c = rnn.concat %a, %b axis 0 : tensor<1x2x4xf32>, tensor<1x3x4xf32> -> tensor<2x2x4xf32>
  func.return
}
// CHECK: input 1 has type tensor<1x3x4xf32>, incompatible with input 0 (tensor<1x2x4xf32>) outside axis 0

// -----

// concat: result sums the axis
func.func @f(%a: tensor<1x2x4xf32>) {
  %c = rnn.concat %a, %a axis 0 : tensor<1x2x4xf32>, tensor<1x2x4xf32> -> tensor<3x2x4xf32>
  func.return
}
// CHECK: result has type tensor<3x2x4xf32>, expected tensor<2x2x4xf32>

// -----

// concat: at least one input
func.func @f() {
  %c = "rnn.concat"() <{axis = 0 : i64}> : () -> tensor<2xf32>
  func.return
}
// CHECK: concat needs at least one input

// -----

// slice: parameter lists agree
func.func @f(%a: tensor<3x1x4xf32>) {
  %s = rnn.slice %a starts [0] ends [1] axes [0, 1] steps [1] : tensor<3x1x4xf32> -> tensor<1x1x4xf32>
  func.return
}
// CHECK: starts, ends, axes and steps must have the same length, got 1, 1, 2, 1

// -----

// slice: distinct axes in range
func.func @f(%a: tensor<3x1x4xf32>) {
  %s = rnn.slice %a starts [0, 0] ends [1, 1] axes [0, 0] steps [1, 1] : tensor<3x1x4xf32> -> tensor<1x1x4xf32>
  func.return
}
// CHECK: axes [0, 0] must be distinct axes in [0, 3)

// -----

// slice: non-zero steps
func.func @f(%a: tensor<3x1x4xf32>) {
  %s = rnn.slice %a starts [0] ends [1] axes [0] steps [0] : tensor<3x1x4xf32> -> tensor<1x1x4xf32>
  func.return
}
// CHECK: steps must be non-zero

// -----

// slice: result shape
func.func @f(%a: tensor<3x1x4xf32>) {
  %s = rnn.slice %a starts [1] ends [3] axes [0] steps [1] : tensor<3x1x4xf32> -> tensor<1x1x4xf32>
  func.return
}
// CHECK: result has type tensor<1x1x4xf32>, expected tensor<2x1x4xf32>

// -----

// linear: float input
func.func @f(%a: tensor<5xi32>, %w: tensor<5x2xi32>) {
  %l = rnn.linear %a : tensor<5xi32>, %w : tensor<5x2xi32> -> tensor<2xi32>
  func.return
}
// CHECK: input must be a tensor of floats of rank >= 1, got tensor<5xi32>

// -----

// linear: weight is [K, N]
func.func @f(%a: tensor<5x4xf32>, %w: tensor<3x2xf32>) {
  %l = rnn.linear %a : tensor<5x4xf32>, %w : tensor<3x2xf32> -> tensor<5x2xf32>
  func.return
}
// CHECK: weight has type tensor<3x2xf32>, expected tensor<4xNxf32> ([K, N])

// -----

// linear: bias is [N]
func.func @f(%a: tensor<5x4xf32>, %w: tensor<4x2xf32>, %b: tensor<1x2xf32>) {
  %l = rnn.linear %a : tensor<5x4xf32>, %w : tensor<4x2xf32> bias %b : tensor<1x2xf32> -> tensor<5x2xf32>
  func.return
}
// CHECK: bias has type tensor<1x2xf32>, expected tensor<2xf32> ([N])

// -----

// linear: result shape
func.func @f(%a: tensor<5x4xf32>, %w: tensor<4x2xf32>) {
  %l = rnn.linear %a : tensor<5x4xf32>, %w : tensor<4x2xf32> -> tensor<5x4xf32>
  func.return
}
// CHECK: result has type tensor<5x4xf32>, expected tensor<5x2xf32>

// -----

// softmax: floats of rank >= 1
func.func @f(%a: tensor<f32>) {
  %s = rnn.softmax %a : tensor<f32>
  func.return
}
// CHECK: input must be a tensor of floats of rank >= 1, got tensor<f32>

// -----

// activation: known functions
func.func @f(%a: tensor<3xf32>) {
  %s = rnn.activation "Gelu" %a : tensor<3xf32>
  func.return
}
// CHECK: unsupported function 'Gelu'; expected one of Relu, Sigmoid, Tanh

// -----

// activation: floats
func.func @f(%a: tensor<3xi32>) {
  %s = rnn.activation "Relu" %a : tensor<3xi32>
  func.return
}
// CHECK: input must be a tensor of floats, got tensor<3xi32>

// -----

// embedding: table is [V, E]
func.func @f(%t: tensor<10xf32>, %i: tensor<3xi64>) {
  %e = rnn.embedding %t : tensor<10xf32>, %i : tensor<3xi64> -> tensor<3x1xf32>
  func.return
}
// CHECK: table must be a rank-2 tensor of floats ([V, E]), got tensor<10xf32>

// -----

// embedding: integer indices
func.func @f(%t: tensor<10x4xf32>, %i: tensor<3xf32>) {
  %e = rnn.embedding %t : tensor<10x4xf32>, %i : tensor<3xf32> -> tensor<3x4xf32>
  func.return
}
// CHECK: indices must be a tensor of i32 or i64, got tensor<3xf32>

// -----

// embedding: result is indices + [E]
func.func @f(%t: tensor<10x4xf32>, %i: tensor<3xi64>) {
  %e = rnn.embedding %t : tensor<10x4xf32>, %i : tensor<3xi64> -> tensor<3x10xf32>
  func.return
}
// CHECK: result has type tensor<3x10xf32>, expected tensor<3x4xf32>
