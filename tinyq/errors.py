"""Errors a user can act on. The CLI prints them without a traceback."""
from __future__ import annotations


class TinyqError(Exception):
    """A problem with the user's input or environment, with what to do about it."""

    def __init__(self, message: str, hint: str | None = None, exit_code: int = 2):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ModelError(TinyqError):
    """A model file that is missing, corrupt, or not something tinyq can read."""


class UnsupportedOpError(TinyqError):
    """The model uses an operator tinyq has no kernel for."""


class ToolchainError(TinyqError):
    """A compiler, emulator or flasher is missing or failed."""


class DoesNotFitError(TinyqError):
    """The model needs more RAM or flash than the board has."""


class InternalError(TinyqError):
    """A fault of tinyq itself (not of the model or the machine): please report it."""

    def __init__(self, message: str, where: str = ""):
        super().__init__(f"internal error{' in ' + where if where else ''}: {message}",
                         "this is a tinyq bug, not a problem with your model: please report it with "
                         "the model file and the command", exit_code=70)
