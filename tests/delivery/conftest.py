"""Small git repositories with fixed dates for the delivery tests, and helpers to read their metrics."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.model import Metric
from secloop.delivery import Options, dora
from secloop.delivery.metrics import DoraReport
from secloop.sources.repo import Repo

BASE_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
    "TZ": "UTC",
    "LC_ALL": "C",
}


def at(when: str) -> datetime:
    """'2026-03-02 09:00' as an aware UTC datetime."""
    return datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def iso(when: str) -> str:
    return at(when).strftime("%Y-%m-%dT%H:%M:%SZ")


class GitRepo:
    """A git repository built commit by commit with fixed author and committer dates."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.run("init", "-q")

    def run(self, *args: str, when: str | None = None, author_when: str | None = None) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | BASE_ENV
        if when is not None:
            env["GIT_COMMITTER_DATE"] = iso(when)
            env["GIT_AUTHOR_DATE"] = iso(author_when or when)
        done = subprocess.run(
            [
                "git",
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
                *args,
            ],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    def commit(self, message: str, when: str, author_when: str | None = None) -> str:
        self.count += 1
        (self.root / f"file{self.count}.txt").write_text(f"{message}\n")
        self.run("add", "-A")
        self.run("commit", "-q", "--no-verify", "-m", message, when=when, author_when=author_when)
        return self.run("rev-parse", "HEAD")

    def empty(self, message: str, when: str) -> None:
        """A commit without a file change: quicker, for long histories."""
        self.run("commit", "-q", "--allow-empty", "--no-verify", "-m", message, when=when)

    def tag(self, name: str, when: str, sha: str = "HEAD", annotated: bool = True) -> None:
        if annotated:
            self.run("tag", "-a", name, "-m", f"release {name}", sha, when=when)
        else:
            self.run("tag", name, sha)

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.run("checkout", "-q", "-b", name, start)

    def checkout(self, name: str) -> None:
        self.run("checkout", "-q", name)

    def merge(self, branch: str, when: str, message: str | None = None) -> str:
        self.run(
            "merge",
            "-q",
            "--no-ff",
            "--no-verify",
            "-m",
            message or f"Merge branch '{branch}'",
            branch,
            when=when,
        )
        return self.run("rev-parse", "HEAD")

    def revert(self, sha: str, when: str) -> str:
        self.run("revert", "--no-edit", sha, when=when)
        return self.run("rev-parse", "HEAD")

    def events(self, *records: Mapping[str, object], name: str = ".secloop/events.jsonl") -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        return path


def deployment(
    sha: str, when: str, version: str | None = None, environment: str = "production"
) -> dict[str, object]:
    record: dict[str, object] = {
        "type": "deployment",
        "environment": environment,
        "sha": sha,
        "time": iso(when),
    }
    if version is not None:
        record["version"] = version
    return record


def incident(ident: str, opened: str, resolved: str | None = None, **extra: str) -> dict[str, object]:
    record: dict[str, object] = {"type": "incident", "id": ident, "opened": iso(opened)}
    if resolved is not None:
        record["resolved"] = iso(resolved)
    return record | extra


def measure(root: Path, options: Options | None = None, config: Config | None = None) -> DoraReport:
    return dora(Repo(root), config or Config(), options)


def metric(report: DoraReport, metric_id: str) -> Metric:
    return next(m.metric for m in report.measures if m.metric.id == metric_id)


def details(report: DoraReport, metric_id: str) -> dict[str, object]:
    return dict(next(m.details for m in report.measures if m.metric.id == metric_id))


@pytest.fixture
def git_repo(tmp_path: Path) -> Callable[[str], GitRepo]:
    def make(name: str = "repo") -> GitRepo:
        return GitRepo(tmp_path / name)

    return make
