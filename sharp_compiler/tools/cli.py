"""What every sharp command-line tool shares: one-line errors, atomic output files.

A tool's `main` calls `run_tool(name, body, argv)`; any expected failure is
printed as one line `NAME: error: MESSAGE` with exit code 1 (2 for bad
options), never a traceback (set SHARP_DEBUG=1 to see one).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from sharp_compiler.hw.numerics import NumericsWarning


class ToolError(Exception):
    """An error already phrased for the user."""


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse that reports bad options in one line (no usage block) and exits 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def atomic_write(path: str | Path, data: bytes) -> None:
    """Write a file so that a failure never leaves a partial file behind."""
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def parse_shape_option(values: Sequence[str] | None) -> dict[str, tuple[int, ...]]:
    """`NAME=D0,D1,...` options -> {name: dims}."""
    shapes: dict[str, tuple[int, ...]] = {}
    for text in values or ():
        name, sep, dims = text.partition("=")
        try:
            parsed = tuple(int(d) for d in dims.replace("x", ",").split(",")) if sep else ()
        except ValueError:
            parsed = ()
        if not name or not parsed or any(d <= 0 for d in parsed):
            raise ToolError(f"--input-shape expects NAME=D0,D1,... with positive dims, got '{text}'")
        shapes[name] = parsed
    return shapes


def _one_line(err: BaseException) -> str:
    """The whole message on one line (a multi-line message, e.g. a graph cycle's, is joined)."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text


def run_tool(name: str, body: Callable[[], int]) -> int:
    """Run a tool body, turning every failure into one line on stderr, each numerics warning too."""

    def show(message: Warning | str, category: type[Warning], *_args: object, **_kwargs: object) -> None:
        sys.stderr.write(f"{name}: warning: {' '.join(str(message).split())}\n")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", NumericsWarning)
            warnings.showwarning = show
            return body()
    except KeyboardInterrupt:
        sys.stderr.write(f"{name}: interrupted\n")
        return 130
    except Exception as err:  # noqa: BLE001 — the one place that turns errors into messages
        if os.environ.get("SHARP_DEBUG"):
            raise
        expected = isinstance(err, (ToolError, ValueError, OSError, KeyError))
        prefix = "error" if expected else f"internal error ({type(err).__name__})"
        sys.stderr.write(f"{name}: {prefix}: {_one_line(err)}\n")
        return 1
