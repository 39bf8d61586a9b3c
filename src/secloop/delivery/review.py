"""Review flow: pull-request size, time to first review and to merge, changes merged without review.

The talk asks for smaller updates and for prioritising each other's pull requests. The figures come
from the best source there is, and the report says which:

1. pull requests read from the GitHub / GitLab API (`--github`, `--gitlab`),
2. `pull_request` events in the events file,
3. git alone: every commit on the trunk (HEAD's first parents) in the window is a change — a merge,
   a squash merge ("… (#N)") or a direct commit. Review evidence is a `Reviewed-by:` or
   `Approved-by:` trailer naming someone other than the author; git keeps no review times, so the
   time to first review is unknown there, and the time to merge is only known for merge commits (the
   branch's first commit to the merge). Sizes from git are the diff against the first parent, which
   needs file contents (not available in a blobless clone).

With a path (monorepo slice) only the changes whose commits change something under it count: a
pull request through its trunk commit (its merge sha, else the trunk commit whose subject names its
number); one that cannot be placed on the trunk is left out and counted.

Windows end at the newest event, as for `secloop dora`. Size buckets follow Google's engineering
practices ("Small CLs": about 100 lines is usually reasonable, 1000 usually too large) and the
SmartBear/Cisco review study (defect finding drops beyond 200–400 lines).
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime

from secloop.core.errors import InputError
from secloop.delivery.churn import churn, partial_clone
from secloop.delivery.git import git, pr_number
from secloop.delivery.graph import first_parent_chain, merged_in
from secloop.delivery.metrics import hours, p90
from secloop.delivery.model import PullRequest, Window
from secloop.delivery.sources import Sources
from secloop.delivery.trunk import describe_slice, path_commits, touches, trunk_commits

BUCKETS = ((50, "0-50"), (200, "51-200"), (400, "201-400"), (1000, "401-1000"), (None, "1001+"))
SMALL = 400  # lines changed: the most a reviewer reads well in one sitting (SmartBear/Cisco study)
_TRAILER = re.compile(r"^(?:reviewed-by|approved-by)\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_PERSON = re.compile(r"^(.*?)\s*<([^>]*)>$")


@dataclass(frozen=True, slots=True)
class Stat:
    median: float | None
    p90: float | None
    samples: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One change merged to the trunk, whatever the source."""

    label: str  # "#12" or a commit's short id
    merged: datetime
    size: int | None
    to_review: float | None  # hours from opened to the first review by someone else
    to_merge: float | None  # hours from opened (git: the branch's first commit) to merged
    reviewed: bool


@dataclass(frozen=True)
class ReviewReport:
    basis: str  # "api", "events" or "git"
    note: str
    window: Window | None
    window_days: int
    changes: tuple[Change, ...] = ()
    reason: str | None = None
    size_note: str | None = None
    path: str | None = None
    slice_note: str | None = None
    unplaced: tuple[str, ...] = ()  # pull requests a path slice could not place on the trunk

    @property
    def sizes(self) -> tuple[tuple[str, int], ...]:
        sized = [c.size for c in self.changes if c.size is not None]
        counts: list[tuple[str, int]] = []
        lower = -1
        for limit, label in BUCKETS:
            counts.append((label, sum(1 for s in sized if s > lower and (limit is None or s <= limit))))
            lower = limit if limit is not None else lower
        return tuple(counts)

    @property
    def sized(self) -> int:
        return sum(1 for c in self.changes if c.size is not None)

    @property
    def share_small(self) -> float | None:
        sized = [c.size for c in self.changes if c.size is not None]
        return round(sum(1 for s in sized if s <= SMALL) / len(sized), 4) if sized else None

    @property
    def unreviewed(self) -> tuple[str, ...]:
        return tuple(c.label for c in self.changes if not c.reviewed)

    @property
    def share_unreviewed(self) -> float | None:
        return round(len(self.unreviewed) / len(self.changes), 4) if self.changes else None

    def first_review(self) -> Stat:
        if self.basis == "git":
            return Stat(
                None, None, 0, "git records no review times: use --github/--gitlab or pull_request events"
            )
        return _stat([c.to_review for c in self.changes], "no change was reviewed by someone else")

    def to_merge(self) -> Stat:
        reason = (
            "no merge commit with branch commits in the window" if self.basis == "git" else "no merged change"
        )
        return _stat([c.to_merge for c in self.changes], reason)


def _stat(values: list[float | None], reason: str) -> Stat:
    known = [v for v in values if v is not None]
    if not known:
        return Stat(None, None, 0, reason)
    return Stat(round(statistics.median(known), 2), round(p90(known), 2), len(known))


def _end(sources: Sources) -> datetime | None:
    moments = [p.merged for p in sources.pull_requests if p.merged is not None]
    newest = sources.newest()
    if newest is not None:
        moments.append(newest)
    return max(moments) if moments else None


