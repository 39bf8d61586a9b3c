"""`secloop admin …` and `secloop serve`, through a local typer app on which the commands are registered."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from secloop.cli.server import register
from secloop.core.errors import UsageError
from secloop.server import Settings, create_app
from tests.server.conftest import PASSWORD_CHARS, make_secret

APP = typer.Typer()
register(APP)
RUNNER = CliRunner()


def invoke(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> typer.testing.Result:
    return RUNNER.invoke(APP, list(args), input=stdin, env=env)


def test_create_user_reads_the_password_from_stdin_and_audits(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    password = PASSWORD_CHARS + make_secret(6)
    result = invoke(
        "admin", "create-user", "root", "--admin", "--password-stdin", "--db", db, stdin=password + "\n"
    )
    assert (result.exit_code, result.output) == (0, "created user root (admin)\n")
    app = create_app(Settings(db=db, secret_key=make_secret()))
    accounts = app.state.secloop.accounts
    assert accounts.logon("root", password, None, 1.0).outcome == "success"
    entry = accounts.audit_entries(action="user.create")[0]
    assert (entry.actor.startswith("cli"), entry.target, entry.detail) == (True, "root", {"admin": True})
    app.state.secloop.engine.dispose()


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--password-stdin"], "\n", "no password on standard input"),
        (["--password-stdin"], "short\n", "the password must have 12 to 1024 characters (got 5)"),
        ([], None, "no terminal to ask for the password"),
    ],
)
def test_create_user_never_falls_back_to_a_default_password(
    tmp_path: Path, args: list[str], stdin: str | None, message: str
) -> None:
    result = invoke(
        "admin", "create-user", "root", *args, "--db", f"sqlite:///{tmp_path / 's.db'}", stdin=stdin
    )
    assert isinstance(result.exception, UsageError)
    assert result.exception.message == message


def test_create_token_prints_it_once_and_it_works_with_its_scopes(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    result = invoke("admin", "create-token", "ci-upload", "--scope", "read", "--scope", "write", "--db", db)
    assert result.exit_code == 0
    token = result.stdout.strip()
    assert token.startswith("slp_") and "shown once" in result.stderr
    from fastapi.testclient import TestClient

    app = create_app(Settings(db=db, secret_key=make_secret()))
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/repositories", headers=headers).status_code == 200
        assert client.get("/api/v1/audit", headers=headers).status_code == 403
    stored = app.state.secloop.accounts.audit_entries(action="token.create")[0].detail
    assert stored == {"scopes": ["read", "write"], "prefix": token.split("_")[1], "user": None}
    assert token not in str(app.state.secloop.accounts.audit_entries())
    revoked = invoke("admin", "revoke-token", token.split("_")[1], "--db", db)
    assert (revoked.exit_code, revoked.output) == (0, f"revoked token {token.split('_')[1]}\n")
    app.state.secloop.engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "root"], "unknown scope 'root'"),
        (["--user", "nobody"], "no user named 'nobody'"),
        (["--expires-days", "0"], "--expires-days must be at least 1, got 0"),
    ],
)
def test_create_token_refuses_bad_requests(tmp_path: Path, args: list[str], message: str) -> None:
    result = invoke("admin", "create-token", "t", *args, "--db", f"sqlite:///{tmp_path / 's.db'}")
    assert isinstance(result.exception, UsageError)
    assert result.exception.message == message


def test_serve_without_a_secret_key_is_a_usage_error(tmp_path: Path) -> None:
    env = {
        "SECLOOP_SECRET_KEY": "",
        "SECLOOP_SECRET_KEY_FILE": "",
        "SECLOOP_DB": f"sqlite:///{tmp_path / 's.db'}",
    }
    result = invoke("serve", env=env)
    assert isinstance(result.exception, UsageError)
    assert result.exception.message == "SECLOOP_SECRET_KEY is not set; the server has no default key"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_shared_listening_socket_is_tcp_so_connections_get_no_delay() -> None:
    from secloop.server.serve import listening_socket

    sock = listening_socket("127.0.0.1", 0)
    try:
        sock.listen()
        assert sock.proto == socket.IPPROTO_TCP  # asyncio sets TCP_NODELAY only on such sockets
        with socket.create_connection(sock.getsockname()):
            accepted, _ = sock.accept()
            assert accepted.proto == socket.IPPROTO_TCP
            accepted.close()
    finally:
        sock.close()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_answers_on_the_port_it_was_given(tmp_path: Path, workers: str) -> None:
    port = free_port()
    env = {**os.environ, "SECLOOP_SECRET_KEY": make_secret(), "SECLOOP_DB": f"sqlite:///{tmp_path / 's.db'}"}
    code = "import typer; from secloop.cli.server import register; a = typer.Typer(); register(a); a()"
    process = subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", str(port), "--workers", workers],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120  # two workers start slowly on a loaded machine
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert (response.status_code, response.json()) == (200, {"status": "ok"})
        assert "server" not in response.headers
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            # Keep-alive requests: without TCP_NODELAY every one waits ~40 ms for the delayed ACK. The
            # fastest of 20 is compared, so a loaded machine slowing some of them does not matter.
            timings = []
            for _ in range(20):
                started = time.perf_counter()
                assert client.get("/healthz").status_code == 200
                timings.append(time.perf_counter() - started)
            assert min(timings) < 0.03, timings
    finally:
        process.terminate()
        process.wait(timeout=15)
