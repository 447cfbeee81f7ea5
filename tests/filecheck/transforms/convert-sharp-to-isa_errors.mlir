// RUN: sharp-opt %s --split-input-file --verify-diagnostics -p convert-sharp-to-isa
// The lowering to sharp_isa names the op it cannot take.

builtin.module attributes {sharp.hw = #sharp.hw<"sharp-4k", "{\22accumulate_latency\22:1,\22act_lanes\22:64,\22act_latency\22:4,\22cell_lanes\22:64,\22cell_latency\22:3,\22clock_hz\22:500000000.0,\22cross_step_overlap\22:true,\22default_tile\22:[32,32],\22dram_bytes_per_cycle\22:64,\22dram_latency\22:100,\22family\22:\22sharp\22,\22macs\22:4096,\22mult_latency\22:3,\22name\22:\22sharp-4k\22,\22native_rows\22:0,\22onchip_bytes_per_cycle\22:256,\22pj_per_act_op\22:1.5,\22pj_per_cell_op\22:0.8,\22pj_per_dram_byte\22:20.0,\22pj_per_mac_fp16\22:2.2,\22pj_per_mac_fp32\22:4.4,\22pj_per_sram_byte\22:0.9,\22precision\22:\22fp16\22,\22reconfig_cycles\22:16,\22reconfigurable\22:true,\22static_watts\22:4.5681,\22tile_shapes\22:[[8,8],[8,16],[8,32],[8,64],[8,128],[16,8],[16,16],[16,32],[16,64],[16,128],[16,256],[32,8],[32,16],[32,32],[32,64],[32,128],[64,8],[64,16],[64,32],[64,64],[128,8],[128,16],[128,32],[256,16]],\22vector_buffer_bytes\22:2097152,\22weight_buffer_bytes\22:16777216}">, sharp.precision = "fp16"} {
  sharp.tensor input @X : tensor<3x1x2xf32> {onnx_name = "X"}
  sharp.tensor output @Y_h : tensor<1x1x2xf32> {onnx_name = "Y_h"}
  sharp.tensor const @rnn0_fwd_W : tensor<2x2xf16> {value = #rnn.weights<"rnn0_fwd_W", tensor<2x2xf16>, "0x003C004000420044">}
  sharp.tensor const @rnn0_fwd_R : tensor<2x2xf16> {value = #rnn.weights<"rnn0_fwd_R", tensor<2x2xf16>, "0x003C004000420044">}
  // expected-error @+1 {{buffer @rnn0_fwd_Wbuf has no address; run sharp-allocate first}}
  sharp.buffer @rnn0_fwd_Wbuf wmem [2 x 2]
  sharp.buffer @rnn0_fwd_Rbuf wmem [2 x 2] at 0
  sharp.buffer @rnn0_fwd_h vmem [1 x 2] at 2
  sharp.buffer @rnn0_fwd_acc vmem [1 x 2] at 0
  sharp.buffer @rnn0_fwd_gates vmem [1 x 2] at 0
  sharp.buffer @rnn0_fwd_tmp vmem [1 x 2] at 0
  sharp.buffer @rnn0_fwd_xseq vmem [3 x 2] at 10
  sharp.buffer @rnn0_fwd_xproj vmem [3 x 2] at 4
  sharp.layer @rnn0_fwd "rnn" from "rnn0" tile <32x32> macs 24 {
    sharp.load_weights <@rnn0_fwd_Wbuf[0:2, 0:2]>, <@rnn0_fwd_W[base 0, rows 2 stride 2, cols 2]> tokens <pop [], push []>
    sharp.load_weights <@rnn0_fwd_Rbuf[0:2, 0:2]>, <@rnn0_fwd_R[base 0, rows 2 stride 2, cols 2]> tokens <pop [], push []>
    sharp.load <@rnn0_fwd_xseq[0:3, 0:2]>, <@X[base 0, rows 3 stride 2, cols 2]> tokens <pop [], push [array]>
    sharp.dispatch <@rnn0_fwd_xproj[0:3, 0:2]>, <@rnn0_fwd_xseq[0:3, 0:2]>, <@rnn0_fwd_Wbuf[0:2, 0:2]> tokens <pop [dma], push [cell]>
    sharp.fill <@rnn0_fwd_h[0:1, 0:2]>, "0.0" tokens <pop [array], push [dma]>
    sharp.sync "dma" tokens <pop [cell], push []>
    sharp.time_loop 3 {
      sharp.sync "dma" tokens <pop [], push [array]>
      sharp.dispatch <@rnn0_fwd_acc[0:1, 0:2]>, <@rnn0_fwd_h[0:1, 0:2]>, <@rnn0_fwd_Rbuf[0:2, 0:2]> tokens <pop [dma], push [cell]>
      sharp.add <@rnn0_fwd_acc[0:1, 0:2]>, <@rnn0_fwd_acc[0:1, 0:2]>, <@rnn0_fwd_xproj[0:1 by 1, 0:2]> tokens <pop [array], push [act]>
      sharp.activate <@rnn0_fwd_h[0:1, 0:2]>, <@rnn0_fwd_acc[0:1, 0:2]> <tanh> tokens <pop [cell], push [dma]>
      sharp.sync "dma" tokens <pop [act], push []>
    }
    sharp.store <@Y_h[base 0, rows 1 stride 2, cols 2]>, <@rnn0_fwd_h[0:1, 0:2]> tokens <pop [], push []>
  }
}


// -----
builtin.module attributes {sharp.hw = #sharp.hw<"sharp-4k", "{\22accumulate_latency\22:1,\22act_lanes\22:64,\22act_latency\22:4,\22cell_lanes\22:64,\22cell_latency\22:3,\22clock_hz\22:500000000.0,\22cross_step_overlap\22:true,\22default_tile\22:[32,32],\22dram_bytes_per_cycle\22:64,\22dram_latency\22:100,\22family\22:\22sharp\22,\22macs\22:4096,\22mult_latency\22:3,\22name\22:\22sharp-4k\22,\22native_rows\22:0,\22onchip_bytes_per_cycle\22:256,\22pj_per_act_op\22:1.5,\22pj_per_cell_op\22:0.8,\22pj_per_dram_byte\22:20.0,\22pj_per_mac_fp16\22:2.2,\22pj_per_mac_fp32\22:4.4,\22pj_per_sram_byte\22:0.9,\22precision\22:\22fp16\22,\22reconfig_cycles\22:16,\22reconfigurable\22:true,\22static_watts\22:4.5681,\22tile_shapes\22:[[8,8],[8,16],[8,32],[8,64],[8,128],[16,8],[16,16],[16,32],[16,64],[16,128],[16,256],[32,8],[32,16],[32,32],[32,64],[32,128],[64,8],[64,16],[64,32],[64,64],[128,8],[128,16],[128,32],[256,16]],\22vector_buffer_bytes\22:2097152,\22weight_buffer_bytes\22:16777216}">, sharp.precision = "fp16"} {
  sharp.tensor input @X : tensor<3x1x2xf32> {onnx_name = "X"}
  sharp.tensor output @Y_h : tensor<1x1x2xf32> {onnx_name = "Y_h"}
  sharp.tensor const @rnn0_fwd_W : tensor<2x2xf16> {value = #rnn.weights<"rnn0_fwd_W", tensor<2x2xf16>, "0x003C004000420044">}
  sharp.tensor const @rnn0_fwd_R : tensor<2x2xf16> {value = #rnn.weights<"rnn0_fwd_R", tensor<2x2xf16>, "0x003C004000420044">}
  sharp.buffer @rnn0_fwd_Wbuf wmem [2 x 2] at 4
  sharp.buffer @rnn0_fwd_Rbuf wmem [2 x 2] at 0
  sharp.buffer @rnn0_fwd_h vmem [1 x 2] at 2
  sharp.buffer @rnn0_fwd_acc vmem [1 x 2] at 0
  sharp.buffer @rnn0_fwd_gates vmem [1 x 2] at 0
  sharp.buffer @rnn0_fwd_tmp vmem [1 x 2] at 0
  sharp.buffer @rnn0_fwd_xseq vmem [3 x 2] at 10
  sharp.buffer @rnn0_fwd_xproj vmem [3 x 2] at 4
  sharp.layer @rnn0_fwd "rnn" from "rnn0" tile <32x32> macs 24 {
    sharp.load_weights <@rnn0_fwd_Wbuf[0:2, 0:2]>, <@rnn0_fwd_W[base 0, rows 2 stride 2, cols 2]> tokens <pop [], push []>
    sharp.load_weights <@rnn0_fwd_Rbuf[0:2, 0:2]>, <@rnn0_fwd_R[base 0, rows 2 stride 2, cols 2]> tokens <pop [], push []>
    sharp.load <@rnn0_fwd_xseq[0:3, 0:2]>, <@X[base 0, rows 3 stride 2, cols 2]> tokens <pop [], push [array]>
    sharp.dispatch <@rnn0_fwd_xproj[0:3, 0:2]>, <@rnn0_fwd_xseq[0:3, 0:2]>, <@rnn0_fwd_Wbuf[0:2, 0:2]> tokens <pop [dma], push [cell]>
    sharp.fill <@rnn0_fwd_h[0:1, 0:2]>, "0.0" tokens <pop [array], push [dma]>
    sharp.sync "dma" tokens <pop [cell], push []>
    sharp.time_loop 3 {
      sharp.sync "dma" tokens <pop [], push [array]>
      sharp.dispatch <@rnn0_fwd_acc[0:1, 0:2]>, <@rnn0_fwd_h[0:1, 0:2]>, <@rnn0_fwd_Rbuf[0:2, 0:2]> tokens <pop [dma], push [cell]>
      sharp.add <@rnn0_fwd_acc[0:1, 0:2]>, <@rnn0_fwd_acc[0:1, 0:2]>, <@rnn0_fwd_xproj[0:1 by 1, 0:2]> tokens <pop [array], push [act]>
      sharp.activate <@rnn0_fwd_h[0:1, 0:2]>, <@rnn0_fwd_acc[0:1, 0:2]> <tanh> tokens <pop [cell], push [dma]>
      sharp.sync "dma" tokens <pop [act], push []>
    }
    // expected-error @+1 {{sharp.store has no dependency tokens; run sharp-schedule first}}
    sharp.store <@Y_h[base 0, rows 1 stride 2, cols 2]>, <@rnn0_fwd_h[0:1, 0:2]>
  }
}

