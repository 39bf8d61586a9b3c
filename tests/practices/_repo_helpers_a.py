"""Fixture repositories for the plan, code, build and test practices, built in tmp_path."""

from __future__ import annotations

import os
import subprocess
import textwrap
from functools import cache
from pathlib import Path

from secloop.core.config import Config
from secloop.core.model import PracticeResult
from secloop.practices.base import Context, Evaluator
from secloop.practices.catalog import Practice, parse_catalog
from secloop.practices.evaluators import build, code, plan, test
from secloop.sources.repo import Repo

CATALOG = Path(__file__).parents[2] / "src" / "secloop" / "practices" / "catalog"
STAGES = ("plan", "code", "build", "test")
EVALUATORS: dict[str, Evaluator] = {
    **plan.EVALUATORS,
    **code.EVALUATORS,
    **build.EVALUATORS,
    **test.EVALUATORS,
}

_GIT_ENV = {
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_AUTHOR_DATE": "2026-09-01T10:00:00Z",
    "GIT_COMMITTER_DATE": "2026-09-01T10:00:00Z",
}


@cache
def practices() -> dict[str, Practice]:
    """Only this area's catalog files, so the tests do not depend on other stages' catalogs."""
    texts = [(CATALOG / f"{stage}.toml").read_text("utf-8") for stage in STAGES]
    return {p.id: p for p in parse_catalog(*texts)}


def write(root: Path, files: dict[str, str]) -> Path:
    """Write dedented files under root; a value of "" still creates the (empty) file."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), "utf-8")
    return root


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env={**os.environ, **_GIT_ENV},
    )
    return proc.stdout.decode()


def git_repo(root: Path, files: dict[str, str]) -> Path:
    write(root, files)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "init")
    return root


def commit(root: Path, subject: str, body: str = "") -> None:
    message = ["-m", subject] + (["-m", body] if body else [])
    git(root, "commit", "-q", "--allow-empty", *message)


def merge_branch(root: Path, branch: str, subject: str) -> None:
    """A merge commit on main of a side branch with one commit (what a host's merge button does)."""
    git(root, "checkout", "-q", "-b", branch)
    commit(root, f"work on {branch}")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", branch, "-m", subject)


def run(root: Path, practice_id: str) -> PracticeResult:
    ctx = Context(Repo(root), Config(), practices()[practice_id])
    return EVALUATORS[practice_id](ctx)


def evaluate(tmp_path: Path, practice_id: str, files: dict[str, str]) -> PracticeResult:
    """Write ``files`` (dedented) into a fresh folder and evaluate one practice on it."""
    return run(write(tmp_path, files), practice_id)
