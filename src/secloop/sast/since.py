"""Diff-aware scans (`--since REF`): the findings the project had at a git revision, so that only
findings new since then fail the gate.

The scan "at REF" is the current tree with every changed Python file replaced by its content at
REF (`git show REF:path`; a file added since is absent, one deleted since is back). It goes through
the same analysis cache, so only the changed files are analysed again. A finding is new when its
fingerprint is not among REF's: a finding in a file nobody touched keeps its fingerprint and is
carried as not new, unless a change elsewhere (a new call into it) created it.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from secloop.core.baseline import Baseline
from secloop.core.errors import UsageError
from secloop.sast.cache import AnalysisCache
from secloop.sast.model import SastScan
from secloop.sast.scan import NOT_PROJECT, VENDORED, scan_texts
from secloop.sast.semgrep import JS_SUFFIXES


@dataclass(frozen=True, slots=True)
class Since:
    ref: str
    commit: str
    changed: tuple[str, ...]  # source files changed since REF (added, modified or deleted)
    baseline: Baseline  # REF's findings


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"git did not run: {exc}", hint="--since needs git and a git repository") from exc


def resolve(root: Path, ref: str) -> str:
    proc = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if proc.returncode != 0 or not proc.stdout.strip():
        raise UsageError(
            f"--since {ref}: not a commit of the repository at {root}",
            hint="give a branch, tag or commit, e.g. --since origin/main (fetch it first in CI)",
        )
    return proc.stdout.decode().strip()


def changed_since(root: Path, commit: str) -> list[str]:
    """Files that differ between the commit and the working tree, plus untracked ones (repo-relative)."""
    diff = _git(root, "diff", "--name-only", "--relative", "-z", commit, "--")
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
    names = diff.stdout.decode("utf-8", "surrogateescape").split("\0")
    names += untracked.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({n for n in names if n})


def text_at(root: Path, commit: str, rel: str) -> str | None:
    proc = _git(root, "show", f"{commit}:./{rel}")
    return proc.stdout.decode("utf-8", "surrogateescape") if proc.returncode == 0 else None


def scan_since(
    root: Path,
    ref: str,
    current: Mapping[str, str],
    *,
    include_fixtures: bool = False,
    bandit: bool = True,
    audit: bool = False,
    cache: AnalysisCache | None = None,
) -> Since:
    commit = resolve(root, ref)
    changed = [
        rel
        for rel in changed_since(root, commit)
        if rel.endswith((".py", ".pyw", *JS_SUFFIXES))
        and not VENDORED.search(rel)
        and (include_fixtures or not NOT_PROJECT.search(rel))
    ]
    before = {rel: text for rel, text in current.items() if rel not in changed}
    for rel in changed:
        old = text_at(root, commit, rel)
        if old is not None:
            before[rel] = old
    then: SastScan = scan_texts(root, before, bandit=bandit, audit=audit, cache=cache)
    return Since(ref, commit, tuple(changed), Baseline.from_findings(then.findings))
