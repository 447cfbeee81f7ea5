"""The frontend's error: a model it cannot take, in one line that starts with the model's name."""

from __future__ import annotations

from xdsl.utils.exceptions import DiagnosticException


class FrontendError(DiagnosticException, ValueError):
    """A model the frontend cannot take; the message is one line starting with the model's name."""


def one_line(error: BaseException) -> str:
    """The first non-blank line of an error's message (or its type's name)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__
