// RUN: SHARP_ROUNDTRIP

// Instruction ops (generated from the ISA table) and table ops round-trip in custom and generic form.
builtin.module {
  sharp_isa.region {index = 0 : i64, region_name = "acc", space = "vmem", rows = 1 : i64, cols = 16 : i64, base = 0 : i64}
  sharp_isa.view {index = 0 : i64, region = 0 : i64, row0 = 0 : i64, row_step = 1 : i64, nrows = 1 : i64, col0 = 0 : i64, ncols = 16 : i64}
  sharp_isa.tensor {index = 0 : i64, tensor_name = "X", kind = "input", dtype = "float32", shape = array<i64: 25, 1, 64>}
  sharp_isa.copy {index = 0 : i64, src = 0 : i64, dst = 0 : i64, src_base = 0 : i64, dst_base = 0 : i64, sizes = array<i64: 1, 1, 5, 6>, src_strides = array<i64: 0, 0, 1, 5>, dst_strides = array<i64: 0, 0, 6, 1>}
  sharp_isa.param {index = 0 : i64, fn = "sigmoid", alpha = 0.0 : f64, beta = 0.0 : f64, clip = 3.0 : f64}
  sharp_isa.layer {layer_name = "l", onnx_node = "n", kind = "lstm", pc_begin = 0 : i64, pc_end = 6 : i64, tile = #sharp.tile<16x16>, macs = 0 : i64}
  sharp_isa.cfgtile imm 1048592 tokens <pop [], push [dma]>
  sharp_isa.loop imm 25
  sharp_isa.mvm v0, v0, v0 flags 1 tokens <pop [dma], push [act, cell]>
  sharp_isa.act v0, v0, p0
  sharp_isa.nop flags 48 tokens <pop [act], push []>
  sharp_isa.endloop
}

// CHECK:      sharp_isa.tensor {{.*}} shape = array<i64: 25, 1, 64>}
// CHECK:      sharp_isa.copy {{.*}} sizes = array<i64: 1, 1, 5, 6>
// CHECK:      sharp_isa.param {index = 0 : i64, fn = "sigmoid", alpha = 0.000000e+00 : f64, beta = 0.000000e+00 : f64, clip = 3.000000e+00 : f64}
// CHECK:      sharp_isa.layer {{.*}} tile = #sharp.tile<16x16>
// CHECK:      sharp_isa.cfgtile imm 1048592 tokens <pop [], push [dma]>
// CHECK-NEXT: sharp_isa.loop imm 25
// CHECK-NEXT: sharp_isa.mvm v0, v0, v0 flags 1 tokens <pop [dma], push [act, cell]>
// CHECK-NEXT: sharp_isa.act v0, v0, p0
// CHECK-NEXT: sharp_isa.nop flags 48 tokens <pop [act], push []>
// CHECK-NEXT: sharp_isa.endloop

