"""Builders for hand-made assessments, and the databases the store is tested against.

PostgreSQL tests get a fresh schema (random name) per call of `pg_url`, reached by putting
`options=-csearch_path=<schema>` in the URL (SQLAlchemy hands URL query arguments to psycopg as
connect arguments); every schema is dropped when the test run ends.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from secloop.core.enums import BaselineState, Confidence, Severity, Stage, Status
from secloop.core.model import Assessment, Finding, GateOutcome, Location, PracticeResult, Suppression

PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_DATABASE = "test"
PG_USERS = ("postgres", "root")


def practice(
    practice_id: str,
    status: Status,
    score: int | None = None,
    summary: str | None = None,
    findings: tuple[Finding, ...] = (),
) -> PracticeResult:
    default_score = {Status.PASS: 100, Status.PARTIAL: 50}.get(status, 0)
    return PracticeResult(
        practice_id=practice_id,
        stage=Stage(practice_id.split(".", 1)[0]),
        status=status,
        score=default_score if score is None else score,
        summary=summary or f"{practice_id} is {status.value}",
        findings=findings,
    )


def finding(
    rule_id: str,
    path: str | None,
    line: int | None,
    severity: Severity = Severity.HIGH,
    *,
    suppressed: bool = False,
    baseline: BaselineState = BaselineState.NEW,
) -> Finding:
    return Finding(
        rule_id=rule_id,
        severity=severity,
        confidence=Confidence.HIGH,
        message=f"{rule_id} here",
        locations=() if path is None else (Location(path, line),),
        fingerprint=f"fp-{rule_id.lower()}",
        suppression=Suppression("inline", "accepted in review") if suppressed else None,
        baseline_state=baseline,
    )


def assessment(
    results: tuple[PracticeResult, ...],
    *,
    commit: str | None = "0123456789abcdef0123456789abcdef01234567",
    as_of: datetime = datetime(2025, 1, 10, 9, 30, tzinfo=UTC),
    target: str = "demo",
    gate: bool | None = True,
) -> Assessment:
    outcome = None if gate is None else GateOutcome(gate, Severity.HIGH, False, ())
    return Assessment(
        target=target,
        commit=commit,
        created_at=as_of,
        tool_version="0.1.0",
        config_digest="cafebabe00000000",
        results=results,
        gate=outcome,
    )


def document(a: Assessment) -> str:
    """A stand-in for the JSON v1 text: the store keeps whatever it is given, verbatim."""
    return f'{{"schema": "secloop.assessment/v1", "commit": "{a.commit}"}}\n'


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


def _admin_conninfo() -> str:
    import psycopg

    errors: list[str] = []
    for user in PG_USERS:
        conninfo = f"host={PG_HOST} port={PG_PORT} dbname={PG_DATABASE} user={user} connect_timeout=3"
        try:
            with psycopg.connect(conninfo):
                return conninfo
        except psycopg.OperationalError as exc:
            errors.append(f"{user}: {str(exc).strip().splitlines()[0]}")
    pytest.skip(f"PostgreSQL on {PG_HOST}:{PG_PORT}/{PG_DATABASE} is unreachable ({'; '.join(errors)})")


@pytest.fixture(scope="session")
def pg_admin() -> str:
    """A libpq conninfo for the test server (skips the test when the server cannot be reached)."""
    return _admin_conninfo()


@pytest.fixture(scope="session")
def pg_url(pg_admin: str) -> Iterator[Callable[[], str]]:
    """Factory: each call creates a fresh, empty schema and returns a store URL confined to it."""
    import psycopg

    user = pg_admin.split("user=", 1)[1].split()[0]
    created: list[str] = []

    def make() -> str:
        schema = f"secloop_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(pg_admin, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        created.append(schema)
        options = quote(f"-csearch_path={schema}")
        return f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{PG_DATABASE}?options={options}"

    yield make
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        for schema in created:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def schema_of(url: str) -> str:
    return url.rsplit("search_path%3D", 1)[1]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test against SQLite and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    factory: Callable[[], str] = request.getfixturevalue("pg_url")
    return factory()
