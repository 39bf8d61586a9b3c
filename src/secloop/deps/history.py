"""What git knows about the lockfiles: when each was last committed, and what they pinned at a ref."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from secloop.core.errors import UsageError
from secloop.deps.model import Package
from secloop.deps.parsers import parser_for

_TIMEOUT = 30


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes] | None:
    try:
        return subprocess.run(
            ["git", "-c", "core.fsmonitor=false", "-C", str(root), *args],
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None


def lock_dates(root: Path, paths: Iterable[str], now: datetime) -> dict[str, datetime]:
    """The commit time of the last commit changing each lockfile; ``now`` for a file that is new or
    changed in the working tree (the lock is being made now) or outside git."""
    out: dict[str, datetime] = {}
    for path in sorted(set(paths)):
        status = _git(root, "status", "--porcelain", "--", path)
        dirty = status is None or status.returncode != 0 or bool(status.stdout.strip())
        log = None if dirty else _git(root, "log", "-1", "--format=%ct", "--", path)
        stamp = log.stdout.decode().strip() if log is not None and log.returncode == 0 else ""
        out[path] = datetime.fromtimestamp(int(stamp), tz=UTC) if stamp.isdigit() else now
    return out


def _resolve(root: Path, ref: str) -> str:
    if ref.startswith("-"):
        raise UsageError(
            f"not a git revision: {ref!r}", hint="give a branch, tag or commit, e.g. origin/main"
        )
    proc = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if proc is None or proc.returncode != 0:
        raise UsageError(
            f"{root}: {ref!r} is not a commit of this repository",
            hint="give a branch, tag or commit that exists here (fetch it first in a shallow CI clone)",
        )
    return proc.stdout.decode().strip()


def packages_at(root: Path, ref: str, lockfiles: Sequence[str]) -> tuple[str, set[tuple[str, str]]]:
    """The commit ``ref`` names and the (ecosystem, name) pairs the given lockfiles pinned there.

    Only the lockfiles read today are read at the ref: a dependency counts as added when none of
    them pinned it then.
    """
    commit = _resolve(root, ref)
    names: set[tuple[str, str]] = set()

    def read(rel: str) -> str | None:
        proc = _git(root, "show", f"{commit}:{rel}")
        if proc is None or proc.returncode != 0:
            return None
        return proc.stdout.decode("utf-8", "replace")

    for rel in lockfiles:
        parser = parser_for(rel)
        text = read(rel)
        if parser is None or text is None:
            continue
        names |= {(p.ecosystem, p.name) for p in parser.parse(rel, text, read).packages}
    return commit, names


def added_since(packages: Sequence[Package], before: set[tuple[str, str]]) -> tuple[Package, ...]:
    return tuple(p for p in packages if (p.ecosystem, p.name) not in before)
