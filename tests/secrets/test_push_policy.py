"""The server hook's policy with real bare repositories: the accepted baseline and inline allows."""

from __future__ import annotations

import io
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli import hook
from secloop.core.baseline import Baseline, BaselineEntry, dump_baseline
from secloop.core.errors import InputError, UsageError
from secloop.secrets.push import ZERO, Judgement, RefUpdate, pre_receive, scan_push
from secloop.secrets.pushpolicy import accepted_baseline, tree_baseline
from secloop.secrets.scan import SecretsScan, get_engine, scan_paths
from tests.secrets.conftest import GIT_ENV, commit, git, init, token

RUNNER = CliRunner()
AWS = token("aws", 11)
GITHUB = token("github", 12)
STRIPE = token("stripe", 13)
BASELINE = ".secloop/baseline.json"


def _app() -> typer.Typer:
    app = typer.Typer()
    hook.register(app)
    return app


def push(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # receive-pack must not inherit `-c core.hooksPath` (GIT_CONFIG_PARAMETERS) or the hook never runs.
    env = {k: v for k, v in os.environ.items() if k not in ("SECLOOP_CACHE_DIR", "GIT_CONFIG_PARAMETERS")}
    return subprocess.run(
        ["git", "push", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**env, **GIT_ENV},
        check=False,
    )


def legacy(revision: int) -> str:
    return f'# legacy settings, revision {revision}\nAWS_ACCESS_KEY_ID = "{AWS}"\n'


def baseline_of(*files: tuple[str, str]) -> str:
    """The baseline `secloop baseline create` would write for these files."""
    scan = scan_paths([(path, text.encode()) for path, text in files], get_engine())
    assert scan.findings
    return dump_baseline(Baseline.from_findings(scan.findings))


def guarded_server(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path]:
    """A bare server that already holds `files` (pushed before the hook), then gets the hook."""
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    work = init(tmp_path / "work")
    commit(work, files, "base")
    git(work, "remote", "add", "origin", str(bare))
    assert push(work, "-q", "origin", "main").returncode == 0
    installed = RUNNER.invoke(_app(), ["hook", "install", "pre-receive", "--repo", str(bare)])
    assert installed.exit_code == 0, installed.output
    return bare, work


@pytest.fixture
def server(tmp_path: Path) -> tuple[Path, Path]:
    """The server's main holds config/legacy.py with an AWS key and a baseline that lists it."""
    return guarded_server(
        tmp_path,
        {"config/legacy.py": legacy(0), BASELINE: baseline_of(("config/legacy.py", legacy(0)))},
    )


def remote_lines(stderr: str) -> list[str]:
    # git pads sideband lines with blanks that clear the rest of a terminal line.
    return [
        line.removeprefix("remote: ").rstrip()
        for line in stderr.splitlines()
        if line.startswith("remote: secloop")
    ]


def test_a_secret_the_accepted_baseline_lists_goes_in_and_a_new_one_is_refused(
    server: tuple[Path, Path],
) -> None:
    bare, work = server
    # Editing the file makes a new blob holding the same key: the scan finds it, the baseline allows it.
    edited = commit(work, {"config/legacy.py": "# owner: platform\n" + legacy(1)}, "touch legacy")
    accepted = push(work, "origin", "main")
    assert accepted.returncode == 0, accepted.stderr
    assert remote_lines(accepted.stderr) == [
        f"secloop: allowed: SECRET-AWS-ACCESS-KEY at config/legacy.py:3 in {edited[:12]}: "
        f"in the accepted {BASELINE}"
    ]
    assert git(bare, "rev-parse", "main") == edited
    added = commit(work, {"app/settings.py": f'TOKEN = "{GITHUB}"\n'}, "settings")
    refused = push(work, "origin", "main")
    assert refused.returncode == 1
    lines = remote_lines(refused.stderr)
    assert lines[0].startswith(
        f"secloop: SECRET-GITHUB-PAT-CLASSIC at app/settings.py:1 in {added[:12]}: "
        "GitHub personal access token (classic): ghp_… (sha256:"
    )
    assert lines[1].startswith("secloop: push rejected. Remove the secret from the commits")
    assert len(lines) == 2
    assert "pre-receive hook declined" in refused.stderr
    assert GITHUB not in refused.stderr
    assert git(bare, "rev-parse", "main") == edited


def test_a_baseline_entry_pushed_with_its_secret_is_refused(server: tuple[Path, Path]) -> None:
    bare, work = server
    base = git(work, "rev-parse", "HEAD")
    both = baseline_of(("config/legacy.py", legacy(0)), ("app/settings.py", f'TOKEN = "{GITHUB}"\n'))
    added = commit(work, {"app/settings.py": f'TOKEN = "{GITHUB}"\n', BASELINE: both}, "secret and its entry")
    refused = push(work, "origin", "main")
    assert refused.returncode == 1
    lines = remote_lines(refused.stderr)
    assert lines[0].startswith(f"secloop: SECRET-GITHUB-PAT-CLASSIC at app/settings.py:1 in {added[:12]}: ")
    assert lines[1] == (
        f"secloop: SECRET-GITHUB-PAT-CLASSIC at app/settings.py:1 in {added[:12]} is listed in {BASELINE} "
        "only by this push; the server honours the baseline it already holds. Get the baseline change "
        "reviewed and merged first, or push with -o secloop.break-glass='<reason>' (logged)"
    )
    assert git(bare, "rev-parse", "main") == base
    # Once the baseline change is on the server on its own, the secret's push is judged against it.
    git(work, "reset", "-q", "--hard", base)
    commit(work, {BASELINE: both}, "baseline the settings token")
    assert push(work, "origin", "main").returncode == 0
    secret = commit(work, {"app/settings.py": f'TOKEN = "{GITHUB}"\n'}, "settings")
    later = push(work, "origin", "main")
    assert later.returncode == 0, later.stderr
    assert remote_lines(later.stderr) == [
        f"secloop: allowed: SECRET-GITHUB-PAT-CLASSIC at app/settings.py:1 in {secret[:12]}: "
        f"in the accepted {BASELINE}"
    ]


def test_an_inline_allow_needs_a_reason_as_in_every_other_scan(server: tuple[Path, Path]) -> None:
    bare, work = server
    base = git(work, "rev-parse", "HEAD")
    bare_marker = f'KEY = "{STRIPE}"  # secloop: ignore[SECRET-STRIPE-SECRET-KEY]\n'
    commit(work, {"docs/sample.py": bare_marker}, "sample without a reason")
    refused = push(work, "origin", "main")
    assert refused.returncode == 1
    assert (
        "secloop: docs/sample.py:1: inline suppression of SECRET-STRIPE-SECRET-KEY ignored: a reason is "
        "mandatory (write `secloop: ignore[SECRET-STRIPE-SECRET-KEY] why it is safe`)"
    ) in remote_lines(refused.stderr)
    assert git(bare, "rev-parse", "main") == base
    git(work, "reset", "-q", "--hard", base)
    above = (
        f"# secloop: ignore[SECRET-STRIPE-SECRET-KEY] revoked sample key, kept for the docs\nK = '{STRIPE}'\n"
    )
    sample = commit(work, {"docs/sample.py": above}, "sample with a reason")
    accepted = push(work, "origin", "main")
    assert accepted.returncode == 0, accepted.stderr
    assert remote_lines(accepted.stderr) == [
        f"secloop: allowed: SECRET-STRIPE-SECRET-KEY at docs/sample.py:2 in {sample[:12]}: "
        "revoked sample key, kept for the docs"
    ]


def test_new_branches_use_the_default_branch_baseline_and_deletions_pass(server: tuple[Path, Path]) -> None:
    bare, work = server
    git(work, "checkout", "-q", "-b", "feature")
    edited = commit(work, {"config/legacy.py": legacy(2)}, "feature edits legacy")
    created = push(work, "origin", "feature")
    assert created.returncode == 0, created.stderr
    assert remote_lines(created.stderr) == [
        f"secloop: allowed: SECRET-AWS-ACCESS-KEY at config/legacy.py:2 in {edited[:12]}: "
        f"in the accepted {BASELINE}"
    ]
    git(work, "checkout", "-q", "-b", "leaky")
    commit(work, {"leak.txt": f"{GITHUB}\n"}, "leak")
    assert push(work, "origin", "leaky").returncode == 1
    assert git(bare, "branch", "--list", "leaky") == ""
    deleted = push(work, "origin", ":feature")
    assert deleted.returncode == 0, deleted.stderr
    assert remote_lines(deleted.stderr) == []
    assert git(bare, "branch", "--list", "feature") == ""


def test_a_malformed_baseline_on_the_server_refuses_pushes_with_findings_only(tmp_path: Path) -> None:
    broken = '{\n  "schema": "secloop.baseline/v1",\n  "findings": [,]\n}\n'
    _bare, work = guarded_server(tmp_path, {"config/legacy.py": legacy(0), BASELINE: broken})
    base = git(work, "rev-parse", "HEAD")
    commit(work, {"config/legacy.py": legacy(1)}, "touch legacy")
    refused = push(work, "origin", "main")
    assert refused.returncode == 1
    lines = remote_lines(refused.stderr)
    assert lines[1:] == [
        "secloop: the push could not be checked for secrets (InputError: "
        f"{base[:12]}:{BASELINE}:3:16: baseline is not valid JSON: Expecting value); rejected",
        "secloop: hint: fix it with `secloop baseline create` in a push that brings no secret, "
        "or push with -o secloop.break-glass='<reason>'",
        lines[3],
    ]
    assert lines[0].startswith("secloop: SECRET-AWS-ACCESS-KEY at config/legacy.py:2 in ")
    assert lines[3].startswith("secloop: push rejected.")
    # The fix itself brings no secret, so it goes in; then the edit is judged against it.
    git(work, "reset", "-q", "--hard", base)
    commit(work, {BASELINE: baseline_of(("config/legacy.py", legacy(0)))}, "fix the baseline")
    assert push(work, "origin", "main").returncode == 0
    commit(work, {"config/legacy.py": legacy(1)}, "touch legacy")
    assert push(work, "origin", "main").returncode == 0


def _dangling(repo: Path, files: dict[str, str]) -> tuple[str, str]:
    """A commit on top of main that no ref reaches, as the pushed objects in quarantine: (old, new)."""
    old = git(repo, "rev-parse", "HEAD")
    new = commit(repo, files, "pushed")
    git(repo, "reset", "-q", "--hard", old)
    return old, new


def _decide(repo: Path, text: str) -> tuple[bool, list[str]]:
    def scanner(updates: list[RefUpdate]) -> SecretsScan:
        return scan_push(repo, get_engine(), updates, ["--all"], 1_000_000)

    verdict = pre_receive(repo, text, {}, scanner, None, 30)
    return verdict.accepted, verdict.lines


def test_a_finding_passes_only_when_every_updated_ref_baseline_lists_it(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"config/legacy.py": legacy(0), BASELINE: baseline_of(("config/legacy.py", legacy(0)))}, "a")
    git(repo, "branch", "bare-branch", "HEAD")
    git(repo, "checkout", "-q", "bare-branch")
    commit(repo, {BASELINE: ""}, "no baseline here")
    other = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    old, new = _dangling(repo, {"config/legacy.py": legacy(3)})
    alone = [RefUpdate("refs/heads/main", old, new)]
    assert [e.rule_id for e in accepted_baseline(repo, alone).entries] == ["SECRET-AWS-ACCESS-KEY"]
    assert _decide(repo, f"{old} {new} refs/heads/main\n")[0]
    both = f"{old} {new} refs/heads/main\n{other} {new} refs/heads/bare-branch\n"
    assert accepted_baseline(repo, [*alone, RefUpdate("refs/heads/bare-branch", other, new)]) == Baseline(())
    accepted, lines = _decide(repo, both)
    assert not accepted
    assert lines[0].startswith(f"secloop: SECRET-AWS-ACCESS-KEY at config/legacy.py:2 in {new[:12]}: ")
    # A deleted ref judges nothing; a new ref reads the default branch (HEAD).
    assert accepted_baseline(repo, [RefUpdate("refs/heads/gone", old, ZERO)]) == Baseline(())
    assert accepted_baseline(repo, [RefUpdate("refs/tags/v1", ZERO, new)]).entries == (
        accepted_baseline(repo, alone).entries
    )


