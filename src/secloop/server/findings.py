"""Findings of each repository's latest assessment, with filters and triage, fast on 100,000 of them.

A page is ordered by severity, then newest first (finding id, descending). Counting every matching
finding is the one step that reads them all, so the counts per severity are cached until the data
changes (see cache.py); a page then reads only its own rows, one severity at a time, walking the
primary key from the newest.

Triage is kept per repository and fingerprint, so a decision follows a finding from one assessment to
the next. An accepted risk whose expiry has passed counts as open again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    and_,
    any_,
    bindparam,
    case,
    delete,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from secloop.server.accounts import Accounts, now
from secloop.server.cache import Version, VersionedCache, data_version
from secloop.store.engine import WRITE
from secloop.store.models import AssessmentRow, FindingRow, RepositoryRow, TriageRow

TRIAGE_STATES = ("accepted-risk", "false-positive", "fixed")
FINDING_STATUSES = ("open", "suppressed", "baseline", *TRIAGE_STATES)
SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


class NotFound(Exception):
    pass


@dataclass(frozen=True)
class Triage:
    state: str
    reason: str
    expires: date | None
    actor: str
    updated_at: datetime


@dataclass(frozen=True)
class FindingView:
    id: int
    repository_id: int
    repository: str
    assessment_id: int
    practice_id: str
    rule_id: str
    fingerprint: str
    severity: str
    path: str | None
    line: int | None
    active: bool
    suppressed: bool
    status: str
    triage: Triage | None


@dataclass(frozen=True)
class FindingFilter:
    rule: str | None = None
    severity: str | None = None
    repository: int | None = None
    status: str | None = None
    limit: int = 100
    offset: int = 0


def latest_assessments() -> Any:
    """(id, repository_id) of each repository's newest assessment, by (as_of, recorded_at, id)."""
    rank = (
        func.row_number()
        .over(
            partition_by=AssessmentRow.repository_id,
            order_by=(AssessmentRow.as_of.desc(), AssessmentRow.recorded_at.desc(), AssessmentRow.id.desc()),
        )
        .label("rank")
    )
    ranked = select(AssessmentRow.id.label("id"), AssessmentRow.repository_id.label("repository_id"), rank)
    inner = ranked.subquery("ranked")
    return select(inner.c.id, inner.c.repository_id).where(inner.c.rank == 1).subquery("latest")


def status_expression(today: date) -> ColumnElement[str]:
    triaged = and_(
        TriageRow.state.is_not(None),
        or_(TriageRow.state != "accepted-risk", TriageRow.expires.is_(None), TriageRow.expires >= today),
    )
    return case(
        (triaged, TriageRow.state),
        (FindingRow.suppressed, "suppressed"),
        (not_(FindingRow.active), "baseline"),
        else_="open",
    )


def status_of(finding: FindingRow | Row[Any], triage: Triage | None, today: date) -> str:
    """The same decision as status_expression, for rows already read (objects or plain rows)."""
    if triage is not None and (
        triage.state != "accepted-risk" or triage.expires is None or triage.expires >= today
    ):
        return triage.state
    if finding.suppressed:
        return "suppressed"
    return "open" if finding.active else "baseline"


def _severities(counts: dict[str, int]) -> list[str]:
    known = sorted((s for s in counts if s in SEVERITY_RANK), key=lambda s: -SEVERITY_RANK[s])
    return known + sorted(s for s in counts if s not in SEVERITY_RANK)


