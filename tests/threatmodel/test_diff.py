"""`secloop threatmodel diff OLD NEW`: elements, flows and threats, the gate, files and git refs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import Result

from secloop.core.enums import Severity
from secloop.threatmodel.diff import diff_models, read_version
from secloop.threatmodel.problems import ModelError
from tests.threatmodel.conftest import FIXTURES, TODAY

Invoke = Callable[..., Result]
SHOP = (FIXTURES / "shop.yaml").read_text("utf-8")
AS_OF = ("--as-of", "2026-12-01")
# A new flow into the API from an untrusted partner, without authentication or encryption.
PARTNER = SHOP.replace("actors:\n", "actors:\n  - id: partner\n").replace(
    "flows:\n",
    "flows:\n  - {id: partner-feed, source: partner, destination: api, protocol: http, method: POST}\n",
)


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


def test_reordering_and_reformatting_is_no_change(invoke: Invoke, tmp_path: Path) -> None:
    doc = yaml.safe_load(SHOP)
    doc["flows"].reverse()
    doc["components"].reverse()
    flowed = yaml.safe_dump({k: doc[k] for k in reversed(list(doc))}, default_flow_style=True)
    result = invoke(
        "threatmodel", "diff", str(FIXTURES / "shop.yaml"), _write(tmp_path, "b.yaml", flowed), *AS_OF
    )
    assert result.exit_code == 0
    assert result.output.splitlines()[1:] == [
        "  no element changed",
        "threats: 0 added, 0 removed, 0 changed",
        "gate: passed (no newly open threat at or above high)",
    ]


def test_a_new_unauthenticated_flow_opens_high_threats_and_fails_the_gate(
    invoke: Invoke, tmp_path: Path
) -> None:
    old, new = _write(tmp_path, "old.yaml", SHOP), _write(tmp_path, "new.yaml", PARTNER)
    result = invoke("threatmodel", "diff", old, new, "-f", "json", *AS_OF)
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["elements"] == {"added": ["actor:partner", "flow:partner-feed"], "removed": [], "changed": []}
    added = [(t["rule"], t["severity"], t["status"]) for t in doc["threats"]["added"]]
    assert ("TM-SPOOF-FLOW-CALLER", "high", "open") in added
    assert ("TM-TAMPER-FLOW-IN-TRANSIT", "medium", "open") in added
    assert doc["threats"]["removed"] == [] and doc["threats"]["changed"] == []
    assert doc["gate"] == {
        "passed": False,
        "fail_on": "high",
        "newly_open": [t["id"] for t in doc["threats"]["added"] if t["severity"] in ("high", "critical")],
    }
    assert len(doc["gate"]["newly_open"]) == 2
    # The way back removes them and passes; with --fail-on none nothing fails.
    back = invoke("threatmodel", "diff", new, old, *AS_OF)
    assert back.exit_code == 0
    assert back.output.splitlines()[1:3] == ["  - actor:partner", "  - flow:partner-feed"]
    assert invoke("threatmodel", "diff", old, new, "--fail-on", "none", *AS_OF).exit_code == 0


def test_changed_properties_and_status_changes(tmp_path: Path) -> None:
    changed = SHOP.replace(
        "log_protection: true, monitoring: true,", "log_protection: true, monitoring: false,"
    )
    changed = changed.replace(
        "    status: accepted\n    reason: The ORM builds every query.\n", "    status: open\n"
    )
    changed = changed.replace("    expires: 2027-01-31\n", "")
    old = read_version(_write(tmp_path, "a.yaml", SHOP), today=TODAY)
    new = read_version(_write(tmp_path, "b.yaml", changed), today=TODAY)
    d = diff_models(old, new)
    assert d.changed == {"component:api": ["properties.monitoring"]}
    assert [(t.rule_id, t.status.value) for t in d.threats_added] == [
        ("TM-REPUDIATION-NO-MONITORING", "open")
    ]
    assert [(c.id, c.old_status, c.new_status, c.new_severity) for c in d.threats_changed] == [
        ("THREAT-7175BA620C", "accepted", "open", "high")
    ]
    assert [t.id for t in d.newly_open] == ["THREAT-7175BA620C"]
    assert diff_models(old, new, Severity.CRITICAL).passed


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.test", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_git_refs(invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "threatmodel.yaml").write_text(SHOP, "utf-8")
    _git(repo, "add", "threatmodel.yaml")
    _git(repo, "commit", "-q", "-m", "model")
    (repo / "threatmodel.yaml").write_text(PARTNER, "utf-8")
    monkeypatch.chdir(repo)
    result = invoke("threatmodel", "diff", "git:HEAD:threatmodel.yaml", "threatmodel.yaml", *AS_OF)
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == "threat model diff: git:HEAD:threatmodel.yaml -> threatmodel.yaml"
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    same = invoke(
        "threatmodel", "diff", "git:main:threatmodel.yaml", "git:HEAD:threatmodel.yaml", "--repo", str(repo)
    )
    assert same.exit_code == 0 and "no element changed" in same.output
    with pytest.raises(ModelError) as bad:
        read_version("git:nope:threatmodel.yaml", today=TODAY, repo=repo)
    assert bad.value.problems[0].message.startswith("git show failed: fatal: ")
    with pytest.raises(ModelError) as malformed:
        read_version("git:HEAD", today=TODAY, repo=repo)
    assert (
        malformed.value.problems[0].message == "expected git:REF:PATH, e.g. git:origin/main:threatmodel.yaml"
    )


def test_usage_errors(invoke: Invoke) -> None:
    shop = str(FIXTURES / "shop.yaml")
    result = invoke("threatmodel", "diff", shop, shop, "-f", "sarif")
    assert result.exception is not None and "unknown format 'sarif'" in str(result.exception)
    missing = invoke("threatmodel", "diff", shop, "nope.yaml")
    assert isinstance(missing.exception, ModelError)
    assert missing.exception.problems[0].render() == "nope.yaml: the threat-model file does not exist"