def review_report(sources: Sources, window_days: int = 90, path: str | None = None) -> ReviewReport:
    """Review flow over the window, from pull requests when there are any, else from git.

    ``path``: only the changes touching it (see the module's docstring).
    """
    end = _end(sources)
    head = sources.git.head if sources.git.is_git else None
    scope = _Scope(sources, head, path) if path and head is not None else None
    slice_note = scope.note if scope is not None else None
    if path and scope is None:
        slice_note = f"path {path}: slicing needs git history; no change counts"
    if sources.pull_requests:
        api = any(p.origin.startswith(("github ", "gitlab ")) for p in sources.pull_requests)
        basis = "api" if api else "events"
        note = (
            "pull requests from the API: " + "; ".join(sources.api)
            if api
            else f"pull_request events in {sources.events_path}"
        )
        assert end is not None
        window = Window.ending(end, window_days)
        merged = [p for p in sources.pull_requests if p.merged and p.merged in window]
        unplaced: list[str] = []
        if path:
            kept = []
            for pull in merged:
                placed = scope.place(pull) if scope is not None else None
                if placed is None:
                    unplaced.append(f"#{pull.number}")
                elif scope is not None and scope.keeps(placed):
                    kept.append(pull)
            merged = kept
        changes = tuple(_from_pull(p) for p in merged)
        reason = None if changes else f"no pull request merged in the {window_days}-day window"
        if path and not changes:
            reason = f"no pull request merged in the {window_days}-day window touches {path}"
        return ReviewReport(
            basis, note, window, window_days, changes, reason, None, path, slice_note, tuple(unplaced)
        )
    note = (
        "git alone (no pull request data): trunk commits are the changes, review evidence is a "
        "Reviewed-by/Approved-by trailer naming someone else"
    )
    if head is None or end is None:
        reason = "no pull request data and no git history"
        return ReviewReport("git", note, None, window_days, reason=reason, path=path, slice_note=slice_note)
    window = Window.ending(end, window_days)
    changes, size_note = _from_git(sources, head, window, scope)
    reason = None if changes else f"no commit reached the trunk in the {window_days}-day window"
    if path and not changes:
        reason = f"no commit touching {path} reached the trunk in the {window_days}-day window"
    return ReviewReport("git", note, window, window_days, changes, reason, size_note, path, slice_note)


class _Scope:
    """A path slice over the trunk: which trunk commits touch it, and where each pull request landed."""

    def __init__(self, sources: Sources, head: str, path: str) -> None:
        history = sources.history
        start = history.find(head)
        self.history = history
        self.chain = first_parent_chain(history, start) if start is not None else []
        self.brought = merged_in(history, self.chain)
        self.numbers = trunk_commits(history, self.chain)
        self.commits = path_commits(sources, head, path)
        self.note = describe_slice(sources, path, self.commits, "the changes touching it")

    def place(self, pull: PullRequest) -> int | None:
        found = self.history.find(pull.merge_sha) if pull.merge_sha else None
        return found if found is not None else self.numbers.get(pull.number)

    def keeps(self, commit: int) -> bool:
        return touches(self.history, commit, self.brought, self.commits)


def _from_pull(pull: PullRequest) -> Change:
    assert pull.merged is not None
    return Change(
        label=f"#{pull.number}",
        merged=pull.merged,
        size=pull.size,
        to_review=round(hours(pull.first_review - pull.created), 2) if pull.first_review else None,
        to_merge=round(hours(pull.merged - pull.created), 2),
        reviewed=bool(pull.reviewers) or pull.first_review is not None,
    )


def _people(value: str) -> tuple[str, str]:
    found = _PERSON.match(value)
    if found is None:
        return value.strip().lower(), ""
    return found.group(1).strip().lower(), found.group(2).strip().lower()


def _reviewed(author: str, email: str, body: str) -> bool:
    for match in _TRAILER.finditer(body):
        name, address = _people(match.group(1))
        if (address and address != email.lower()) or (not address and name != author.lower()):
            return True
    return False


def _from_git(
    sources: Sources, head: str, window: Window, scope: _Scope | None = None
) -> tuple[tuple[Change, ...], str | None]:
    history = sources.history
    start = history.find(head)
    if start is None:
        return (), None
    chain = first_parent_chain(history, start)
    lower, upper = int(window.start.timestamp()), int(window.end.timestamp())
    recent = [c for c in chain if lower < history.committed[c] <= upper]
    if scope is not None:
        recent = [c for c in recent if scope.keeps(c)]
    if not recent:
        return (), None
    shas = [history.shas[c] for c in recent]
    out = git(
        sources.root,
        "log",
        "--no-walk=unsorted",
        "--no-color",
        "--format=%H%x1f%an%x1f%ae%x1f%B%x1e",
        "--stdin",
        stdin="\n".join(shas) + "\n",
    )
    bodies: dict[str, tuple[str, str, str]] = {}
    for record in (out or "").split("\x1e"):
        parts = record.strip().split("\x1f", 3)
        if len(parts) == 4:
            bodies[parts[0]] = (parts[1], parts[2], parts[3])
    sizes, size_note = _git_sizes(sources, shas)
    brought = merged_in(history, chain)
    changes = []
    for commit in recent:
        sha = history.shas[commit]
        author, email, body = bodies.get(sha, ("", "", ""))
        number = pr_number(history.subjects[commit])
        to_merge = None
        inside = brought.get(commit, [])
        if history.is_merge(commit) and inside:
            born = min(history.author[c] for c in inside)
            to_merge = round(max(0, history.committed[commit] - born) / 3600, 2)
        changes.append(
            Change(
                label=f"#{number}" if number is not None else sha[:12],
                merged=datetime.fromtimestamp(history.committed[commit], tz=UTC),
                size=sizes.get(sha),
                to_review=None,
                to_merge=to_merge,
                reviewed=_reviewed(author, email, body),
            )
        )
    return tuple(sorted(changes, key=lambda c: (c.merged, c.label))), size_note


def _git_sizes(sources: Sources, shas: list[str]) -> tuple[dict[str, int], str | None]:
    filtered = partial_clone(sources.root)
    if filtered is not None:
        return {}, f"sizes need file contents, which this partial clone (filter {filtered}) lacks"
    try:
        read = churn(sources.root, shas, merges="first-parent", no_walk=True)
    except InputError as exc:
        return {}, f"sizes unavailable: {exc.message}"
    return {c.sha: c.added + c.removed for c in read.commits}, None
