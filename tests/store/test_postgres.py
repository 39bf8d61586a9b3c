"""PostgreSQL only: concurrent starters migrate a fresh schema once, serialised by the advisory lock."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, text

from secloop.core.enums import Status
from secloop.store import open_store
from secloop.store.engine import HEAD, MIGRATION_LOCK_KEY, VERSION_TABLE
from tests.store.conftest import assessment, practice, schema_of

pytestmark = pytest.mark.postgres
TABLES = sorted(
    [
        "api_tokens",
        "assessments",
        "audit_log",
        "delivery_events",
        "finding_triage",
        "findings",
        "flag_toggles",
        "practice_results",
        "repositories",
        "scan_jobs",
        "sessions",
        "users",
        "webhook_deliveries",
        VERSION_TABLE,
    ]
)


def tables_in(pg_admin: str, schema: str) -> list[str]:
    with psycopg.connect(pg_admin) as conn:
        found = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1", (schema,)
        ).fetchall()
    return [row[0] for row in found]


def versions(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())  # noqa: S608
    finally:
        engine.dispose()


def waiting_for_lock(pg_admin: str) -> int:
    """Sessions waiting for the migration lock (bigint keys show as classid = high, objid = low half)."""
    with psycopg.connect(pg_admin) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND classid::bigint = %s AND objid::bigint = %s AND objsubid = 1",
            (MIGRATION_LOCK_KEY >> 32, MIGRATION_LOCK_KEY & 0xFFFFFFFF),
        ).fetchone()
    return int(row[0]) if row else 0


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def test_two_threads_opening_the_same_fresh_schema_both_succeed(
    pg_url: Callable[[], str], pg_admin: str
) -> None:
    url = pg_url()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    saved: list[int] = []

    def opener(n: int) -> None:
        barrier.wait()
        try:
            with open_store(url) as store:
                saved.append(store.save(assessment((practice("code.secrets", Status.PASS),)), "{}", f"/r{n}"))
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=opener, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(saved) == [1, 2]
    assert tables_in(pg_admin, schema_of(url)) == TABLES
    assert versions(url) == [HEAD]


def test_migration_waits_for_the_advisory_lock(pg_url: Callable[[], str], pg_admin: str) -> None:
    url = pg_url()
    schema = schema_of(url)
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            open_store(url).close()
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    with psycopg.connect(pg_admin, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        thread = threading.Thread(target=opener)
        thread.start()
        wait_until(lambda: waiting_for_lock(pg_admin) >= 1)
        assert thread.is_alive()
        assert tables_in(pg_admin, schema) == []
        holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert errors == []
    assert tables_in(pg_admin, schema) == TABLES


def test_concurrent_processes_migrate_a_fresh_schema_once(pg_url: Callable[[], str], pg_admin: str) -> None:
    url = pg_url()
    script = (
        "import sys; from secloop.store import open_store; open_store(sys.argv[1]).close(); print('opened')"
    )
    with psycopg.connect(pg_admin, autocommit=True) as holder:
        # Hold the lock so all three starters are inside open_store, racing, when it is released.
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            for _ in range(3)
        ]
        try:
            wait_until(lambda: waiting_for_lock(pg_admin) >= 3, timeout=60)
        finally:
            holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK_KEY,))
        outcomes = [(p.wait(timeout=60), *p.communicate()) for p in procs]
    assert outcomes == [(0, b"opened\n", b"")] * 3
    assert tables_in(pg_admin, schema_of(url)) == TABLES
    assert versions(url) == [HEAD]


def test_the_store_stays_inside_its_schema(pg_url: Callable[[], str], pg_admin: str) -> None:
    one, two = pg_url(), pg_url()
    with open_store(one) as store:
        store.save(assessment(()), "{}", "/r")
    with open_store(two) as store:
        assert store.history("/r").entries == ()
    engine = create_engine(one)
    assert inspect(engine).default_schema_name == schema_of(one)
    engine.dispose()