class Findings:
    def __init__(self, engine: Engine, accounts: Accounts) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE: True})
        self._accounts = accounts
        self._cache = VersionedCache()

    def _latest(self, session: Session, version: Version) -> list[tuple[int, int, str]]:
        """(assessment id, repository id, repository name) of every repository's latest assessment."""

        def read() -> list[tuple[int, int, str]]:
            latest = latest_assessments()
            query = select(latest.c.id, latest.c.repository_id, RepositoryRow.name).join(
                RepositoryRow, RepositoryRow.id == latest.c.repository_id
            )
            return [(int(a), int(r), str(n)) for a, r, n in session.execute(query)]

        return self._cache.get(("latest", version[0]), read)

    def findings(self, wanted: FindingFilter, today: date) -> tuple[int, list[FindingView]]:
        _, total, items = self.page(wanted, today)
        return total, items

    def page(
        self, wanted: FindingFilter, today: date, *, reader: Session | None = None
    ) -> tuple[Version, int, list[FindingView]]:
        """The version the page was read at (for the page's other parts), the total and the page.

        `reader` is the page's own read session, if it has one (saving a connection's round trips)."""
        if reader is None:
            with Session(self._engine) as session:
                return self._page(session, wanted, today)
        return self._page(reader, wanted, today)

    def _page(
        self, session: Session, wanted: FindingFilter, today: date
    ) -> tuple[Version, int, list[FindingView]]:
        version = data_version(session)
        latest = [
            item
            for item in self._latest(session, version)
            if wanted.repository is None or item[1] == wanted.repository
        ]
        if not latest:
            return version, 0, []
        repository_of = {a: (r, n) for a, r, n in latest}
        conditions: list[ColumnElement[bool]] = [self._among(FindingRow.assessment_id, sorted(repository_of))]
        if wanted.rule:
            conditions.append(FindingRow.rule_id == wanted.rule)
        if wanted.severity:
            conditions.append(FindingRow.severity == wanted.severity)
        if wanted.status:
            conditions.append(status_expression(today) == wanted.status)

        def joined(*columns: Any, triage: bool = True) -> Any:
            query = select(*columns)
            if triage:
                query = query.join(AssessmentRow, AssessmentRow.id == FindingRow.assessment_id).outerjoin(
                    TriageRow,
                    and_(
                        TriageRow.repository_id == AssessmentRow.repository_id,
                        TriageRow.fingerprint == FindingRow.fingerprint,
                    ),
                )
            return query.where(*conditions)

        def count() -> dict[str, int]:
            query = joined(FindingRow.severity, func.count(), triage=wanted.status is not None)
            query = query.group_by(FindingRow.severity)
            return {str(s): int(n) for s, n in session.execute(query)}

        # Triage changes only the counts filtered by status; the rest hold until an assessment lands.
        moved = version if wanted.status is not None else version[0]
        key = ("count", moved, wanted.rule, wanted.severity, wanted.repository, wanted.status, today)
        counts = self._cache.get(key, count)
        skip, room = wanted.offset, wanted.limit
        rows: list[Row[Any]] = []
        for severity in _severities(counts):
            if room <= 0:
                break
            if skip >= counts[severity]:
                skip -= counts[severity]
                continue
            # Without a status filter the triage join is left out: the newest-first walk of the
            # primary key then stops after the page's rows instead of joining all of them.
            page = (
                joined(*FindingRow.__table__.columns, triage=wanted.status is not None)
                .where(FindingRow.severity == severity)
                .order_by(FindingRow.id.desc())
                .offset(skip)
                .limit(room)
            )
            # Plain rows, not ORM objects: nothing is written back, and fifty objects cost more.
            rows.extend(session.execute(page))
            room = wanted.limit - len(rows)
            skip = 0
        # No triage row existed at this version: nothing to look up.
        triaged = (
            self._triage_of(session, [(repository_of[f.assessment_id][0], f.fingerprint) for f in rows])
            if version[1]
            else {}
        )
        items = []
        for f in rows:
            repo_id, repo_name = repository_of[f.assessment_id]
            t = triaged.get((repo_id, f.fingerprint))
            items.append(
                FindingView(
                    id=f.id,
                    repository_id=repo_id,
                    repository=repo_name,
                    assessment_id=f.assessment_id,
                    practice_id=f.practice_id,
                    rule_id=f.rule_id,
                    fingerprint=f.fingerprint,
                    severity=f.severity,
                    path=f.path,
                    line=f.line,
                    active=f.active,
                    suppressed=f.suppressed,
                    status=status_of(f, t, today),
                    triage=t,
                )
            )
        return version, sum(counts.values()), items

    def _among(self, column: Any, ids: list[int]) -> ColumnElement[bool]:
        """`column IN ids`; on PostgreSQL one array parameter rather than one per id, which keeps the
        statement short enough for psycopg to cache its parsing (a hundred ids cost a millisecond)."""
        if self._engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY

            return column == any_(bindparam("ids", ids, type_=ARRAY(Integer), unique=True))  # type: ignore[no-any-return]
        return column.in_(ids)  # type: ignore[no-any-return]

    def _triage_of(self, session: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], Triage]:
        if not keys:
            return {}
        query = select(TriageRow).where(
            TriageRow.repository_id.in_({r for r, _ in keys}), TriageRow.fingerprint.in_({f for _, f in keys})
        )
        wanted = set(keys)
        return {
            (t.repository_id, t.fingerprint): Triage(t.state, t.reason, t.expires, t.actor, t.updated_at)
            for t in session.scalars(query)
            if (t.repository_id, t.fingerprint) in wanted
        }

    def rules(self, *, version: Version | None = None) -> list[str]:
        """The rule ids found in the latest assessments (for the filter)."""
        if version is None:
            with Session(self._engine) as session:
                version = data_version(session)
        at = version

        def read() -> list[str]:
            with Session(self._engine) as session:
                ids = sorted(a for a, _, _ in self._latest(session, at))
                if not ids:
                    return []
                query = select(FindingRow.rule_id).where(FindingRow.assessment_id.in_(ids)).distinct()
                return sorted(session.scalars(query))

        return self._cache.get(("rules", at[0]), read)

    def set_triage(
        self,
        repository_id: int,
        fingerprint: str,
        state: str,
        reason: str,
        expires: date | None,
        *,
        actor: str,
        client: str | None,
    ) -> Triage | None:
        """Record a triage decision ("open" clears it), audit-logged in the same transaction.

        Raises NotFound when the repository's latest assessment has no finding with that fingerprint.
        """
        latest = latest_assessments()
        with Session(self._writer) as session, session.begin():
            known = session.scalar(
                select(func.count())
                .select_from(FindingRow)
                .join(latest, latest.c.id == FindingRow.assessment_id)
                .where(latest.c.repository_id == repository_id, FindingRow.fingerprint == fingerprint)
            )
            if not known:
                raise NotFound(f"repository {repository_id} has no current finding {fingerprint!r}")
            mine = and_(TriageRow.repository_id == repository_id, TriageRow.fingerprint == fingerprint)
            before = session.scalars(select(TriageRow).where(mine)).one_or_none()
            detail: dict[str, object] = {
                "repository_id": repository_id,
                "state": state,
                "previous": None if before is None else before.state,
                "reason": reason,
                "expires": expires.isoformat() if expires else None,
            }
            result: Triage | None = None
            moment = now()
            values = {
                "state": state,
                "reason": reason,
                "expires": expires,
                "actor": actor,
                "updated_at": moment,
            }
            if state == "open":
                session.execute(delete(TriageRow).where(mine))
            elif before is None:
                session.execute(
                    insert(TriageRow).values(repository_id=repository_id, fingerprint=fingerprint, **values)
                )
                result = Triage(state, reason, expires, actor, moment)
            else:
                session.execute(update(TriageRow).where(TriageRow.id == before.id).values(**values))
                result = Triage(state, reason, expires, actor, moment)
            self._accounts.audit(actor, "triage.set", "success", fingerprint, detail, client, session=session)
            return result
