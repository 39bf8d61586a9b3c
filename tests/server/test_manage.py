"""Users and tokens managed over the API and the admin page, the idle session timeout, and the DORA page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from secloop.store.models import SessionRow
from tests.server.conftest import PASSWORD_CHARS, Server, make_secret, start

# -- users and tokens over the API ------------------------------------------------------------------


def test_an_admin_creates_lists_and_disables_users(any_server: Server) -> None:
    password = PASSWORD_CHARS + make_secret(6)
    created = any_server.client.post(
        "/api/v1/users",
        json={"username": "cleo", "password": password, "is_admin": False},
        headers=any_server.auth("admin"),
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["username"], body["is_admin"], body["disabled_at"], body["last_logon_at"]) == (
        "cleo",
        False,
        None,
        None,
    )
    again = any_server.client.post(
        "/api/v1/users", json={"username": "cleo", "password": password}, headers=any_server.auth("admin")
    )
    assert (again.status_code, again.json()) == (409, {"detail": "the user 'cleo' exists already"})
    listed = any_server.client.get("/api/v1/users", headers=any_server.auth("admin")).json()
    assert [u["username"] for u in listed] == ["cleo"]
    any_server.passwords["cleo"] = password
    assert any_server.login("cleo") == 303
    assert any_server.client.get("/").status_code == 200
    disabled = any_server.client.post(f"/api/v1/users/{body['id']}/disable", headers=any_server.auth("admin"))
    assert disabled.status_code == 200 and disabled.json()["disabled_at"] is not None
    assert any_server.client.get("/").status_code == 401  # the session ended
    assert any_server.login("cleo") == 401
    logons = any_server.state.accounts.audit_entries(action="logon")
    assert logons[0].detail == {"reason": "disabled"}
    (entry,) = any_server.state.accounts.audit_entries(action="user.disable")
    assert (entry.actor, entry.target) == ("token:admin-token", "cleo")
    missing = any_server.client.post("/api/v1/users/999/disable", headers=any_server.auth("admin"))
    assert (missing.status_code, missing.json()) == (404, {"detail": "no user 999"})


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"username": "-bad", "password": "x" * 20}, "username"),
        ({"username": "ok", "password": "short"}, "password"),
        ({"username": "ok", "password": "x" * 20, "role": "root"}, "role"),
    ],
)
def test_invalid_users_are_422(server: Server, body: dict[str, object], where: str) -> None:
    response = server.client.post("/api/v1/users", json=body, headers=server.auth("admin"))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", where]
    assert server.state.accounts.users() == []


def test_tokens_are_listed_without_secrets_and_revoked(server: Server) -> None:
    server.user("dan")
    listed = server.client.get("/api/v1/tokens", headers=server.auth("admin"))
    assert listed.status_code == 200
    tokens = listed.json()
    assert [(t["name"], t["scopes"], t["revoked_at"]) for t in tokens] == [
        ("admin-token", ["admin"], None),
        ("write-token", ["write"], None),
        ("read-token", ["read"], None),
    ]
    for secret in server.tokens.values():
        assert secret[17:] not in listed.text and secret not in listed.text
    assert "argon2" not in listed.text
    prefix = server.tokens["read"].split("_")[1]
    revoked = server.client.post(f"/api/v1/tokens/{prefix}/revoke", headers=server.auth("admin"))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    assert server.client.get("/api/v1/repositories", headers=server.auth("read")).status_code == 401
    twice = server.client.post(f"/api/v1/tokens/{prefix}/revoke", headers=server.auth("admin"))
    assert (twice.status_code, twice.json()) == (404, {"detail": f"no active token with prefix '{prefix}'"})
    bad = server.client.post("/api/v1/tokens/NOT-A-PREFIX/revoke", headers=server.auth("admin"))
    assert bad.status_code == 422


def test_a_disabled_users_token_is_refused(server: Server) -> None:
    server.user("erin")
    from secloop.server.crypto import Scope

    token = server.state.accounts.create_token("erin-ci", (Scope.READ,), actor="t", username="erin")
    headers = {"Authorization": f"Bearer {token}"}
    assert server.client.get("/api/v1/repositories", headers=headers).status_code == 200
    erin = server.state.accounts.user("erin")
    assert erin is not None
    server.state.accounts.disable_user(erin.id, actor="t")
    response = server.client.get("/api/v1/repositories", headers=headers)
    assert (response.status_code, response.json()) == (401, {"detail": "the API token is not valid"})
    assert server.state.metrics.auth_failures.labels("disabled")._value.get() == 1.0


# -- the admin page ---------------------------------------------------------------------------------


@pytest.fixture
def admin(server: Server) -> Server:
    server.user("root", admin=True)
    assert server.login("root") == 303
    return server


def test_the_admin_page_creates_and_disables_users_and_revokes_tokens(admin: Server) -> None:
    page = admin.client.get("/admin")
    assert page.status_code == 200
    assert '<th scope="row">root</th>' in page.text and "<code>" in page.text
    assert "<script" not in page.text
    csrf = admin.page_csrf("/admin")
    form = {"csrf": csrf, "username": "fay", "password": PASSWORD_CHARS + "xyz", "is_admin": "on"}
    created = admin.client.post("/admin/users", data=form, follow_redirects=False)
    assert (created.status_code, created.headers["location"]) == (303, "/admin")
    fay = admin.state.accounts.user("fay")
    assert fay is not None and fay.is_admin
    disabled = admin.client.post(
        f"/admin/users/{fay.id}/disable", data={"csrf": csrf}, follow_redirects=False
    )
    assert disabled.status_code == 303
    assert "disabled " in admin.client.get("/admin").text
    prefix = admin.tokens["write"].split("_")[1]
    revoked = admin.client.post(f"/admin/tokens/{prefix}/revoke", data={"csrf": csrf}, follow_redirects=False)
    assert revoked.status_code == 303
    actions = [e.action for e in admin.state.accounts.audit_entries(limit=3)]
    assert actions == ["token.revoke", "user.disable", "user.create"]
    me = admin.state.accounts.user("root")
    assert me is not None
    myself = admin.client.post(f"/admin/users/{me.id}/disable", data={"csrf": csrf})
    assert myself.status_code == 400
    assert "you cannot disable yourself" in myself.text


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/admin/users", {"username": "gus", "password": PASSWORD_CHARS}),
        ("/admin/users/1/disable", {}),
        ("/admin/tokens/0123456789ab/revoke", {}),
    ],
)
def test_admin_forms_need_the_csrf_token(admin: Server, path: str, data: dict[str, str]) -> None:
    for csrf in (None, "wrong"):
        sent = data if csrf is None else {**data, "csrf": csrf}
        response = admin.client.post(path, data=sent)
        assert response.status_code == 403
        assert "CSRF token is missing or wrong" in response.text
    assert admin.state.accounts.audit_entries(action="user.create")[0].target == "root"


def test_the_admin_page_is_for_administrators(server: Server) -> None:
    server.user("hal")
    assert server.login("hal") == 303
    for method, path in (("GET", "/admin"), ("POST", "/admin/users"), ("POST", "/admin/users/1/disable")):
        response = server.client.request(method, path, data={"csrf": server.page_csrf("/")})
        assert response.status_code == 403
        assert "user and token management is for administrators" in response.text


def test_a_bad_new_user_form_is_400(admin: Server) -> None:
    csrf = admin.page_csrf("/admin")
    short = admin.client.post("/admin/users", data={"csrf": csrf, "username": "ivy", "password": "short"})
    assert short.status_code == 400 and "the password must have 12 to 1024 characters" in short.text
    name = admin.client.post(
        "/admin/users", data={"csrf": csrf, "username": "i v", "password": PASSWORD_CHARS}
    )
    assert name.status_code == 400


# -- idle sessions -----------------------------------------------------------------------------------


def _age_session(server: Server, minutes: float) -> None:
    with server.state.engine.begin() as conn:
        conn.execute(
            update(SessionRow).values(last_seen_at=datetime.now(tz=UTC) - timedelta(minutes=minutes))
        )


def test_a_session_idle_longer_than_the_timeout_ends(tmp_path: Path) -> None:
    for server in start(f"sqlite:///{tmp_path / 'idle.db'}", session_idle_minutes=30):
        server.user("jo")
        assert server.login("jo") == 303
        _age_session(server, 5)
        assert server.client.get("/").status_code == 200
        with server.state.engine.connect() as conn:
            seen = conn.execute(select(SessionRow.last_seen_at)).scalar_one()
        assert seen is not None
        assert datetime.now(tz=UTC) - seen.replace(tzinfo=UTC) < timedelta(seconds=30)  # touched
        _age_session(server, 31)
        response = server.client.get("/")
        assert response.status_code == 401
        assert '<form method="post" action="/login">' in response.text
        with server.state.engine.connect() as conn:
            assert conn.execute(select(SessionRow.id)).all() == []
        (idle,) = server.state.accounts.audit_entries(action="session.idle")
        assert idle.actor == "jo"


def test_the_idle_timeout_defaults_to_30_minutes() -> None:
    from secloop.server.settings import load_settings

    key = make_secret()
    assert load_settings({"SECLOOP_SECRET_KEY": key}).session_idle_minutes == 30.0
    set_ = load_settings({"SECLOOP_SECRET_KEY": key, "SECLOOP_SESSION_IDLE_MINUTES": "5"})
    assert set_.session_idle_minutes == 5.0


# -- the organisation's DORA metrics -------------------------------------------------------------------


def post_event(server: Server, repository: str, event: dict[str, Any]) -> None:
    response = server.client.post(
        "/api/v1/events", json={"repository": repository, "event": event}, headers=server.auth("write")
    )
    assert response.status_code == 201, response.text


def seed_delivery(server: Server) -> None:
    for day, sha in ((1, "a1"), (8, "b2"), (15, "c3"), (22, "d4")):
        post_event(
            server,
            "acme/shop",
            {"type": "deployment", "sha": sha * 20, "time": f"2025-03-{day:02d}T10:00:00Z"},
        )
    post_event(
        server,
        "acme/shop",
        {
            "type": "incident",
            "id": "inc-1",
            "opened": "2025-03-15T12:00:00Z",
            "resolved": "2025-03-15T14:00:00Z",
            "deployment_sha": "c3" * 20,
        },
    )
    post_event(server, "acme/api", {"type": "deployment", "sha": "e5" * 20, "time": "2025-03-20T10:00:00Z"})


def metric(row: dict[str, Any], metric_id: str) -> tuple[object, object]:
    found = next(m for m in row["metrics"] if m["id"] == metric_id)
    return found["value"], found["reason"]


def test_the_dora_api_computes_each_repository_and_the_organisation(any_server: Server) -> None:
    seed_delivery(any_server)
    response = any_server.client.get("/api/v1/dora", headers=any_server.auth("read"))
    assert response.status_code == 200
    body = response.json()
    assert (body["environment"], body["window_days"]) == ("production", 90)
    api, shop = body["repositories"]
    assert (shop["repository"], shop["deployments"], shop["incidents"]) == ("acme/shop", 4, 1)
    assert metric(shop, "change-failure-rate")[0] == 25.0
    assert metric(shop, "time-to-restore")[0] == 2.0
    assert metric(shop, "deployment-frequency")[0] == round(4 / 90 * 7, 2)
    assert metric(shop, "lead-time")[0] is None
    assert (api["repository"], api["deployments"], api["incidents"]) == ("acme/api", 1, 0)
    organisation = body["organisation"]
    assert (organisation["deployments"], organisation["incidents"]) == (5, 1)
    assert metric(organisation, "change-failure-rate")[0] == 20.0
    assert sum(organisation["weekly_deployments"]) == 5


def test_the_dora_api_without_events_says_why(server: Server) -> None:
    body = server.client.get("/api/v1/dora?window_days=30", headers=server.auth("read")).json()
    assert body["repositories"] == []
    assert body["organisation"]["reason"].startswith("no deployments:")
    bad = server.client.get("/api/v1/dora?window_days=3", headers=server.auth("read"))
    assert bad.status_code == 422


def test_the_dora_page_shows_the_table_and_the_weekly_chart(server: Server) -> None:
    seed_delivery(server)
    server.user("kim")
    assert server.login("kim") == 303
    page = server.client.get("/dora?window=30")
    assert page.status_code == 200
    assert "<strong>30 days</strong>" in page.text
    rows = re.findall(r'<th scope="row">([^<]+)</th>', page.text)
    assert rows == ["(organisation)", "acme/api", "acme/shop"]
    assert '<figure class="chart-box" id="dora-weekly">' in page.text and "<svg" in page.text
    assert '>20 % <span class="badge">high</span></td>' in page.text  # the organisation's failure rate
    assert 'title="lead time needs git history: not a git repository">–</td>' in page.text
