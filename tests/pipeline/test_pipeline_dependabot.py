"""Dependabot configuration audits: exact rule, line, column and message, and what passes."""

from __future__ import annotations

from pathlib import Path

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.pipeline.dependabot import scan_dependabot_text
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.practices.registry import EVALUATORS
from secloop.sources.repo import Repo

PATH = ".github/dependabot.yml"
RISKY = """version: 2
updates:
  - package-ecosystem: pip
    directory: /
    schedule: {interval: weekly}
    insecure-external-code-execution: allow
  - package-ecosystem: npm
    directory: /web
    schedule: {interval: weekly}
    cooldown:
      default-days: 3
"""
SAFE = """version: 2
updates:
  - package-ecosystem: pip
    directory: /
    schedule: {interval: weekly}
    insecure-external-code-execution: deny
    cooldown:
      default-days: 14
      semver-major-days: 30
  - package-ecosystem: github-actions
    directory: /
    schedule: {interval: weekly}
    cooldown: {default-days: 21}
"""


def _hits(text: str, workflows: bool = True) -> list[tuple[str, int, int, str, str]]:
    scan = scan_dependabot_text(PATH, text, workflows)
    return [
        (f.rule_id, f.primary.start_line or 0, f.primary.start_column or 0, f.severity.value, f.message)
        for f in scan.findings
        if f.primary is not None
    ]


def test_risky_configuration_is_reported_rule_by_rule() -> None:
    assert _hits(RISKY) == [
        (
            "DEPENDABOT-ACTIONS-UNWATCHED",
            2,
            1,
            "low",
            "the repository has workflows but no `github-actions` update entry",
        ),
        (
            "DEPENDABOT-NO-COOLDOWN",
            3,
            24,
            "low",
            "the pip in / entry has no `cooldown:`: releases are proposed the day they appear",
        ),
        (
            "DEPENDABOT-INSECURE-EXEC",
            6,
            5,
            "high",
            "the pip in / entry allows Dependabot to execute code from the packages it resolves",
        ),
        (
            "DEPENDABOT-NO-COOLDOWN",
            10,
            5,
            "low",
            "the npm in /web entry waits 3 day(s), less than the 14 the policy asks",
        ),
    ]


def test_safe_configuration_and_no_workflows_give_nothing() -> None:
    assert _hits(SAFE) == []
    assert [h[0] for h in _hits(RISKY, workflows=False)] == [
        "DEPENDABOT-NO-COOLDOWN",
        "DEPENDABOT-INSECURE-EXEC",
        "DEPENDABOT-NO-COOLDOWN",
    ]


def test_the_shortest_semver_cooldown_counts() -> None:
    text = SAFE.replace("semver-major-days: 30", "semver-patch-days: 2")
    assert [(h[0], h[1]) for h in _hits(text)] == [("DEPENDABOT-NO-COOLDOWN", 7)]


def test_invalid_yaml_is_skipped_with_its_line() -> None:
    scan = scan_dependabot_text(PATH, "version: 2\nupdates: [\n", True)
    assert scan.findings == ()
    assert [(s.path, s.line) for s in scan.skipped] == [(PATH, 3)]


def test_findings_reach_the_dependency_chain_practice(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "dependabot.yml").write_text(RISKY)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683\n"
    )
    practice = next(p for p in load_catalog() if p.id == "pipeline.cicd-sec-3")
    result = EVALUATORS[practice.id](Context(Repo(tmp_path), Config(), practice))
    assert result.status is Status.FAIL
    assert sorted({f.rule_id for f in result.findings}) == [
        "DEPENDABOT-ACTIONS-UNWATCHED",
        "DEPENDABOT-INSECURE-EXEC",
        "DEPENDABOT-NO-COOLDOWN",
    ]
