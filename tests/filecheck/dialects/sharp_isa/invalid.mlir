// RUN: not sharp-opt %s 2>&1 | filecheck %s
// The table fields are typed: a kind outside its enum is rejected, located at the op.
// CHECK: sharp-opt: error: {{.*}}invalid.mlir:4:1: Expected one of "const", "input", "output", "scratch", but got "sideways"
sharp_isa.tensor {index = 0 : i64, tensor_name = "X", kind = "sideways", dtype = "float32", shape = array<i64: 2>}
