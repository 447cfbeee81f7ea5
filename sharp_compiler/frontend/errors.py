"""The frontend's error: a model it cannot take, in one line that starts with the model's name."""

from __future__ import annotations


class FrontendError(ValueError):
    """A model the frontend cannot take; the message is one line starting with the model's name."""


MAX_MESSAGE = 400
"""Characters of a foreign error's message kept (its lines joined)."""


def one_line(error: BaseException) -> str:
    """An error's whole message on one line (its lines joined, at most `MAX_MESSAGE` characters),
    or its type's name: e.g. onnx.checker's cycle report names the node on its second line."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 3].rstrip() + "..."
    return text or type(error).__name__
