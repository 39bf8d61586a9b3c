"""Engine-backed evaluators of code.secrets and code.push-protection, on the demo and fixture repositories."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from secloop.cli.hook import install
from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.practices.base import Context
from secloop.practices.catalog import practice
from secloop.secrets.practices import EVALUATORS, HOOK_COMMAND
from secloop.sources.repo import Repo
from tests.secrets.conftest import commit, git, init, token, write

ROOT = Path(__file__).parents[2]


def evaluate(root: Path, practice_id: str) -> PracticeResult:
    return EVALUATORS[practice_id](Context(Repo(root), Config(), practice(practice_id)))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("demo") / "shop"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo.py"), str(dest)], check=True, capture_output=True
    )
    return dest


def test_demo_token_removed_two_commits_later_fails_at_its_introducing_commit(demo: Path) -> None:
    introducing = git(demo, "log", "--format=%H", "--grep=Let the release bot call the GitHub API")
    result = evaluate(demo, "code.secrets")
    assert result.status is Status.FAIL
    assert result.summary == (
        "1 secret(s) found, 1 of them only in history"
        " (removed from the tree but still in every clone: rotate them)"
    )
    [finding] = result.findings
    assert finding.rule_id == "SECRET-GITHUB-PAT-CLASSIC"
    assert finding.primary is not None
    assert (finding.primary.path, finding.primary.start_line, finding.primary.commit) == (
        "config/settings.py",
        8,
        introducing,
    )
    props = dict(finding.properties)
    assert props["author"] == "Ben Okafor <ben@shop.example>"
    assert props["where"] == "history"
    assert (
        f"config/settings.py:8:17 (commit {introducing[:12]}, history only): SECRET-GITHUB-PAT-CLASSIC ghp_…"
        in (result.evidence)
    )
    assert result.evidence[0].startswith("working tree: ")
    assert result.evidence[1].startswith("history: ") and "unique blobs" in result.evidence[1]


def test_a_clean_repository_passes_with_tree_and_history_scanned(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"app.py": "print('hello')\n", ".gitleaks.toml": "title = 'x'\n"}, "init")
    result = evaluate(repo, "code.secrets")
    assert result.status is Status.PASS
    assert result.summary == "no secret found in the working tree and its history"
    assert result.evidence == (
        "working tree: 2 files (0.0 kB) scanned",
        "history: 2 unique blobs (0.0 kB) scanned",
        ".gitleaks.toml: secret-scanning configuration",
    )


def test_an_uncommitted_secret_is_found_in_the_working_tree(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"app.py": "x = 1\n"}, "init")
    write(repo, {"local.env": f"STRIPE={token('stripe')}\n"})
    result = evaluate(repo, "code.secrets")
    assert result.status is Status.FAIL
    assert result.summary == "1 secret(s) found"
    [finding] = result.findings
    assert dict(finding.properties)["where"] == "working tree"


def test_a_directory_without_git_is_scanned_as_a_tree(tmp_path: Path) -> None:
    write(tmp_path, {"a.txt": "nothing here\n"})
    result = evaluate(tmp_path, "code.secrets")
    assert result.status is Status.PASS
    assert result.summary == "no secret found in the working tree (no git history)"


def test_push_protection_without_a_hook_names_the_command(tmp_path: Path) -> None:
    write(tmp_path, {"README.md": "x\n"})
    result = evaluate(tmp_path, "code.push-protection")
    assert result.status is Status.FAIL
    assert result.evidence[-2:] == (
        f"a pre-commit hook can run `{HOOK_COMMAND}` (blocks the commit on a secret)",
        "`secloop hook install pre-commit|pre-push` installs the hooks; `secloop hook install pre-receive` "
        "protects the server",
    )


def test_a_hook_installed_in_this_clone_only_is_partial(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    write(repo, {"README.md": "x\n"})
    install("pre-commit", repo, False, None, [])
    result = evaluate(repo, "code.push-protection")
    assert result.status is Status.PARTIAL
    assert (
        result.summary
        == "a secloop hook runs in this clone only; nothing in the repository makes other clones run one"
    )
    assert ".git/hooks/pre-commit: secloop pre-commit hook installed (this clone only)" in result.evidence


def test_push_protection_with_a_secloop_hook_is_partial(tmp_path: Path) -> None:
    config = (
        "repos:\n  - repo: local\n    hooks:\n      - id: secloop-secrets\n        name: secrets\n"
        "        entry: secloop scan secrets --staged\n        language: system\n"
    )
    write(tmp_path, {".pre-commit-config.yaml": config})
    result = evaluate(tmp_path, "code.push-protection")
    assert result.status is Status.PARTIAL
    assert any("secloop-secrets" in line for line in result.evidence)
