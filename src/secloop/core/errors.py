"""One error tree. Every user-facing error can name the place and suggest a fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_CLEAN = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


@dataclass(frozen=True)
class Place:
    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        text = self.path
        if self.line is not None:
            text += f":{self.line}"
            if self.column is not None:
                text += f":{self.column}"
        return text


class SecloopError(Exception):
    """Base of every error secloop raises on purpose."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, *, place: Place | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.place = place
        self.hint = hint

    def render(self) -> str:
        head = f"{self.place}: " if self.place else ""
        text = f"error: {head}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(SecloopError):
    """The user asked for something that cannot be done as asked (exit 2)."""

    exit_code = EXIT_USAGE


class InputError(SecloopError):
    """A file the user gave us is malformed (exit 2)."""

    exit_code = EXIT_USAGE


class ConfigError(InputError):
    """The secloop configuration is invalid (exit 2)."""


class StoreError(SecloopError):
    """The database could not be opened, migrated or written (exit 3)."""


def place_of(path: Path | str, line: int | None = None, column: int | None = None) -> Place:
    return Place(str(path), line, column)
