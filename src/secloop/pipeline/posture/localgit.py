"""Offline review and maintenance facts from local git history (no token needed).

How recent changes reached the mainline: HEAD's first-parent line has one entry per merge, squash
or direct push. A change counts as reviewed when it carries a host's pull/merge-request marker
("Merge pull request #N", a "(#N)" squash suffix, GitLab's "See merge request", Bitbucket and Azure
markers) or a review trailer (Reviewed-by, Approved-by, Co-authored-by). The window is the last 90
days by the clock (maintenance is about now); with fewer than 20 changes in it, the last 100
first-parent commits are used instead, and the evidence says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from secloop.delivery.git import git
from secloop.sources.history import Commit
from secloop.sources.repo import Repo

WINDOW_DAYS = 90
MIN_CHANGES = 20
FALLBACK_COMMITS = 100
MAX_COMMITS = 2000
_TRAILER = re.compile(r"^(Reviewed-by|Approved-by|Co-authored-by):\s*\S", re.IGNORECASE | re.MULTILINE)
_RS, _US = "\x1e", "\x1f"


@dataclass(frozen=True, slots=True)
class Change:
    sha: str
    parents: int
    time: datetime
    author: str
    subject: str
    body: str

    @property
    def request_marker(self) -> str | None:
        return Commit(self.sha, self.parents, self.subject, self.body).pull_request_marker

    @property
    def trailer(self) -> str | None:
        match = _TRAILER.search(self.body)
        return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class Landing:
    window: str
    total: int
    via_request: int
    via_trailer: int
    unmarked_merges: int

    @property
    def reviewed(self) -> int:
        return self.via_request + self.via_trailer

    @property
    def direct(self) -> int:
        return self.total - self.reviewed

    @property
    def ratio(self) -> float:
        return self.reviewed / self.total if self.total else 0.0

    def describe(self) -> str:
        text = (
            f"git history: {self.reviewed}/{self.total} mainline changes of {self.window} came through a "
            f"pull/merge request or carry a review trailer ({self.ratio:.0%}; {self.via_request} by "
            f"request marker, {self.via_trailer} by trailer)"
        )
        if self.unmarked_merges:
            text += f"; {self.unmarked_merges} merge commit(s) name no pull request"
        return text


@dataclass(frozen=True, slots=True)
class Activity:
    commits: int
    authors: int
    last: datetime | None

    def describe(self) -> str:
        last = f", last commit {self.last.date().isoformat()}" if self.last else ""
        return (
            f"maintenance: {self.commits} commit(s) by {self.authors} distinct author(s) in the last "
            f"{WINDOW_DAYS} days{last}"
        )


@dataclass(frozen=True, slots=True)
class LocalFacts:
    landing: Landing | None
    activity: Activity | None
    shallow: bool = False


def _log(repo: Repo, *args: str) -> list[Change]:
    fmt = _US.join(("%H", "%P", "%ct", "%ae", "%s", "%b")) + _RS
    out = git(repo.root, "log", "--no-color", f"--format={fmt}", *args, "HEAD")
    changes: list[Change] = []
    for record in (out or "").split(_RS):
        fields = record.strip("\n").split(_US)
        if len(fields) != 6:
            continue
        sha, parents, stamp, author, subject, body = fields
        when = datetime.fromtimestamp(int(stamp or 0), tz=UTC)
        changes.append(Change(sha, len(parents.split()), when, author.lower(), subject, body.strip()))
    return changes


def landing(changes: list[Change], window: str) -> Landing:
    via_request = via_trailer = unmarked = 0
    for c in changes:
        if c.request_marker is not None:
            via_request += 1
        elif c.trailer is not None:
            via_trailer += 1
        elif c.parents > 1:
            unmarked += 1
    return Landing(window, len(changes), via_request, via_trailer, unmarked)


def local_facts(repo: Repo, now: datetime | None = None) -> LocalFacts:
    """Review share of recent mainline changes and maintenance activity; empty without git history."""
    if not repo.is_git or repo.head() is None:
        return LocalFacts(None, None)
    now = now or datetime.now(tz=UTC)
    since = f"--since={(now - timedelta(days=WINDOW_DAYS)).isoformat()}"
    mainline = _log(repo, "--first-parent", f"-n{MAX_COMMITS}", since)
    land: Landing | None
    if len(mainline) >= MIN_CHANGES:
        land = landing(mainline, f"the last {WINDOW_DAYS} days")
    else:
        recent = _log(repo, "--first-parent", f"-n{FALLBACK_COMMITS}")
        land = landing(recent, f"the last {len(recent)} first-parent commits") if recent else None
    every = _log(repo, f"-n{MAX_COMMITS}", since)
    newest = _log(repo, "-n1")
    activity = Activity(len(every), len({c.author for c in every}), newest[0].time if newest else None)
    shallow = (git(repo.root, "rev-parse", "--is-shallow-repository") or "").strip() == "true"
    return LocalFacts(land, activity, shallow)
