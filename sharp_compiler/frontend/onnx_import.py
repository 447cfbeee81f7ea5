"""ONNX -> `rnn` dialect.

    module = import_onnx("lstm.onnx", input_shapes={"x": (25, 1, 40)})

Steps, in order: load (graph only; external data is memory-mapped later), `onnx.checker`,
fix the input shapes given by the caller, strict shape inference with data propagation,
fold every node whose inputs are all constant (`onnx.reference` runs it; `Shape`/`Size`
of a statically shaped tensor count as constant), replace the dynamo exporter's time-unrolled
nn.RNN layers by RNN nodes (`unrolled_rnn`) and nn.LSTMCell/GRUCell loops by LSTM/GRU nodes
(`cell_loops`), hand-written ReduceMean layer norms by LayerNormalization (`manual_norms`), drop the sort/unsort glue of unsorted packed
batches (`batch_sort`), infer the shapes of what is left, and map each
remaining node to one `rnn` op, folding glue (reshape chains, size-1 transposes, adjacent
slices) on the way. Everything that cannot be taken is reported in a single `FrontendError`
whose one-line message starts with the model's name. See docs/frontend.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from xdsl.dialects.builtin import ModuleOp

from sharp_compiler.frontend.errors import FrontendError as FrontendError  # re-exported: the API
from sharp_compiler.frontend.folding import FoldedGraph
from sharp_compiler.frontend.loading import (
    check_inputs,
    check_model,
    infer_shapes,
    load_model,
    set_input_shapes,
    tensor_types,
    weightless_view,
)
from sharp_compiler.frontend.mapping import Mapper


def import_onnx(
    path_or_bytes: str | os.PathLike[str] | bytes,
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    origin: str | None = None,
) -> ModuleOp:
    """Translate an ONNX model (a path, or the serialized bytes) into an `rnn` module.

    `input_shapes` fixes dynamic input dimensions; `origin` names the model in errors
    (default: the path as given, or `<bytes>`).
    """
    if origin is None:
        origin = (
            "<bytes>"
            if isinstance(path_or_bytes, bytes | bytearray | memoryview)
            else os.fspath(path_or_bytes)
        )
    model, base_dir = load_model(path_or_bytes, origin)
    set_input_shapes(model, input_shapes or {}, origin)
    view = weightless_view(model, base_dir, origin)
    check_model(view, origin)
    check_inputs(model, origin)
    inferred = infer_shapes(view, origin, "shape inference failed")
    graph = FoldedGraph(model, tensor_types(inferred), base_dir, origin)
    graph.fold()
    graph.fold_exporter_patterns()
    graph.infer_remaining()
    return Mapper(graph).build()
