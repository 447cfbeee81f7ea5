// RUN: sharp-opt %s --verify-diagnostics -p sharp-allocate
// The passes after the lowering read the hardware from the IR; without it they say what is missing.

// expected-error @+1 {{module carries no sharp.hw / sharp.precision; run convert-rnn-to-sharp first}}
builtin.module {
  sharp.buffer @b vmem [1 x 2]
}
