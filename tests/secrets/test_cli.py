"""`secloop scan secrets`: targets, formats, exit codes and redaction of every output."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner, Result

from secloop.cli import secrets
from secloop.core.errors import SecloopError
from tests.secrets.conftest import commit, git, init, token, write

RUNNER = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    scan = typer.Typer()
    app.add_typer(scan, name="scan")
    secrets.register(scan)
    return app


def run(*args: str, stdin: str | None = None) -> Result:
    return RUNNER.invoke(_app(), ["scan", "secrets", *args], input=stdin)


def test_clean_tree_exits_zero(tmp_path: Path) -> None:
    write(tmp_path, {"a.py": "x = 1\n"})
    result = run(str(tmp_path))
    assert result.exit_code == 0
    assert "0 active secret(s), 0 suppressed or in baseline; 1 files (0.0 MB)" in result.output


def test_a_secret_fails_the_gate_and_the_full_value_never_appears(tmp_path: Path) -> None:
    secret = token("github")
    write(tmp_path, {"conf.py": f'TOKEN = "{secret}"\n'})
    terminal = run(str(tmp_path))
    assert terminal.exit_code == 1
    assert "critical SECRET-GITHUB-PAT-CLASSIC conf.py:1:10" in terminal.output
    assert "gate: FAILED — 1 active finding(s) at or above high (worst: critical)" in terminal.output
    for fmt in ("json", "sarif"):
        out = run(str(tmp_path), "--format", fmt)
        assert out.exit_code == 1
        assert secret not in out.output and secret[4:] not in out.output
        json.loads(out.output)
    sarif = json.loads(run(str(tmp_path), "-f", "sarif").output)
    [result] = sarif["runs"][0]["results"]
    assert result["ruleId"] == "SECRET-GITHUB-PAT-CLASSIC"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert sarif["runs"][0]["tool"]["driver"]["rules"][0]["id"] == "SECRET-GITHUB-PAT-CLASSIC"
    document = json.loads(run(str(tmp_path), "-f", "json").output)
    [practice] = document["practices"]
    assert (practice["id"], practice["status"]) == ("code.secrets", "fail")
    assert practice["findings"][0]["properties"]["secret_prefix"] == "ghp_…"


def test_fail_on_none_and_inline_suppression(tmp_path: Path) -> None:
    secret = token("stripe")
    write(
        tmp_path,
        {"a.py": f'K = "{secret}"  # secloop: ignore[SECRET-STRIPE-SECRET-KEY] rotated, test account\n'},
    )
    assert run(str(tmp_path)).exit_code == 0
    assert "[suppressed (inline): rotated, test account]" in run(str(tmp_path)).output
    assert run(str(tmp_path), "--audit").exit_code == 1
    assert run(str(tmp_path), "--audit", "--fail-on", "none").exit_code == 0


def test_history_mode_and_output_file(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    secret = token("slack")
    sha = commit(repo, {"bot.env": f"SLACK={secret}\n"}, "bot")
    commit(repo, {"bot.env": ""}, "remove")
    assert run(str(repo)).exit_code == 0
    report = tmp_path / "out.json"
    result = run(str(repo), "--history", "-f", "json", "-o", str(report))
    assert result.exit_code == 1
    [finding] = json.loads(report.read_text())["practices"][0]["findings"]
    assert finding["locations"][0]["commit"] == sha
    assert finding["properties"]["where"] == "history"
    assert secret not in report.read_text()


def test_staged_and_since_modes(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    base = commit(repo, {"a.txt": "a\n"}, "a")
    write(repo, {"b.txt": f"{token('npm')}\n"})
    git(repo, "add", "b.txt")
    assert run(str(repo), "--staged").exit_code == 1
    commit(repo, {}, "b")
    assert run(str(repo), "--since", base).exit_code == 1
    assert run(str(repo), "--since", "HEAD").exit_code == 0


def test_files_and_stdin(tmp_path: Path) -> None:
    write(tmp_path, {"one.txt": "nothing\n", "two.txt": f"{token('aws')}\n"})
    result = run(str(tmp_path / "one.txt"), str(tmp_path / "two.txt"))
    assert result.exit_code == 1
    assert f"{tmp_path / 'two.txt'}:1:1" in result.output
    piped = run("-", stdin=f"key: {token('aws', 3)}\n")
    assert piped.exit_code == 1
    assert "<stdin>:1:6" in piped.output


def test_usage_errors(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "x\n"})
    for args, message in (
        ((str(tmp_path), "--history", "--staged"), "--history and --staged cannot be combined"),
        ((str(tmp_path), "--history"), f"--history needs a git repository: {tmp_path.resolve()}"),
        ((str(tmp_path / "a.txt"), "--staged"), "--staged scans a repository: give one directory"),
        ((str(tmp_path / "missing.txt"), str(tmp_path / "a.txt")), "path does not exist"),
        ((str(tmp_path), "-f", "xml"), "unknown format 'xml'"),
    ):
        result = run(*args)
        assert isinstance(result.exception, SecloopError), args
        assert message in result.exception.message
        assert result.exception.exit_code == 2


def test_gitleaks_config_rules_are_used(tmp_path: Path) -> None:
    config = tmp_path / "gitleaks.toml"
    config.write_text(
        "[[rules]]\nid = 'acme-key'\ndescription = 'ACME key'\n"
        "regex = '''acme_(?:live)_([a-z0-9]{16})'''\nsecretGroup = 1\nkeywords = ['acme_']\n"
    )
    write(tmp_path, {"src/app.py": "KEY = 'acme_live_0a1b2c3d4e5f6a7b'\n"})
    result = run(str(tmp_path / "src"), "--config", str(config))
    assert result.exit_code == 1
    assert "high     SECRET-CUSTOM-ACME-KEY app.py:1:18 ACME key: 0a1b…" in result.output
