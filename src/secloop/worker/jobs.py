"""Scan jobs: one per repository and commit, so a scan asked for twice (or retried) runs once.

A job row is claimed before the scan and marked done after it. The assessment itself is saved in one
transaction (Store.save), so a worker killed mid-scan leaves no partial assessment; its task is
delivered again (acks_late) and, carrying the same task id, takes the job over. A worker killed
after saving but before marking the job done is covered too: the retry finds the saved assessment of
that commit and only marks the job done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from secloop.core.errors import UsageError
from secloop.store.engine import WRITE
from secloop.store.models import AssessmentRow, RepositoryRow, ScanJobRow

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class Busy(Exception):
    """Another task holds this job's lease; try again later."""


@dataclass(frozen=True)
class Job:
    id: int
    root: str
    commit: str
    status: str
    attempts: int
    task_id: str | None
    assessment_id: int | None
    error: str | None


def now() -> datetime:
    return datetime.now(tz=UTC)


def target(path: str) -> tuple[str, str]:
    """The repository root and HEAD commit of `path`: the job's key. Raises UsageError for a non-git path."""
    from secloop.sources.repo import Repo

    repo = Repo(Path(path))
    head = repo.head() if repo.is_git else None
    if head is None:
        raise UsageError(
            f"{repo.root} is not a git repository with a commit",
            hint="workers scan commits; give the root of a git repository",
        )
    return str(repo.root), head


def _job(row: ScanJobRow) -> Job:
    return Job(
        row.id, row.root, row.commit, row.status, row.attempts, row.task_id, row.assessment_id, row.error
    )


class Jobs:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE: True})

    def get(self, root: str, commit: str) -> Job | None:
        with Session(self._engine) as session:
            row = session.scalars(
                select(ScanJobRow).where(ScanJobRow.root == root, ScanJobRow.commit == commit)
            ).one_or_none()
            return None if row is None else _job(row)

    def ensure(self, root: str, commit: str) -> Job:
        """The job of (root, commit), created queued when absent."""
        moment = now()
        try:
            with Session(self._writer) as session, session.begin():
                exists = session.scalar(
                    select(ScanJobRow.id).where(ScanJobRow.root == root, ScanJobRow.commit == commit)
                )
                if exists is None:
                    session.execute(
                        insert(ScanJobRow).values(
                            root=root,
                            commit=commit,
                            status=QUEUED,
                            attempts=0,
                            created_at=moment,
                            updated_at=moment,
                        )
                    )
        except IntegrityError:
            pass  # created at the same moment by another enqueuer
        job = self.get(root, commit)
        assert job is not None
        return job

    def saved_assessment(self, root: str, commit: str) -> int | None:
        """An assessment of this repository at this commit saved before, by any worker or the CLI."""
        with Session(self._engine) as session:
            return session.scalar(
                select(func.max(AssessmentRow.id))
                .join(RepositoryRow, RepositoryRow.id == AssessmentRow.repository_id)
                .where(RepositoryRow.root == root, AssessmentRow.commit == commit)
            )

    def claim(self, root: str, commit: str, task_id: str, lease: timedelta) -> Job:
        """Mark the job running for `task_id`; raises Busy when another live task holds it."""
        self.ensure(root, commit)
        moment = now()
        with Session(self._writer) as session, session.begin():
            claimed = session.execute(
                update(ScanJobRow)
                .where(
                    ScanJobRow.root == root,
                    ScanJobRow.commit == commit,
                    ScanJobRow.status != DONE,
                    or_(
                        ScanJobRow.status.in_((QUEUED, FAILED)),
                        ScanJobRow.task_id == task_id,
                        and_(ScanJobRow.status == RUNNING, ScanJobRow.updated_at < moment - lease),
                    ),
                )
                .values(
                    status=RUNNING,
                    task_id=task_id,
                    attempts=ScanJobRow.attempts + 1,
                    updated_at=moment,
                    error=None,
                )
            ).rowcount  # type: ignore[attr-defined]  # an UPDATE's CursorResult
        job = self.get(root, commit)
        assert job is not None
        if not claimed and job.status != DONE:
            raise Busy(f"job {job.id} is being scanned by task {job.task_id}")
        return job

    def finish(self, job_id: int, assessment_id: int, *, duration: float | None = None) -> None:
        """Mark the job done; `duration` (seconds) when this task ran the scan, not when it reused one."""
        with Session(self._writer) as session, session.begin():
            session.execute(
                update(ScanJobRow)
                .where(ScanJobRow.id == job_id)
                .values(
                    status=DONE,
                    assessment_id=assessment_id,
                    updated_at=now(),
                    error=None,
                    duration_seconds=duration,
                )
            )

    def fail(self, job_id: int, error: str) -> None:
        with Session(self._writer) as session, session.begin():
            session.execute(
                update(ScanJobRow)
                .where(ScanJobRow.id == job_id)
                .values(status=FAILED, error=error[:2000], updated_at=now())
            )

    def durations(self, bounds: tuple[float, ...]) -> tuple[list[int], int, float]:
        """Finished scans: how many took at most each bound (cumulative), how many in all, total seconds."""
        took = ScanJobRow.duration_seconds
        columns: list[Any] = [func.count(took), func.coalesce(func.sum(took), 0.0)]
        columns += [func.coalesce(func.sum(case((took <= bound, 1), else_=0)), 0) for bound in bounds]
        with Session(self._engine) as session:
            row = session.execute(select(*columns).where(took.is_not(None))).one()
        return [int(n) for n in row[2:]], int(row[0]), float(row[1])

    def statuses(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Job]:
        found: dict[tuple[str, str], Job] = {}
        with Session(self._engine) as session:
            for root, commit in keys:
                row = session.scalars(
                    select(ScanJobRow).where(ScanJobRow.root == root, ScanJobRow.commit == commit)
                ).one_or_none()
                if row is not None:
                    found[(root, commit)] = _job(row)
        return found
