"""Fixture repositories for the deploy, release, operate and monitor tests, built in tmp_path."""

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
from secloop.practices.evaluators import deploy, monitor, operate, release
from secloop.sources.repo import Repo

CATALOG = Path(__file__).parents[2] / "src" / "secloop" / "practices" / "catalog"
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
    """Only this area's catalog files, so the tests do not depend on other stages' catalogs."""
    texts = [(CATALOG / f"{stage}.toml").read_text("utf-8") for stage in STAGES]
    return {p.id: p for p in parse_catalog(*texts)}


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), "utf-8")
    return root


GIT_DATE = "2024-05-01T12:00:00+00:00"  # fixed, so tag dates in evidence are exact


def git(root: Path, *args: str) -> None:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    env = {**os.environ, "GIT_AUTHOR_DATE": GIT_DATE, "GIT_COMMITTER_DATE": GIT_DATE}
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True, env=env)


def git_repo(root: Path, files: dict[str, str], tags: tuple[str, ...] = ()) -> Path:
    write(root, files)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", "init")
    for tag in tags:
        git(root, "tag", tag)
    return root


def run(root: Path, practice_id: str, config: Config | None = None) -> PracticeResult:
    ctx = Context(Repo(root), config or Config(), practices()[practice_id])
    return EVALUATORS[practice_id](ctx)


def evaluate(tmp_path: Path, practice_id: str, files: dict[str, str]) -> PracticeResult:
    """Write ``files`` (dedented) into a fresh folder and evaluate one practice on it."""
    return run(write(tmp_path, files), practice_id)
