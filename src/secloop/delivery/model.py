"""The delivery event model: changes, deployments, incidents and work items, as frozen values.

Every time is timezone-aware UTC. Sources (git, the events file) produce these; the metrics only read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

PRODUCTION = "production"
SUCCESS = "success"
DEPLOYMENT_STATUSES = ("success", "failure", "error", "cancelled", "in_progress")


class WorkType(str, Enum):
    """The four flow item types of the Flow Framework."""

    FEATURE = "feature"
    DEFECT = "defect"
    RISK = "risk"
    DEBT = "debt"


class DeploymentSource(str, Enum):
    TAG = "tag"
    EVENTS = "events"
    WEBHOOK = "webhook"
    API = "api"


@dataclass(frozen=True, slots=True)
class Change:
    """One commit that changes the code (merge commits only join histories and are not changes)."""

    sha: str
    author_time: datetime
    commit_time: datetime
    parents: tuple[str, ...]
    subject: str
    pr: int | None = None


@dataclass(frozen=True, slots=True)
class Deployment:
    environment: str
    sha: str
    version: str | None
    time: datetime
    status: str
    source: DeploymentSource
    origin: str  # where it was read: "tag v1.2.0" or ".secloop/events.jsonl:7"
    downtime_minutes: float | None = None  # when the events say the deployment took the service down

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCESS

    @property
    def label(self) -> str:
        return self.version or self.sha[:12]


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    opened: datetime
    resolved: datetime | None
    deployment_sha: str | None
    root_cause_sha: str | None
    severity: str | None
    title: str | None
    environment: str
    origin: str

    @property
    def duration(self) -> timedelta | None:
        return None if self.resolved is None else self.resolved - self.opened


@dataclass(frozen=True, slots=True)
class WorkItem:
    id: str
    type: WorkType
    created: datetime
    started: datetime | None
    done: datetime | None
    title: str | None
    origin: str


@dataclass(frozen=True, slots=True)
class Window:
    """The period analysed: (start, end], end being the newest event, never the wall clock."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, end: datetime, days: int) -> Window:
        return cls(end - timedelta(days=days), end)

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400

    def __contains__(self, moment: datetime) -> bool:
        return self.start < moment <= self.end


@dataclass(frozen=True, slots=True)
class PullRequest:
    """A pull (merge) request: when it was opened, first reviewed by someone else and merged."""

    number: int
    created: datetime
    merged: datetime | None
    first_review: datetime | None  # the first review or review comment by someone other than the author
    additions: int | None
    deletions: int | None
    author: str | None
    reviewers: tuple[str, ...]  # people other than the author who reviewed it
    merge_sha: str | None
    origin: str
    title: str | None = None
    first_commit: datetime | None = None  # the branch's first commit, when the source knows it

    @property
    def size(self) -> int | None:
        if self.additions is None or self.deletions is None:
            return None
        return self.additions + self.deletions
