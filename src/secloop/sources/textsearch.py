"""Line search over many files: Hyperscan finds candidate lines, Python's `re` confirms them.

Evaluators ask "which lines of these files match this regex?" dozens of times per assessment over
thousands of files. Python's `re` is slow on long alternations; Hyperscan in prefilter mode reports a
superset of the matching positions for almost any pattern (even ones it could not match exactly),
so each candidate line is confirmed with the original Python pattern and the answer keeps Python's
semantics. Patterns Hyperscan cannot compile at all fall back to `re` alone.
"""

from __future__ import annotations

import hashlib
import os
import re
from bisect import bisect_left
from pathlib import Path
from typing import Any

import hyperscan

from secloop.core.cachedir import cache_root

_FLAGS = (
    hyperscan.HS_FLAG_MULTILINE
    | hyperscan.HS_FLAG_UTF8
    | hyperscan.HS_FLAG_UCP
    | hyperscan.HS_FLAG_ALLOWEMPTY
    | hyperscan.HS_FLAG_PREFILTER
)

_DATABASES: dict[tuple[str, int], Any] = {}

# Syntax that Python and PCRE read differently ({,n} is a repetition in Python and a literal in PCRE;
# POSIX classes; Python-only escapes and flags): such patterns go to `re` alone, so the prefilter can
# never miss a line Python would match.
_DIVERGENT = re.compile(r"\{,|\[\[:|\\N\{|\\[uU]|\(\?[aLu]")


def _cache_dir() -> Path:
    return cache_root() / "hs"


def _load_cached(key: str) -> Any:
    folder = _cache_dir()
    try:
        db = hyperscan.loadb((folder / f"{key}.db").read_bytes(), mode=hyperscan.HS_MODE_BLOCK)
        # A deserialised database has no scratch space of its own.
        db.scratch = hyperscan.Scratch(db)
    except (OSError, hyperscan.error):
        return None
    return db


def _store_cached(key: str, db: Any) -> None:
    """Compiling a prefilter database costs up to 0.1 s; keep it for the next run (best effort)."""
    folder = _cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{key}.{os.getpid()}.tmp"
        tmp.write_bytes(hyperscan.dumpb(db))
        os.replace(tmp, folder / f"{key}.db")
    except (OSError, hyperscan.error):
        return


def database(rx: re.Pattern[str]) -> Any:
    """A compiled Hyperscan database for the pattern, or None when it cannot be compiled."""
    key = (rx.pattern, rx.flags)
    if key in _DATABASES:
        return _DATABASES[key]
    db = None
    if not _DIVERGENT.search(rx.pattern):
        flags = _FLAGS
        if rx.flags & re.IGNORECASE:
            flags |= hyperscan.HS_FLAG_CASELESS
        if rx.flags & re.DOTALL:
            flags |= hyperscan.HS_FLAG_DOTALL
        expression = ("(?x)" if rx.flags & re.VERBOSE else "") + rx.pattern
        digest = hashlib.sha256(
            f"{getattr(hyperscan, '__version__', '')}\0{flags}\0{expression}".encode()
        ).hexdigest()[:32]
        db = _load_cached(digest)
        if db is None:
            try:
                candidate = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
                candidate.compile(
                    expressions=[expression.encode("utf-8")], ids=[0], elements=1, flags=[flags]
                )
                db = candidate
                _store_cached(digest, db)
            except Exception:  # hyperscan.error: an unsupported construct; `re` alone will do
                db = None
    _DATABASES[key] = db
    return db


class Text:
    """One file's text, normalised to "\\n" line ends, with lazily built line tables."""

    __slots__ = ("_data", "_lines", "_newlines", "text")

    def __init__(self, text: str) -> None:
        self.text = text.replace("\r\n", "\n")
        self._data: bytes | None = None
        self._newlines: list[int] | None = None
        self._lines: list[str] | None = None

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = self.text.encode("utf-8", "surrogatepass")
        return self._data

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.text.split("\n")
        return self._lines

    def line_of(self, offset: int) -> int:
        """0-based line index of a byte offset."""
        if self._newlines is None:
            data = self.data
            self._newlines = [m.start() for m in re.finditer(b"\n", data)]
        return bisect_left(self._newlines, offset)

    def matching_lines(self, rx: re.Pattern[str]) -> list[int]:
        """0-based indexes of the lines on which ``rx`` matches, in order."""
        db = database(rx)
        if db is None:
            if not rx.search(self.text):
                return []
            return [i for i, line in enumerate(self.lines) if rx.search(line)]
        ends: list[int] = []

        def on_match(_id: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            ends.append(end)

        db.scan(self.data, match_event_handler=on_match)
        if not ends:
            return []
        candidates: set[int] = set()
        for end in ends:
            candidates.add(self.line_of(max(end - 1, 0)))
            candidates.add(self.line_of(end))
        lines = self.lines
        return [i for i in sorted(candidates) if i < len(lines) and rx.search(lines[i])]
