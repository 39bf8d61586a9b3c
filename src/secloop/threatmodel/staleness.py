"""Stale models: the code a model describes changed in git after the model itself last did.

The model names its code with `system.code` and each component's `code` (paths or globs). A model
is stale when commits touching that code after the model's last commit reach --stale-commits, or
when the newest such change is --stale-days or more younger than the model's last change. Outside
a git repository, or for a model that names no code, staleness is not known (and not claimed).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from secloop.threatmodel.schema import ThreatModel

DEFAULT_COMMITS = 50
DEFAULT_DAYS = 90
_SHOWN = 10


@dataclass(frozen=True)
class StalePolicy:
    commits: int = DEFAULT_COMMITS  # 0: commits never make a model stale
    days: int = DEFAULT_DAYS  # 0: age never makes a model stale


@dataclass(frozen=True)
class Staleness:
    known: bool
    reason: str  # why it is (not) stale, or why it cannot be told
    stale: bool = False
    model_commit: str | None = None
    commits: int = 0
    days: float = 0.0
    files: tuple[str, ...] = ()
    components: tuple[str, ...] = ()


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return None
    return done.stdout if done.returncode == 0 else None


def _specs(globs: list[str], model: str) -> list[str]:
    return [f":(glob){g.strip('/') or '.'}" for g in globs] + [f":(exclude){model}"]


def check_staleness(model_file: Path, model: ThreatModel, policy: StalePolicy) -> Staleness:
    named = list(model.system.code) + [g for c in model.components for g in c.code]
    if not named:
        return Staleness(False, "the model names no code (system.code or components[].code)")
    folder = model_file.resolve().parent
    top = _git(folder, "rev-parse", "--show-toplevel")
    if top is None:
        return Staleness(False, f"{model_file.name} is not in a git repository")
    root = Path(top.strip())
    rel = model_file.resolve().relative_to(root).as_posix()
    last = _git(root, "log", "-1", "--format=%H %ct", "--", rel)
    if not last:
        return Staleness(False, f"{rel} has no commit yet")
    commit, model_time = last.split()
    log = _git(
        root, "log", "--format=%x00%H %ct", "--name-only", f"{commit}..HEAD", "--", *_specs(named, rel)
    )
    if log is None:
        return Staleness(False, "git log failed on the model's code paths")
    entries = [e for e in log.split("\x00") if e.strip()]
    files: dict[str, None] = {}
    newest = int(model_time)
    for entry in entries:
        head, *paths = entry.strip().splitlines()
        newest = max(newest, int(head.split()[1]))
        files.update((p, None) for p in paths if p)
    days = (newest - int(model_time)) / 86400
    components = tuple(c.id for c in model.components if c.code and _touched(root, commit, c.code, rel))
    by_commits = policy.commits > 0 and len(entries) >= policy.commits
    by_days = policy.days > 0 and bool(entries) and days >= policy.days
    summary = (
        f"{len(entries)} commit(s) changed the model's code since its last change ({commit[:12]}), "
        f"the newest {days:.0f} day(s) after it"
    )
    limits = f"limits: {policy.commits or 'off'} commits, {policy.days or 'off'} days"
    return Staleness(
        True,
        f"{summary} ({limits})",
        by_commits or by_days,
        commit,
        len(entries),
        round(days, 1),
        tuple(sorted(files)[:_SHOWN]),
        components,
    )


def _touched(root: Path, commit: str, globs: list[str], model: str) -> bool:
    out = _git(root, "log", "-1", "--format=%H", f"{commit}..HEAD", "--", *_specs(globs, model))
    return bool(out and out.strip())
