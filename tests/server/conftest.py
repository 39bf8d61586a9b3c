"""A server per test: an app on a fresh database (SQLite, or a PostgreSQL schema), users, tokens, data.

Secrets are made at run time (never literal in the repository). Argon2 runs with small parameters in
tests, so a hundred logons do not take a minute; one test checks the production parameters.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from secloop.core.enums import Severity, Status
from secloop.core.model import PracticeResult
from secloop.server import Settings, create_app
from secloop.server.crypto import Scope
from secloop.server.state import ServerState
from tests.store.conftest import assessment, finding, pg_admin, pg_url, practice  # noqa: F401

PASSWORD_CHARS = "correct horse battery staple "


def make_secret(size: int = 48) -> str:
    return secrets.token_urlsafe(size)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "secloop.server.crypto._HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    monkeypatch.setattr("secloop.server.crypto._DUMMY", [])


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class Server:
    client: TestClient
    settings: Settings
    state: ServerState
    tokens: dict[str, str] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)

    def auth(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[scope]}"}

    def user(self, name: str, *, admin: bool = False) -> str:
        password = PASSWORD_CHARS + make_secret(8)
        self.state.accounts.create_user(name, password, is_admin=admin, actor="test")
        self.passwords[name] = password
        return password

    def login_csrf(self) -> str:
        page = self.client.get("/login")
        assert page.status_code == 200
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None
        return found.group(1)

    def login(self, name: str, password: str | None = None, next_url: str = "/") -> int:
        csrf = self.login_csrf()
        response = self.client.post(
            "/login",
            data={
                "username": name,
                "password": self.passwords[name] if password is None else password,
                "csrf": csrf,
                "next": next_url,
            },
            follow_redirects=False,
        )
        return int(response.status_code)

    def page_csrf(self, path: str = "/") -> str:
        page = self.client.get(path)
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found is not None, page.text[:500]
        return found.group(1)

    def seed(
        self, root: str, name: str, *, as_of: datetime, commit: str, results: tuple[PracticeResult, ...]
    ) -> int:
        a = assessment(results, as_of=as_of, commit=commit, target=name)
        document = json.dumps(
            {
                "schema": "secloop.assessment/v1",
                "commit": commit,
                "delivery": {"metrics": [], "reason": "none"},
            },
            indent=2,
        )
        return self.state.store.save(a, document, root)

    def github(
        self, event: str, payload: Mapping[str, object], delivery: str | None = None
    ) -> tuple[int, object]:
        body = json.dumps(payload).encode()
        secret = self.settings.github_webhook_secret
        assert secret is not None
        response = self.client.post(
            "/webhooks/github",
            content=body,
            headers={
                "X-Hub-Signature-256": sign(secret, body),
                "X-GitHub-Event": event,
                "X-GitHub-Delivery": delivery or make_secret(12),
                "Content-Type": "application/json",
            },
        )
        return response.status_code, response.json()

    def gitlab(
        self, event: str, payload: Mapping[str, object], uuid: str | None = None, token: str | None = None
    ) -> tuple[int, object]:
        response = self.client.post(
            "/webhooks/gitlab",
            content=json.dumps(payload).encode(),
            headers={
                "X-Gitlab-Token": token or self.settings.gitlab_webhook_token or "",
                "X-Gitlab-Event": event,
                "X-Gitlab-Event-UUID": uuid or make_secret(12),
                "Content-Type": "application/json",
            },
        )
        return response.status_code, response.json()

    def pagerduty(self, payload: Mapping[str, object], signature: str | None = None) -> tuple[int, object]:
        body = json.dumps(payload).encode()
        secret = self.settings.pagerduty_webhook_secret
        assert secret is not None
        response = self.client.post(
            "/webhooks/pagerduty",
            content=body,
            headers={
                "X-PagerDuty-Signature": signature or pd_sign(secret, body),
                "Content-Type": "application/json",
            },
        )
        return response.status_code, response.json()


def pd_sign(secret: str, body: bytes) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def build_settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "db": url,
        "secret_key": make_secret(),
        "github_webhook_secret": make_secret(24),
        "alertmanager_token": make_secret(24),
        "gitlab_webhook_token": make_secret(24),
        "pagerduty_webhook_secret": make_secret(24),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def start(url: str, **overrides: object) -> Generator[Server, None, None]:
    settings = build_settings(url, **overrides)
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as client:
        server = Server(client, settings, app.state.secloop)
        for scope in Scope:
            server.tokens[scope.value] = server.state.accounts.create_token(
                f"{scope.value}-token", (scope,), actor="test"
            )
        yield server
    server.state.engine.dispose()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    yield from start(f"sqlite:///{tmp_path / 'server.db'}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """The same test on SQLite and on PostgreSQL (a fresh schema)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'server.db'}"
    else:
        factory: Callable[[], str] = request.getfixturevalue("pg_url")
        url = factory()
    yield from start(url)


def loop_results(fail_rule: str = "SECRET-AWS-ACCESS-KEY") -> tuple[PracticeResult, ...]:
    """Practices over three stages, two findings: one high (active), one low (suppressed in the repo)."""
    return (
        practice("plan.threat-model", Status.PASS),
        practice(
            "code.secrets",
            Status.FAIL,
            findings=(
                finding(fail_rule, "app/settings.py", 12, Severity.HIGH),
                finding("DEP-VULN", "requirements.txt", 3, Severity.LOW, suppressed=True),
            ),
        ),
        practice("build.sast", Status.PARTIAL, score=60),
        practice("build.sca", Status.UNKNOWN),
    )


NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
