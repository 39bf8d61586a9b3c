"""`secloop posture`: remote resolution, no-token answers, the fake API, the gate, the saved facts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from secloop.cli.main import run_app
from secloop.cli.posture import register
from secloop.pipeline.posture.store import Remote, facts_file, parse_remote

from .conftest import NOW, TOKEN_VALUE, FakeApi, commit, github_routes, make_repo


def app() -> typer.Typer:
    built = typer.Typer()

    @built.callback()
    def main() -> None:
        """Test root."""

    register(built)
    return built


def secloop(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        run_app(app(), argv)
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GITLAB_TOKEN", raising=False)
    root = make_repo(tmp_path / "widget")
    commit(root, "Add widget (#1)", NOW)
    return root


def test_without_token_every_check_is_unknown(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = secloop(["posture", str(repo), "-f", "json"], capsys)
    assert code == 0
    doc = json.loads(out)
    assert (doc["platform"], doc["repo"], doc["fetched"], doc["saved"]) == (
        "github",
        "acme/widget",
        False,
        None,
    )
    assert len(doc["checks"]) == 21
    assert {c["status"] for c in doc["checks"]} == {"unknown"}
    assert {c["reason"] for c in doc["checks"]} == {"set GITHUB_TOKEN (read-only) to check this"}
    assert doc["local"]["review"]["reviewed"] == 1


def test_token_env_names_the_variable(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = secloop(["posture", str(repo), "--token-env", "MY_RO_TOKEN", "-f", "json"], capsys)
    assert code == 0
    assert json.loads(out)["checks"][0]["reason"] == "set MY_RO_TOKEN (read-only) to check this"


def test_fetch_print_and_save(
    repo: Path, fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    github_routes(fake_api, protection=(200, "protection_reviews.json"))
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN_VALUE)
    argv = ["posture", str(repo), "--api-url", fake_api.url, "-f", "json", "--fail-on", "none"]
    code, out, _ = secloop(argv, capsys)
    assert code == 0
    doc = json.loads(out)
    assert doc["scorecard_branch_protection"]["score"] == 6
    failing = sorted(c["rule"] for c in doc["checks"] if c["status"] == "fail")
    assert failing == [
        "POSTURE-ADMINS-BYPASS",
        "POSTURE-NO-CODEOWNER-REVIEW",
        "POSTURE-NO-STATUS-CHECKS",
        "POSTURE-STALE-REVIEWS-KEPT",
    ]
    file = facts_file("github.com", "acme/widget")
    assert doc["saved"] == str(file)
    saved = json.loads(file.read_text())
    assert saved["schema"] == "secloop.posture/v1" and saved["repo"] == "acme/widget"
    assert TOKEN_VALUE not in file.read_text()
    assert not list(file.parent.glob(".*"))  # no temporary file left behind


def test_gate_fails_on_medium(
    repo: Path, fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    github_routes(fake_api, protection=(200, "protection_reviews.json"))
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN_VALUE)
    argv = ["posture", str(repo), "--api-url", fake_api.url, "--fail-on", "medium", "--no-save"]
    code, out, _ = secloop(argv, capsys)
    assert code == 1
    assert "OpenSSF Scorecard Branch-Protection score: 6/10" in out
    assert "POSTURE-STALE-REVIEWS-KEPT" in out
    assert not facts_file("github.com", "acme/widget").exists()
    code, _, _ = secloop([*argv[:-3], "--fail-on", "high", "--no-save"], capsys)
    assert code == 0


def test_bad_token_exits_2(
    repo: Path, fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_api.add("/repos/acme/widget", 401, {"message": "Bad credentials"})
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN_VALUE)
    code, _, err = secloop(["posture", str(repo), "--api-url", fake_api.url], capsys)
    assert code == 2
    assert err.startswith("error: cannot read acme/widget: the token was rejected at /repos/acme/widget")
    assert "hint: set a valid read-only token" in err


def test_repo_option_without_remote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = secloop(["posture", str(tmp_path)], capsys)
    assert code == 2
    assert "no --repo and no git remote" in err
    code, out, _ = secloop(["posture", str(tmp_path), "--repo", "acme/widget", "-f", "json"], capsys)
    assert code == 0 and json.loads(out)["repo"] == "acme/widget"


def test_gitlab_remote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GITLAB_TOKEN", raising=False)
    root = make_repo(tmp_path / "w", "git@gitlab.com:acme/sub/widget.git")
    code, out, _ = secloop(["posture", str(root), "-f", "json"], capsys)
    doc = json.loads(out)
    assert (code, doc["platform"], doc["repo"]) == (0, "gitlab", "acme/sub/widget")
    assert len(doc["checks"]) == 15
    assert doc["checks"][0]["reason"] == "set GITLAB_TOKEN (read-only) to check this"


def test_unknown_platform_and_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path / "w", "https://git.example.org/acme/widget.git")
    code, _, err = secloop(["posture", str(root)], capsys)
    assert code == 2 and "cannot tell the platform of git.example.org" in err
    code, _, err = secloop(["posture", str(root), "-f", "sarif"], capsys)
    assert code == 2 and "unknown format 'sarif'" in err


@pytest.mark.parametrize(
    ("url", "remote"),
    [
        ("https://github.com/acme/widget.git", Remote("github.com", "acme/widget")),
        ("git@github.com:acme/widget.git", Remote("github.com", "acme/widget")),
        (
            "ssh://git@gitlab.example.com:2222/group/sub/project.git",
            Remote("gitlab.example.com", "group/sub/project"),
        ),
        ("https://user@GitHub.com/acme/widget/", Remote("github.com", "acme/widget")),
        ("/srv/git/widget.git", None),
        ("https://github.com/widget", None),
    ],
)
def test_parse_remote(url: str, remote: Remote | None) -> None:
    assert parse_remote(url) == remote


def test_terminal_without_token(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = secloop(["posture", str(repo)], capsys)
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert code == 0
    assert lines[0] == "secloop posture github acme/widget"
    assert "unknown POSTURE-BRANCH-UNPROTECTED high set GITHUB_TOKEN (read-only) to check this" in lines
    assert lines[-4] == "Offline, from local git"
    assert lines[-3].startswith("git history: 1/1 mainline changes of the last 1 first-parent commits")
    assert lines[-1] == "Nothing fetched: no token. `secloop assess` keeps these practices unknown."
