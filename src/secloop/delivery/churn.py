"""Churn: lines added and removed per file and per commit, from one `git log --numstat` stream.

Definition: a commit's churn is its diff against its first parent (a root commit against the empty
tree), with rename detection (a renamed file is counted under its new path, only for the lines that
changed). Merge commits count nothing by default: their lines were counted in the commits they merged,
and counting them again would double the churn of every merged branch (`merges="first-parent"` counts
a merge's diff against its first parent instead, i.e. what the merge brought into the trunk). Binary
files count 0 lines.

It is the one delivery figure that needs file contents: git diffs blobs. Bare clones work; blobless
clones (`--filter=blob:none`) lack the blobs, and lazy fetching is disabled here, so they are refused
with a hint instead of being fetched blob by blob.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from secloop.core.errors import InputError
from secloop.delivery.git import _SAFE, _env, git

_RECORD = "\x1e"
_SEP = "\x1f"


@dataclass(frozen=True, slots=True)
class CommitChurn:
    sha: str
    author: str
    time: int  # author time, seconds since the epoch
    parents: int
    added: int
    removed: int
    files: int


@dataclass
class FileChurn:
    path: str
    added: int = 0
    removed: int = 0
    commits: int = 0

    @property
    def churn(self) -> int:
        return self.added + self.removed


@dataclass
class Churn:
    commits: list[CommitChurn] = field(default_factory=list)
    files: dict[str, FileChurn] = field(default_factory=dict)

    @property
    def added(self) -> int:
        return sum(c.added for c in self.commits)

    @property
    def removed(self) -> int:
        return sum(c.removed for c in self.commits)


def partial_clone(root: Path) -> str | None:
    """The object filter of a partial clone (e.g. "blob:none"), or None for a complete repository."""
    found = git(root, "config", "--get-regexp", r"^remote\..*\.partialclonefilter$")
    if found:
        return found.split()[-1]
    promisor = git(root, "config", "--get-regexp", r"^(remote\..*\.promisor|extensions\.partialclone)$")
    return "unknown filter" if promisor and promisor.strip() else None


def _number(text: bytes) -> int:
    return 0 if text == b"-" else int(text)


def _records(root: Path, args: Sequence[str], stdin: str | None) -> Iterator[bytes]:
    """The raw `git log -z` output split at each commit's header."""
    proc = subprocess.Popen(
        ["git", *_SAFE, "-C", str(root), *args],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
    )
    assert proc.stdout is not None and proc.stderr is not None
    if stdin is not None and proc.stdin is not None:
        proc.stdin.write(stdin.encode())
        proc.stdin.close()
    pending = b""
    while chunk := proc.stdout.read(1 << 20):
        pending += chunk
        parts = pending.split(_RECORD.encode())
        pending = parts.pop()
        yield from (p for p in parts if p)
    if pending:
        yield pending
    error = proc.stderr.read().decode("utf-8", "replace").strip()
    if proc.wait() != 0:
        raise InputError(f"git log failed: {error.splitlines()[-1] if error else 'no output'}")


def _parse(record: bytes) -> tuple[CommitChurn, list[tuple[str, int, int]]]:
    # Header: sha, author, time, parents ending in NUL-free text; then -z numstat entries.
    header, _, rest = record.partition(b"\n")
    sha, author, stamp, parents = header.decode("utf-8", "replace").split(_SEP)
    fields = rest.lstrip(b"\n").split(b"\0")
    entries: list[tuple[str, int, int]] = []
    i = 0
    while i < len(fields):
        item = fields[i].lstrip(b"\n")
        if not item:
            i += 1
            continue
        added, removed, path = item.split(b"\t", 2)
        if path:
            name = path
            i += 1
        else:  # a rename or copy: the old and the new path follow as their own fields
            name = fields[i + 2]
            i += 3
        entries.append((name.decode("utf-8", "surrogateescape"), _number(added), _number(removed)))
    total_added = sum(a for _, a, _ in entries)
    total_removed = sum(r for _, _, r in entries)
    commit = CommitChurn(
        sha, author, int(stamp or 0), len(parents.split()), total_added, total_removed, len(entries)
    )
    return commit, entries


def churn(
    root: Path,
    revisions: Iterable[str] = ("HEAD",),
    *,
    paths: Sequence[str] = (),
    since: str | None = None,
    merges: str = "skip",
    no_walk: bool = False,
) -> Churn:
    """Churn of the commits reachable from ``revisions`` (or exactly those, with ``no_walk``)."""
    filtered = partial_clone(root)
    if filtered is not None:
        raise InputError(
            f"churn needs file contents, and this is a partial clone (filter {filtered}) whose blobs are "
            "not here",
            hint="clone without --filter, or remove remote.<name>.partialclonefilter and run "
            "`git fetch --refetch`; every other delivery metric works on this clone",
        )
    fmt = f"--format={_RECORD}%H{_SEP}%an{_SEP}%at{_SEP}%P%n"
    args = ["log", "--no-color", "--no-mailmap", "-z", "--numstat", "-M", fmt, "--no-ext-diff"]
    args.append("--diff-merges=first-parent" if merges == "first-parent" else "--diff-merges=off")
    if no_walk:
        args.append("--no-walk=unsorted")
    if since:
        args.append(f"--since={since}")
    args += ["--ignore-missing", "--stdin"]
    if paths:
        args += ["--", *paths]
    result = Churn()
    files = result.files
    for record in _records(root, args, "\n".join(revisions) + "\n"):
        commit, entries = _parse(record)
        if commit.parents > 1 and merges == "skip":
            commit = CommitChurn(commit.sha, commit.author, commit.time, commit.parents, 0, 0, 0)
            entries = []
        result.commits.append(commit)
        for name, added, removed in entries:
            entry = files.get(name)
            if entry is None:
                entry = files[name] = FileChurn(name)
            entry.added += added
            entry.removed += removed
            entry.commits += 1
    return result
