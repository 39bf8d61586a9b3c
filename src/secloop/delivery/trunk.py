"""Trunk-based development from git: integrations to the trunk per weekday, branch lifetimes, active branches.

The trunk is HEAD's first-parent history. Every first-parent commit in the window is one integration
(a merge, a squash merge or a direct commit). A merge commit's branch lived from the earliest author
date of the commits its other parents brought in (the branch's first commit not reachable from the
first parent) to the merge's commit date. Squash merges keep no branch commits, so their lifetimes
need pull-request data and are only counted. Thresholds and the verdict are shared by `secloop trunk`
and the `build.trunk-based` practice.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from secloop.core.enums import Status
from secloop.delivery.git import History, git, pr_number
from secloop.delivery.graph import first_parent_chain, merged_in
from secloop.delivery.metrics import p90
from secloop.delivery.model import Window
from secloop.delivery.sources import Sources

WINDOW_DAYS = 90
IDEAL_HOURS = 24.0  # trunkbaseddevelopment.com: short-lived feature branches, ideally merged within a day
MAX_HOURS = 48.0  # ... and living no longer than a couple of days
LONG_HOURS = 168.0  # a median branch older than a week is long-lived by any reading
DAILY = 1.0  # integrations per weekday for "integrate at least daily"
WEEKLY = 0.2  # one a week
THRESHOLDS = (
    "thresholds (trunkbaseddevelopment.com): branches live under a day ideally and no more than two days; "
    "the trunk receives integrations at least daily"
)


@dataclass(frozen=True, slots=True)
class Branch:
    merge: str
    subject: str
    hours: float
    commits: int


@dataclass(frozen=True, slots=True)
class ActiveBranch:
    name: str
    tip: str
    commits: int  # commits not reachable from the trunk
    first: datetime  # earliest author date of those commits
    hours: float  # age at the window's end


@dataclass(frozen=True)
class TrunkStats:
    window: Window
    integrations: int
    weekdays: int
    branches: tuple[Branch, ...]  # merged in the window, longest first
    squashes: int
    direct: int

    @property
    def per_weekday(self) -> float:
        return self.integrations / self.weekdays if self.weekdays else 0.0

    @property
    def lifetimes(self) -> list[float]:
        return [b.hours for b in self.branches]

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.lifetimes) if self.branches else None

    @property
    def p90_hours(self) -> float | None:
        return p90(self.lifetimes) if self.branches else None

    @property
    def max_hours(self) -> float | None:
        return max(self.lifetimes) if self.branches else None

    def share_within(self, hours: float) -> float | None:
        """Share of the merged branches that lived at most ``hours``."""
        if not self.branches:
            return None
        return sum(1 for b in self.branches if b.hours <= hours) / len(self.branches)


def weekdays(window: Window) -> int:
    """Monday-to-Friday dates among the window's calendar days (the day after start through end's day)."""
    first = window.start.date() + timedelta(days=1)
    days = (window.end.date() - first).days + 1
    return sum(1 for n in range(days) if (first + timedelta(days=n)).weekday() < 5)


def trunk_stats(
    history: History, head: str, window_days: int = WINDOW_DAYS, end: datetime | None = None
) -> TrunkStats | None:
    """The trunk over ``window_days`` ending at ``end`` (default: HEAD's commit date)."""
    start = history.find(head)
    if start is None:
        return None
    chain = first_parent_chain(history, start)
    if end is None:
        end = datetime.fromtimestamp(history.committed[start], tz=UTC)
    window = Window.ending(end, window_days)
    lower, upper = int(window.start.timestamp()), int(window.end.timestamp())
    recent = [c for c in chain if lower < history.committed[c] <= upper]
    brought = merged_in(history, chain)
    branches: list[Branch] = []
    squashes = direct = 0
    for commit in recent:
        if history.is_merge(commit):
            inside = brought.get(commit, [])
            if inside:
                born = min(history.author[c] for c in inside)
                life = max(0, history.committed[commit] - born) / 3600
                branches.append(
                    Branch(history.shas[commit], history.subjects[commit], round(life, 2), len(inside))
                )
        elif pr_number(history.subjects[commit]) is not None:
            squashes += 1
        else:
            direct += 1
    branches.sort(key=lambda b: (-b.hours, b.merge))
    return TrunkStats(window, len(recent), weekdays(window), tuple(branches), squashes, direct)


def active_branches(root: Path, head: str, trunk: str | None, end: datetime) -> tuple[ActiveBranch, ...]:
    """Local branches (refs/heads) other than the trunk with commits the trunk does not have, oldest first."""
    out = git(
        root, "for-each-ref", f"--no-merged={head}", "--format=%(refname)%09%(objectname)", "refs/heads"
    )
    found: list[ActiveBranch] = []
    for line in (out or "").splitlines():
        ref, _, tip = line.partition("\t")
        name = ref.removeprefix("refs/heads/")
        if name == trunk or tip == head:
            continue
        log = git(root, "log", "--no-color", "--format=%at", tip, "--not", head, "--")
        stamps = [int(s) for s in (log or "").split()]
        if not stamps:
            continue
        first = datetime.fromtimestamp(min(stamps), tz=UTC)
        age = max(0.0, (end - first).total_seconds() / 3600)
        found.append(ActiveBranch(name, tip, len(stamps), first, round(age, 2)))
    return tuple(sorted(found, key=lambda b: (-b.hours, b.name)))


def days(hours: float) -> str:
    return f"{hours / 24:.1f} days"


def judge(stats: TrunkStats) -> tuple[Status, str]:
    """The verdict against the thresholds: pass, partial (close) or fail, with its one-line summary."""
    median = stats.median_hours
    lifetime_ok = median is None or median <= MAX_HOURS
    if lifetime_ok and stats.per_weekday >= DAILY:
        ideal = median is None or median < IDEAL_HOURS
        summary = "the trunk receives integrations daily and branches are short-lived" + (
            "" if ideal else " (one to two days; under a day is the ideal)"
        )
        return Status.PASS, summary
    problems = []
    if not lifetime_ok and median is not None:
        problems.append(f"branches live {days(median)} (median), more than two days")
    if stats.per_weekday < DAILY:
        problems.append(
            f"the trunk receives {stats.per_weekday:.2f} integrations per weekday, less than daily"
        )
    failing = (median is not None and median > LONG_HOURS) or stats.per_weekday < WEEKLY
    return (Status.FAIL if failing else Status.PARTIAL), "; ".join(problems)


@dataclass(frozen=True)
class TrunkReport:
    trunk: str
    window_days: int
    stats: TrunkStats | None
    active: tuple[ActiveBranch, ...] = ()
    status: Status = Status.UNKNOWN
    summary: str = ""
    truncated: bool = False


def trunk_report(sources: Sources, window_days: int = WINDOW_DAYS) -> TrunkReport:
    """The trunk over the window ending at the newest event (as `secloop dora`), with its verdict."""
    trunk = sources.git.branch or "HEAD"
    if not sources.git.is_git:
        summary = "not a git repository: branch lifetimes and integrations to trunk come from git history"
        return TrunkReport(trunk, window_days, None, summary=summary)
    head = sources.git.head
    end = sources.newest()
    stats = None if head is None or end is None else trunk_stats(sources.history, head, window_days, end)
    if head is None or end is None or stats is None:
        return TrunkReport(trunk, window_days, None, summary="the repository has no commits yet")
    active = active_branches(sources.root, head, sources.git.branch, end)
    status, summary = judge(stats)
    return TrunkReport(trunk, window_days, stats, active, status, summary, sources.history.truncated)
