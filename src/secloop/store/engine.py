"""Connecting to the store: URL checks, per-dialect engine set-up, error wrapping and migrations."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, column, create_engine, event, inspect, select, table, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError, SQLAlchemyError

from secloop.core.errors import StoreError, UsageError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# Our own version table, so secloop can share a PostgreSQL database with other Alembic users.
VERSION_TABLE = "secloop_alembic_version"
# The newest revision under migrations/versions (a test keeps the two equal). Knowing it here lets an
# up-to-date store open without importing Alembic, which costs a third of a second per command.
HEAD = "0005"
# Any fixed 64-bit key; every secloop process migrating the same database contends on it.
MIGRATION_LOCK_KEY = 0x5EC1_0005_70E0_0001
# Connections opened with this execution option take SQLite's write lock when they begin.
WRITE = "secloop_write"
SUPPORTED = ("sqlite", "postgresql")
# alembic.context and alembic.op are process-wide proxies: one migration at a time per process.
_ALEMBIC_LOCK = threading.Lock()
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*")
URL_HINT = "pass --db or set SECLOOP_DB, e.g. sqlite:////path/secloop.db or postgresql+psycopg://user@host/db"


def mask(url: URL) -> str:
    """The URL as it may be shown to a user: passwords, also in the query string, replaced by ***."""
    return _QUERY_PASSWORD.sub(r"\1***", url.render_as_string(hide_password=True))


def parse_url(raw: str) -> URL:
    try:
        url = make_url(raw)
    except ArgumentError:
        # The raw text may carry a password: never echo it, name only its scheme.
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        said = f" (scheme {scheme!r})" if scheme else " (it has no dialect:// scheme)"
        raise UsageError(f"the database URL is not valid{said}", hint=URL_HINT) from None
    if url.get_backend_name() not in SUPPORTED:
        raise UsageError(
            f"unsupported database {url.get_backend_name()!r} in {mask(url)}",
            hint=f"secloop stores to SQLite or PostgreSQL; {URL_HINT}",
        )
    return url


def _sqlite_events(engine: Engine) -> None:
    # pysqlite runs DDL outside any transaction and begins lazily; take control of BEGIN so a
    # migration or a save is one real transaction (see SQLAlchemy's pysqlite "serializable" notes).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = bool(conn.get_execution_options().get(WRITE))
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def build_engine(url: URL) -> Engine:
    try:
        if url.get_backend_name() == "sqlite":
            engine = create_engine(url)
            _sqlite_events(engine)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except ImportError as exc:
        raise UsageError(
            f"the database driver for {mask(url)} is not installed ({exc.name or exc})",
            hint="for PostgreSQL install secloop[postgres] and use postgresql+psycopg://",
        ) from None
    except ArgumentError as exc:
        raise UsageError(f"invalid database URL {mask(url)}: {exc}", hint=URL_HINT) from None


def _first_line(exc: BaseException) -> str:
    # DBAPIError's own text carries the SQL and its parameters (a whole document); the driver's does not.
    source = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    lines = str(source).strip().splitlines()
    return lines[0] if lines else type(source).__name__


@contextmanager
def wrapped(url: URL, action: str) -> Iterator[None]:
    """Turn driver failures into a StoreError naming the (masked) URL and a hint."""
    try:
        yield
    except IntegrityError as exc:
        raise StoreError(
            f"could not {action} at {mask(url)}: {_first_line(exc)}",
            hint="nothing was written; the assessment breaks a database constraint (duplicate practice ids?)",
        ) from exc
    except OperationalError as exc:
        raise StoreError(
            f"could not {action} at {mask(url)}: {_first_line(exc)}",
            hint="check the database is reachable and writable and the URL (--db or SECLOOP_DB) is right",
        ) from exc
    except SQLAlchemyError as exc:
        raise StoreError(
            f"could not {action} at {mask(url)}: {_first_line(exc)}",
            hint="check the database URL (--db or SECLOOP_DB) and the server's log",
        ) from exc


def alembic_config(connection: Connection) -> Config:
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolates '%'; a package path containing one must be escaped.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def current_revisions(conn: Connection) -> set[str]:
    if not inspect(conn).has_table(VERSION_TABLE):
        return set()
    version = table(VERSION_TABLE, column("version_num"))
    return set(conn.execute(select(version.c.version_num)).scalars())


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision, one starter at a time.

    PostgreSQL: a transaction-scoped advisory lock serialises concurrent starters, and the DDL is
    transactional. SQLite: BEGIN IMMEDIATE takes the write lock before anything is read. An
    up-to-date database is only read, so a read-only store can still show history.
    """
    with wrapped(engine.url, "open the database"):
        with engine.connect() as conn:
            if current_revisions(conn) == {HEAD}:
                return
        from alembic import command
        from alembic.util.exc import CommandError

        with _ALEMBIC_LOCK, engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                command.upgrade(alembic_config(conn), "head")
            except CommandError as exc:
                raise StoreError(
                    f"could not open the database at {mask(engine.url)}: {_first_line(exc)}",
                    hint="it may have been written by a newer secloop; upgrade secloop or use another --db",
                ) from exc
