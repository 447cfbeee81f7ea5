// Every user error of sharp-opt is one located line on stderr, exit 1, no traceback;
// --split-input-file reports every failing chunk and still prints the others.
// RUN: not sharp-opt %s --split-input-file 2>%t.err | filecheck %s --check-prefix=OUT
// RUN: filecheck %s --input-file=%t.err
// RUN: not sharp-opt %s --split-input-file -o %t.out 2>/dev/null
// RUN: not test -e %t.out

// CHECK-NOT: Traceback
// CHECK: sharp-opt: error: {{.*}}sharp-opt-errors.mlir:11:17: Operation foo.bar is not registered
func.func @unknown_op() {
  %0 = "foo.bar"() : () -> i32
  func.return
}

// -----
// CHECK-NEXT: sharp-opt: error: {{.*}}sharp-opt-errors.mlir:18:3: rnn.reshape: cannot reshape tensor<5x1x3xf32> (15 elements) into tensor<7xf32> (7 elements)
func.func @verifier_error(%x: tensor<5x1x3xf32>) {
  %0 = rnn.reshape %x onnx_node "r" : tensor<5x1x3xf32> -> tensor<7xf32>
  func.return
}

// -----
// OUT: func.func @fine
func.func @fine() {
  func.return
}

// -----
// CHECK-NEXT: sharp-opt: error: {{.*}}sharp-opt-errors.mlir:30:25: Expected argument or type
func.func @parse_error( {
