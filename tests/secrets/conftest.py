"""Helpers of the secrets tests: secret-shaped strings built at run time, and git repositories in tmp_path.

No test file holds a literal secret: `token(kind)` expands a template of the rule data (the same
`{{alphabet:n}}` placeholders as the rule examples) with a seeded generator.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import pytest

from secloop.secrets.engine import Engine
from secloop.secrets.scan import get_engine
from secloop.secrets.spec import expand

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Ana Lima",
    "GIT_AUTHOR_EMAIL": "ana@example.invalid",
    "GIT_COMMITTER_NAME": "Ana Lima",
    "GIT_COMMITTER_EMAIL": "ana@example.invalid",
}

TEMPLATES = {
    "github": "ghp{{}}_{{alnum:36}}",
    "stripe": "sk{{}}_live_{{alnum:24}}",
    "slack": "xo{{}}xb-{{digits:12}}-{{digits:13}}-{{alnum:24}}",
    "npm": "np{{}}m_{{alnum:36}}",
    "aws": "AK{{}}IA{{base32:16}}",
}


def token(kind: str, seed: int = 0) -> str:
    return expand(TEMPLATES[kind], random.Random(f"{kind}/{seed}"))


def engine() -> Engine:
    return get_engine()


def git(root: Path, *args: str, date: str = "2026-09-01T10:00:00Z") -> str:
    proc = subprocess.run(
        [
            "git",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
            *args,
        ],
        cwd=root,
        check=True,
        capture_output=True,
        env={**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date},
    )
    return proc.stdout.decode().strip()


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")


def commit(root: Path, files: dict[str, str], message: str, date: str = "2026-09-01T10:00:00Z") -> str:
    """Write the files (an empty string deletes one), commit everything, return the new HEAD."""
    for rel, text in files.items():
        if text == "" and (root / rel).exists():
            (root / rel).unlink()
    write(root, {k: v for k, v in files.items() if v != ""})
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message, date=date)
    return git(root, "rev-parse", "HEAD")


def init(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    return root


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """History scans through the CLI keep a blob cache: never in the user's cache directory during tests.

    The default engine is built first, so its Hyperscan database still comes from the shared cache.
    """
    get_engine()
    directory = tmp_path_factory.mktemp("secloop-cache")
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(directory))
    return directory
