"""The registry-backed practices and `scan deps --registry/--online/--since` on git fixture repositories."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.deps import registry_check
from secloop.deps.practices import (
    evaluate_component_health,
    evaluate_dependency_cooldown,
    evaluate_dependency_freshness,
)
from secloop.practices.base import Context, Evaluator
from secloop.practices.catalog import load_catalog
from secloop.sources.repo import Repo
from tests.deps.conftest import RegistryServer, run_cli, write

EPOCH = "1780272000"  # 2026-06-01T00:00:00Z


def commit(root: Path, message: str, when: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.invalid",
    }
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", message], check=True, env=env)


def git_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    subprocess.run(["git", "-C", str(root), "init", "-q", "-b", "main"], check=True)
    return root


@pytest.fixture
def env(
    registry_server: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, osv_dir: Path
) -> RegistryServer:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setenv("SECLOOP_OSV_DIR", str(osv_dir))
    monkeypatch.setenv("SECLOOP_REGISTRY_CACHE", str(tmp_path / "registry-cache"))
    monkeypatch.setenv("SECLOOP_PYPI_URL", registry_server.pypi)
    monkeypatch.setenv("SECLOOP_NPM_REGISTRY", registry_server.npm)
    monkeypatch.setenv("SECLOOP_NPM_DOWNLOADS_URL", registry_server.downloads)
    monkeypatch.delenv("SECLOOP_REGISTRY_ONLINE", raising=False)
    return registry_server


def evaluate(evaluator: Evaluator, practice_id: str, root: Path) -> PracticeResult:
    practice = next(p for p in load_catalog() if p.id == practice_id)
    return evaluator(Context(Repo(root), Config(), practice))


def project(tmp_path: Path) -> Path:
    root = git_repo(tmp_path / "r")
    write(root, {"requirements.txt": "PyYAML==5.3.1\nexamplepkg==2.0.0\n"})
    commit(root, "pin", "2026-05-30T12:00:00+00:00")
    return root


def test_without_cache_and_offline_the_registry_practices_are_unknown_and_say_why(
    env: RegistryServer, tmp_path: Path
) -> None:
    root = project(tmp_path)
    result = evaluate(evaluate_component_health, "build.component-health", root)
    assert result.status is Status.UNKNOWN
    assert result.summary == (
        "no registry metadata for any of the 2 pinned package version(s): the cache is empty and registry "
        "access is off (run `secloop scan deps --online` once, or set SECLOOP_REGISTRY_ONLINE=1)"
    )
    cooldown = evaluate(evaluate_dependency_cooldown, "build.dependency-cooldown", root)
    # The update-tool part (no Dependabot/Renovate cooldown) still fails; the registry part is listed.
    assert cooldown.status is Status.FAIL
    assert cooldown.summary.endswith("; " + result.summary)
    assert env.requests == []


def test_with_registry_access_the_practices_decide_from_the_pins(
    env: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path)
    monkeypatch.setenv("SECLOOP_REGISTRY_ONLINE", "1")
    cooldown = evaluate(evaluate_dependency_cooldown, "build.dependency-cooldown", root)
    assert cooldown.status is Status.FAIL
    assert [(f.rule_id, str(f.locations[0])) for f in cooldown.findings] == [
        ("DEP-COOLDOWN", "requirements.txt:2")
    ]
    assert "1 pin(s) released less than 14 days before they were locked: examplepkg 2.0.0" in cooldown.summary
    fresh = evaluate(evaluate_dependency_freshness, "build.dependency-freshness", root)
    assert fresh.status is Status.FAIL  # no update tool at all (build.py) and a month-old lag
    assert [(f.rule_id, str(f.locations[0])) for f in fresh.findings] == [
        ("DEP-OUTDATED", "requirements.txt:1")
    ]
    assert "libyears: 4.39 over 2 package(s) with metadata" in fresh.evidence
    health = evaluate(evaluate_component_health, "build.component-health", root)
    # examplepkg's yanked release is 1.9.1, not the pin; PyYAML released (a candidate) in May 2026.
    assert health.status is Status.PASS
    assert health.summary == (
        "2 package(s) with registry metadata are maintained, not withdrawn and not little used"
    )


def test_scan_deps_online_applies_the_registry_rules(env: RegistryServer, tmp_path: Path) -> None:
    root = project(tmp_path)
    out = run_cli(["scan", "deps", str(root), "--online", "--format", "json"])
    assert out.code == 1, out.stderr

    doc = json.loads(out.stdout)
    by_practice = {r["id"]: r for r in doc["practices"]}
    assert sorted(by_practice) == [
        "build.component-health",
        "build.dependency-cooldown",
        "build.dependency-freshness",
        "build.sca",
    ]
    rules = sorted(f["rule"] for r in doc["practices"] for f in r["findings"])
    assert rules == ["DEP-COOLDOWN", "DEP-OUTDATED", "DEP-VULN"]
    # Second run, offline: the cache answers, the server is not asked again.
    asked = len(env.requests)
    again = run_cli(["scan", "deps", str(root), "--registry"])
    assert again.code == 1
    assert "DEP-COOLDOWN requirements.txt:2 examplepkg 2.0.0 was published 2026-05-25" in again.stdout
    assert len(env.requests) == asked


def test_since_gates_only_the_dependencies_added(env: RegistryServer, tmp_path: Path) -> None:
    root = git_repo(tmp_path / "r")
    write(root, {"requirements.txt": "PyYAML==5.3.1\n"})
    commit(root, "first", "2026-01-01T00:00:00+00:00")
    write(root, {"requirements.txt": "PyYAML==5.3.1\noldpkg==1.0\n"})
    commit(root, "add oldpkg", "2026-05-30T00:00:00+00:00")
    out = run_cli(["scan", "deps", str(root), "--since", "HEAD~1", "--online", "--fail-on", "medium"])
    assert out.code == 1
    assert "1 dependenc(ies) added since HEAD~1" in out.stdout
    assert "DEP-UNMAINTAINED requirements.txt:2 oldpkg has had no release for 2310 days" in out.stdout
    assert "DEP-OUTDATED" not in out.stdout  # PyYAML was there before: not judged
    assert sorted(env.requests) == ["/pypi/oldpkg/json"]


def test_since_an_unknown_ref_is_a_usage_error(env: RegistryServer, tmp_path: Path) -> None:
    root = project(tmp_path)
    out = run_cli(["scan", "deps", str(root), "--since", "no-such-ref"])
    assert out.code == 2
    assert f"error: {root}: 'no-such-ref' is not a commit of this repository" in out.stderr


def test_facts_are_computed_once_per_repo(
    env: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(tmp_path)
    calls: list[int] = []
    real = registry_check.registry_facts

    def counting(*args: object, **kwargs: object) -> registry_check.RegistryFacts:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(registry_check, "registry_facts", counting)
    repo = Repo(root)
    for practice_id, evaluator in (
        ("build.dependency-cooldown", evaluate_dependency_cooldown),
        ("build.component-health", evaluate_component_health),
    ):
        practice = next(p for p in load_catalog() if p.id == practice_id)
        evaluator(Context(repo, Config(), practice))
    assert calls == [1]
