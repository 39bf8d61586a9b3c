"""Opening a store migrates it: the schema, the version table and errors on the way there."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from secloop.core.errors import EXIT_INTERNAL, EXIT_USAGE, StoreError, UsageError
from secloop.store import default_url, open_store
from secloop.store.engine import HEAD, VERSION_TABLE, mask
from secloop.store.models import Base

SERVER_TABLES = {
    "api_tokens",
    "audit_log",
    "delivery_events",
    "finding_triage",
    "flag_toggles",
    "scan_jobs",
    "sessions",
    "users",
    "webhook_deliveries",
}

COLUMNS = {
    "repositories": ["id", "root", "name"],
    "assessments": [
        "id",
        "repository_id",
        "commit",
        "as_of",
        "recorded_at",
        "tool_version",
        "config_digest",
        "gate_passed",
        "document",
        "pass_count",
        "partial_count",
        "fail_count",
        "unknown_count",
        "not_applicable_count",
        "finding_count",
        "active_finding_count",
    ],
    "practice_results": ["id", "assessment_id", "practice_id", "stage", "status", "score", "summary"],
    "findings": [
        "id",
        "assessment_id",
        "practice_id",
        "rule_id",
        "fingerprint",
        "severity",
        "path",
        "line",
        "active",
        "suppressed",
    ],
}
INDEXES = {
    "repositories": set(),
    "assessments": {("ix_assessments_repository_as_of", ("repository_id", "as_of", "recorded_at", "id"))},
    "practice_results": {("ix_practice_results_practice", ("practice_id", "assessment_id"))},
    "findings": {
        ("ix_findings_assessment_severity", ("assessment_id", "severity")),
        ("ix_findings_fingerprint", ("fingerprint", "assessment_id")),
        ("ix_findings_rule", ("rule_id", "assessment_id")),
    },
}


def test_open_creates_every_table_column_and_index(any_url: str) -> None:
    open_store(any_url).close()
    engine = create_engine(any_url)
    try:
        inspector = inspect(engine)
        # 0001 is the assessment store; later revisions add the server's tables beside it.
        assert set(inspector.get_table_names()) == {*COLUMNS, *SERVER_TABLES, VERSION_TABLE}
        for table, columns in COLUMNS.items():
            assert [c["name"] for c in inspector.get_columns(table)] == columns
            indexes = {
                (ix["name"], tuple(ix["column_names"]))
                for ix in inspector.get_indexes(table)
                if "duplicates_constraint" not in ix  # PostgreSQL lists a unique constraint's own index
            }
            assert indexes == INDEXES[table]
        assert [u["column_names"] for u in inspector.get_unique_constraints("practice_results")] == [
            ["assessment_id", "practice_id"]
        ]
        assert [u["column_names"] for u in inspector.get_unique_constraints("repositories")] == [["root"]]
        with engine.connect() as conn:
            assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all() == [HEAD]  # noqa: S608
            # The migration and the typed models describe the same schema.
            assert (
                compare_metadata(
                    MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE}), Base.metadata
                )
                == []
            )
    finally:
        engine.dispose()


def test_reopening_an_up_to_date_store_keeps_its_data(sqlite_url: str) -> None:
    from tests.store.conftest import assessment

    with open_store(sqlite_url) as store:
        saved = store.save(assessment(()), "{}", "/r")
    with open_store(sqlite_url) as store:
        assert [e.id for e in store.history("/r").entries] == [saved]


def test_two_threads_opening_a_fresh_sqlite_file_both_succeed(sqlite_url: str) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def opener() -> None:
        barrier.wait()
        try:
            open_store(sqlite_url).close()
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=opener) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    engine = create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all() == [HEAD]  # noqa: S608
    engine.dispose()


def test_default_url_is_a_sqlite_file_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data" / "secloop"
    monkeypatch.setattr("platformdirs.user_data_dir", lambda appname: str(tmp_path / "data" / appname))
    assert not data.exists()
    assert default_url() == f"sqlite:///{data}/secloop.db"
    assert data.is_dir()
    open_store(None).close()
    assert (data / "secloop.db").is_file()


def test_an_unwritable_data_dir_is_a_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr("platformdirs.user_data_dir", lambda appname: str(blocker / appname))
    with pytest.raises(StoreError) as info:
        default_url()
    assert info.value.message == f"cannot create the data directory {blocker}/secloop: Not a directory"
    assert info.value.hint == "pass --db or set SECLOOP_DB to a database URL you can write to"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "mysql://scott:tiger@db.example/secloop",
            "unsupported database 'mysql' in mysql://scott:***@db.example/secloop",
        ),
        ("not a url", "the database URL is not valid (it has no dialect:// scheme)"),
        (
            "postgresql+nosuchdriver://scott:tiger@h/db",
            "invalid database URL postgresql+nosuchdriver://scott:***@h/db",
        ),
        (
            "postgresql+psycopg2://scott:tiger@h/db",
            "the database driver for postgresql+psycopg2://scott:***@h/db",
        ),
    ],
)
def test_a_url_that_is_no_supported_database_is_a_usage_error(url: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        open_store(url)
    assert info.value.exit_code == EXIT_USAGE
    assert info.value.message.startswith(message)
    assert "tiger" not in info.value.render()
    assert info.value.hint is not None


def test_an_unreachable_server_is_a_store_error_with_the_password_masked() -> None:
    with pytest.raises(StoreError) as info:
        open_store("postgresql+psycopg://scott:tiger@127.0.0.1:1/secloop?connect_timeout=2")
    rendered = info.value.render()
    assert info.value.exit_code == EXIT_INTERNAL
    shown = "postgresql+psycopg://scott:***@127.0.0.1:1/secloop?connect_timeout=2"
    assert rendered.startswith(f"error: could not open the database at {shown}: ")
    assert "tiger" not in rendered
    assert rendered.endswith(
        "hint: check the database is reachable and writable and the URL (--db or SECLOOP_DB) is right"
    )


def test_a_sqlite_file_in_a_missing_directory_is_a_store_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing/store.db"
    with pytest.raises(StoreError) as info:
        open_store(url)
    assert info.value.message == f"could not open the database at {url}: unable to open database file"


def test_a_database_from_a_newer_secloop_is_refused_with_a_hint(sqlite_url: str) -> None:
    open_store(sqlite_url).close()
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '0099'"))  # noqa: S608
    engine.dispose()
    with pytest.raises(StoreError) as info:
        open_store(sqlite_url)
    assert info.value.message == (
        f"could not open the database at {sqlite_url}: Can't locate revision identified by '0099'"
    )
    assert info.value.hint == (
        "it may have been written by a newer secloop; upgrade secloop or use another --db"
    )


def test_mask_hides_passwords_in_the_authority_and_the_query() -> None:
    assert mask(make_url("postgresql+psycopg://u:pw@h:5/d?password=pw2&sslmode=require")) == (
        "postgresql+psycopg://u:***@h:5/d?password=***&sslmode=require"
    )
    assert mask(make_url("sqlite:////tmp/x.db")) == "sqlite:////tmp/x.db"


def test_head_constant_is_the_newest_migration() -> None:
    from alembic.script import ScriptDirectory

    from secloop.store.engine import HEAD, MIGRATIONS, alembic_config

    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        script = ScriptDirectory.from_config(alembic_config(conn))
    engine.dispose()
    assert script.dir == str(MIGRATIONS)
    assert script.get_heads() == [HEAD]


def test_0004_adds_its_columns_to_a_0003_store_keeping_rows_and_downgrades(sqlite_url: str) -> None:
    from alembic import command

    from secloop.store.engine import alembic_config, migrate

    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
        conn.execute(
            text(
                "INSERT INTO users (username, password_hash, is_admin, created_at, failed_logons) "
                "VALUES ('ann', 'x', 0, '2025-01-01 00:00:00', 0)"
            )
        )
    migrate(engine)
    inspector = inspect(engine)
    assert "disabled_at" in [c["name"] for c in inspector.get_columns("users")]
    assert [c["name"] for c in inspector.get_columns("sessions")][-1] == "last_seen_at"
    assert [c["name"] for c in inspector.get_columns("scan_jobs")][-1] == "duration_seconds"
    with engine.begin() as conn:
        assert conn.execute(text("SELECT username, disabled_at FROM users")).all() == [("ann", None)]
        command.downgrade(alembic_config(conn), "0003")
    assert "disabled_at" not in [c["name"] for c in inspect(engine).get_columns("users")]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT username FROM users")).scalars().all() == ["ann"]
    engine.dispose()


def test_0005_replaces_the_findings_index_adds_the_triage_one_and_downgrades(any_url: str) -> None:
    from alembic import command

    from secloop.store.engine import alembic_config, migrate

    def indexes(table: str) -> set[tuple[str, tuple[str, ...]]]:
        return {
            (str(ix["name"]), tuple(str(c) for c in ix["column_names"]))
            for ix in inspect(engine).get_indexes(table)
            if "duplicates_constraint" not in ix
        }

    engine = create_engine(any_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
        conn.execute(text("INSERT INTO repositories (root, name) VALUES ('/r', 'r')"))
    assert ("ix_findings_assessment", ("assessment_id",)) in indexes("findings")
    migrate(engine)
    assert indexes("findings") == INDEXES["findings"]
    assert indexes("finding_triage") == {("ix_finding_triage_updated_at", ("updated_at",))}
    with engine.begin() as conn:
        assert conn.execute(text("SELECT name FROM repositories")).scalars().all() == ["r"]
        command.downgrade(alembic_config(conn), "0004")
    assert indexes("finding_triage") == set()
    assert indexes("findings") == {
        ("ix_findings_assessment", ("assessment_id",)),
        ("ix_findings_fingerprint", ("fingerprint", "assessment_id")),
        ("ix_findings_rule", ("rule_id", "assessment_id")),
    }
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all() == ["0004"]  # noqa: S608
    engine.dispose()
