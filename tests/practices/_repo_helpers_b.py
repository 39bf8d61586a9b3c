"""Fixture repositories for the deploy, release, operate and monitor tests, built in tmp_path."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from secloop.core.config import Config
from secloop.core.model import PracticeResult
from secloop.practices.base import Evaluator
from secloop.practices.catalog import Practice
from secloop.practices.evaluators import deploy, monitor, operate, release
from tests.practices._repo import evaluate_with, stage_practices
from tests.practices._repo import git as shared_git
from tests.practices._repo import write as write

STAGES = ("deploy", "release", "operate", "monitor")
EVALUATORS: dict[str, Evaluator] = {
    **deploy.EVALUATORS,
    **release.EVALUATORS,
    **operate.EVALUATORS,
    **monitor.EVALUATORS,
}

# A deploy job that makes a fixture repository "deployable" without any manifest.
DEPLOY_ON_MAIN = """\
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: flyctl deploy --remote-only
"""


@cache
def practices() -> dict[str, Practice]:
    return stage_practices(STAGES)


GIT_DATE = "2024-05-01T12:00:00+00:00"  # fixed, so tag dates in evidence are exact


def git(root: Path, *args: str) -> None:
    shared_git(root, *args, date=GIT_DATE)


def git_repo(root: Path, files: dict[str, str], tags: tuple[str, ...] = ()) -> Path:
    write(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "init")
    for tag in tags:
        git(root, "tag", tag)
    return root


def run(root: Path, practice_id: str, config: Config | None = None) -> PracticeResult:
    return evaluate_with(EVALUATORS, practices(), root, practice_id, config)


def evaluate(tmp_path: Path, practice_id: str, files: dict[str, str]) -> PracticeResult:
    """Write ``files`` (dedented) into a fresh folder and evaluate one practice on it."""
    return run(write(tmp_path, files), practice_id)
