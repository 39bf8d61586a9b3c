"""The working tree of a repository: which files exist (honouring .gitignore) and their text."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pathspec

from secloop.core.errors import UsageError
from secloop.sources.textsearch import Text

MAX_TEXT_BYTES = 1_000_000
_GIT_TIMEOUT = 60


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    commit: str
    date: datetime


@dataclass(frozen=True, slots=True)
class GrepHit:
    path: str
    line: int
    text: str


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            timeout=_GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "replace")


class Repo:
    """A read-only view of one repository's working tree and, when it is a git repository, its git facts."""

    def __init__(self, root: Path, exclude: Iterable[str] = ()) -> None:
        root = root.resolve()
        if not root.exists():
            raise UsageError(f"path does not exist: {root}", hint="give the path of a repository")
        if not root.is_dir():
            raise UsageError(f"not a directory: {root}", hint="give the path of a repository, not a file")
        self.root = root
        self._exclude = tuple(exclude)
        self._text: dict[str, str | None] = {}
        self._search: dict[str, Text | None] = {}
        self._files: tuple[str, ...] | None = None
        top = _git(root, "rev-parse", "--show-toplevel")
        self.is_git = top is not None and Path(top.strip()).resolve() == root

    # -- files -------------------------------------------------------------------------------

    def files(self) -> tuple[str, ...]:
        """Every file of the tree as a sorted POSIX path relative to the root, .gitignore honoured."""
        if self._files is None:
            found = self._git_files() if self.is_git else self._walk_files()
            if self._exclude:
                found = [f for f in found if not any(fnmatch.fnmatch(f, pat) for pat in self._exclude)]
            self._files = tuple(sorted(found))
        return self._files

    def _git_files(self) -> list[str]:
        out = _git(self.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        if out is None:
            return self._walk_files()
        names = [n for n in out.split("\0") if n]
        return [n for n in dict.fromkeys(names) if (self.root / n).is_file()]

    def _walk_files(self) -> list[str]:
        spec = self._ignore_spec()
        result: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            rel_dir = Path(dirpath).relative_to(self.root).as_posix()
            rel_dir = "" if rel_dir == "." else rel_dir + "/"
            dirnames[:] = sorted(d for d in dirnames if d != ".git" and not spec.match_file(f"{rel_dir}{d}/"))
            for name in filenames:
                rel = f"{rel_dir}{name}"
                if not spec.match_file(rel):
                    result.append(rel)
        return result

    def _ignore_spec(self) -> pathspec.PathSpec[pathspec.Pattern]:
        gitignore = self.root / ".gitignore"
        lines = gitignore.read_text("utf-8", "replace").splitlines() if gitignore.is_file() else []
        return pathspec.PathSpec.from_lines("gitwildmatch", lines)

    def exists(self, rel: str) -> bool:
        return rel in set(self.files())

    def glob(self, *patterns: str) -> list[str]:
        """Files matching any fnmatch pattern (``*`` crosses directories)."""
        return [f for f in self.files() if any(fnmatch.fnmatch(f, p) for p in patterns)]

    def find(self, regex: str) -> list[str]:
        rx = re.compile(regex)
        return [f for f in self.files() if rx.search(f)]

    def read_text(self, rel: str) -> str | None:
        """The file's text, or None when it is binary, too large or unreadable."""
        if rel in self._text:
            return self._text[rel]
        path = self.root / rel
        text: str | None
        try:
            if path.stat().st_size > MAX_TEXT_BYTES:
                text = None
            else:
                data = path.read_bytes()
                text = None if b"\0" in data[:8192] else data.decode("utf-8", "replace")
        except OSError:
            text = None
        self._text[rel] = text
        return text

    def grep(self, pattern: str | re.Pattern[str], files: Iterable[str]) -> Iterator[GrepHit]:
        """Every line (1-based, split on "\\n") of ``files`` on which ``pattern`` matches."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        for rel in files:
            searchable = self._searchable(rel)
            if searchable is None:
                continue
            lines = searchable.lines
            for index in searchable.matching_lines(rx):
                yield GrepHit(rel, index + 1, lines[index])

    def _searchable(self, rel: str) -> Text | None:
        if rel not in self._search:
            text = self.read_text(rel)
            self._search[rel] = None if text is None else Text(text)
        return self._search[rel]

    def any_match(self, pattern: str | re.Pattern[str], files: Iterable[str]) -> GrepHit | None:
        return next(self.grep(pattern, files), None)

    # -- git ---------------------------------------------------------------------------------

    def head(self) -> str | None:
        if not self.is_git:
            return None
        out = _git(self.root, "rev-parse", "--verify", "-q", "HEAD")
        return out.strip() if out else None

    def head_time(self) -> datetime | None:
        if not self.is_git:
            return None
        out = _git(self.root, "log", "-1", "--format=%ct", "HEAD")
        if not out or not out.strip():
            return None
        return datetime.fromtimestamp(int(out.strip()), tz=UTC)

    def tags(self) -> list[Tag]:
        if not self.is_git:
            return []
        out = _git(
            self.root,
            "for-each-ref",
            "--sort=creatordate",
            "--format=%(refname:short)%09%(*objectname)%09%(objectname)%09%(creatordate:unix)",
            "refs/tags",
        )
        tags: list[Tag] = []
        for line in (out or "").splitlines():
            name, peeled, obj, stamp = line.split("\t")
            tags.append(Tag(name, peeled or obj, datetime.fromtimestamp(int(stamp or 0), tz=UTC)))
        return tags
