"""Private repositories over https: a loopback forge (git http-backend behind TLS and Basic auth) that
the worker fetches with the token from SECLOOP_GIT_CREDENTIALS, and the read-only credential helper."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from secloop.core.errors import UsageError
from secloop.worker import gitcred
from secloop.worker.remote import CA_BUNDLE_VARIABLE, CREDENTIALS_VARIABLE, checkout, remote_head
from tests.worker.conftest import make_repo
from tests.worker.test_worker import FILES

USER = "ci-bot"
TOKEN = "forge-" + "token-123"  # the loopback forge's expected password, not a credential


@dataclass
class Forge:
    url: str
    cert: Path
    seen: list[str | None] = field(default_factory=list)


def _certificate(directory: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is required for the private-forge tests (Debian's openssl package)")
    cert, key = directory / "forge.pem", directory / "forge.key"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _handler(root: Path, seen: list[str | None]) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _serve(self) -> None:
            given = self.headers.get("Authorization")
            seen.append(given)
            if given != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="forge"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(length),
                "REMOTE_USER": USER,
            }
            done = subprocess.run(
                ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
            )
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in io.BytesIO(head).read().decode().split("\r\n"):
                name, _, value = line.partition(": ")
                if name.lower() == "status":
                    status = int(value.split()[0])
                elif name:
                    headers.append((name, value))
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _serve
        do_POST = _serve

    return Handler


@pytest.fixture
def forge(tmp_path: Path) -> Iterator[Forge]:
    head = make_repo(tmp_path / "src" / "private", FILES)
    root = tmp_path / "forge"
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--bare",
            str(tmp_path / "src" / "private"),
            str(root / "acme" / "private.git"),
        ],
        check=True,
    )
    cert, key = _certificate(tmp_path)
    seen: list[str | None] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, seen))
    server.request_queue_size = 128
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    forge = Forge(f"https://127.0.0.1:{server.server_address[1]}/acme/private.git", cert, seen)
    forge.seen.append(head)  # the first entry is the commit; requests follow
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()


def _credentials(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "git-credentials"
    path.write_text(f"# forge tokens\n{line}\n")
    return path


def test_a_private_repository_is_fetched_with_the_token_for_its_host(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = forge.seen.pop(0)
    port = forge.url.split(":")[2].split("/")[0]
    creds = _credentials(tmp_path, f"https://{USER}:{TOKEN}@127.0.0.1:{port}")
    before = creds.read_text()
    monkeypatch.setenv(CREDENTIALS_VARIABLE, str(creds))
    monkeypatch.setenv(CA_BUNDLE_VARIABLE, str(forge.cert))
    assert remote_head(forge.url) == head
    dest = checkout(forge.url, str(head), tmp_path / "work")
    assert (dest / "app/main.py").read_text() == FILES["app/main.py"]
    assert creds.read_text() == before
    assert f"{USER}:{TOKEN}" not in forge.url


def test_without_credentials_the_forge_refuses_and_git_does_not_prompt(
    forge: Forge, monkeypatch: pytest.MonkeyPatch
) -> None:
    forge.seen.pop(0)
    monkeypatch.delenv(CREDENTIALS_VARIABLE, raising=False)
    monkeypatch.setenv(CA_BUNDLE_VARIABLE, str(forge.cert))
    with pytest.raises(UsageError, match=r"^git ls-remote failed: "):
        remote_head(forge.url)
    assert forge.seen and all(given is None for given in forge.seen)


def test_a_token_for_another_host_is_never_sent(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forge.seen.pop(0)
    creds = _credentials(tmp_path, f"https://{USER}:{TOKEN}@git.example.org")
    monkeypatch.setenv(CREDENTIALS_VARIABLE, str(creds))
    monkeypatch.setenv(CA_BUNDLE_VARIABLE, str(forge.cert))
    with pytest.raises(UsageError, match=r"^git ls-remote failed: "):
        remote_head(forge.url)
    assert forge.seen and all(given is None for given in forge.seen)


def test_a_refused_token_stays_in_the_operators_file(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # git's own `store` helper would erase the refused line; secloop's helper leaves the file alone.
    forge.seen.pop(0)
    port = forge.url.split(":")[2].split("/")[0]
    creds = _credentials(tmp_path, f"https://{USER}:expired@127.0.0.1:{port}")
    before = creds.read_text()
    monkeypatch.setenv(CREDENTIALS_VARIABLE, str(creds))
    monkeypatch.setenv(CA_BUNDLE_VARIABLE, str(forge.cert))
    with pytest.raises(UsageError, match=r"^git ls-remote failed: "):
        remote_head(forge.url)
    assert creds.read_text() == before
    wrong = "Basic " + base64.b64encode(f"{USER}:expired".encode()).decode()
    assert wrong in forge.seen


def test_the_forge_certificate_is_verified(
    forge: Forge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forge.seen.pop(0)
    port = forge.url.split(":")[2].split("/")[0]
    monkeypatch.setenv(
        CREDENTIALS_VARIABLE, str(_credentials(tmp_path, f"https://{USER}:{TOKEN}@127.0.0.1:{port}"))
    )
    monkeypatch.delenv(CA_BUNDLE_VARIABLE, raising=False)
    with pytest.raises(UsageError, match=r"^git ls-remote failed: .*certificate"):
        remote_head(forge.url)
    assert forge.seen == []


@pytest.mark.parametrize("variable", [CREDENTIALS_VARIABLE, CA_BUNDLE_VARIABLE])
def test_a_setting_naming_a_missing_file_is_a_usage_error(
    variable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, str(tmp_path / "absent"))
    with pytest.raises(
        UsageError, match=re.escape(f"{variable} names {tmp_path / 'absent'}, which is not a file")
    ):
        remote_head("https://127.0.0.1:1/acme/x.git")


def test_a_url_with_credentials_points_at_the_credential_file() -> None:
    with pytest.raises(UsageError) as caught:
        remote_head("https://u:p@example.org/a/b.git")
    assert caught.value.hint is not None and CREDENTIALS_VARIABLE in caught.value.hint


STORED = [
    "# comment",
    "",
    "https://alice:t%40ken@git.example.org",
    "https://bob:second@git.example.org",
    "https://carol:port-token@git.example.org:8443",
    "http://dave:plain@git.example.org",
    "https://no-password@git.example.org",
]


@pytest.mark.parametrize(
    ("request_lines", "expected"),
    [
        (["protocol=https", "host=git.example.org"], ("alice", "t@ken")),
        (["protocol=https", "host=git.example.org", "username=bob"], ("bob", "second")),
        (["protocol=https", "host=git.example.org:8443"], ("carol", "port-token")),
        (["protocol=http", "host=git.example.org"], ("dave", "plain")),
        (["protocol=https", "host=other.example.org"], None),
        (["protocol=https", "host=git.example.org", "username=mallory"], None),
        (["protocol=https", "host=git.example.org:444"], None),
    ],
)
def test_lookup_matches_protocol_host_port_and_user(
    request_lines: list[str], expected: tuple[str, str] | None
) -> None:
    request = gitcred.parse_request([*(f"{line}\n" for line in request_lines), "\n", "ignored=1\n"])
    assert gitcred.lookup(STORED, request) == expected


def test_the_helper_answers_get_and_ignores_store_and_erase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    creds = _credentials(tmp_path, "https://alice:secret-ish@git.example.org")
    before = creds.read_text()
    for action, out in [("get", "username=alice\npassword=secret-ish\n"), ("store", ""), ("erase", "")]:
        monkeypatch.setattr("sys.stdin", io.StringIO("protocol=https\nhost=git.example.org\n\n"))
        assert gitcred.main([str(creds), action]) == 0
        assert capsys.readouterr().out == out
    assert creds.read_text() == before
    monkeypatch.setattr("sys.stdin", io.StringIO("protocol=https\nhost=git.example.org\n\n"))
    assert gitcred.main([str(tmp_path / "gone"), "get"]) == 0
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == (
        "",
        f"secloop credential helper: {tmp_path / 'gone'}: No such file or directory\n",
    )
    assert gitcred.main([]) == 2
