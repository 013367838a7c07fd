"""Silence TensorFlow while it loads and converts: it prints SavedModel endpoint listings, absl and
MLIR logs and Python warnings that bury tinyq's own output. What it said is kept for error messages."""
from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import IO, Iterator


@dataclass
class Captured:
    """What TensorFlow printed, and a stream that still reaches the user's terminal (progress bars)."""
    console: IO[str]
    _log: IO[bytes] | None = None
    _py: io.StringIO = field(default_factory=io.StringIO)

    def text(self) -> str:
        out = self._py.getvalue()
        if self._log is not None:
            self._log.flush()
            self._log.seek(0)
            out += self._log.read().decode("utf-8", "replace")
        return out


@contextlib.contextmanager
def quiet() -> Iterator[Captured]:
    """Send fds 1 and 2 (C++ logs) and sys.stdout/sys.stderr (Python prints, warnings) to a buffer."""
    for s in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            s.flush()
    try:
        saved = os.dup(1), os.dup(2)
    except OSError:                       # no real file descriptors (embedded use): Python level only
        saved = None
    log = tempfile.TemporaryFile() if saved else None
    console = os.fdopen(os.dup(saved[1]), "w", buffering=1) if saved else sys.stderr
    cap = Captured(console, log)
    try:
        if saved and log is not None:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        with contextlib.redirect_stdout(cap._py), contextlib.redirect_stderr(cap._py), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield cap
    finally:
        if saved:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            console.close()
        if log is not None:
            log.close()