def test_a_new_ref_in_an_empty_repository_has_no_baseline(tmp_path: Path) -> None:
    bare = tmp_path / "empty.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    assert accepted_baseline(bare, [RefUpdate("refs/heads/main", ZERO, "1" * 40)]) == Baseline(())


def test_the_tree_baseline_is_checked_like_the_work_tree_one(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    none = commit(repo, {"README.md": "hi\n"}, "no baseline")
    assert tree_baseline(repo, none) is None
    entry = BaselineEntry("f" * 64, "SECRET-AWS-ACCESS-KEY", "config/legacy.py")
    good = commit(repo, {BASELINE: dump_baseline(Baseline((entry,)))}, "baseline")
    assert tree_baseline(repo, good) == Baseline((entry,))
    wrong = commit(repo, {BASELINE: '{"schema": "other"}\n'}, "other schema")
    with pytest.raises(InputError) as schema:
        tree_baseline(repo, wrong)
    assert str(schema.value.place) == f"{wrong[:12]}:{BASELINE}:1"
    assert schema.value.message == "not a secloop baseline (expected schema 'secloop.baseline/v1')"
    commit(repo, {BASELINE: ""}, "drop")
    folder = commit(repo, {f"{BASELINE}/x": "x\n"}, "a folder where the file was")
    with pytest.raises(InputError, match="baseline is a tree, not a file"):
        tree_baseline(repo, folder)
    commit(repo, {f"{BASELINE}/x": ""}, "drop the folder")
    (repo / BASELINE).rmdir()
    (repo / BASELINE).write_bytes(b"\xff\xfe{}")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "binary")
    binary = git(repo, "rev-parse", "HEAD")
    with pytest.raises(InputError, match="baseline is not UTF-8 text") as utf:
        tree_baseline(repo, binary)
    assert str(utf.value.place) == f"{binary[:12]}:{BASELINE}"


