"""`build.sca`, engine-backed: configured scanners stay evidence; the scan decides the vulnerabilities."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.deps.practices import EVALUATORS, evaluate_sca
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.sources.repo import Repo
from tests.deps.conftest import ROOT, write

DEPENDABOT = """\
version: 2
updates:
  - package-ecosystem: pip
    directory: "/"
    schedule:
      interval: weekly
"""
DEPENDABOT_EVIDENCE = ".github/dependabot.yml:3: dependabot (pip, /) watches dependencies"
NOT_DAILY = (
    "no scheduled workflow runs a dependency scan daily: new advisories against unchanged pins are found "
    "only on the next push (example: templates/github/secloop-daily-sca.yml)"
)
MISSING_DB = (
    "run `secloop db import PyPI-all.zip` with the OSV export of each ecosystem you use "
    "(https://osv-vulnerabilities.storage.googleapis.com/<ecosystem>/all.zip); `--db-dir` or "
    "SECLOOP_OSV_DIR choose where it is stored"
)


def evaluate(root: Path) -> PracticeResult:
    practice = next(p for p in load_catalog() if p.id == "build.sca")
    return evaluate_sca(Context(Repo(root), Config(), practice))


@pytest.fixture
def use_db(osv_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SECLOOP_OSV_DIR", str(osv_dir))
    return osv_dir


def test_registered_under_the_practice_id() -> None:
    assert EVALUATORS["build.sca"] is evaluate_sca
    assert sorted(EVALUATORS) == [
        "build.component-health",
        "build.dependency-cooldown",
        "build.dependency-freshness",
        "build.sca",
    ]


@pytest.mark.usefixtures("no_user_db")
def test_no_database_with_scanning_configured_is_unknown_with_the_fix(tmp_path: Path) -> None:
    root = write(
        tmp_path / "r", {".github/dependabot.yml": DEPENDABOT, "requirements.txt": "PyYAML==5.3.1\n"}
    )
    result = evaluate(root)
    assert result.status is Status.UNKNOWN
    assert result.summary == (
        "dependency scanning is configured, but whether the pinned versions have known vulnerabilities is "
        "unknown: no advisory database is imported (run `secloop db import PyPI-all.zip`, one OSV export per "
        "ecosystem)"
    )
    assert result.evidence == (
        DEPENDABOT_EVIDENCE,
        NOT_DAILY,
        f"known vulnerabilities not checked: no advisory database in {tmp_path / 'no-db'}: nothing can be "
        f"checked; {MISSING_DB}",
    )
    assert result.findings == ()


@pytest.mark.usefixtures("no_user_db")
def test_no_database_and_no_scanner_is_still_a_fail(tmp_path: Path) -> None:
    root = write(tmp_path / "r", {"requirements.txt": "PyYAML==5.3.1\n"})
    result = evaluate(root)
    assert result.status is Status.FAIL
    assert result.summary.startswith("dependency manifests exist but nothing scans them")
    assert result.evidence[-1].startswith("known vulnerabilities not checked: no advisory database in ")


@pytest.mark.usefixtures("use_db")
def test_vulnerable_pin_fails_with_the_finding(tmp_path: Path, osv_dir: Path) -> None:
    root = write(
        tmp_path / "r", {".github/dependabot.yml": DEPENDABOT, "requirements.txt": "PyYAML==5.3.1\n"}
    )
    result = evaluate(root)
    assert result.status is Status.FAIL
    assert (
        result.summary == "1 known vulnerability in 1 pinned package version(s) (worst: high): pyyaml 5.3.1"
    )
    assert result.evidence[0] == DEPENDABOT_EVIDENCE
    assert result.evidence[1] == NOT_DAILY
    assert result.evidence[2].startswith("advisory database: OSV snapshot sha256:")
    assert result.evidence[3] == "requirements.txt: requirements, 1 pinned package(s)"
    assert [(f.rule_id, str(f.primary), dict(f.properties)["advisory"]) for f in result.findings] == [
        ("DEP-VULN", "requirements.txt:1", "GHSA-8q59-q68h-6hv4")
    ]


@pytest.mark.usefixtures("use_db")
def test_clean_pins_with_scanning_configured_pass(tmp_path: Path) -> None:
    root = write(tmp_path / "r", {".github/dependabot.yml": DEPENDABOT, "requirements.txt": "PyYAML==5.4\n"})
    result = evaluate(root)
    assert result.status is Status.PASS
    assert result.summary == (
        "dependency scanning is configured and 1 pinned package version(s) have no known vulnerability"
    )
    assert result.findings == ()


@pytest.mark.usefixtures("use_db")
def test_clean_pins_without_a_scanner_are_partial(tmp_path: Path) -> None:
    root = write(tmp_path / "r", {"requirements.txt": "PyYAML==5.4\n-e .\n"})
    result = evaluate(root)
    assert result.status is Status.PARTIAL
    assert result.summary == (
        "1 pinned package version(s) have no known vulnerability; 1 item(s) not checked (listed), "
        "but nothing scans the dependencies on every change (no Dependabot, Renovate or scanner in CI)"
    )
    assert [(s.path, s.line, s.reason) for s in result.skipped] == [
        ("requirements.txt", 2, "editable requirement `.`: not a registry release")
    ]


@pytest.mark.usefixtures("use_db")
def test_only_medium_vulnerabilities_are_partial(tmp_path: Path) -> None:
    root = write(
        tmp_path / "r", {".github/dependabot.yml": DEPENDABOT, "requirements.txt": "chuanhuchatgpt==1.0\n"}
    )
    result = evaluate(root)
    assert result.status is Status.PARTIAL
    assert [(f.severity.value, dict(f.properties)["advisory"], f.fix) for f in result.findings] == [
        (
            "medium",
            "PYSEC-2024-61",
            "no fixed version of chuanhuchatgpt is known: "
            "replace it, or suppress with a reason and an expiry",
        )
    ]


@pytest.mark.usefixtures("use_db")
def test_nothing_checkable_is_unknown(tmp_path: Path) -> None:
    root = write(tmp_path / "r", {".github/dependabot.yml": DEPENDABOT, "requirements.txt": "requests>=2\n"})
    result = evaluate(root)
    assert result.status is Status.UNKNOWN
    assert result.summary == (
        "no pinned dependency could be checked against the advisory database; 1 item(s) not checked (listed)"
    )


@pytest.mark.usefixtures("use_db")
def test_no_manifests_is_not_applicable(tmp_path: Path) -> None:
    result = evaluate(write(tmp_path / "r", {"README.md": "# nothing\n"}))
    assert result.status is Status.NOT_APPLICABLE


@pytest.mark.usefixtures("use_db")
def test_demo_repository_reports_pyyaml(tmp_path: Path) -> None:
    dest = tmp_path / "shop"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo.py"), str(dest)], check=True, capture_output=True
    )
    result = evaluate(dest)
    assert result.status is Status.FAIL
    assert [
        (str(f.primary), dict(f.properties)["advisory"], dict(f.properties)["records"])
        for f in result.findings
    ] == [("requirements.txt:4", "GHSA-8q59-q68h-6hv4", "PYSEC-2021-142")]


SCHEDULED = """\
name: dependency scan
on:
  schedule:
    - cron: "{cron}"
permissions: {{}}
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - run: secloop scan deps . --fail-on high
"""


@pytest.mark.usefixtures("use_db")
@pytest.mark.parametrize(
    ("cron", "line"),
    [
        (
            "17 3 * * *",
            ".github/workflows/deps.yml:4: a scheduled workflow runs the dependency scan daily "
            "(cron '17 3 * * *')",
        ),
        (
            "0 */6 * * *",
            ".github/workflows/deps.yml:4: a scheduled workflow runs the dependency scan daily "
            "(cron '0 */6 * * *')",
        ),
        (
            "17 3 * * 1",
            ".github/workflows/deps.yml:4: the scheduled dependency scan runs less than daily "
            "(cron '17 3 * * 1')",
        ),
    ],
)
def test_daily_scheduled_scan_is_noted(tmp_path: Path, cron: str, line: str) -> None:
    root = write(
        tmp_path / "r",
        {".github/workflows/deps.yml": SCHEDULED.format(cron=cron), "requirements.txt": "idna==3.7\n"},
    )
    result = evaluate(root)
    assert result.status is Status.PASS
    assert line in result.evidence
