"""What every sharp command-line tool shares: one-line errors, checked paths, atomic output files.

A tool's `main` calls `run_tool(name, body)`; any expected failure is printed as one line
`NAME: error: MESSAGE` with exit code 1 (2 for bad options, 130 for Ctrl-C), never a
traceback (set SHARP_DEBUG=1 to see one). Output files are written to temporaries beside
them and renamed once every one of them is complete, so a failure leaves no partial file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, NoReturn

from sharp_compiler.hw.numerics import NumericsWarning


class ToolError(Exception):
    """An error already phrased for the user."""


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse that reports bad options in one line (no usage block) and exits 2; has `--version`."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.add_argument("--version", action="version", version=version_line(self.prog))

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        sys.exit(2)


def version_line(prog: str) -> str:
    """`PROG (sharp-compiler X, xdsl Y)`, what `--version` prints."""
    from importlib.metadata import PackageNotFoundError, version

    from sharp_compiler import __version__

    try:
        xdsl = version("xdsl")
    except PackageNotFoundError:
        xdsl = "unknown"
    return f"{prog} (sharp-compiler {__version__}, xdsl {xdsl})"


def reason(err: OSError) -> str:
    """An OSError's reason without errno or file names: 'Is a directory', 'Permission denied'."""
    return err.strerror or type(err).__name__


def input_file(path: str | Path, what: str = "file") -> Path:
    """`path` if it names a readable regular file, else a ToolError naming it."""
    p = Path(path)
    if p.is_dir():
        raise ToolError(f"{path}: is a directory, expected a {what}")
    if not p.exists():
        raise ToolError(f"{path}: no such file")
    if not os.access(p, os.R_OK):
        raise ToolError(f"{path}: cannot read (Permission denied)")
    return p


def output_file(path: str | Path) -> Path:
    """`path` if a file can be written there (checked before any work is done), else a ToolError."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise ToolError(f"{path}: cannot write (is a directory)")
    if not parent.is_dir():
        raise ToolError(f"{path}: cannot write (no directory {parent})")
    if not os.access(parent, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
        raise ToolError(f"{path}: cannot write (Permission denied)")
    return p


Writer = Callable[[IO[bytes]], object]


def atomic_write_all(writers: Sequence[tuple[str | Path, Writer]]) -> None:
    """Write every file to a temporary beside it, then rename them all; on failure remove the temporaries."""
    done: list[tuple[str, Path]] = []
    current: str | Path = ""
    try:
        for target, write in writers:
            current = target
            output_file(target)
            handle, temp = tempfile.mkstemp(
                prefix=f".{Path(target).name}.", suffix=".tmp", dir=Path(target).parent
            )
            done.append((temp, Path(target)))
            with os.fdopen(handle, "wb") as stream:
                write(stream)
        umask = os.umask(0)
        os.umask(umask)
        for temp, target_path in done:
            current = target_path
            os.chmod(temp, 0o666 & ~umask)
            os.replace(temp, target_path)
    except OSError as err:
        raise ToolError(f"{current}: cannot write ({reason(err)})") from None
    finally:
        for temp, _ in done:
            Path(temp).unlink(missing_ok=True)


def atomic_write(path: str | Path, data: bytes) -> None:
    """Write one file so that a failure never leaves a partial file behind."""
    atomic_write_all([(path, lambda stream: stream.write(data))])


def parse_shape_option(values: Sequence[str] | None) -> dict[str, tuple[int, ...]]:
    """`NAME=D0,D1,...` options -> {name: dims}."""
    shapes: dict[str, tuple[int, ...]] = {}
    for text in values or ():
        name, sep, dims = text.rpartition("=")
        try:
            parsed = tuple(int(d) for d in dims.replace("x", ",").split(",")) if sep else ()
        except ValueError:
            parsed = ()
        if not name or not parsed or any(d <= 0 for d in parsed):
            raise ToolError(f"--input-shape expects NAME=D0,D1,... with positive dims, got '{text}'")
        shapes[name] = parsed
    return shapes


def one_line(err: BaseException) -> str:
    """An error's message on one line: xDSL's diagnostics keep their first line (the module is
    appended below it); any other message is joined (e.g. a graph cycle's, which lists nodes)."""
    from xdsl.utils.exceptions import DiagnosticException

    text = str(err).strip()
    if isinstance(err, DiagnosticException):
        text = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return " ".join(text.split()) or type(err).__name__


def is_user_error(err: BaseException) -> bool:
    """Errors about the input, not bugs: bad files, bad IR, bad options, rejected models."""
    from xdsl.utils.exceptions import DiagnosticException, ParseError, VerifyException

    return isinstance(
        err, ToolError | ValueError | OSError | DiagnosticException | ParseError | VerifyException
    )


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
        sys.stderr.write(f"{name}: error: interrupted\n")
        return 130
    except Exception as err:  # noqa: BLE001 — the one place that turns errors into messages
        if os.environ.get("SHARP_DEBUG"):
            raise
        if isinstance(err, UnicodeDecodeError):
            message = "not a text file (a binary where IR text was expected?)"
        elif isinstance(err, OSError) and err.filename is not None:
            message = f"{err.filename}: {reason(err)}"
        else:
            message = one_line(err)
        prefix = "error" if is_user_error(err) else f"internal error ({type(err).__name__})"
        sys.stderr.write(f"{name}: {prefix}: {message}\n")
        return 1
