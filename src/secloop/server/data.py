"""Queries behind the API and the dashboard: repositories, their latest loop, assessments, events.

"Latest" is the newest assessment of a repository by (as_of, recorded_at, id), as the store's history
orders them. Findings and triage live in findings.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from secloop.core.enums import Stage, Status
from secloop.server.accounts import Accounts, now
from secloop.server.cache import Version, VersionedCache, data_version
from secloop.server.findings import latest_assessments
from secloop.store.engine import WRITE
from secloop.store.models import (
    AssessmentRow,
    DeliveryEventRow,
    PracticeResultRow,
    RepositoryRow,
    WebhookDeliveryRow,
)

SCORED = (Status.PASS, Status.PARTIAL, Status.FAIL)
# Summaries never need the saved document (it can be megabytes); the API reads it through the store.
NO_DOCUMENT = defer(AssessmentRow.document)


class Replayed(Exception):
    pass


@dataclass(frozen=True)
class Counts:
    passed: int
    partial: int
    failed: int
    unknown: int
    not_applicable: int
    findings: int
    active_findings: int


@dataclass(frozen=True)
class AssessmentSummary:
    id: int
    repository_id: int
    commit: str | None
    as_of: datetime
    recorded_at: datetime
    tool_version: str
    gate_passed: bool | None
    counts: Counts


@dataclass(frozen=True)
class RepositorySummary:
    id: int
    name: str
    root: str
    latest: AssessmentSummary | None


@dataclass(frozen=True)
class StageCell:
    stage: Stage
    statuses: dict[Status, int] = field(default_factory=dict)
    score_sum: int = 0
    scored: int = 0

    @property
    def score(self) -> int | None:
        """Mean score of the practices that apply and could be decided."""
        return None if self.scored == 0 else round(self.score_sum / self.scored)

    @property
    def practices(self) -> int:
        return sum(self.statuses.values())


@dataclass(frozen=True)
class PracticeRow:
    practice_id: str
    stage: Stage
    status: Status
    score: int
    summary: str


@dataclass(frozen=True)
class EventView:
    id: int
    repository: str
    kind: str
    occurred_at: datetime
    record: dict[str, Any]
    source: str
    received_at: datetime


def _summary(row: AssessmentRow) -> AssessmentSummary:
    return AssessmentSummary(
        id=row.id,
        repository_id=row.repository_id,
        commit=row.commit,
        as_of=row.as_of,
        recorded_at=row.recorded_at,
        tool_version=row.tool_version,
        gate_passed=row.gate_passed,
        counts=Counts(
            row.pass_count,
            row.partial_count,
            row.fail_count,
            row.unknown_count,
            row.not_applicable_count,
            row.finding_count,
            row.active_finding_count,
        ),
    )


def _event(r: DeliveryEventRow) -> EventView:
    return EventView(r.id, r.repository, r.kind, r.occurred_at, json.loads(r.record), r.source, r.received_at)


class Data:
    def __init__(self, engine: Engine, accounts: Accounts) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        self._accounts = accounts
        self._cache = VersionedCache(size=1024)

    # -- repositories and assessments ---------------------------------------------------------------

    def version(self) -> Version:
        """The data's version now: read it once per page and pass it on, saving a round trip each."""
        with Session(self._engine) as session:
            return data_version(session)

    def repositories(
        self, repository_id: int | None = None, *, version: Version | None = None
    ) -> list[RepositorySummary]:
        def read() -> list[RepositorySummary]:
            latest = latest_assessments()
            query = (
                select(RepositoryRow, AssessmentRow)
                .options(NO_DOCUMENT)
                .outerjoin(latest, latest.c.repository_id == RepositoryRow.id)
                .outerjoin(AssessmentRow, AssessmentRow.id == latest.c.id)
                .order_by(RepositoryRow.name, RepositoryRow.id)
            )
            if repository_id is not None:
                query = query.where(RepositoryRow.id == repository_id)
            with Session(self._engine) as session:
                return [
                    RepositorySummary(repo.id, repo.name, repo.root, None if a is None else _summary(a))
                    for repo, a in session.execute(query)
                ]

        # A repository appears or is renamed only when an assessment of it is saved.
        newest = (version or self.version())[0]
        return list(self._cache.get(("repositories", newest, repository_id), read))

    def repository(self, repository_id: int, *, version: Version | None = None) -> RepositorySummary | None:
        found = self.repositories(repository_id, version=version)
        return found[0] if found else None

    def heatmap(self, *, version: Version | None = None) -> dict[int, dict[Stage, StageCell]]:
        """Per repository and stage: how many practices of the latest assessment have each status."""

        def read() -> dict[int, dict[Stage, StageCell]]:
            latest = latest_assessments()
            status = PracticeResultRow.status
            scored = status.in_([s.value for s in SCORED])
            # One row per repository and stage, the statuses counted side by side: up to five times
            # fewer rows than grouping by status too (reading the rows is most of this query's time).
            query = (
                select(
                    latest.c.repository_id,
                    PracticeResultRow.stage,
                    *(func.count().filter(status == s.value) for s in Status),
                    func.count().filter(scored),
                    func.sum(PracticeResultRow.score).filter(scored),
                )
                .join(PracticeResultRow, PracticeResultRow.assessment_id == latest.c.id)
                .group_by(latest.c.repository_id, PracticeResultRow.stage)
            )
            with Session(self._engine) as session:
                rows = session.execute(query).all()
            cells: dict[int, dict[Stage, StageCell]] = {}
            for repo_id, stage_text, *counts, scored_count, score_sum in rows:
                stage = Stage(stage_text)
                statuses = {s: int(n) for s, n in zip(Status, counts, strict=True) if n}
                cell = StageCell(stage, statuses, int(score_sum or 0), int(scored_count))
                cells.setdefault(repo_id, {})[stage] = cell
            return cells

        # Only new assessments change it (the newest id moves); the cached map is never mutated.
        return self._cache.get(("heatmap", (version or self.version())[0]), read)

    def practices(self, assessment_id: int) -> list[PracticeRow]:
        from secloop.store import practice_order

        with Session(self._engine) as session:
            rows = [
                PracticeRow(r.practice_id, Stage(r.stage), Status(r.status), r.score, r.summary)
                for r in session.scalars(
                    select(PracticeResultRow).where(PracticeResultRow.assessment_id == assessment_id)
                )
            ]
        return sorted(rows, key=lambda p: practice_order(p.practice_id, p.stage))

    def assessments(
        self, repository_id: int | None = None, limit: int = 50, offset: int = 0
    ) -> list[AssessmentSummary]:
        query = (
            select(AssessmentRow)
            .options(NO_DOCUMENT)
            .order_by(AssessmentRow.as_of.desc(), AssessmentRow.recorded_at.desc(), AssessmentRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if repository_id is not None:
            query = query.where(AssessmentRow.repository_id == repository_id)
        with Session(self._engine) as session:
            return [_summary(row) for row in session.scalars(query)]

    # -- delivery events and webhook deliveries -----------------------------------------------------

    def add_events(
        self,
        events: list[tuple[str, str, datetime, dict[str, Any], str | None]],
        source: str,
        *,
        delivery: tuple[str, str, str] | None = None,
        audit: tuple[str, str | None] | None = None,
    ) -> list[int]:
        """Store events (repository, kind, time, record, external id) in one transaction.

        `delivery` (provider, delivery id, event name) is recorded first: a delivery seen before raises
        Replayed and nothing is written. An event whose external id exists already replaces its record
        (an incident that was opened and is now resolved).
        """
        moment = now()
        ids: list[int] = []
        try:
            with Session(self._writer) as session, session.begin():
                if delivery is not None:
                    provider, delivery_id, event = delivery
                    session.execute(
                        insert(WebhookDeliveryRow).values(
                            provider=provider, delivery_id=delivery_id, event=event, received_at=moment
                        )
                    )
                for repository, kind, occurred_at, record, external_id in events:
                    values = {
                        "repository": repository,
                        "kind": kind,
                        "occurred_at": occurred_at,
                        "record": json.dumps(record, sort_keys=True, ensure_ascii=False),
                        "source": source,
                        "external_id": external_id,
                        "received_at": moment,
                    }
                    ids.append(session.scalars(self._upsert(values)).one())
                if audit is not None:
                    actor, client = audit
                    detail: dict[str, object] = {"source": source, "ids": ids}
                    self._accounts.audit(
                        actor, "event.create", "success", None, detail, client, session=session
                    )
        except IntegrityError as exc:
            if delivery is not None and "webhook_deliveries" in str(exc.orig):
                raise Replayed(delivery[1]) from None
            raise
        return ids

    def _upsert(self, values: dict[str, Any]) -> Any:
        """One statement: insert the event, or replace the record of the one with its external id."""
        from sqlalchemy.dialects import postgresql, sqlite

        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(DeliveryEventRow).values(**values)
        if values["external_id"] is not None:
            statement = statement.on_conflict_do_update(
                index_elements=["source", "external_id"],
                set_={
                    "record": statement.excluded.record,
                    "occurred_at": statement.excluded.occurred_at,
                    "received_at": statement.excluded.received_at,
                },
            )
        return statement.returning(DeliveryEventRow.id)

    def event(self, event_id: int) -> EventView | None:
        with Session(self._engine) as session:
            row = session.get(DeliveryEventRow, event_id)
            return None if row is None else _event(row)

    def events(
        self, repository: str | None = None, kind: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[EventView]:
        query = (
            select(DeliveryEventRow)
            .order_by(DeliveryEventRow.occurred_at.desc(), DeliveryEventRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if repository:
            query = query.where(DeliveryEventRow.repository == repository)
        if kind:
            query = query.where(DeliveryEventRow.kind == kind)
        with Session(self._engine) as session:
            return [_event(r) for r in session.scalars(query)]
