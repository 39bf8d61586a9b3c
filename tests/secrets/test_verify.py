"""Opt-in verification against a fake provider on 127.0.0.1: never without --verify, allowlist, timeouts."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli import secrets
from secloop.core.errors import InputError
from secloop.secrets.verify import RateLimiter, Verifier, VerifySettings, load_settings
from tests.secrets.conftest import commit, init, token, write

RUNNER = CliRunner()


class FakeProvider(BaseHTTPRequestHandler):
    """GitHub's GET /user, Slack's auth.test and a basic-auth page, with one good credential each."""

    good: ClassVar[dict[str, str]] = {}
    seen: ClassVar[list[str]] = []

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization", "")
        self.seen.append(f"GET {self.path}")
        if self.path == "/user":
            ok = auth == f"token {self.good['github']}"
            self._send(200 if ok else 401, {"login": "ana"} if ok else {"message": "Bad credentials"})
        elif self.path == "/slow/user":
            time.sleep(1.5)  # the client gave up after its timeout: nobody reads the answer
            self.close_connection = True
        elif self.path == "/":
            expected = base64.b64encode(self.good["basic"].encode()).decode()
            self._send(200 if auth == f"Basic {expected}" else 401, {})
        else:
            self._send(302, {}, {"Location": "http://elsewhere.invalid/"})

    def do_POST(self) -> None:
        self.seen.append(f"POST {self.path}")
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        ok = self.headers.get("Authorization", "") == f"Bearer {self.good['slack']}"
        self._send(200, {"ok": True, "user": "bot"} if ok else {"ok": False, "error": "invalid_auth"})


@pytest.fixture
def provider() -> Iterator[str]:
    FakeProvider.good = {
        "github": token("github", 1),
        "slack": token("slack", 1),
        "basic": "deploy:" + token("npm", 5)[4:20],
    }
    FakeProvider.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProvider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _app() -> typer.Typer:
    app = typer.Typer()
    scan = typer.Typer()
    app.add_typer(scan, name="scan")
    secrets.register(scan)
    return app


def _settings_file(root: Path, base: str, extra: str = "") -> Path:
    path = root / "verify.toml"
    path.write_text(f'timeout = 1.0\nrate = 50\n{extra}[base_urls]\ngithub = "{base}"\nslack = "{base}"\n')
    return path


def _verified(output: str) -> dict[tuple[str, str], tuple[str, str]]:
    document = json.loads(output)
    rows: dict[tuple[str, str], tuple[str, str]] = {}
    for finding in document["practices"][0]["findings"]:
        props = finding["properties"]
        key = (finding["rule"], finding["locations"][0]["path"])
        rows[key] = (props.get("verified", "-"), props.get("verified_detail", "-"))
    return rows


def test_verify_marks_live_revoked_and_unverifiable_credentials(tmp_path: Path, provider: str) -> None:
    repo = tmp_path / "repo"
    write(
        repo,
        {
            "live.py": f'GH = "{FakeProvider.good["github"]}"\n',
            "old.py": f'GH = "{token("github", 2)}"\n',
            "bot.env": f"SLACK_BOT_TOKEN={FakeProvider.good['slack']}\n",
            "aws.env": f"AWS_ACCESS_KEY_ID={token('aws')}\n",
        },
    )
    settings = _settings_file(tmp_path, provider)
    result = RUNNER.invoke(
        _app(), ["scan", "secrets", str(repo), "-f", "json", "--verify", "--verify-config", str(settings)]
    )
    assert result.exit_code == 1
    assert _verified(result.output) == {
        ("SECRET-AWS-ACCESS-KEY", "aws.env"): ("unknown", "no verifier for this rule"),
        ("SECRET-SLACK-BOT-TOKEN", "bot.env"): ("true", "Slack auth.test answered ok"),
        ("SECRET-GITHUB-PAT-CLASSIC", "live.py"): ("true", "GitHub GET /user answered 200"),
        ("SECRET-GITHUB-PAT-CLASSIC", "old.py"): ("false", "GitHub GET /user answered 401 (bad credentials)"),
    }
    assert sorted(FakeProvider.seen) == ["GET /user", "GET /user", "POST /api/auth.test"]
    assert (
        FakeProvider.good["github"] not in result.output and FakeProvider.good["slack"] not in result.output
    )
    terminal = RUNNER.invoke(
        _app(), ["scan", "secrets", str(repo), "--verify", "--verify-config", str(settings)]
    )
    assert "SECRET-GITHUB-PAT-CLASSIC live.py:1:7" in terminal.output
    assert "[verified: true]" in terminal.output and "[verified: false]" in terminal.output


def test_nothing_is_sent_without_verify(tmp_path: Path, provider: str) -> None:
    repo = tmp_path / "repo"
    write(repo, {"live.py": f'GH = "{FakeProvider.good["github"]}"\n'})
    (repo / ".secloop").mkdir()
    _settings_file(repo / ".secloop", provider)
    result = RUNNER.invoke(_app(), ["scan", "secrets", str(repo), "-f", "json"])
    assert result.exit_code == 1
    assert _verified(result.output) == {("SECRET-GITHUB-PAT-CLASSIC", "live.py"): ("-", "-")}
    assert FakeProvider.seen == []


def test_a_credential_only_in_history_is_read_from_its_blob(tmp_path: Path, provider: str) -> None:
    repo = init(tmp_path / "repo")
    commit(repo, {"ci.sh": f"export GH={FakeProvider.good['github']}\n"}, "add")
    commit(repo, {"ci.sh": ""}, "remove")
    settings = _settings_file(tmp_path, provider)
    args = [
        "scan",
        "secrets",
        str(repo),
        "--history",
        "-f",
        "json",
        "--verify",
        "--verify-config",
        str(settings),
    ]
    result = RUNNER.invoke(_app(), args)
    assert _verified(result.output) == {
        ("SECRET-GITHUB-PAT-CLASSIC", "ci.sh"): ("true", "GitHub GET /user answered 200")
    }


def test_endpoints_off_the_allowlist_are_never_contacted(provider: str) -> None:
    verifier = Verifier(VerifySettings(timeout=1.0, rate=50))  # default base URLs: the real providers only
    url = f"{provider.replace('http://', 'http://deploy:pw123456@')}/"
    outcome = verifier.check("SECRET-URL-PASSWORD", "pw123456", url)
    assert (outcome.verified, outcome.detail) == ("unknown", f"{provider} is not on the verify allowlist")
    assert verifier.requests == 0 and FakeProvider.seen == []


def test_basic_auth_url_verification(provider: str) -> None:
    verifier = Verifier(VerifySettings(allow=(provider,), timeout=1.0, rate=50))
    user, password = FakeProvider.good["basic"].split(":")
    good = verifier.check("SECRET-URL-PASSWORD", password, provider.replace("://", f"://{user}:{password}@"))
    bad = verifier.check("SECRET-URL-PASSWORD", "nope1234", provider.replace("://", f"://{user}:nope1234@"))
    assert (good.verified, good.detail) == ("true", f"GET {provider}/ with the credentials answered 200")
    assert (bad.verified, bad.detail) == ("false", f"GET {provider}/ with the credentials answered 401")


def test_timeouts_and_redirects_are_unknown(provider: str) -> None:
    slow = Verifier(
        VerifySettings(timeout=0.3, rate=50, base_urls={"github": f"{provider}/slow", "slack": provider})
    )
    outcome = slow.check("SECRET-GITHUB-PAT-CLASSIC", token("github", 3), "")
    assert outcome.verified == "unknown" and outcome.detail.startswith("no answer: ")
    moved = Verifier(
        VerifySettings(timeout=1.0, rate=50, base_urls={"github": f"{provider}/moved", "slack": provider})
    )
    redirected = moved.check("SECRET-GITHUB-PAT-CLASSIC", token("github", 3), "")
    assert (redirected.verified, redirected.detail) == ("unknown", "GitHub GET /user answered 302")
    assert FakeProvider.seen[-1] == "GET /moved/user"  # the Location was not followed


def test_the_rate_limit_spaces_requests() -> None:
    limiter = RateLimiter(20.0)
    started = time.monotonic()
    for _ in range(4):
        limiter.wait()
    assert time.monotonic() - started >= 0.15


def test_settings_are_checked(tmp_path: Path) -> None:
    assert load_settings(None) == VerifySettings()
    path = tmp_path / "verify.toml"
    path.write_text('allow = ["https://nexus.corp.invalid"]\nrate = 1\n')
    settings = load_settings(path)
    assert settings.allowed("https://nexus.corp.invalid:443/repo") and not settings.allowed(
        "https://other.invalid"
    )
    assert settings.allowed("https://api.github.com/user")
    path.write_text("proxy = 1\n")
    with pytest.raises(InputError, match="unknown verify setting 'proxy'"):
        load_settings(path)