def test_a_clean_push_never_reads_the_policy(tmp_path: Path) -> None:
    def clean(updates: list[RefUpdate]) -> SecretsScan:
        return SecretsScan(findings=(), skipped=(), target="t", scanned=1, scanned_bytes=1)

    def judge(root: Path, updates: object, findings: object) -> Judgement:
        raise AssertionError("judged a clean push")

    verdict = pre_receive(tmp_path, f"{'a' * 40} {'b' * 40} refs/heads/main\n", {}, clean, None, 5, judge)
    assert verdict.accepted and verdict.lines == []


def test_a_failing_policy_rejects_with_every_finding_listed(tmp_path: Path) -> None:
    found = scan_paths([("a.py", f'K = "{AWS}"\n'.encode())], get_engine())

    def judge(root: Path, updates: object, findings: object) -> Judgement:
        raise InputError("baseline is not valid JSON: Expecting value", hint="fix it")

    verdict = pre_receive(
        tmp_path, f"{'a' * 40} {'b' * 40} refs/heads/main\n", {}, lambda _u: found, None, 5, judge
    )
    assert not verdict.accepted
    assert verdict.lines[0].startswith("secloop: SECRET-AWS-ACCESS-KEY at a.py:1: AWS access key id: ")
    assert verdict.lines[1:3] == [
        "secloop: the push could not be checked for secrets "
        "(InputError: baseline is not valid JSON: Expecting value); rejected",
        "secloop: hint: fix it",
    ]


