"""Stale models against a real git history built in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from secloop.core.enums import Status
from secloop.threatmodel.schema import ThreatModel
from secloop.threatmodel.staleness import StalePolicy, check_staleness
from tests.threatmodel.conftest import load
from tests.threatmodel.test_practices import evaluate

Invoke = Callable[..., Result]
MODEL = """\
system:
  name: Shop
  scope: {in: [the api]}
  code: [src/**]
components:
  - {id: api, kind: process, code: [src/api/**]}
  - {id: worker, kind: process, code: [src/worker/**]}
"""
DAY = 86400
START = 1_767_225_600  # 2026-01-01


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.clock = START
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> None:
        stamp = f"@{self.clock} +0000"
        env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", *args],
            cwd=self.root,
            env=env,
            check=True,
            capture_output=True,
        )

    def commit(self, rel: str, text: str, *, days: int = 1) -> None:
        self.clock += days * DAY
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        self.git("add", rel)
        self.git("commit", "-q", "-m", f"change {rel}")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    r = Repo(tmp_path)
    r.commit("threatmodel.yaml", MODEL)
    return r


def _model() -> ThreatModel:
    return load(MODEL).model


def test_fresh_then_stale_by_commits(repo: Repo) -> None:
    policy = StalePolicy(commits=2, days=0)
    repo.commit("src/api/app.py", "a = 1\n")
    fresh = check_staleness(repo.root / "threatmodel.yaml", _model(), policy)
    assert (fresh.known, fresh.stale, fresh.commits, fresh.components) == (True, False, 1, ("api",))
    repo.commit("README.md", "not code\n")  # outside the model's code: does not count
    repo.commit("src/api/app.py", "a = 2\n")
    stale = check_staleness(repo.root / "threatmodel.yaml", _model(), policy)
    assert (stale.stale, stale.commits, stale.days, stale.files, stale.components) == (
        True,
        2,
        3.0,
        ("src/api/app.py",),
        ("api",),
    )
    assert stale.model_commit is not None
    assert stale.reason == (
        f"2 commit(s) changed the model's code since its last change ({stale.model_commit[:12]}), "
        "the newest 3 day(s) after it (limits: 2 commits, off days)"
    )
    repo.commit("threatmodel.yaml", MODEL + "# reviewed\n")  # updating the model makes it fresh again
    again = check_staleness(repo.root / "threatmodel.yaml", _model(), policy)
    assert (again.stale, again.commits, again.files) == (False, 0, ())


def test_stale_by_days(repo: Repo) -> None:
    repo.commit("src/worker/job.py", "x = 1\n", days=120)
    result = check_staleness(repo.root / "threatmodel.yaml", _model(), StalePolicy(commits=0, days=90))
    assert (result.stale, result.commits, result.days, result.components) == (True, 1, 120.0, ("worker",))
    assert not check_staleness(repo.root / "threatmodel.yaml", _model(), StalePolicy(commits=0, days=0)).stale


def test_unknown_outside_git_or_without_code(tmp_path: Path) -> None:
    (tmp_path / "tm.yaml").write_text(MODEL, "utf-8")
    outside = check_staleness(tmp_path / "tm.yaml", _model(), StalePolicy())
    assert (outside.known, outside.stale, outside.reason) == (
        False,
        False,
        "tm.yaml is not in a git repository",
    )
    bare = load("system: {name: x, scope: {in: [x]}}\ncomponents: [{id: a, kind: process}]\n").model
    assert check_staleness(tmp_path / "tm.yaml", bare, StalePolicy()).reason == (
        "the model names no code (system.code or components[].code)"
    )
    (tmp_path / "r").mkdir()
    Repo(tmp_path / "r")
    (tmp_path / "r" / "tm.yaml").write_text(MODEL, "utf-8")
    assert (
        check_staleness(tmp_path / "r" / "tm.yaml", _model(), StalePolicy()).reason
        == "tm.yaml has no commit yet"
    )


def test_check_gates_on_a_stale_model(invoke: Invoke, repo: Repo) -> None:
    for n in range(3):
        repo.commit("src/api/app.py", f"a = {n}\n")
    model = str(repo.root / "threatmodel.yaml")
    fresh = invoke("threatmodel", "check", model, "-f", "json", "--fail-on", "none")
    assert fresh.exit_code == 0
    assert json.loads(fresh.output)["staleness"]["stale"] is False
    stale = invoke("threatmodel", "check", model, "-f", "json", "--fail-on", "none", "--stale-commits", "3")
    assert stale.exit_code == 1
    doc = json.loads(stale.output)
    assert doc["staleness"]["commits"] == 3 and doc["staleness"]["components"] == ["api"]
    assert doc["gate"]["reasons"][0].startswith("TM-MODEL-STALE: the model is stale: 3 commit(s) changed")
    assert doc["questions"][3]["answered"] is False
    sarif = invoke("threatmodel", "check", model, "-f", "sarif", "--fail-on", "none", "--stale-commits", "3")
    results = json.loads(sarif.output)["runs"][0]["results"]
    stale_results = [r for r in results if r["ruleId"] == "TM-MODEL-STALE"]
    assert len(stale_results) == 1
    assert stale_results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    terminal = invoke("threatmodel", "check", model, "--fail-on", "none", "--stale-commits", "3")
    assert any(line.startswith("   model stale: 3 commit(s)") for line in terminal.output.splitlines())


def test_the_threat_model_practice_reports_a_stale_model(repo: Repo) -> None:
    repo.commit("src/api/app.py", "a = 1\n", days=100)  # default policy: 90 days
    result = evaluate(repo.root, "plan.threat-model", {})
    assert result.status is Status.PARTIAL
    stale = [f for f in result.findings if f.rule_id == "TM-MODEL-STALE"]
    assert len(stale) == 1
    assert stale[0].message.startswith("the threat model is stale: 1 commit(s) changed the model's code")
    assert stale[0].message.endswith("components whose code changed: api; e.g. src/api/app.py")
    assert "does not answer 'did we do a good enough job?'" in " ".join(result.evidence)
