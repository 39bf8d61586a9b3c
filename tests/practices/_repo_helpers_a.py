"""Fixture repositories for the plan, code, build and test practices, built in tmp_path."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from secloop.core.model import PracticeResult
from secloop.practices.base import Evaluator
from secloop.practices.catalog import Practice
from secloop.practices.evaluators import build, code, plan, test
from tests.practices._repo import evaluate_with, stage_practices
from tests.practices._repo import git as git
from tests.practices._repo import write as write

STAGES = ("plan", "code", "build", "test")
EVALUATORS: dict[str, Evaluator] = {
    **plan.EVALUATORS,
    **code.EVALUATORS,
    **build.EVALUATORS,
    **test.EVALUATORS,
}


@cache
def practices() -> dict[str, Practice]:
    return stage_practices(STAGES)


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
    return evaluate_with(EVALUATORS, practices(), root, practice_id)


def evaluate(tmp_path: Path, practice_id: str, files: dict[str, str]) -> PracticeResult:
    """Write ``files`` (dedented) into a fresh folder and evaluate one practice on it."""
    return run(write(tmp_path, files), practice_id)
