"""Push protection with real git: hook install, pre-commit, pre-push and a bare server's pre-receive."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli import hook
from secloop.core.errors import UsageError
from secloop.secrets.push import (
    ZERO,
    RefUpdate,
    break_glass_reason,
    parse_pre_push,
    parse_pre_receive,
    pre_receive,
    push_revisions,
    scan_push,
)
from secloop.secrets.scan import SecretsScan, get_engine
from tests.secrets.conftest import GIT_ENV, commit, git, init, token

RUNNER = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    hook.register(app)
    return app


def _env(**extra: str) -> dict[str, str]:
    # The hook process must reach the shared Hyperscan cache, and no `-c core.hooksPath` may travel
    # to receive-pack (GIT_CONFIG_PARAMETERS) or the server hook would never run.
    env = {k: v for k, v in os.environ.items() if k not in ("SECLOOP_CACHE_DIR", "GIT_CONFIG_PARAMETERS")}
    return {**env, **GIT_ENV, **extra}


def run_git(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=_env(**env),
        check=False,
    )


@pytest.fixture
def server(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A bare server with the pre-receive hook and a clone with one clean commit already pushed."""
    bare = tmp_path / "server.git"
    assert run_git(tmp_path, "init", "-q", "--bare", str(bare)).returncode == 0
    assert run_git(bare, "config", "receive.advertisePushOptions", "true").returncode == 0
    audit = tmp_path / "logs" / "break-glass.jsonl"
    result = RUNNER.invoke(
        _app(), ["hook", "install", "pre-receive", "--repo", str(bare), "--audit-log", str(audit)]
    )
    assert result.exit_code == 0, result.output
    work = init(tmp_path / "work")
    commit(work, {"README.md": "hello\n"}, "init")
    git(work, "remote", "add", "origin", str(bare))
    assert run_git(work, "push", "-q", "origin", "main").returncode == 0
    return bare, work, audit


