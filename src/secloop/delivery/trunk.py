"""Trunk-based development from git: integrations to the trunk per weekday, branch lifetimes, active branches.

The trunk is HEAD's first-parent history. Every first-parent commit in the window is one integration
(a merge, a squash or rebase merge of a pull request, or a direct commit). A merge commit's branch
lived from the earliest author date of the commits its other parents brought in (the branch's first
commit not reachable from the first parent) to the merge's commit date. Squash and rebase merges keep
no branch commits: when pull-request data names the trunk commit (its merge sha, or the "(#N)" of a
squash subject), the branch lived from the pull request's first commit (when known, else its
creation) to its merge; without it they are only counted. With a path, only the integrations whose
commits touch it count. Thresholds and the verdict are shared by `secloop trunk` and the
`build.trunk-based` practice.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from secloop.core.enums import Status
from secloop.delivery.git import History, git, pr_number, touching
from secloop.delivery.graph import first_parent_chain, merged_in
from secloop.delivery.metrics import p90
from secloop.delivery.model import PullRequest, Window
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


GIT = "git"
PULL_REQUEST = "pull-request"


@dataclass(frozen=True, slots=True)
class Branch:
    merge: str
    subject: str
    hours: float
    commits: int | None  # None: a squash or rebase merge, whose branch commits git no longer has
    source: str = GIT  # GIT (a merge commit) or PULL_REQUEST
    origin: str | None = None  # where the pull request was read ("github o/r pull 12", "events.jsonl:3")
    start: str = "first-commit"  # "first-commit" or "created": where the lifetime was measured from


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
    squashes: int  # squash or rebase merges of pull requests
    direct: int
    unmeasured: int = 0  # squash merges ("(#N)") without pull-request data: counted, lifetime unknown

    @property
    def from_git(self) -> int:
        return sum(1 for b in self.branches if b.source == GIT)

    @property
    def from_pulls(self) -> int:
        return sum(1 for b in self.branches if b.source == PULL_REQUEST)

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


def touches(history: History, commit: int, brought: dict[int, list[int]], only: Collection[int]) -> bool:
    """Whether a trunk commit's change touches the slice: a merge through the commits it brought in."""
    if history.is_merge(commit):
        return any(c in only for c in brought.get(commit, []))
    return commit in only


def trunk_commits(history: History, chain: Sequence[int]) -> dict[int, int]:
    """Pull-request number -> the newest trunk commit whose subject names it (merge or squash subject)."""
    found: dict[int, int] = {}
    for commit in chain:
        number = pr_number(history.subjects[commit])
        if number is not None and number not in found:
            found[number] = commit
    return found


def _pull_branch(history: History, commit: int, pull: PullRequest) -> Branch | None:
    if pull.merged is None:
        return None
    start = pull.first_commit or pull.created
    life = max(0.0, (pull.merged - start).total_seconds()) / 3600
    return Branch(
        history.shas[commit],
        history.subjects[commit],
        round(life, 2),
        None,
        PULL_REQUEST,
        pull.origin,
        "first-commit" if pull.first_commit else "created",
    )


def trunk_stats(
    history: History,
    head: str,
    window_days: int = WINDOW_DAYS,
    end: datetime | None = None,
    pulls: Sequence[PullRequest] = (),
    only: Collection[int] | None = None,
) -> TrunkStats | None:
    """The trunk over ``window_days`` ending at ``end`` (default: HEAD's commit date).

    ``pulls``: pull requests whose merge sha or number places them on the trunk measure squash and
    rebase merges. ``only``: the commits of a path slice; other integrations are left out.
    """
    start = history.find(head)
    if start is None:
        return None
    chain = first_parent_chain(history, start)
    if end is None:
        end = datetime.fromtimestamp(history.committed[start], tz=UTC)
    window = Window.ending(end, window_days)
    lower, upper = int(window.start.timestamp()), int(window.end.timestamp())
    brought = merged_in(history, chain)
    recent = [c for c in chain if lower < history.committed[c] <= upper]
    if only is not None:
        recent = [c for c in recent if touches(history, c, brought, only)]
    by_sha = {p.merge_sha: p for p in pulls if p.merge_sha and p.merged}
    by_number = {p.number: p for p in pulls if p.merged}
    branches: list[Branch] = []
    squashes = direct = unmeasured = 0
    for commit in recent:
        if history.is_merge(commit):
            inside = brought.get(commit, [])
            if inside:
                born = min(history.author[c] for c in inside)
                life = max(0, history.committed[commit] - born) / 3600
                branches.append(
                    Branch(history.shas[commit], history.subjects[commit], round(life, 2), len(inside))
                )
            continue
        number = pr_number(history.subjects[commit])
        pull = by_sha.get(history.shas[commit])
        if pull is None and number is not None:
            pull = by_number.get(number)
        branch = None if pull is None else _pull_branch(history, commit, pull)
        if branch is not None:
            squashes += 1
            branches.append(branch)
        elif number is not None:
            squashes += 1
            unmeasured += 1
        else:
            direct += 1
    branches.sort(key=lambda b: (-b.hours, b.merge))
    return TrunkStats(window, len(recent), weekdays(window), tuple(branches), squashes, direct, unmeasured)


