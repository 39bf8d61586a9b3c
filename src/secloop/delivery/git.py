"""The git source: commit graph and release tags, streamed from `git log` and `git for-each-ref`.

Only commit and tag objects are read, never file contents, so bare and blobless (`--filter=blob:none`)
clones work. Every command runs with hooks, fsmonitor, signature checks and lazy fetching disabled, so
nothing the repository's own config names is ever executed and nothing is fetched from a remote.
"""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from secloop.delivery.model import PRODUCTION, SUCCESS, Change, Deployment, DeploymentSource

_TIMEOUT = 600
_SAFE = (
    *("-c", "core.hooksPath=" + os.devnull),
    *("-c", "core.fsmonitor=false"),
    *("-c", "log.showSignature=false"),
    *("-c", "protocol.allow=never"),
    "--no-pager",
)
_MERGE_PR = re.compile(r"^Merge pull request #(\d+)\b")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")
_REVERTS = re.compile(r"This reverts commit ([0-9a-f]{7,40})")
_SEP = "\x1f"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # A blobless clone would otherwise fetch missing objects from its promisor remote (git >= 2.44).
    env.update(GIT_NO_LAZY_FETCH="1", GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0")
    return env


def git(root: Path, *args: str, stdin: str | None = None) -> str | None:
    """Run one git command; None when git is missing, times out or fails."""
    try:
        proc = subprocess.run(
            ["git", *_SAFE, "-C", str(root), *args],
            input=stdin.encode() if stdin is not None else None,
            capture_output=True,
            timeout=_TIMEOUT,
            check=False,
            env=_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8", "replace")


def _stream(root: Path, args: Iterable[str], stdin: str) -> Iterator[str]:
    proc = subprocess.Popen(
        ["git", *_SAFE, "-C", str(root), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(stdin.encode())
    proc.stdin.close()
    try:
        for raw in proc.stdout:
            yield raw.decode("utf-8", "replace").rstrip("\n")
    finally:
        proc.stdout.close()
        proc.wait()


def pr_number(subject: str) -> int | None:
    """The pull-request number of a merge ("Merge pull request #N") or squash ("… (#N)") subject."""
    match = _MERGE_PR.match(subject) or _SQUASH_PR.search(subject)
    return int(match.group(1)) if match else None


def _utc(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, tz=UTC)


@dataclass(frozen=True, slots=True)
class GitInfo:
    is_git: bool
    bare: bool = False
    shallow: bool = False
    head: str | None = None
    branch: str | None = None


def inspect(root: Path, in_worktree: bool) -> GitInfo:
    """Whether ``root`` is a work tree's top level or a bare repository, and its HEAD."""
    out = git(root, "rev-parse", "--is-bare-repository", "--is-shallow-repository", "--absolute-git-dir")
    if out is None:
        return GitInfo(False)
    bare_flag, shallow_flag, git_dir = [*out.splitlines(), "", "", ""][:3]
    bare = bare_flag == "true" and Path(git_dir).resolve() == root.resolve()
    if not (in_worktree or bare):
        return GitInfo(False)
    head = git(root, "rev-parse", "-q", "--verify", "HEAD^{commit}")
    branch = git(root, "symbolic-ref", "-q", "--short", "HEAD")
    return GitInfo(
        True, bare, shallow_flag == "true", head.strip() if head else None, branch.strip() if branch else None
    )


@dataclass
class History:
    """The commit graph reachable from the tips read, as parallel arrays indexed by commit number."""

    shas: list[str] = field(default_factory=list)
    parents: list[tuple[int, ...]] = field(default_factory=list)
    author: list[int] = field(default_factory=list)
    committed: list[int] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    # Parents outside the read history (a shallow clone's boundary) are dropped from ``parents``.
    truncated: bool = False

    def __len__(self) -> int:
        return len(self.shas)

    def find(self, sha: str) -> int | None:
        return self.index.get(sha)

    def is_merge(self, i: int) -> bool:
        return len(self.parents[i]) > 1

    def change(self, i: int) -> Change:
        return Change(
            sha=self.shas[i],
            author_time=_utc(self.author[i]),
            commit_time=_utc(self.committed[i]),
            parents=tuple(self.shas[p] for p in self.parents[i]),
            subject=self.subjects[i],
            pr=pr_number(self.subjects[i]),
        )


def read_history(root: Path, tips: Iterable[str]) -> History:
    """Read every commit reachable from ``tips`` (unknown tips are ignored) with one `git log`."""
    tip_list = sorted(set(tips))
    history = History()
    if not tip_list:
        return history
    raw_parents: list[list[str]] = []
    fmt = _SEP.join(("%H", "%P", "%at", "%ct", "%s"))
    args = ("log", "--no-color", "--no-mailmap", f"--format={fmt}", "--ignore-missing", "--stdin")
    for line in _stream(root, args, "\n".join(tip_list) + "\n"):
        parts = line.split(_SEP, 4)
        if len(parts) != 5:
            continue
        sha, parents, author, committed, subject = parts
        history.index[sha] = len(history.shas)
        history.shas.append(sha)
        raw_parents.append(parents.split())
        history.author.append(int(author or 0))
        history.committed.append(int(committed or 0))
        history.subjects.append(subject)
    index = history.index
    for plist in raw_parents:
        mapped = tuple(index[p] for p in plist if p in index)
        if len(mapped) != len(plist):
            history.truncated = True
        history.parents.append(mapped)
    return history


def resolve(root: Path, names: Iterable[str]) -> dict[str, str]:
    """Full commit ids of abbreviated shas or ref names; names git does not know are left out."""
    wanted = sorted(set(names))
    if not wanted:
        return {}
    out = git(
        root,
        "cat-file",
        "--batch-check=%(objectname) %(objecttype)",
        stdin="".join(f"{name}^{{commit}}\n" for name in wanted),
    )
    resolved: dict[str, str] = {}
    for name, line in zip(wanted, (out or "").splitlines(), strict=False):
        parts = line.split()
        if len(parts) == 2 and parts[1] == "commit":
            resolved[name] = parts[0]
    return resolved


def release_tags(root: Path, pattern: str) -> list[Deployment]:
    """Release tags matching ``pattern`` (fnmatch) as production deployments at the tag's date.

    Annotated tags are dated by their tagger date, lightweight tags by their commit's committer date.
    """
    fmt = "%09".join(
        (
            "%(refname)",
            "%(objecttype)",
            "%(objectname)",
            "%(*objecttype)",
            "%(*objectname)",
            "%(taggerdate:unix)",
            "%(committerdate:unix)",
            "%(*committerdate:unix)",
        )
    )
    out = git(root, "for-each-ref", f"--format={fmt}", "refs/tags")
    found: list[Deployment] = []
    nested: dict[str, int] = {}
    for line in (out or "").splitlines():
        ref, kind, obj, peeled_kind, peeled, tagger, committer, peeled_committer = line.split("\t")
        name = ref.removeprefix("refs/tags/")
        if not fnmatch.fnmatchcase(name, pattern):
            continue
        if kind == "commit":
            sha, when = obj, committer
        elif kind == "tag" and peeled_kind == "commit":
            sha, when = peeled, tagger or peeled_committer
        elif kind == "tag":
            nested[name] = int(tagger or 0)
            continue
        else:
            continue
        found.append(_tag_deployment(name, sha, int(when or 0)))
    if nested:
        targets = resolve(root, (f"refs/tags/{name}" for name in nested))
        for name, stamp in nested.items():
            target = targets.get(f"refs/tags/{name}")
            if target is not None:
                found.append(_tag_deployment(name, target, stamp))
    return sorted(found, key=lambda d: (d.time, d.origin))


def _tag_deployment(name: str, sha: str, stamp: int) -> Deployment:
    return Deployment(PRODUCTION, sha, name, _utc(stamp), SUCCESS, DeploymentSource.TAG, f"tag {name}")


def reverted(root: Path, history: History) -> dict[int, int]:
    """Revert commits and the commit each one reverts, from "This reverts commit X." in the message."""
    candidates = [history.shas[i] for i, s in enumerate(history.subjects) if s.startswith('Revert "')]
    if not candidates:
        return {}
    out = git(
        root,
        "log",
        "--no-walk=unsorted",
        "--no-color",
        "--format=%H%x1f%B%x1e",
        "--stdin",
        stdin="\n".join(candidates) + "\n",
    )
    pairs: dict[int, int] = {}
    short: dict[int, str] = {}
    for record in (out or "").split("\x1e"):
        sha, _, body = record.strip().partition(_SEP)
        match = _REVERTS.search(body)
        revert = history.find(sha)
        if match is None or revert is None:
            continue
        target = history.find(match.group(1))
        if target is not None:
            pairs[revert] = target
        else:
            short[revert] = match.group(1)
    if short:
        full = resolve(root, short.values())
        for revert, name in short.items():
            target = history.find(full.get(name, ""))
            if target is not None:
                pairs[revert] = target
    return pairs


def touching(root: Path, tips: Iterable[str], path: str) -> set[str]:
    """Non-merge commits reachable from ``tips`` that change something under ``path`` (trees only).

    `--full-history` keeps the commits of a side branch whose merge took the other side's version;
    they were still shipped, so they still count.
    """
    tip_list = sorted(set(tips))
    if not tip_list:
        return set()
    out = git(
        root,
        "log",
        "--no-color",
        "--full-history",
        "--no-merges",
        "--format=%H",
        "--ignore-missing",
        "--stdin",
        "--",
        f":(top,literal){path}",
        stdin="\n".join(tip_list) + "\n",
    )
    return set((out or "").split())
