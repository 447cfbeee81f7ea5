"""Errors the simulator raises; every message is one line."""

from __future__ import annotations


class SimError(RuntimeError):
    """A program that cannot run to completion (deadlock, leftover tokens, hazard, bad data)."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split("\n")))


class SimInputError(SimError, ValueError):
    """Inputs that do not match the program's declared inputs (name, shape, dtype, values)."""


class HazardError(SimError):
    """Two instructions on different units touch the same buffer words without a token ordering them."""


class UninitializedReadError(SimError):
    """An instruction reads a buffer word that no earlier instruction wrote."""
