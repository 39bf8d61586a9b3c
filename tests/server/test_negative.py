"""Every endpoint refuses what it must: no credentials 401, too weak a scope 403, oversized or malformed
bodies 4xx, never a stack trace. A route missing from the tables below fails the coverage test."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from secloop.server.crypto import Scope
from secloop.store.models import ApiTokenRow
from tests.server.conftest import NOW, Server, loop_results, make_secret, start

TRIAGE = {"repository_id": 1, "fingerprint": "fp-x", "state": "fixed", "reason": "done"}
USER = {"username": "nobody", "password": "x" * 20}
EVENT = {"repository": "a/b", "event": {"type": "deployment", "sha": "abcd", "time": "2025-01-01T00:00:00Z"}}
# (method, path, JSON body, scope needed)
API: list[tuple[str, str, object, Scope]] = [
    ("GET", "/api/v1/repositories", None, Scope.READ),
    ("GET", "/api/v1/repositories/1", None, Scope.READ),
    ("GET", "/api/v1/assessments", None, Scope.READ),
    ("GET", "/api/v1/assessments/1", None, Scope.READ),
    ("GET", "/api/v1/findings", None, Scope.READ),
    ("POST", "/api/v1/triage", TRIAGE, Scope.WRITE),
    ("POST", "/api/v1/events", EVENT, Scope.WRITE),
    ("GET", "/api/v1/events", None, Scope.READ),
    ("GET", "/api/v1/audit", None, Scope.ADMIN),
    ("GET", "/metrics", None, Scope.READ),
    ("GET", "/api/v1/users", None, Scope.ADMIN),
    ("POST", "/api/v1/users", USER, Scope.ADMIN),
    ("POST", "/api/v1/users/1/disable", None, Scope.ADMIN),
    ("GET", "/api/v1/tokens", None, Scope.ADMIN),
    ("POST", "/api/v1/tokens/0123456789ab/revoke", None, Scope.ADMIN),
    ("GET", "/api/v1/dora", None, Scope.READ),
]
DASHBOARD = [
    ("GET", "/"),
    ("GET", "/repositories/1"),
    ("GET", "/findings"),
    ("GET", "/audit"),
    ("POST", "/findings/triage"),
    ("POST", "/logout"),
    ("GET", "/dora"),
    ("GET", "/admin"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/1/disable"),
    ("POST", "/admin/tokens/0123456789ab/revoke"),
]
WEBHOOKS = [
    ("POST", "/webhooks/github"),
    ("POST", "/webhooks/alertmanager"),
    ("POST", "/webhooks/gitlab"),
    ("POST", "/webhooks/pagerduty"),
]
# Paths tested with a value, as the route templates they stand for.
TEMPLATES = {
    "/api/v1/repositories/1": "/api/v1/repositories/{repository_id}",
    "/repositories/1": "/repositories/{repository_id}",
    "/api/v1/assessments/1": "/api/v1/assessments/{assessment_id}",
    "/api/v1/users/1/disable": "/api/v1/users/{user_id}/disable",
    "/api/v1/tokens/0123456789ab/revoke": "/api/v1/tokens/{prefix}/revoke",
    "/admin/users/1/disable": "/admin/users/{user_id}/disable",
    "/admin/tokens/0123456789ab/revoke": "/admin/tokens/{prefix}/revoke",
}
PUBLIC = [("GET", "/login"), ("POST", "/login"), ("GET", "/healthz"), ("GET", "/api/v1/openapi.json")]
BIG = b"{" + b" " * (1024 * 1024) + b"}"


def test_every_route_is_in_a_table_of_this_file(server: Server) -> None:
    from fastapi.routing import APIRoute

    schema = server.client.get("/api/v1/openapi.json").json()
    routes = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    routes.add(("GET", "/api/v1/openapi.json"))
    for route in server.client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and not route.include_in_schema:
            routes |= {(method, route.path) for method in route.methods or ()}
    # Path parameters are tested with a value; compare on the templates.
    tested = {(m, p) for m, p, _, _ in API} | set(DASHBOARD) | set(WEBHOOKS) | set(PUBLIC)
    assert routes == {(m, TEMPLATES.get(p, p)) for m, p in tested}


@pytest.mark.parametrize(("method", "path", "body", "scope"), API)
def test_no_credentials_is_401_with_a_bearer_challenge(
    server: Server, method: str, path: str, body: object, scope: Scope
) -> None:
    response = server.client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"detail": "an API token is required (Authorization: Bearer …)"}


@pytest.mark.parametrize(("method", "path", "body", "scope"), API)
@pytest.mark.parametrize(
    "header",
    [
        "Bearer nonsense",
        "Bearer slp_0123456789ab_" + "x" * 43,  # shaped like a token, unknown prefix
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ],
)
def test_a_bad_token_is_401(
    server: Server, method: str, path: str, body: object, scope: Scope, header: str
) -> None:
    response = server.client.request(method, path, json=body, headers={"Authorization": header})
    assert response.status_code == 401
    assert "Traceback" not in response.text


@pytest.mark.parametrize(("method", "path", "body", "scope"), API)
def test_a_known_prefix_with_the_wrong_secret_is_401(
    server: Server, method: str, path: str, body: object, scope: Scope
) -> None:
    forged = server.tokens["admin"].rsplit("_", 1)[0] + "_" + make_secret(32)
    response = server.client.request(method, path, json=body, headers={"Authorization": f"Bearer {forged}"})
    assert (response.status_code, response.json()) == (401, {"detail": "the API token is not valid"})


@pytest.mark.parametrize(("method", "path", "body", "scope"), [a for a in API if a[3] is not Scope.READ])
def test_a_weaker_scope_is_403(server: Server, method: str, path: str, body: object, scope: Scope) -> None:
    weaker = [s for s in Scope if s.rank < scope.rank]
    for held in weaker:
        response = server.client.request(method, path, json=body, headers=server.auth(held.value))
        assert (response.status_code, response.json()) == (
            403,
            {"detail": f"this token lacks the '{scope.value}' scope"},
        )


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_revoked_and_expired_tokens_are_401(server: Server, how: str) -> None:
    token = server.tokens["admin"]
    assert server.client.get("/api/v1/repositories", headers=server.auth("admin")).status_code == 200
    prefix = token.split("_")[1]
    if how == "revoked":
        assert server.state.accounts.revoke_token(prefix, actor="test")
    else:
        with server.state.engine.begin() as conn:
            conn.execute(
                update(ApiTokenRow)
                .where(ApiTokenRow.prefix == prefix)
                .values(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1))
            )
    response = server.client.get("/api/v1/repositories", headers=server.auth("admin"))
    assert (response.status_code, response.json()) == (401, {"detail": "the API token is not valid"})
    metrics = server.client.get("/metrics", headers=server.auth("read")).text
    assert f'secloop_api_auth_failures_total{{reason="{how}"}} 1.0' in metrics


@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for m, p, _, s in API if m == "POST"] + WEBHOOKS + [("POST", "/login")]
)
def test_an_oversized_body_is_413_before_anything_else(server: Server, method: str, path: str) -> None:
    response = server.client.request(
        method, path, content=BIG, headers={**server.auth("admin"), "Content-Type": "application/json"}
    )
    assert (response.status_code, response.json()) == (413, {"detail": "request body too large"})


def test_an_oversized_body_without_a_length_is_cut_off_while_streaming(server: Server) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 65536

    response = server.client.post(
        "/api/v1/events",
        content=chunks(),
        headers={**server.auth("write"), "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()) == (413, {"detail": "request body too large"})


@pytest.mark.parametrize(
    ("method", "path", "body", "scope"), [a for a in API if a[0] == "POST" and a[2] is not None]
)
@pytest.mark.parametrize("payload", [b"{not json", b"[]", b'{"repository": 5}', b"\xff\xfe"])
def test_a_malformed_body_is_422_without_a_stack_trace(
    server: Server, method: str, path: str, body: object, scope: Scope, payload: bytes
) -> None:
    response = server.client.request(
        method, path, content=payload, headers={**server.auth("admin"), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert "Traceback" not in response.text and "File " not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/repositories/abc",
        "/api/v1/repositories/0",
        "/api/v1/repositories/99999999999999999999",
        "/api/v1/assessments/-1",
        "/api/v1/findings?severity=severe",
        "/api/v1/findings?status=closed",
        "/api/v1/findings?limit=0",
        "/api/v1/findings?limit=501",
        "/api/v1/findings?offset=-1",
        "/api/v1/events?kind=other",
    ],
)
def test_out_of_range_parameters_are_422(server: Server, path: str) -> None:
    response = server.client.get(path, headers=server.auth("admin"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][0] in ("path", "query")


@pytest.mark.parametrize(("method", "path"), DASHBOARD)
def test_dashboard_pages_without_a_session_are_401_with_the_logon_form(
    server: Server, method: str, path: str
) -> None:
    response = server.client.request(method, path, data={"csrf": "x"})
    assert response.status_code == 401
    assert '<form method="post" action="/login">' in response.text
    if method == "GET":
        assert f'name="next" value="{path}"' in response.text


@pytest.mark.parametrize(
    "cookie",
    ["garbage", "abc.def", make_secret(32) + ".AAAA"],
)
def test_a_forged_or_unknown_session_cookie_is_401(server: Server, cookie: str) -> None:
    server.client.cookies.set("secloop_session", cookie)
    assert server.client.get("/").status_code == 401
    known_signature_unknown_session = server.state.signer.sign("session", make_secret(32))
    server.client.cookies.set("secloop_session", known_signature_unknown_session)
    assert server.client.get("/").status_code == 401


def test_a_user_who_is_not_admin_gets_403_on_the_audit_trail(server: Server) -> None:
    server.user("bob")
    assert server.login("bob") == 303
    response = server.client.get("/audit")
    assert response.status_code == 403
    assert "the audit trail is for administrators" in response.text


@pytest.mark.parametrize("csrf", [None, "", "wrong"])
def test_dashboard_forms_without_the_csrf_token_are_403(server: Server, csrf: str | None) -> None:
    server.seed("/r/a", "alpha", as_of=NOW, commit="a" * 40, results=loop_results())
    server.user("bob")
    assert server.login("bob") == 303
    form = {"repository_id": "1", "fingerprint": "fp-dep-vuln", "state": "fixed", "reason": "done"}
    if csrf is not None:
        form["csrf"] = csrf
    triage = server.client.post("/findings/triage", data=form, follow_redirects=False)
    assert triage.status_code == 403
    assert "CSRF token is missing or wrong" in triage.text
    logout = server.client.post(
        "/logout", data={} if csrf is None else {"csrf": csrf}, follow_redirects=False
    )
    assert logout.status_code == 403
    assert server.state.accounts.audit_entries(action="triage.set") == []


def test_the_api_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    for server in start(f"sqlite:///{tmp_path / 's.db'}", api_rate_per_minute=3):
        codes = [server.client.get("/api/v1/repositories").status_code for _ in range(3)]
        limited = server.client.get("/api/v1/repositories", headers=server.auth("read"))
        assert codes == [401, 401, 401]
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert server.state.metrics.rate_limited.labels("api")._value.get() == 1.0
