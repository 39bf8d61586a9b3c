"""Every HTTP test kind run for real: against a server that keeps the controls, and one that does not."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import pytest

from secloop.threatmodel.testcode import CONFTEST, HEADER, HELPERS, HTTP_KINDS, KINDS, render_test
from secloop.threatmodel.testcreds import CRED_KINDS
from secloop.threatmodel.testops import OPS_KINDS
from secloop.threatmodel.testrepo import NET_HEADER, NET_KINDS, REPO_HEADER, REPO_HELPERS, REPO_KINDS

# The kinds that need credentials and the operations kinds have their own servers and repositories
# (test_testcreds.py, test_testops.py).
ANONYMOUS_KINDS = tuple(k for k in HTTP_KINDS if k not in CRED_KINDS)
CODE_KINDS = tuple(k for k in REPO_KINDS if k not in OPS_KINDS)

GOOD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cache-Control": "no-store",
    "Set-Cookie": "sid=1; Secure; HttpOnly; SameSite=Lax",
}
BAD_HEADERS = {
    "X-Powered-By": "PHP/8.1.2",
    "Access-Control-Allow-Origin": "*",
    "Set-Cookie": "sid=1; Path=/",
}
BAD_BODY = (
    '<title>Index of /</title> Traceback (most recent call last) root:x:0:0 uid=0 55433 "openapi" '
    '"queryType" "password": "x" "role": "admin" ami-id '
)


@contextmanager
def server(good: bool, limit: int = 10**9) -> Iterator[str]:
    seen = {"count": 0}

    class Handler(BaseHTTPRequestHandler):
        server_version = "web" if good else "Apache/2.4.1"
        sys_version = ""

        def _answer(self) -> None:
            seen["count"] += 1
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length <= 100_000 else b""
            if good:
                status = self._good_status(length)
                text = "ok"
                headers = GOOD_HEADERS
            else:
                status, headers = 200, dict(BAD_HEADERS)
                text = BAD_BODY + unquote(self.path) + body.decode("utf-8", "replace")
                if "attacker.example" in self.path:
                    headers["Location"] = "https://attacker.example/"
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            data = text.encode()
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _good_status(self, length: int) -> int:
            if seen["count"] > limit:
                return 429
            if self.command == "TRACE":
                return 405
            if not self.path.startswith("/api/orders"):
                return 404
            if length > 1000:
                return 413
            return 401 if "Authorization" not in self.headers or self.command == "GET" else 403

        do_GET = do_POST = do_TRACE = _answer

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _module(tmp_path: Path) -> Path:
    text = HEADER.format(
        marker="m", model="m", flow="f", env="TM_URL", base_url="", path="/api/orders", method="GET"
    )
    text += "\n" + HELPERS
    for kind in ANONYMOUS_KINDS:
        name = "test_" + kind.replace("-", "_")
        text += render_test(kind, threat="THREAT-X", asvs="'V1.1.1'", name=name, rule="TM-X", marks="")
    (tmp_path / "conftest.py").write_text(CONFTEST, "utf-8")
    path = tmp_path / "test_kinds.py"
    path.write_text(text, "utf-8")
    return path


def _run(module: Path, base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TM_URL": base_url, "SECLOOP_TM_MAX_BODY": "1000", "SECLOOP_TM_BURST": "5"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", *args, str(module)],
        cwd=module.parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_kinds() -> None:
    assert (len(HTTP_KINDS), len(REPO_KINDS), NET_KINDS) == (41, 27, ("store-unreachable",))
    assert (len(ANONYMOUS_KINDS), len(CODE_KINDS)) == (30, 11)
    assert HTTP_KINDS[-1] == "rate-limit-429"  # the burst runs last in a module
    assert KINDS == HTTP_KINDS + REPO_KINDS + NET_KINDS


@pytest.mark.parametrize("good", [True, False], ids=["keeps-the-controls", "lacks-them"])
def test_every_http_kind_against_a_server(tmp_path: Path, good: bool) -> None:
    module = _module(tmp_path)
    with server(good) as url:
        proc = _run(module, url, "-k", "not rate_limit and not tls")
    out = proc.stdout
    if good:
        assert proc.returncode == 0, out
        assert "28 passed, 2 deselected" in out
    else:
        assert proc.returncode == 1
        assert "28 failed, 2 deselected" in out, out
    with server(good, limit=2) as url:
        burst = _run(module, url, "-k", "rate_limit")
    assert (burst.returncode == 0) is good, burst.stdout


def test_generated_code_is_valid_for_every_kind(tmp_path: Path) -> None:
    module = _module(tmp_path)
    compile(module.read_text("utf-8"), str(module), "exec")
    proc = _run(module, "", "--collect-only")
    assert proc.returncode == 0 and "30 tests collected" in proc.stdout, proc.stdout + proc.stderr


GOOD_REPO = {
    ".github/workflows/release.yml": (
        "on: push\njobs:\n  deploy:\n    environment: production\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@" + "a" * 40 + "\n"
        "      - run: syft . -o cyclonedx-json > sbom.json && trivy image app && cosign sign app\n"
        "      - run: cosign verify app && ./deploy.sh\n"
    ),
    ".github/dependabot.yml": "version: 2\n",
    "CODEOWNERS": "* @team\n",
    "Dockerfile": "FROM python:3.12\nUSER app\n",
    "web/package.json": "{}\n",
    "web/package-lock.json": "{}\n",
}
BAD_REPO = {
    ".github/workflows/ci.yml": (
        "on: pull_request_target\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with: {ref: ${{ github.event.pull_request.head.sha }}}\n"
        "      - run: ./deploy.sh\n"
    ),
    "CODEOWNERS": "# nobody yet\n",
    # A synthetic access key id, built so that the literal never sits in this repository.
    "config/settings.py": "KEY = '" + "AKIA" + "Z" * 16 + "'\n",
    "Dockerfile": "FROM python:3.12\nUSER root\n",
    "web/package.json": "{}\n",
}


@pytest.mark.parametrize("good", [True, False], ids=["has-the-controls", "lacks-them"])
def test_every_repository_kind_against_a_repository(tmp_path: Path, good: bool) -> None:
    repo = tmp_path / "repo"
    for rel, text in (GOOD_REPO if good else BAD_REPO).items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, "utf-8")
    out = tmp_path / "generated"
    out.mkdir()
    text = REPO_HEADER.format(marker="m", model="m", env="TM_REPO", relative="../repo") + REPO_HELPERS
    for kind in CODE_KINDS:
        name = "test_" + kind.replace("-", "_")
        text += render_test(kind, threat="THREAT-X", asvs="'none'", name=name, rule="TM-X", marks="")
    (out / "test_repo_kinds.py").write_text(text, "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(out)],
        cwd=out,
        env={k: v for k, v in os.environ.items() if k != "TM_REPO"},
        capture_output=True,
        text=True,
        check=False,
    )
    summary = proc.stdout.splitlines()[-1]
    assert summary.startswith("11 passed" if good else "11 failed"), proc.stdout


def test_the_network_check(tmp_path: Path) -> None:
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
    text = NET_HEADER.format(marker="m", model="m")
    for state in ("OPEN", "CLOSED", "UNSET"):
        text += render_test(
            "store-unreachable", threat="T", asvs="'none'", name=f"test_{state.lower()}", rule="R", marks="",
            target_env=repr(f"TM_ADDR_{state}"),
        )  # fmt: skip
    (tmp_path / "test_net.py").write_text(text, "utf-8")
    env = {
        **os.environ,
        "TM_ADDR_OPEN": f"127.0.0.1:{listening.getsockname()[1]}",
        "TM_ADDR_CLOSED": f"127.0.0.1:{closed.getsockname()[1]}",
    }
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider", str(tmp_path)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        listening.close()
        closed.close()
    assert "FAILED test_net.py::test_open - AssertionError: connected to 127.0.0.1:" in proc.stdout, (
        proc.stdout
    )
    assert "1 failed, 1 passed, 1 skipped" in proc.stdout