def active_branches(
    root: Path, head: str, trunk: str | None, end: datetime, path: str | None = None
) -> tuple[ActiveBranch, ...]:
    """Local branches (refs/heads) other than the trunk with commits the trunk does not have, oldest first.

    With ``path``, only the branches with at least one such commit touching it.
    """
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
        if path is not None and not _touched(root, head, tip, path):
            continue
        first = datetime.fromtimestamp(min(stamps), tz=UTC)
        age = max(0.0, (end - first).total_seconds() / 3600)
        found.append(ActiveBranch(name, tip, len(stamps), first, round(age, 2)))
    return tuple(sorted(found, key=lambda b: (-b.hours, b.name)))


def _touched(root: Path, head: str, tip: str, path: str) -> bool:
    """Whether a commit of the branch the trunk does not have changes something under ``path``."""
    out = git(
        root,
        "log",
        "--no-color",
        "--full-history",
        "--no-merges",
        "--format=%H",
        tip,
        "--not",
        head,
        "--",
        f":(top,literal){path}",
    )
    return bool((out or "").split())


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
    basis: tuple[str, ...] = ()  # where the branch lifetimes came from, one line each
    path: str | None = None  # the monorepo slice, when one was asked for
    slice_note: str | None = None


def pull_source(sources: Sources) -> str | None:
    """Where the pull requests were read, or None when there are none."""
    if not sources.pull_requests:
        return None
    if any(p.origin.startswith(("github ", "gitlab ")) for p in sources.pull_requests):
        return "the API: " + "; ".join(sources.api)
    return f"pull_request events in {sources.events_path}"


def _basis(stats: TrunkStats, where: str | None) -> tuple[str, ...]:
    lines = [f"git: {stats.from_git} merge commit(s) with branch commits (first branch commit → merge)"]
    if where is None:
        lines.append(
            "no pull-request data: squash and rebase merges are counted, their lifetimes need "
            "--github/--gitlab or pull_request events"
        )
    else:
        lines.append(
            f"pull requests: {stats.from_pulls} squash or rebase merge(s) measured from the first commit "
            f"(when known, else the pull request's creation) to the merge, from {where}"
        )
        if stats.unmeasured:
            lines.append(f"{stats.unmeasured} squash merge(s) without pull-request data: counted only")
    return tuple(lines)


def path_commits(sources: Sources, head: str, path: str) -> frozenset[int]:
    """The non-merge commits reachable from HEAD that change something under ``path``."""
    found = touching(sources.root, [head], path)
    history = sources.history
    return frozenset(i for i in (history.find(sha) for sha in found) if i is not None)


def describe_slice(sources: Sources, path: str, commits: frozenset[int], what: str) -> str:
    history = sources.history
    total = sum(1 for i in range(len(history)) if not history.is_merge(i))
    return f"path {path}: {len(commits)} of {total} commits touch it; only {what} count"


def trunk_report(sources: Sources, window_days: int = WINDOW_DAYS, path: str | None = None) -> TrunkReport:
    """The trunk over the window ending at the newest event (as `secloop dora`), with its verdict.

    Pull requests in ``sources`` measure squash and rebase merges; ``path`` slices a monorepo.
    """
    trunk = sources.git.branch or "HEAD"
    if not sources.git.is_git:
        summary = "not a git repository: branch lifetimes and integrations to trunk come from git history"
        return TrunkReport(trunk, window_days, None, summary=summary, path=path)
    head = sources.git.head
    end = sources.newest()
    if head is None or end is None:
        return TrunkReport(trunk, window_days, None, summary="the repository has no commits yet", path=path)
    only = path_commits(sources, head, path) if path else None
    stats = trunk_stats(sources.history, head, window_days, end, sources.pull_requests, only)
    if stats is None:
        return TrunkReport(trunk, window_days, None, summary="the repository has no commits yet", path=path)
    note = None
    if path and only is not None:
        what = "integrations whose commits touch it and active branches with such a commit"
        note = describe_slice(sources, path, only, what)
    active = active_branches(sources.root, head, sources.git.branch, end, path)
    status, summary = judge(stats)
    basis = _basis(stats, pull_source(sources))
    return TrunkReport(
        trunk, window_days, stats, active, status, summary, sources.history.truncated, basis, path, note
    )
