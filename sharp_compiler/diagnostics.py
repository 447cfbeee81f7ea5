"""Where a diagnostic points: the source location of an op, rendered for a one-line message.

Ops parsed from text carry `loc("in.mlir":LINE:COL)` (sharp-opt's parser records it); ops the
ONNX frontend builds carry `loc("NODE"("model.onnx":0:0))`, the ONNX node's name. A pass that
rejects an op raises `LoweringError(message, op=op)` (a `PassFailedException`), or wraps its
per-op work in `at_op(op)` so that errors raised deeper get the op attached:

    in.mlir:7:10: rnn.lstm: unsupported activation 'Gelu'
    model.onnx: node 'lstm_0' (rnn.lstm): unsupported activation 'Gelu'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from xdsl.dialects.builtin import FileLineColLoc, FusedLoc, NameLoc, StringAttr
from xdsl.ir import Attribute, Operation
from xdsl.utils.exceptions import DiagnosticException


def onnx_location(node: str, model: str) -> NameLoc:
    """The location of an op built for ONNX node `node` of `model`."""
    from xdsl.dialects.builtin import IntAttr

    return NameLoc(StringAttr(node), FileLineColLoc(StringAttr(model), IntAttr(0), IntAttr(0)))


def _render(loc: Attribute) -> str | None:
    if isinstance(loc, FileLineColLoc):
        if loc.line.data == 0:
            return loc.filename.data
        return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"
    if isinstance(loc, NameLoc):
        inner = _render(loc.location)
        node = f"node '{loc.desc.data}'"
        return f"{inner}: {node}" if inner else node
    if isinstance(loc, FusedLoc):
        parts = [text for part in loc.locations.data if (text := _render(part))]
        return parts[0] if parts else None
    return None


def location_text(op: Operation) -> str:
    """`FILE:LINE:COL: OPNAME`, `MODEL: node 'N' (OPNAME)`, or the op name when nothing better is known."""
    where = _render(op.location)
    if where is None:
        node = op.attributes.get("onnx_node") or op.properties.get("onnx_node")
        if isinstance(node, StringAttr):
            return f"node '{node.data}' ({op.name})"
        return op.name
    return f"{where} ({op.name})" if "node '" in where else f"{where}: {op.name}"


def located(err: BaseException) -> str | None:
    """The location of the op an error is attached to (`err.op`), if any."""
    op = getattr(err, "op", None)
    return location_text(op) if isinstance(op, Operation) else None


@contextmanager
def at_op(op: Operation) -> Iterator[None]:
    """Attach `op` to a diagnostic raised inside the block that is not attached to an op yet."""
    try:
        yield
    except DiagnosticException as err:
        if getattr(err, "op", None) is None:
            err.op = op  # type: ignore[attr-defined]
        raise
