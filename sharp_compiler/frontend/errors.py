"""The frontend's error: a model it cannot take, in one line that starts with the model's name.

`rejection_message` turns the nodes the mapper could not take into that line: the first
offending nodes with their reasons, repeats of one per-step pattern (the nodes of a Python
loop the exporter unrolled) counted instead of listed, a hint for the PyTorch user when there
is one, and never more than `MESSAGE_LIMIT` characters after the model's name::

    unsupported ONNX node(s): Split '/cell/Split', Mul '/cell/Mul', Add '/cell/Add_1' (Add is only
    supported as a constant bias after MatMul or Gemm), ... and 38 more of the same per-step pattern
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.utils.exceptions import DiagnosticException

MESSAGE_LIMIT = 300
"""The most characters a rejection message has after `<model>: `."""


class FrontendError(DiagnosticException, ValueError):
    """A model the frontend cannot take; the message is one line starting with the model's name."""


def one_line(error: BaseException, limit: int = 240) -> str:
    """An error's whole message on one line (its lines joined: onnx.checker's cycle report names
    the node on its second line), cut at `limit` characters, or its type's name."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text or type(error).__name__


@dataclass(frozen=True)
class Rejection:
    """One node (or graph output) the mapper could not take."""

    label: str
    """How the message names it: `Add '/cell/Add'`, `Floor #2`, `graph output 'y'`."""
    op_type: str
    name: str
    reason: str = ""
    hint: str = ""
    """What the PyTorch user can change, when something helps."""

    def pattern(self) -> tuple[str, str, str]:
        """The node with its step numbers taken out: `/cell_3/Add_2` and `/cell/Add_1` are alike."""
        return self.op_type, re.sub(r"[_.]?\d+", "", self.name), self.reason


def rejection_message(
    rejections: Sequence[Rejection], limit: int = MESSAGE_LIMIT, hints: Sequence[str] = ()
) -> str:
    """One line naming the first rejected nodes, grouping repeats, at most `limit` characters.

    `hints` (about the model as a whole) follow the rejections' own hints at the end of the line.
    """
    head = "unsupported ONNX node(s): "
    hints = list(dict.fromkeys([*(r.hint for r in rejections if r.hint), *hints]))
    tail = f"; {' '.join(hints)}" if hints else ""
    shown: list[Rejection] = []
    reasons: set[str] = set()
    patterns: set[tuple[str, str, str]] = set()
    text = head
    for position, rejection in enumerate(rejections):
        if rejection.pattern() in patterns:
            continue
        # A reason is said once; later nodes with the same reason are just named.
        said = rejection.reason if rejection.reason and rejection.reason not in reasons else ""
        item = rejection.label + (f" ({said})" if said else "")
        candidate = text + (", " if shown else "") + item
        rest = _rest(rejections[position + 1 :], patterns | {rejection.pattern()})
        if shown and len(candidate) + len(rest) + len(tail) > limit:
            break
        shown.append(rejection)
        reasons.add(rejection.reason)
        patterns.add(rejection.pattern())
        text = candidate
    hidden = [r for r in rejections if r not in shown]
    message = text + _rest(hidden, patterns) + tail
    if len(message) > limit:
        message = message[: limit - 3].rstrip() + "..."
    return message


def _rest(hidden: Sequence[Rejection], patterns: set[tuple[str, str, str]]) -> str:
    """`, ... and N more ...` for the rejections not listed ('' when none)."""
    if not hidden:
        return ""
    repeats = [r for r in hidden if r.pattern() in patterns]
    if len(repeats) == len(hidden):
        return f", ... and {len(hidden)} more of the same per-step pattern"
    others = Counter(r.op_type for r in hidden if r.pattern() not in patterns)
    kinds = [f"{op} x{n}" if n > 1 else op for op, n in others.most_common(3)]
    if len(others) > 3:
        kinds.append("...")
    if repeats:
        kinds.insert(0, f"{len(repeats)} of the same per-step pattern")
    return f", ... and {len(hidden)} more ({', '.join(kinds)})"
