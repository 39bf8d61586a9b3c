"""The lockfile seam: one module per format, each a `LockfileParser`, listed once in `parsers/__init__.py`."""

from __future__ import annotations

import posixpath
import re
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Callable

from secloop.core.model import Skipped
from secloop.deps.model import ParseResult

_OBJECT_VALUE = re.compile(r"\s*:\s*\{")

# Reads a repository-relative POSIX path; None when the file is absent, binary or too large.
Reader = Callable[[str], str | None]


class LockfileParser(ABC):
    """Reads one lockfile format into pinned packages; what it cannot read becomes a `Skipped`."""

    #: the format's name, as shown to the user
    name: str
    #: the OSV ecosystem of the packages it yields
    ecosystem: str

    @abstractmethod
    def matches(self, path: str) -> bool:
        """Whether ``path`` (repository-relative, POSIX) is a file of this format."""

    @abstractmethod
    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        """Every pinned package of the file, with its line; never raises on malformed input."""

    def malformed(self, path: str, why: str, line: int | None = None) -> ParseResult:
        return ParseResult((), (Skipped(path, f"{self.name}: {why}{MALFORMED}", line),))


#: ends the reason of a file a parser could not read at all (see `is_malformed`)
MALFORMED = "; its dependencies were not checked"


def is_malformed(skipped: Skipped) -> bool:
    return skipped.reason.endswith(MALFORMED)


def basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def sibling(path: str, name: str) -> str:
    folder = posixpath.dirname(path)
    return posixpath.normpath(posixpath.join(folder, name)) if folder else posixpath.normpath(name)


class LineIndex:
    """Offset -> 1-based line number, for formats parsed by a library that does not keep lines."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        find = text.find
        pos = find("\n")
        while pos != -1:
            self._starts.append(pos + 1)
            pos = find("\n", pos + 1)

    def line(self, offset: int) -> int:
        return bisect_right(self._starts, offset)


class KeyCursor:
    """Lines of JSON object keys, found in document order: each search starts where the last one ended.

    Parsed JSON keeps document order, so walking it while searching forward finds each key's own
    occurrence in one pass over the text.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._index = LineIndex(text)
        self._pos = 0

    def find(self, needle: str) -> int | None:
        """The line of the next literal occurrence of ``needle``."""
        at = self._text.find(needle, self._pos)
        if at == -1:
            return None
        self._pos = at + len(needle)
        return self._index.line(at)

    def find_object(self, key: str) -> int | None:
        """The line of the next `"key": {`, skipping the same key with a non-object value."""
        needle = f'"{key}"'
        at = self._text.find(needle, self._pos)
        while at != -1:
            end = at + len(needle)
            if _OBJECT_VALUE.match(self._text, end):
                self._pos = end
                return self._index.line(at)
            at = self._text.find(needle, end)
        return None
