"""Dashboard logon: cookies, sessions that expire in the database, lockout, rate limit, audit, metrics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from secloop.core.errors import UsageError
from secloop.store.models import SessionRow, UserRow
from tests.server.conftest import Server, start


def logons(server: Server) -> list[tuple[str, str, str]]:
    return [
        (e.actor, e.outcome, str(e.detail.get("reason", "")))
        for e in reversed(server.state.accounts.audit_entries(action="logon"))
    ]


def test_a_good_logon_sets_a_signed_httponly_lax_cookie_and_is_audited(any_server: Server) -> None:
    any_server.user("ann")
    csrf = any_server.login_csrf()
    response = any_server.client.post(
        "/login",
        data={"username": "ann", "password": any_server.passwords["ann"], "csrf": csrf, "next": "/findings"},
        follow_redirects=False,
    )
    assert (response.status_code, response.headers["location"]) == (303, "/findings")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("secloop_session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert attributes == {"httponly", "max-age", "path", "samesite"}
    assert "samesite=lax" in cookie.lower() and "secure" not in cookie.lower()  # plain http here
    value = cookie.split(";")[0].split("=", 1)[1].strip('"')
    assert any_server.state.signer.unsign("session", value) is not None
    assert logons(any_server) == [("ann", "success", "")]
    assert any_server.client.get("/findings").status_code == 200


def test_over_https_the_session_cookie_is_secure_and_hsts_is_sent(tmp_path: Path) -> None:
    for server in start(f"sqlite:///{tmp_path / 's.db'}"):
        server.client.base_url = server.client.base_url.copy_with(scheme="https")
        server.user("ann")
        page = server.client.get("/login")
        assert page.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
        response = server.client.post(
            "/login",
            data={"username": "ann", "password": server.passwords["ann"], "csrf": server.login_csrf()},
            follow_redirects=False,
        )
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("secloop_session="))
        assert "; secure" in cookie.lower()


def test_plain_http_gets_no_hsts(server: Server) -> None:
    assert "strict-transport-security" not in server.client.get("/login").headers


def test_five_failures_lock_the_account_for_a_while_even_for_the_right_password(any_server: Server) -> None:
    any_server.user("ann")
    for _ in range(5):
        assert any_server.login("ann", "not the password at all") == 401
    assert any_server.login("ann") == 401
    assert logons(any_server) == [
        *[("ann", "failure", "bad-password")] * 5,
        ("ann", "failure", "locked"),
    ]
    fifth = any_server.state.accounts.audit_entries(action="logon")[1]
    assert fifth.detail["failures"] == 5 and "locked_until" in fifth.detail
    with any_server.state.engine.begin() as conn:
        locked = conn.execute(select(UserRow.locked_until).where(UserRow.username == "ann")).scalar_one()
        assert locked is not None
        assert timedelta(minutes=14) < locked - datetime.now(tz=UTC) <= timedelta(minutes=15)
        conn.execute(update(UserRow).values(locked_until=datetime.now(tz=UTC) - timedelta(seconds=1)))
    assert any_server.login("ann") == 303
    metrics = any_server.client.get("/metrics", headers=any_server.auth("read")).text
    assert 'secloop_logons_total{outcome="failure"} 6.0' in metrics
    assert 'secloop_logons_total{outcome="success"} 1.0' in metrics
    assert 'secloop_failed_logons_total{reason="bad-credentials"} 5.0' in metrics
    assert 'secloop_failed_logons_total{reason="locked"} 1.0' in metrics


def test_a_success_resets_the_failure_count(server: Server) -> None:
    server.user("ann")
    for _ in range(4):
        assert server.login("ann", "wrong password here") == 401
    assert server.login("ann") == 303
    with server.state.engine.connect() as conn:
        assert conn.execute(select(UserRow.failed_logons)).scalar_one() == 0


def test_an_unknown_user_fails_like_a_wrong_password(server: Server) -> None:
    server.passwords["ghost"] = "whatever it is"
    response = server.client.post(
        "/login",
        data={"username": "ghost", "password": "whatever it is", "csrf": server.login_csrf()},
    )
    assert response.status_code == 401
    assert "Logon failed: wrong user name or password, or the account is locked for a while." in response.text
    assert logons(server) == [("ghost", "failure", "unknown-user")]


def test_the_logon_rate_limit_answers_429_and_audits_it(tmp_path: Path) -> None:
    for server in start(f"sqlite:///{tmp_path / 's.db'}", login_rate_per_minute=2):
        server.user("ann")
        assert [server.login("ann", "wrong password here") for _ in range(3)] == [401, 401, 429]
        assert logons(server)[-1] == ("ann", "failure", "rate-limited")
        assert server.state.metrics.rate_limited.labels("login")._value.get() == 1.0


def test_the_logon_form_needs_its_csrf_token(server: Server) -> None:
    server.user("ann")
    server.client.get("/login")
    response = server.client.post(
        "/login", data={"username": "ann", "password": server.passwords["ann"], "csrf": "x"}
    )
    assert response.status_code == 403
    assert logons(server) == []


def test_sessions_expire_on_the_server(any_server: Server) -> None:
    any_server.user("ann")
    assert any_server.login("ann") == 303
    assert any_server.client.get("/").status_code == 200
    with any_server.state.engine.begin() as conn:
        conn.execute(update(SessionRow).values(expires_at=datetime.now(tz=UTC) - timedelta(seconds=1)))
    assert any_server.client.get("/").status_code == 401


def test_logout_ends_the_session_in_the_database(server: Server) -> None:
    server.user("ann")
    assert server.login("ann") == 303
    stolen = server.client.cookies.get("secloop_session")
    response = server.client.post("/logout", data={"csrf": server.page_csrf()}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    server.client.cookies.set("secloop_session", stolen or "")
    assert server.client.get("/").status_code == 401
    with server.state.engine.connect() as conn:
        assert conn.execute(select(SessionRow)).all() == []
    assert [e.action for e in server.state.accounts.audit_entries()][:2] == ["logout", "logon"]


@pytest.mark.parametrize(
    ("target", "landing"),
    [
        ("/findings?status=open", "/findings?status=open"),
        ("//evil.example/", "/"),
        ("https://evil.example", "/"),
    ],
)
def test_after_logon_only_local_paths_are_followed(server: Server, target: str, landing: str) -> None:
    server.user("ann")
    response = server.client.post(
        "/login",
        data={
            "username": "ann",
            "password": server.passwords["ann"],
            "csrf": server.login_csrf(),
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == landing


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("ann", "short", "the password must have 12 to 1024 characters (got 5)"),
        ("-ann", "long enough password", "invalid user name '-ann'"),
        ("a" * 65, "long enough password", f"invalid user name {'a' * 65!r}"),
    ],
)
def test_weak_passwords_and_odd_names_are_refused(
    server: Server, name: str, password: str, message: str
) -> None:
    with pytest.raises(UsageError) as info:
        server.state.accounts.create_user(name, password, is_admin=False, actor="test")
    assert info.value.message == message


def test_a_second_user_of_the_same_name_is_refused(server: Server) -> None:
    server.user("ann")
    with pytest.raises(UsageError) as info:
        server.user("ann")
    assert info.value.message == "the user 'ann' exists already"
