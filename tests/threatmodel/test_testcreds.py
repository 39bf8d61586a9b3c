"""The test kinds that need credentials, run for real against a local server that keeps the session,
authorisation and anti-automation controls, and one that does not."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from secloop.threatmodel.testcode import CONFTEST, HEADER, HELPERS, render_test
from secloop.threatmodel.testcreds import CRED_KINDS, NEEDS_CONFIGURATION


class _Backlogged(ThreadingHTTPServer):
    # bursts of concurrent requests (race and rate-limit kinds) overflow the default backlog of 5
    # on a loaded machine, which then resets connections
    request_queue_size = 128


def _jwt(claims: dict[str, object]) -> str:
    def part(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    return part({"alg": "HS256", "typ": "JWT"}) + "." + part(claims) + ".c2ln"


NOW = int(time.time())
TOKEN_A = _jwt({"sub": "alice", "iat": NOW, "exp": NOW + 3600})
TOKEN_B = _jwt({"sub": "bob", "iat": NOW, "exp": NOW + 3600})
TOKEN_A_FOREVER = _jwt({"sub": "alice", "iat": NOW})
PASSWORDS = {"alice": "pw-a", "admin": "pw-admin"}
IDLE = 1.0


@contextmanager
def server(good: bool) -> Iterator[str]:
    sessions: dict[str, tuple[str, float]] = {}
    state = {"coupon": 0}
    lock = threading.Lock()
    tokens = {TOKEN_A: "alice", TOKEN_B: "bob", TOKEN_A_FOREVER: "alice"}

    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: str = "", cookie: str = "") -> None:
            data = body.encode()
            self.send_response(status)
            if cookie:
                self.send_header("Set-Cookie", cookie + "; Secure; HttpOnly; SameSite=Lax")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _sid(self) -> str:
            pairs = (
                c.strip().split("=", 1) for c in (self.headers.get("Cookie") or "").split(";") if "=" in c
            )
            return dict(pairs).get("sid", "")

        def _user(self) -> str | None:
            sid = self._sid()
            if sid not in sessions:
                return None
            user, seen = sessions[sid]
            if good and time.monotonic() - seen > IDLE:
                del sessions[sid]
                return None
            sessions[sid] = (user, time.monotonic())
            return user if user != "pending" else None

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

        def do_GET(self) -> None:
            if self.path == "/api/search":
                self._send(405 if good else 200)
            elif self.path == "/api/orders":
                self._send(200 if self._user() else 401)
            elif self.path.startswith("/api/orders/"):
                owner = tokens.get((self.headers.get("Authorization") or "").removeprefix("Bearer "))
                if owner is None:
                    self._send(401)
                else:
                    self._send(200 if owner == "alice" or not good else 404, '{"order": 1}')
            else:
                self._send(404)

        def do_POST(self) -> None:
            form = self._form()
            if self.path == "/login":
                user, password = form.get("username", ""), form.get("password", "")
                if PASSWORDS.get(user) != password:
                    known = user in PASSWORDS
                    self._send(
                        401 if good or known else 404, "wrong credentials" if good or known else "no user"
                    )
                    return
                sid = self._sid() if not good and self._sid() else secrets.token_hex(8)
                level = "pending" if good and user == "admin" and "otp" not in form else user
                sessions[sid] = (level, time.monotonic())
                self._send(200, "welcome", f"sid={sid}")
            elif self.path == "/logout":
                if good:
                    sessions.pop(self._sid(), None)
                self._send(200)
            elif self.path == "/account/email":
                ok = self._user() and (not good or form.get("current_password"))
                self._send(200 if ok else 403)
            elif self.path == "/webhook":
                delivered = self.headers.get("X-Nonce") == "n-1"
                self._send(409 if delivered and good else 200)
            elif self.path == "/coupon/redeem":
                self._redeem()
            else:
                self._send(404)

        def _redeem(self) -> None:
            if good:
                with lock:
                    won = state["coupon"] == 0
                    state["coupon"] += 1
            else:
                won = state["coupon"] == 0
                time.sleep(0.3)  # check, then act: a window wide enough for a loaded machine
                state["coupon"] += 1
            self._send(200 if won else 409)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = _Backlogged(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _module(folder: Path, path: str, kinds: tuple[str, ...]) -> Path:
    text = HEADER.format(marker="m", model="m", flow="f", env="TM_URL", base_url="", path=path, method="GET")
    text += "\n" + HELPERS
    for kind in kinds:
        text += render_test(
            kind,
            threat="THREAT-X",
            asvs="'V7.2.4'",
            name="test_" + kind.replace("-", "_"),
            rule="R",
            marks="",
        )
    (folder / "conftest.py").write_text(CONFTEST, "utf-8")
    module = folder / f"test_{path.strip('/').replace('/', '_')}.py"
    module.write_text(text, "utf-8")
    return module


def _run(module: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfEs", "-p", "no:cacheprovider", str(module)],
        cwd=module.parent,
        env={k: v for k, v in os.environ.items() if not k.startswith("SECLOOP_TM_")} | env,
        capture_output=True,
        text=True,
        check=False,
    )


def _captures(folder: Path) -> dict[str, str]:
    replay = folder / "replay.json"
    replay.write_text(json.dumps({"path": "/webhook", "headers": {"X-Nonce": "n-1"}, "body": "{}"}), "utf-8")
    race = folder / "race.json"
    race.write_text(json.dumps({"path": "/coupon/redeem", "body": "code=ONCE", "allowed": 1}), "utf-8")
    return {"SECLOOP_TM_REPLAY_FILE": str(replay), "SECLOOP_TM_RACE_FILE": str(race)}


USER_KINDS = tuple(k for k in CRED_KINDS if k not in ("mfa-required", "get-refused"))


@pytest.mark.parametrize("good", [True, False], ids=["keeps-the-controls", "lacks-them"])
def test_every_credential_kind_against_a_server(tmp_path: Path, good: bool) -> None:
    module = _module(tmp_path, "/api/orders", USER_KINDS)
    env = {
        "SECLOOP_TM_TOKEN_A": TOKEN_A if good else TOKEN_A_FOREVER,
        "SECLOOP_TM_TOKEN_B": TOKEN_B,
        "SECLOOP_TM_OBJECT_PATH": "/api/orders/1",
        "SECLOOP_TM_LOGIN_PATH": "/login",
        "SECLOOP_TM_LOGIN_BODY": "username=alice&password=pw-a",
        "SECLOOP_TM_LOGOUT_PATH": "/logout",
        "SECLOOP_TM_IDLE_TIMEOUT": str(IDLE),
        "SECLOOP_TM_CHANGE_PATH": "/account/email",
        "SECLOOP_TM_KNOWN_USER": "alice",
        **_captures(tmp_path),
    }
    with server(good) as url:
        proc = _run(module, {"TM_URL": url, **env})
    assert len(USER_KINDS) == 9
    if good:
        assert proc.returncode == 0, proc.stdout
        assert "9 passed" in proc.stdout, proc.stdout
    else:
        assert "9 failed" in proc.stdout, proc.stdout
        for message in (
            "user B read user A's object: 200",
            "the login kept the planted session id of ['sid']",
            "the old session still answers 200",
            "after 1.0s idle the session answers 200",
            "the token has no exp claim",
            "a change without re-authentication answered 200",
            "known account: 401, unknown: 404",
            "the replayed request answered 200",
            "concurrent requests succeeded; the limit is 1",
        ):
            assert message in proc.stdout, (message, proc.stdout)


@pytest.mark.parametrize("good", [True, False], ids=["keeps-the-controls", "lacks-them"])
def test_mfa_and_get_refused_against_a_server(tmp_path: Path, good: bool) -> None:
    mfa = _module(tmp_path, "/api/orders", ("mfa-required",))
    search = _module(tmp_path, "/api/search", ("get-refused",))
    login = {"SECLOOP_TM_LOGIN_PATH": "/login", "SECLOOP_TM_LOGIN_BODY": "username=admin&password=pw-admin"}
    with server(good) as url:
        outcomes = [_run(mfa, {"TM_URL": url, **login}), _run(search, {"TM_URL": url})]
    for proc in outcomes:
        assert (proc.returncode == 0) is good, proc.stdout
    if not good:
        assert "a password-only login reached the flow (200)" in outcomes[0].stdout
        assert "GET answered 200: personal data can travel in the URL" in outcomes[1].stdout


def test_without_configuration_they_skip_and_say_what_to_set(tmp_path: Path) -> None:
    module = _module(tmp_path, "/api/orders", tuple(sorted(NEEDS_CONFIGURATION)))
    with server(True) as url:
        proc = _run(module, {"TM_URL": url})
    assert proc.returncode == 0, proc.stdout
    assert "10 skipped" in proc.stdout, proc.stdout
    assert (
        "set SECLOOP_TM_TOKEN_A, SECLOOP_TM_TOKEN_B, SECLOOP_TM_OBJECT_PATH to run this check" in proc.stdout
    )
    assert "set SECLOOP_TM_RACE_FILE to run this check" in proc.stdout
    assert set(CRED_KINDS) - {"get-refused"} == NEEDS_CONFIGURATION