def test_install_writes_an_executable_hook_once_and_refuses_a_foreign_one(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    first = RUNNER.invoke(_app(), ["hook", "install", "pre-commit", "--repo", str(repo)])
    path = repo / ".git" / "hooks" / "pre-commit"
    assert first.exit_code == 0 and first.output == f"pre-commit hook installed: {path}\n"
    text = path.read_text()
    assert text.startswith("#!/bin/sh\n# secloop-hook: pre-commit ")
    assert '-m secloop.cli.hook pre-commit "$@"\n' in text
    assert os.access(path, os.X_OK)
    again = RUNNER.invoke(_app(), ["hook", "install", "pre-commit", "--repo", str(repo)])
    assert again.output == f"pre-commit hook unchanged: {path}\n"
    foreign = repo / ".git" / "hooks" / "pre-push"
    foreign.write_text("#!/bin/sh\nmake lint\n")
    refused = RUNNER.invoke(_app(), ["hook", "install", "pre-push", "--repo", str(repo)])
    assert isinstance(refused.exception, UsageError) and refused.exception.exit_code == 2
    assert "was not written by secloop" in str(refused.exception)
    assert foreign.read_text() == "#!/bin/sh\nmake lint\n"
    forced = RUNNER.invoke(_app(), ["hook", "install", "pre-push", "--repo", str(repo), "--force"])
    assert forced.exit_code == 0 and "replaced" in forced.output
    assert (repo / ".git" / "hooks" / "pre-push.secloop-backup").read_text() == "#!/bin/sh\nmake lint\n"
    unknown = RUNNER.invoke(_app(), ["hook", "install", "post-merge", "--repo", str(repo)])
    assert isinstance(unknown.exception, UsageError)
    assert str(unknown.exception) == "unknown hook 'post-merge'"


def test_pre_receive_rejects_a_pushed_secret_and_accepts_a_clean_push(
    server: tuple[Path, Path, Path],
) -> None:
    bare, work, audit = server
    secret = token("github", 7)
    commit(work, {"deploy/settings.py": f'GH_TOKEN = "{secret}"\n'}, "add settings")
    rejected = run_git(work, "push", "origin", "main")
    assert rejected.returncode == 1
    assert "remote: secloop: SECRET-GITHUB-PAT-CLASSIC at deploy/settings.py:1 in " in rejected.stderr
    assert "pre-receive hook declined" in rejected.stderr
    assert secret not in rejected.stderr
    server_head = run_git(bare, "rev-parse", "main").stdout
    assert server_head != git(work, "rev-parse", "HEAD") + "\n"
    # Rewrite the commit without the secret: only the new objects are scanned and the push goes in.
    git(work, "reset", "-q", "--hard", "HEAD~1")
    commit(work, {"deploy/settings.py": 'GH_TOKEN = os.environ["GH_TOKEN"]\n'}, "read it from the env")
    accepted = run_git(work, "push", "origin", "main")
    assert accepted.returncode == 0, accepted.stderr
    assert "secloop" not in accepted.stderr
    assert not audit.exists()


def test_break_glass_needs_a_reason_and_is_logged(server: tuple[Path, Path, Path]) -> None:
    bare, work, audit = server
    secret = token("stripe", 3)
    head = commit(work, {"pay.py": f'KEY = "{secret}"\n'}, "pay")
    empty = run_git(work, "push", "-o", "secloop.break-glass=", "origin", "main")
    assert empty.returncode == 1
    assert "break-glass needs a reason" in empty.stderr
    glass = run_git(work, "push", "-o", "secloop.break-glass=INC-42 key already revoked", "origin", "main")
    assert glass.returncode == 0, glass.stderr
    assert "remote: secloop: BREAK-GLASS by " in glass.stderr
    [line] = audit.read_text().splitlines()
    entry = json.loads(line)
    assert entry["event"] == "secloop.break-glass"
    assert entry["reason"] == "INC-42 key already revoked"
    assert entry["refs"] == [{"ref": "refs/heads/main", "old": entry["refs"][0]["old"], "new": head}]
    assert [(f["rule"], f["path"], f["line"], f["commit"]) for f in entry["findings"]] == [
        ("SECRET-STRIPE-SECRET-KEY", "pay.py", 1, head)
    ]
    assert entry["error"] is None
    assert secret not in line and secret[8:] not in line
    assert run_git(bare, "rev-parse", "main").stdout.strip() == head


def test_break_glass_from_the_environment_is_refused_without_an_audit_log(tmp_path: Path) -> None:
    bare = tmp_path / "server.git"
    run_git(tmp_path, "init", "-q", "--bare", str(bare))
    RUNNER.invoke(_app(), ["hook", "install", "pre-receive", "--repo", str(bare)])
    work = init(tmp_path / "work")
    commit(work, {"a.py": f'T = "{token("npm")}"\n'}, "npm")
    git(work, "remote", "add", "origin", str(bare))
    pushed = run_git(work, "push", "origin", "main", SECLOOP_BREAK_GLASS="on call")
    assert pushed.returncode == 1
    assert "break-glass is disabled on this server (no audit log configured)" in pushed.stderr


def test_an_internal_error_rejects_the_push(server: tuple[Path, Path, Path], tmp_path: Path) -> None:
    bare, work, _audit = server
    broken = tmp_path / "broken-gitleaks.toml"
    broken.write_text("[[rules]\nid = \n")
    args = ["hook", "install", "pre-receive", "--repo", str(bare), "--config", str(broken), "--timeout", "30"]
    updated = RUNNER.invoke(_app(), args)
    assert updated.output == f"pre-receive hook updated: {bare.resolve() / 'hooks' / 'pre-receive'}\n"
    assert f"--config {broken.resolve()} " in (bare / "hooks" / "pre-receive").read_text()
    commit(work, {"notes.txt": "nothing secret here\n"}, "notes")
    pushed = run_git(work, "push", "origin", "main")
    assert pushed.returncode == 1
    assert "remote: secloop: the push could not be checked for secrets (InputError: " in pushed.stderr
    assert "rejected" in pushed.stderr


def _clean_scan(updates: list[RefUpdate]) -> SecretsScan:
    return SecretsScan(findings=(), skipped=(), target="t", scanned=0, scanned_bytes=0)


def test_a_timeout_rejects_and_break_glass_overrides_it_with_the_error_logged(tmp_path: Path) -> None:
    def slow(updates: list[RefUpdate]) -> SecretsScan:
        time.sleep(2)
        return _clean_scan(updates)

    line = f"{'a' * 40} {'b' * 40} refs/heads/main\n"
    verdict = pre_receive(tmp_path, line, {}, slow, None, 0.2)
    assert not verdict.accepted
    assert verdict.lines[0].startswith("secloop: the push could not be checked for secrets (timeout: ")
    log = tmp_path / "audit.jsonl"
    env = {
        "GIT_PUSH_OPTION_COUNT": "1",
        "GIT_PUSH_OPTION_0": "secloop.break-glass=scanner down",
        "GL_USERNAME": "ana",
    }
    glass = pre_receive(tmp_path, line, env, slow, log, 0.2)
    assert glass.accepted
    entry = json.loads(log.read_text())
    assert (entry["pusher"], entry["reason"]) == ("ana", "scanner down")
    assert entry["error"].startswith("timeout: the secret scan did not finish within 0.2 s")


def test_an_unreadable_object_rejects(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    old = commit(repo, {"a.txt": "a\n"}, "a")
    missing = "c" * 40
    verdict = pre_receive(
        repo,
        f"{old} {missing} refs/heads/main\n",
        {},
        lambda updates: scan_push(repo, get_engine(), updates, ["--all"], 1_000_000),
        None,
        30,
    )
    assert not verdict.accepted
    assert "GitError: git rev-list failed" in verdict.lines[0]


def test_malformed_hook_input_rejects(tmp_path: Path) -> None:
    verdict = pre_receive(tmp_path, "not a ref line\n", {}, _clean_scan, None, 5)
    assert not verdict.accepted
    assert "pre-receive input line 1 is not '<old> <new> <ref>'" in verdict.lines[0]
    with pytest.raises(Exception, match="pre-push input line 2"):
        parse_pre_push(f"refs/heads/a {'1' * 40} refs/heads/a {ZERO}\nbad\n")


def test_parsers_and_break_glass_sources() -> None:
    assert parse_pre_receive(f"{ZERO} {'1' * 40} refs/heads/new\n\n") == [
        RefUpdate("refs/heads/new", ZERO, "1" * 40)
    ]
    assert parse_pre_push(f"refs/heads/a {'1' * 40} refs/heads/b {'2' * 40}\n") == [
        RefUpdate("refs/heads/b", "2" * 40, "1" * 40)
    ]
    assert break_glass_reason({}) is None
    assert break_glass_reason({"SECLOOP_BREAK_GLASS": " sev1 "}) == "sev1"
    options = {
        "GIT_PUSH_OPTION_COUNT": "2",
        "GIT_PUSH_OPTION_0": "ci.skip",
        "GIT_PUSH_OPTION_1": "secloop.break-glass",
    }
    assert break_glass_reason(options) == ""


def test_pre_commit_hook_blocks_a_staged_secret(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"README.md": "x\n"}, "init")
    assert RUNNER.invoke(_app(), ["hook", "install", "pre-commit", "--repo", str(repo)]).exit_code == 0
    (repo / "cfg.py").write_text(f'TOKEN = "{token("slack")}"\n')
    run_git(repo, "add", "cfg.py")
    blocked = run_git(repo, "commit", "-m", "cfg")
    assert blocked.returncode == 1
    assert "SECRET-SLACK-BOT-TOKEN cfg.py:1" in blocked.stderr
    assert "secloop: pre-commit blocked" in blocked.stderr
    (repo / "cfg.py").write_text('TOKEN = os.environ["SLACK_TOKEN"]\n')
    run_git(repo, "add", "cfg.py")
    assert run_git(repo, "commit", "-m", "cfg").returncode == 0


def test_pre_push_hook_scans_only_the_commits_to_push(tmp_path: Path) -> None:
    bare = tmp_path / "server.git"
    run_git(tmp_path, "init", "-q", "--bare", str(bare))
    repo = init(tmp_path / "r")
    commit(repo, {"README.md": "x\n"}, "init")
    git(repo, "remote", "add", "origin", str(bare))
    assert run_git(repo, "push", "-q", "origin", "main").returncode == 0
    assert RUNNER.invoke(_app(), ["hook", "install", "pre-push", "--repo", str(repo)]).exit_code == 0
    commit(repo, {"ci.env": f"AWS_ACCESS_KEY_ID={token('aws')}\n"}, "ci")
    blocked = run_git(repo, "push", "origin", "main")
    assert blocked.returncode == 1
    assert "SECRET-AWS-ACCESS-KEY ci.env:1" in blocked.stderr
    assert "secloop: pre-push blocked to origin" in blocked.stderr
    git(repo, "reset", "-q", "--hard", "HEAD~1")
    commit(repo, {"ci.env": "REGION=eu-west-1\n"}, "ci")
    assert run_git(repo, "push", "origin", "main").returncode == 0


def test_push_revisions_skip_deletions_and_unknown_old_tips(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    first = commit(repo, {"a.txt": "a\n"}, "a")
    second = commit(repo, {"a.txt": "b\n"}, "b")
    assert push_revisions(repo, [RefUpdate("refs/heads/gone", first, ZERO)], ["--all"]) == []
    unknown = "d" * 40
    updates = [RefUpdate("refs/heads/main", first, second), RefUpdate("refs/heads/x", unknown, second)]
    assert push_revisions(repo, updates, ["--remotes"]) == [second, "--not", first, "--remotes"]


def test_pre_push_under_pre_commit_reads_the_refs_from_its_variables(tmp_path: Path) -> None:
    assert hook._pushed_refs("a b c d\n", {"PRE_COMMIT_TO_REF": "x"}) == "a b c d\n"
    assert hook._pushed_refs("", {}) == ""
    to, old = "1" * 40, "2" * 40
    env = {
        "PRE_COMMIT_TO_REF": to,
        "PRE_COMMIT_FROM_REF": old,
        "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
        "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/main",
    }
    assert hook._pushed_refs("", env) == f"refs/heads/main {to} refs/heads/main {old}\n"
    repo = init(tmp_path / "r")
    commit(repo, {"README.md": "x\n"}, "init")
    sha = commit(repo, {"ci.env": f"AWS_ACCESS_KEY_ID={token('aws')}\n"}, "ci")
    blocked = RUNNER.invoke(
        _app(),
        ["hook", "pre-push", "origin", "--repo", str(repo)],
        input="",
        env={"PRE_COMMIT_TO_REF": sha, "PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main"},
    )
    assert blocked.exit_code == 1
    assert "SECRET-AWS-ACCESS-KEY ci.env:1" in blocked.output
