"""Fixture repositories for practice tests, built in tmp_path: files, git history and one evaluation."""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path

from secloop.core.config import Config
from secloop.core.model import PracticeResult
from secloop.practices.base import Context, Evaluator
from secloop.practices.catalog import Practice, parse_catalog
from secloop.sources.repo import Repo

CATALOG = Path(__file__).parents[2] / "src" / "secloop" / "practices" / "catalog"


def stage_practices(stages: tuple[str, ...]) -> dict[str, Practice]:
    """Only these stages' catalog files, so a test does not depend on other stages' catalogs."""
    texts = [(CATALOG / f"{stage}.toml").read_text("utf-8") for stage in stages]
    return {p.id: p for p in parse_catalog(*texts)}


def write(root: Path, files: dict[str, str]) -> Path:
    """Write dedented files under root; a value of "" still creates the (empty) file."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), "utf-8")
    return root


def git(root: Path, *args: str, date: str = "2026-09-01T10:00:00Z") -> str:
    """Run git with a fixed identity and date, ignoring the user's and the system's git config."""
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.invalid",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.invalid",
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    proc = subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env=env,
    )
    return proc.stdout.decode()


def evaluate_with(
    evaluators: Mapping[str, Evaluator],
    practices: Mapping[str, Practice],
    root: Path,
    practice_id: str,
    config: Config | None = None,
) -> PracticeResult:
    ctx = Context(Repo(root), config or Config(), practices[practice_id])
    return evaluators[practice_id](ctx)
