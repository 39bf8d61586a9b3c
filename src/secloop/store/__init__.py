"""The store: every assessment is saved, so the journey of a repository can be shown.

SQLite by default (a file under the user's data directory), PostgreSQL when a URL says so. The schema
is migrated on open. `save` is one transaction; `history` reads a repository's latest assessments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import platformdirs
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from secloop.core.enums import Stage, Status
from secloop.core.errors import StoreError
from secloop.core.model import Assessment
from secloop.practices.catalog import natural_key
from secloop.store.engine import WRITE, build_engine, mask, migrate, parse_url, wrapped
from secloop.store.models import AssessmentRow, FindingRow, PracticeResultRow, RepositoryRow

__all__ = [
    "Counts",
    "History",
    "HistoryEntry",
    "PracticeStatus",
    "Store",
    "default_url",
    "open_store",
]


def default_url() -> str:
    """SQLite file under the user's data directory (created on demand)."""
    folder = Path(platformdirs.user_data_dir("secloop"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the data directory {folder}: {exc.strerror or exc}",
            hint="pass --db or set SECLOOP_DB to a database URL you can write to",
        ) from exc
    return URL.create("sqlite", database=str(folder / "secloop.db")).render_as_string()


@dataclass(frozen=True, slots=True)
class Counts:
    passed: int
    partial: int
    failed: int
    unknown: int
    not_applicable: int
    findings: int
    active_findings: int


@dataclass(frozen=True, slots=True)
class PracticeStatus:
    practice_id: str
    stage: Stage
    status: Status
    score: int


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One saved assessment, with each practice's status (ordered by stage, then id)."""

    id: int
    commit: str | None
    as_of: datetime
    recorded_at: datetime
    tool_version: str
    config_digest: str
    gate_passed: bool | None
    counts: Counts
    practices: tuple[PracticeStatus, ...]

    def status_of(self, practice_id: str) -> PracticeStatus | None:
        return next((p for p in self.practices if p.practice_id == practice_id), None)


@dataclass(frozen=True, slots=True)
class History:
    """A repository's assessments, oldest to newest; empty when none was saved for that root."""

    root: str
    name: str | None
    entries: tuple[HistoryEntry, ...]

    @property
    def practices(self) -> tuple[tuple[str, Stage], ...]:
        """Every practice seen in any entry, ordered by stage, then id: the rows of a journey table."""
        seen = {(p.practice_id, p.stage) for e in self.entries for p in e.practices}
        return tuple(sorted(seen, key=lambda item: practice_order(item[0], item[1])))


def _counts(assessment: Assessment) -> Counts:
    statuses = [r.status for r in assessment.results]
    findings = assessment.findings
    return Counts(
        passed=statuses.count(Status.PASS),
        partial=statuses.count(Status.PARTIAL),
        failed=statuses.count(Status.FAIL),
        unknown=statuses.count(Status.UNKNOWN),
        not_applicable=statuses.count(Status.NOT_APPLICABLE),
        findings=len(findings),
        active_findings=sum(1 for f in findings if f.active),
    )


def practice_order(practice_id: str, stage: Stage) -> tuple[int, tuple[tuple[int, int | str], ...]]:
    """Stage order, then the id as the catalog orders it (cicd-sec-2 before cicd-sec-10)."""
    return (stage.order, natural_key(practice_id))


class Store:
    """A migrated database. Use `open_store`; close it (or use `with`) when done."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.url = mask(engine.url)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._engine.dispose()

    def save(
        self, assessment: Assessment, document: str, root: str, *, recorded_at: datetime | None = None
    ) -> int:
        """Save one assessment of the repository at `root` (an absolute path); returns its id.

        One transaction: when anything fails, nothing of this assessment is written.
        """
        writer = self._engine.execution_options(**{WRITE: True})
        with wrapped(self._engine.url, "save the assessment"), Session(writer) as session, session.begin():
            repository_id = self._repository(session, root, assessment.target)
            counts = _counts(assessment)
            assessment_id = session.scalars(
                insert(AssessmentRow)
                .values(
                    repository_id=repository_id,
                    commit=assessment.commit,
                    as_of=assessment.created_at,
                    recorded_at=recorded_at or datetime.now(tz=UTC),
                    tool_version=assessment.tool_version,
                    config_digest=assessment.config_digest,
                    gate_passed=None if assessment.gate is None else assessment.gate.passed,
                    document=document,
                    pass_count=counts.passed,
                    partial_count=counts.partial,
                    fail_count=counts.failed,
                    unknown_count=counts.unknown,
                    not_applicable_count=counts.not_applicable,
                    finding_count=counts.findings,
                    active_finding_count=counts.active_findings,
                )
                .returning(AssessmentRow.id)
            ).one()
            self._save_results(session, assessment_id, assessment)
            return assessment_id

    def _repository(self, session: Session, root: str, name: str) -> int:
        # Insert-if-absent, so two first saves of one repository do not collide on the unique root.
        if self._engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            session.execute(
                pg_insert(RepositoryRow)
                .values(root=root, name=name)
                .on_conflict_do_nothing(index_elements=["root"])
            )
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            session.execute(
                sqlite_insert(RepositoryRow)
                .values(root=root, name=name)
                .on_conflict_do_nothing(index_elements=["root"])
            )
        row = session.execute(
            select(RepositoryRow.id, RepositoryRow.name).where(RepositoryRow.root == root)
        ).one()
        if row.name != name:
            session.execute(update(RepositoryRow).where(RepositoryRow.id == row.id).values(name=name))
        return int(row.id)

    def _save_results(self, session: Session, assessment_id: int, assessment: Assessment) -> None:
        practices: list[dict[str, Any]] = []
        findings: list[dict[str, Any]] = []
        for result in assessment.results:
            practices.append(
                {
                    "assessment_id": assessment_id,
                    "practice_id": result.practice_id,
                    "stage": result.stage.value,
                    "status": result.status.value,
                    "score": result.score,
                    "summary": result.summary,
                }
            )
            for finding in result.findings:
                primary = finding.primary
                findings.append(
                    {
                        "assessment_id": assessment_id,
                        "practice_id": result.practice_id,
                        "rule_id": finding.rule_id,
                        "fingerprint": finding.fingerprint,
                        "severity": finding.severity.value,
                        "path": primary.path if primary else None,
                        "line": primary.start_line if primary else None,
                        "active": finding.active,
                        "suppressed": finding.suppression is not None,
                    }
                )
        if practices:
            session.execute(insert(PracticeResultRow), practices)
        if findings:
            session.execute(insert(FindingRow), findings)

    def history(self, root: str, limit: int = 20) -> History:
        """The latest `limit` assessments of the repository at `root`, oldest first."""
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        with wrapped(self._engine.url, "read the history"), Session(self._engine) as session:
            repo = session.execute(
                select(RepositoryRow).where(RepositoryRow.root == root)
            ).scalar_one_or_none()
            if repo is None:
                return History(root, None, ())
            newest = session.scalars(
                select(AssessmentRow)
                .where(AssessmentRow.repository_id == repo.id)
                .order_by(
                    AssessmentRow.as_of.desc(), AssessmentRow.recorded_at.desc(), AssessmentRow.id.desc()
                )
                .limit(limit)
            ).all()
            rows = list(reversed(newest))
            by_assessment: dict[int, list[PracticeStatus]] = {row.id: [] for row in rows}
            results = session.scalars(
                select(PracticeResultRow).where(PracticeResultRow.assessment_id.in_(list(by_assessment)))
            )
            for r in results:
                by_assessment[r.assessment_id].append(
                    PracticeStatus(r.practice_id, Stage(r.stage), Status(r.status), r.score)
                )
            entries = tuple(
                HistoryEntry(
                    id=row.id,
                    commit=row.commit,
                    as_of=row.as_of,
                    recorded_at=row.recorded_at,
                    tool_version=row.tool_version,
                    config_digest=row.config_digest,
                    gate_passed=row.gate_passed,
                    counts=Counts(
                        passed=row.pass_count,
                        partial=row.partial_count,
                        failed=row.fail_count,
                        unknown=row.unknown_count,
                        not_applicable=row.not_applicable_count,
                        findings=row.finding_count,
                        active_findings=row.active_finding_count,
                    ),
                    practices=tuple(
                        sorted(by_assessment[row.id], key=lambda p: practice_order(p.practice_id, p.stage))
                    ),
                )
                for row in rows
            )
            return History(repo.root, repo.name, entries)

    def document(self, assessment_id: int) -> str | None:
        """The `secloop.assessment/v1` JSON saved with an assessment, verbatim."""
        with wrapped(self._engine.url, "read an assessment"), Session(self._engine) as session:
            return session.scalar(select(AssessmentRow.document).where(AssessmentRow.id == assessment_id))


def open_store(url: str | None = None) -> Store:
    """Open (and migrate) the store at `url`; None means `default_url()`.

    Raises UsageError for a URL that is not a supported database, StoreError when it cannot be reached
    or migrated.
    """
    parsed = parse_url(url if url is not None else default_url())
    engine = build_engine(parsed)
    try:
        migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(engine)
