// --verify-diagnostics honours `expected-error` like mlir-opt: the error must come from the
// annotated line and contain the text; a missing or unexpected error fails the run.
// RUN: sharp-opt %s --split-input-file --verify-diagnostics
// RUN: sed 's/15 elements/16 elements/' %s > %t.mlir
// RUN: not sharp-opt %t.mlir --split-input-file --verify-diagnostics 2>&1 | filecheck %s --check-prefix=WRONG
// WRONG: sharp-opt: error: {{.*}}.mlir:[[#LINE:]]: expected error "(16 elements)" was not produced
// WRONG-NEXT: sharp-opt: error: unexpected error: {{.*}}rnn.reshape: cannot reshape

func.func @verifier_error(%x: tensor<5x1x3xf32>) {
  // expected-error @+1 {{(15 elements)}}
  %0 = rnn.reshape %x onnx_node "r" : tensor<5x1x3xf32> -> tensor<7xf32>
  func.return
}

// -----
func.func @unknown_op() {
  %0 = "foo.bar"() : () -> i32 // expected-error {{Operation foo.bar is not registered}}
  func.return
}