def test_an_archive_member_cannot_carry_an_inline_allow(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    old = commit(repo, {"README.md": "hi\n"}, "init")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("app.py", f'K = "{STRIPE}"  # secloop: ignore[SECRET-STRIPE-SECRET-KEY] a sample\n')
    (repo / "bundle.zip").write_bytes(buffer.getvalue())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "bundle")
    new = git(repo, "rev-parse", "HEAD")
    git(repo, "reset", "-q", "--hard", old)
    accepted, lines = _decide(repo, f"{old} {new} refs/heads/main\n")
    assert not accepted
    assert lines[0].startswith(f"secloop: SECRET-STRIPE-SECRET-KEY at bundle.zip!app.py:1 in {new[:12]}: ")
    # The same line in a plain file is allowed: the difference is the archive, not the marker.
    plain_old, plain_new = _dangling(
        repo, {"app.py": f'K = "{STRIPE}"  # secloop: ignore[SECRET-STRIPE-SECRET-KEY] a sample\n'}
    )
    assert _decide(repo, f"{plain_old} {plain_new} refs/heads/main\n") == (
        True,
        [f"secloop: allowed: SECRET-STRIPE-SECRET-KEY at app.py:1 in {plain_new[:12]}: a sample"],
    )


def test_baseline_ref_closes_the_two_push_bypass(tmp_path: Path) -> None:
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    work = init(tmp_path / "work")
    commit(work, {"README.md": "shop\n"}, "base")
    git(work, "remote", "add", "origin", str(bare))
    assert push(work, "-q", "origin", "main").returncode == 0
    args = ["hook", "install", "pre-receive", "--repo", str(bare), "--baseline-ref", "refs/heads/main"]
    installed = RUNNER.invoke(_app(), args)
    assert installed.exit_code == 0, installed.output
    assert "--baseline-ref refs/heads/main" in (bare / "hooks" / "pre-receive").read_text()
    settings = f'TOKEN = "{GITHUB}"\n'
    # Push 1 brings only a baseline entry to an unreviewed branch; push 2 the secret it would allow.
    git(work, "checkout", "-q", "-b", "sneaky")
    commit(work, {BASELINE: baseline_of(("app/settings.py", settings))}, "baseline first")
    assert push(work, "origin", "sneaky").returncode == 0
    commit(work, {"app/settings.py": settings}, "then the secret")
    refused = push(work, "origin", "sneaky")
    assert refused.returncode == 1
    assert remote_lines(refused.stderr)[0].startswith(
        "secloop: SECRET-GITHUB-PAT-CLASSIC at app/settings.py:1"
    )
    # Without --baseline-ref the branch's own old tip would have allowed it.
    tip = git(bare, "rev-parse", "refs/heads/sneaky")
    update = RefUpdate("refs/heads/sneaky", tip, git(work, "rev-parse", "HEAD"))
    own = accepted_baseline(bare, [update])
    assert [e.path for e in own.entries] == ["app/settings.py"]
    assert accepted_baseline(bare, [update], "refs/heads/main").entries == ()
    assert accepted_baseline(bare, [update], "refs/heads/absent").entries == ()


@pytest.mark.parametrize("ref", ["main", "heads/main", "refs/heads/ma in", "refs/heads/a..b"])
def test_baseline_ref_must_be_a_full_ref_name(tmp_path: Path, ref: str) -> None:
    bare = tmp_path / "server.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    result = RUNNER.invoke(
        _app(), ["hook", "install", "pre-receive", "--repo", str(bare), "--baseline-ref", ref]
    )
    assert isinstance(result.exception, UsageError) and result.exception.exit_code == 2
    assert result.exception.message == f"--baseline-ref must be a full ref name, got {ref!r}"
    assert not (bare / "hooks" / "pre-receive").exists()
