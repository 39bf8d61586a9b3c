"""/metrics (per-app registry, route templates as labels) and the server's tables (migration 0002)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from secloop.store.engine import HEAD, VERSION_TABLE
from secloop.store.models import Base
from tests.server.conftest import Server

SERVER_TABLES = {
    "users": [
        "id",
        "username",
        "password_hash",
        "is_admin",
        "created_at",
        "failed_logons",
        "locked_until",
        "last_logon_at",
        "disabled_at",
    ],
    "api_tokens": [
        "id",
        "name",
        "prefix",
        "token_hash",
        "scopes",
        "user_id",
        "created_at",
        "expires_at",
        "revoked_at",
    ],
    "sessions": ["id", "user_id", "csrf_token", "created_at", "expires_at", "last_seen_at"],
    "audit_log": ["id", "at", "actor", "action", "outcome", "target", "detail", "client"],
    "finding_triage": [
        "id",
        "repository_id",
        "fingerprint",
        "state",
        "reason",
        "expires",
        "actor",
        "updated_at",
    ],
    "delivery_events": [
        "id",
        "repository",
        "kind",
        "occurred_at",
        "record",
        "source",
        "external_id",
        "received_at",
    ],
    "webhook_deliveries": ["id", "provider", "delivery_id", "event", "received_at"],
    "scan_jobs": [
        "id",
        "root",
        "commit",
        "status",
        "task_id",
        "attempts",
        "assessment_id",
        "error",
        "created_at",
        "updated_at",
        "duration_seconds",
    ],
}


def test_metrics_count_requests_by_route_template(server: Server) -> None:
    for path in ("/api/v1/repositories/1", "/api/v1/repositories/2", "/no/such/page"):
        server.client.get(path, headers=server.auth("read"))
    response = server.client.get("/metrics", headers=server.auth("read"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    body = response.text
    route = 'route="/api/v1/repositories/{repository_id}"'
    assert f'secloop_http_requests_total{{method="GET",{route},status="404"}} 2.0' in body
    assert 'secloop_http_requests_total{method="GET",route="<unmatched>",status="404"} 1.0' in body
    assert f'secloop_http_request_duration_seconds_count{{method="GET",{route}}} 2.0' in body
    assert "/api/v1/repositories/1" not in body.replace("{repository_id}", "")


def test_two_apps_in_one_process_keep_their_own_counts(server: Server, tmp_path: object) -> None:
    from tests.server.conftest import start

    for other in start(f"sqlite:///{tmp_path}/other.db"):
        other.client.get("/healthz")
        other.client.get("/healthz")
        assert other.state.metrics.requests.labels("GET", "/healthz", "200")._value.get() == 2.0
    assert server.state.metrics.requests.labels("GET", "/healthz", "200")._value.get() == 0.0


def test_migration_0002_creates_the_server_tables_as_the_models_describe(any_server: Server) -> None:
    engine = any_server.state.engine
    inspector = inspect(engine)
    for table, columns in SERVER_TABLES.items():
        assert [c["name"] for c in inspector.get_columns(table)] == columns
    assert [u["column_names"] for u in inspector.get_unique_constraints("webhook_deliveries")] == [
        ["provider", "delivery_id"]
    ]
    assert [u["column_names"] for u in inspector.get_unique_constraints("finding_triage")] == [
        ["repository_id", "fingerprint"]
    ]
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all() == [HEAD]  # noqa: S608
        context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []
    # 0003 added flag_toggles, 0004 disabled_at, last_seen_at, duration_seconds, 0005 two indices
    assert HEAD == "0005"
