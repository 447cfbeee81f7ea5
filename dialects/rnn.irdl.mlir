// IRDL definition of the `rnn` dialect, generated from sharp_compiler.dialects.rnn
// by tools/export_irdl.py; do not edit (regenerate: python tools/export_irdl.py).
//
// Load in upstream MLIR: mlir-opt --irdl-file=dialects/rnn.irdl.mlir input.mlir
// IRDL-defined ops use the generic syntax; xDSL properties become attributes ("name" = value in
// the attribute dictionary). Mapping and limits: dialects/README.md.

irdl.dialect @rnn {
  // rnn.weights: A named constant tensor whose bytes are kept exactly (or `elided` after printing).
  irdl.attribute @weights {
    %label = irdl.base "#builtin.string"
    %type = irdl.base "!builtin.tensor"
    // BytesAttr | NoneAttr: not expressible (BytesAttr: #builtin.bytes is xDSL-only, not in upstream MLIR; NoneAttr: #builtin.none is xDSL-only, not in upstream MLIR)
    %data = irdl.any
    irdl.parameters(label: %label, type: %type, data: %data)
    // + Python verify() checks not expressible in IRDL
  }

  // rnn.direction: Direction of a recurrent layer: `#rnn<direction bidirectional>` (bare `bidirectional` in ops).
  // xDSL EnumAttribute over Direction, spelled #rnn.direction<"value"> here (one string parameter)
  irdl.attribute @direction {
    %value_0 = irdl.is "forward"
    %value_1 = irdl.is "reverse"
    %value_2 = irdl.is "bidirectional"
    %value = irdl.any_of(%value_0, %value_1, %value_2)
    irdl.parameters(value: %value)
  }

  // rnn.constant: A constant tensor (weights, biases, initial states), exact bytes in memory.
  // traits (IRDL has no traits): ConstantLike, Pure
  irdl.operation @constant {
    %result = irdl.base "!builtin.tensor"
    irdl.results(result: %result)
    %value = irdl.base @rnn::@weights
    irdl.attributes {
      "value" = %value  // property
    }
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.lstm: An ONNX LSTM layer (gate order i, o, f, c; functions f, g, h per direction).
  // traits (IRDL has no traits): Pure
  // names in IRDL spelling (lowercase only): X -> x, W -> w, R -> r, B -> b, P -> p, Y -> y, Y_h -> y_h, Y_c -> y_c
  irdl.operation @lstm {
    %x = irdl.base "!builtin.tensor"
    %w = irdl.base "!builtin.tensor"
    %r = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %sequence_lens = irdl.base "!builtin.tensor"
    %initial_h = irdl.base "!builtin.tensor"
    %initial_c = irdl.base "!builtin.tensor"
    %p = irdl.base "!builtin.tensor"
    irdl.operands(x: %x, w: %w, r: %r, b: optional %b, sequence_lens: optional %sequence_lens, initial_h: optional %initial_h, initial_c: optional %initial_c, p: optional %p)
    %y = irdl.base "!builtin.tensor"
    %y_h = irdl.base "!builtin.tensor"
    %y_c = irdl.base "!builtin.tensor"
    irdl.results(y: %y, y_h: %y_h, y_c: %y_c)
    // IntegerAttr[IntAttr, i64]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %input_forget = irdl.base "#builtin.integer"
    // IntegerAttr[IntAttr, i64]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %hidden_size = irdl.base "#builtin.integer"
    %direction = irdl.base @rnn::@direction
    // IntegerAttr[IntAttr, i64]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %layout = irdl.base "#builtin.integer"
    // ArrayAttr[StringAttr]: only its base is expressible in IRDL
    %activations = irdl.base "#builtin.array"
    // ArrayAttr[FloatAttr]: only its base is expressible in IRDL
    %activation_alpha = irdl.base "#builtin.array"
    // ArrayAttr[FloatAttr]: only its base is expressible in IRDL
    %activation_beta = irdl.base "#builtin.array"
    // property operandSegmentSizes: implied by the variadicities (IRDL reads it as an attribute)
    irdl.attributes {
      "input_forget" = %input_forget,  // property
      "hidden_size" = %hidden_size,  // property
      "direction" = %direction,  // property
      "layout" = %layout,  // property
      "activations" = %activations,  // property
      "activation_alpha" = %activation_alpha,  // property
      "activation_beta" = %activation_beta  // property
    }
    // optional "clip" (property): irdl.base "#builtin.float" [FloatAttr[FloatData, Float32Type]: parameters dropped (irdl.parametric takes only IRDL-defined bases)]
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.gru: An ONNX GRU layer (gate order z, r, h; functions f, g per direction).
  // traits (IRDL has no traits): Pure
  // names in IRDL spelling (lowercase only): X -> x, W -> w, R -> r, B -> b, Y -> y, Y_h -> y_h
  irdl.operation @gru {
    %x = irdl.base "!builtin.tensor"
    %w = irdl.base "!builtin.tensor"
    %r = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %sequence_lens = irdl.base "!builtin.tensor"
    %initial_h = irdl.base "!builtin.tensor"
    irdl.operands(x: %x, w: %w, r: %r, b: optional %b, sequence_lens: optional %sequence_lens, initial_h: optional %initial_h)
    %y = irdl.base "!builtin.tensor"
    %y_h = irdl.base "!builtin.tensor"
    irdl.results(y: %y, y_h: %y_h)
    // IntegerAttr[IntAttr, i64]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %linear_before_reset = irdl.base "#builtin.integer"
    // IntegerAttr[IntAttr, i64]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %hidden_size = irdl.base "#builtin.integer"
    %direction = irdl.base @rnn::@direction
    // IntegerAttr[IntAttr, i64]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %layout = irdl.base "#builtin.integer"
    // ArrayAttr[StringAttr]: only its base is expressible in IRDL
    %activations = irdl.base "#builtin.array"
    // ArrayAttr[FloatAttr]: only its base is expressible in IRDL
    %activation_alpha = irdl.base "#builtin.array"
    // ArrayAttr[FloatAttr]: only its base is expressible in IRDL
    %activation_beta = irdl.base "#builtin.array"
    // property operandSegmentSizes: implied by the variadicities (IRDL reads it as an attribute)
    irdl.attributes {
      "linear_before_reset" = %linear_before_reset,  // property
      "hidden_size" = %hidden_size,  // property
      "direction" = %direction,  // property
      "layout" = %layout,  // property
      "activations" = %activations,  // property
      "activation_alpha" = %activation_alpha,  // property
      "activation_beta" = %activation_beta  // property
    }
    // optional "clip" (property): irdl.base "#builtin.float" [FloatAttr[FloatData, Float32Type]: parameters dropped (irdl.parametric takes only IRDL-defined bases)]
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.rnn: An ONNX RNN (Elman) layer: H_t = f(X_t W^T + H_{t-1} R^T + Wb + Rb).
  // traits (IRDL has no traits): Pure
  // names in IRDL spelling (lowercase only): X -> x, W -> w, R -> r, B -> b, Y -> y, Y_h -> y_h
  irdl.operation @rnn {
    %x = irdl.base "!builtin.tensor"
    %w = irdl.base "!builtin.tensor"
    %r = irdl.base "!builtin.tensor"
    %b = irdl.base "!builtin.tensor"
    %sequence_lens = irdl.base "!builtin.tensor"
    %initial_h = irdl.base "!builtin.tensor"
    irdl.operands(x: %x, w: %w, r: %r, b: optional %b, sequence_lens: optional %sequence_lens, initial_h: optional %initial_h)
    %y = irdl.base "!builtin.tensor"
    %y_h = irdl.base "!builtin.tensor"
    irdl.results(y: %y, y_h: %y_h)
    // IntegerAttr[IntAttr, i64]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %hidden_size = irdl.base "#builtin.integer"
    %direction = irdl.base @rnn::@direction
    // IntegerAttr[IntAttr, i64]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %layout = irdl.base "#builtin.integer"
    // ArrayAttr[StringAttr]: only its base is expressible in IRDL
    %activations = irdl.base "#builtin.array"
    // ArrayAttr[FloatAttr]: only its base is expressible in IRDL
    %activation_alpha = irdl.base "#builtin.array"
    // ArrayAttr[FloatAttr]: only its base is expressible in IRDL
    %activation_beta = irdl.base "#builtin.array"
    // property operandSegmentSizes: implied by the variadicities (IRDL reads it as an attribute)
    irdl.attributes {
      "hidden_size" = %hidden_size,  // property
      "direction" = %direction,  // property
      "layout" = %layout,  // property
      "activations" = %activations,  // property
      "activation_alpha" = %activation_alpha,  // property
      "activation_beta" = %activation_beta  // property
    }
    // optional "clip" (property): irdl.base "#builtin.float" [FloatAttr[FloatData, Float32Type]: parameters dropped (irdl.parametric takes only IRDL-defined bases)]
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.transpose: Permute dimensions: result dim i is input dim perm[i].
  // traits (IRDL has no traits): Pure
  irdl.operation @transpose {
    %input = irdl.base "!builtin.tensor"
    irdl.operands(input: %input)
    %result = irdl.base "!builtin.tensor"
    irdl.results(result: %result)
    // DenseArrayBase[i64, Attribute]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %perm = irdl.base "#builtin.dense_array"
    irdl.attributes {
      "perm" = %perm  // property
    }
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.reshape: Reinterpret the row-major elements under the result's shape (ONNX Reshape, Squeeze, Unsqueeze, Flatten).
  // traits (IRDL has no traits): Pure
  irdl.operation @reshape {
    %input = irdl.base "!builtin.tensor"
    irdl.operands(input: %input)
    %result = irdl.base "!builtin.tensor"
    irdl.results(result: %result)
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.concat: Join tensors along `axis`; every other dimension must agree.
  // traits (IRDL has no traits): Pure
  irdl.operation @concat {
    %inputs = irdl.base "!builtin.tensor"
    irdl.operands(inputs: variadic %inputs)
    %result = irdl.base "!builtin.tensor"
    irdl.results(result: %result)
    // IntegerAttr[IntAttr, i64]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %axis = irdl.base "#builtin.integer"
    irdl.attributes {
      "axis" = %axis  // property
    }
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.slice: ONNX Slice with static parameters: on each `axes[i]`, keep start:end:step (Python semantics).
  // traits (IRDL has no traits): Pure
  irdl.operation @slice {
    %input = irdl.base "!builtin.tensor"
    irdl.operands(input: %input)
    %result = irdl.base "!builtin.tensor"
    irdl.results(result: %result)
    // DenseArrayBase[i64, Attribute]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %starts = irdl.base "#builtin.dense_array"
    // DenseArrayBase[i64, Attribute]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %ends = irdl.base "#builtin.dense_array"
    // DenseArrayBase[i64, Attribute]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %axes = irdl.base "#builtin.dense_array"
    // DenseArrayBase[i64, Attribute]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %steps = irdl.base "#builtin.dense_array"
    irdl.attributes {
      "starts" = %starts,  // property
      "ends" = %ends,  // property
      "axes" = %axes,  // property
      "steps" = %steps  // property
    }
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.linear: y = x @ weight + bias over the last axis (ONNX MatMul/Gemm with a constant weight, + Add).
  // traits (IRDL has no traits): Pure
  irdl.operation @linear {
    %input = irdl.base "!builtin.tensor"
    %weight = irdl.base "!builtin.tensor"
    %bias = irdl.base "!builtin.tensor"
    irdl.operands(input: %input, weight: %weight, bias: optional %bias)
    %result = irdl.base "!builtin.tensor"
    irdl.results(result: %result)
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.softmax: Softmax over the last axis; with `log`, LogSoftmax.
  // traits (IRDL has no traits): Pure
  irdl.operation @softmax {
    %T = irdl.base "!builtin.tensor"
    irdl.operands(input: %T)
    irdl.results(result: %T)
    // optional "log" (property): irdl.base "#builtin.unit"
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.layer_norm: ONNX LayerNormalization over the last axis: (x - mean) / sqrt(var + epsilon) * scale + bias.
  // traits (IRDL has no traits): Pure
  irdl.operation @layer_norm {
    %input = irdl.base "!builtin.tensor"
    %scale = irdl.base "!builtin.tensor"
    %bias = irdl.base "!builtin.tensor"
    irdl.operands(input: %input, scale: %scale, bias: optional %bias)
    %result = irdl.base "!builtin.tensor"
    irdl.results(result: %result)
    // FloatAttr[FloatData, Float32Type]: parameters dropped (irdl.parametric takes only IRDL-defined bases)
    %epsilon = irdl.base "#builtin.float"
    irdl.attributes {
      "epsilon" = %epsilon  // property
    }
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.activation: An elementwise function on a tensor: Relu, Sigmoid or Tanh.
  // traits (IRDL has no traits): Pure
  irdl.operation @activation {
    %T = irdl.base "!builtin.tensor"
    irdl.operands(input: %T)
    irdl.results(result: %T)
    %function = irdl.base "#builtin.string"
    irdl.attributes {
      "function" = %function  // property
    }
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }

  // rnn.embedding: Rows of a [V, E] table picked by integer indices (ONNX Gather, axis 0; negative indices count from V).
  // traits (IRDL has no traits): Pure
  irdl.operation @embedding {
    %table = irdl.base "!builtin.tensor"
    %indices = irdl.base "!builtin.tensor"
    irdl.operands(table: %table, indices: %indices)
    %result = irdl.base "!builtin.tensor"
    irdl.results(result: %result)
    // optional "onnx_node" (property): irdl.base "#builtin.string"
    // + Python verify_() checks not expressible in IRDL
  }
}
