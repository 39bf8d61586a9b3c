"""Reading logs as streams: files and stdin in batch (merged in time order), and `follow` (tail -F).

Memory stays bounded: one line per file is held while merging, and a partial line in follow mode
is capped at `MAX_LINE` bytes.
"""

from __future__ import annotations

import heapq
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO

from secloop.core.errors import InputError, Place, UsageError
from secloop.monitor.config import FORMATS, MonitorConfig
from secloop.monitor.events import Event
from secloop.monitor.parsers import Parser, make_parser, sniff
from secloop.monitor.syslog import Malformed

SNIFF_LINES = 20
MAX_LINE = 1 << 20
_SAMPLES = 10


@dataclass
class Stats:
    lines: int = 0
    events: int = 0
    ignored: int = 0
    malformed: int = 0
    malformed_samples: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # display path -> format

    def bad(self, where: str, reason: str) -> None:
        self.malformed += 1
        if len(self.malformed_samples) < _SAMPLES:
            self.malformed_samples.append(f"{where}: {reason}")


@dataclass(frozen=True)
class Source:
    display: str  # "-" for stdin
    fmt: str = "auto"
    path: Path | None = None


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise UsageError(f"unknown log format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
    return fmt


def _lines(handle: IO[str]) -> Iterator[str]:
    for line in handle:
        yield line.rstrip("\r\n")


def detect_format(source: Source, head: list[str]) -> str:
    if source.fmt != "auto":
        return source.fmt
    found = sniff(head)
    if found is None:
        number = next((i for i, text in enumerate(head, 1) if text.strip()), None)
        raise InputError(
            "cannot tell the log format",
            place=Place(source.display, number),
            hint="give --format syslog, json, access or k8s",
        )
    return found


def parse_lines(
    lines: Iterable[str], parser: Parser, display: str, stats: Stats, strict: bool, start: int = 1
) -> Iterator[Event]:
    number = start - 1
    for number, line in enumerate(lines, start):
        if not line:
            continue
        result = parser(line, number)
        if result is None:
            stats.ignored += 1
        elif isinstance(result, Malformed):
            if strict:
                raise InputError(
                    result.reason,
                    place=Place(display, number),
                    hint="fix the line, give the right --format, or drop --strict to count and skip it",
                )
            stats.bad(f"{display}:{number}", result.reason)
        else:
            stats.events += 1
            yield result
    stats.lines += number - start + 1


def read_source(
    source: Source, config: MonitorConfig, stats: Stats, *, strict: bool = False, year: int | None = None
) -> Iterator[Event]:
    if source.path is None:
        handle: IO[str] = sys.stdin
        reference = None
    else:
        try:
            handle = source.path.open(encoding="utf-8", errors="replace")
            reference = os.stat(source.path).st_mtime
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", place=Place(source.display)) from exc
    try:
        lines = _lines(handle)
        head = [line for _, line in zip(range(SNIFF_LINES), lines, strict=False)]
        fmt = detect_format(source, head) if any(text.strip() for text in head) else (source.fmt or "auto")
        stats.files[source.display] = fmt
        if fmt == "auto":
            return
        parser = make_parser(fmt, source.display, config, year=year, reference=reference)
        yield from parse_lines(chain(head, lines), parser, source.display, stats, strict)
    finally:
        if source.path is not None:
            handle.close()


def read_all(
    sources: list[Source],
    config: MonitorConfig,
    stats: Stats,
    *,
    strict: bool = False,
    year: int | None = None,
) -> Iterator[Event]:
    """Events of every source in time order (each file is assumed to be in order itself)."""
    streams = [read_source(s, config, stats, strict=strict, year=year) for s in sources]
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda event: event.time)


class Follower:
    """tail -F for one file: waits for it, reads appended lines, reopens on rotation (new inode),
    starts over on truncation (size below the read position)."""

    def __init__(
        self, source: Source, config: MonitorConfig, stats: Stats, *, from_start: bool = False
    ) -> None:
        assert source.path is not None
        self.source = source
        self.path: Path = source.path
        self.config = config
        self.stats = stats
        self.from_start = from_start
        self.handle: IO[bytes] | None = None
        self.inode: tuple[int, int] | None = None
        self.partial = b""
        self.number = 0
        self.parser: Parser | None = None
        self.pending: list[str] = []

    def _open(self, at_end: bool) -> None:
        try:
            handle = self.path.open("rb")
        except OSError:
            return
        info = os.fstat(handle.fileno())
        self.handle, self.inode = handle, (info.st_dev, info.st_ino)
        self.partial, self.number = b"", 0
        if at_end:
            # Line numbers of a file joined mid-way count from where we started reading.
            handle.seek(0, os.SEEK_END)

    def _read(self) -> list[str]:
        assert self.handle is not None
        data = self.handle.read()
        if not data:
            return []
        chunks = (self.partial + data).split(b"\n")
        self.partial = chunks.pop()
        if len(self.partial) > MAX_LINE:
            self.stats.bad(f"{self.source.display}:{self.number + len(chunks) + 1}", "line longer than 1 MiB")
            self.partial = b""
        return [chunk.decode("utf-8", "replace").rstrip("\r") for chunk in chunks]

    def _rotated(self) -> bool:
        """True when the path now names another file."""
        try:
            info = os.stat(self.path)
        except OSError:
            return False  # moved away and not yet recreated: keep the old one
        return (info.st_dev, info.st_ino) != self.inode

    def _truncated(self) -> bool:
        """True (and back at the start) when the file shrank below our position."""
        assert self.handle is not None
        if os.fstat(self.handle.fileno()).st_size >= self.handle.tell():
            return False
        self.handle.seek(0)
        self.partial, self.number = b"", 0
        return True

    def poll(self) -> list[Event]:
        if self.handle is None:
            self._open(at_end=not self.from_start)
            self.from_start = True  # a file that appears later is read from its start
            if self.handle is None:
                return []
        events = self._parse(self._read())
        if self._truncated():
            return events + self._parse(self._read())
        if self._rotated():
            rest = self._read()
            if self.partial:  # the old file's last line, never to be completed
                rest.append(self.partial.decode("utf-8", "replace"))
            events += self._parse(rest)
            self.handle.close()
            self.handle = None
            self._open(at_end=False)
            if self.handle is not None:
                events += self._parse(self._read())
        return events

    def _parse(self, lines: list[str]) -> list[Event]:
        if not lines:
            return []
        start = self.number + 1
        self.number += len(lines)
        if self.parser is None:
            self.pending += lines
            if self.source.fmt == "auto" and sniff(self.pending) is None and len(self.pending) < SNIFF_LINES:
                return []
            fmt = detect_format(self.source, self.pending)
            self.stats.files[self.source.display] = fmt
            self.parser = make_parser(fmt, self.source.display, self.config)
            lines, self.pending = self.pending, []
            start = self.number - len(lines) + 1
        return list(parse_lines(lines, self.parser, self.source.display, self.stats, False, start))

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
