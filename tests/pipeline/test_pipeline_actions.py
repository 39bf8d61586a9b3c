"""Composite actions (action.yml): their steps get the step-level audits, nothing else."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.pipeline.engine import scan_action_texts, scan_actions
from secloop.pipeline.workflow import COMPOSITE_JOB, Workflow, parse_action
from secloop.practices.base import Context
from secloop.practices.catalog import practice
from secloop.practices.evaluators.pipeline import EVALUATORS
from secloop.sources.repo import Repo

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pipeline"


def test_composite_steps_are_audited_at_exact_places() -> None:
    text = (FIXTURES / "composite-action.yml").read_text("utf-8")
    scan = scan_action_texts([("action.yml", text)])
    assert [
        (f.rule_id, f.primary.start_line, f.primary.start_column, f.severity.value)
        for f in scan.findings
        if f.primary
    ] == [
        ("GHA-KNOWN-VULNERABLE-ACTION", 8, 13, "high"),
        ("GHA-UNPINNED-ACTION", 8, 13, "medium"),
        ("GHA-TEMPLATE-INJECTION", 10, 24, "high"),
        ("GHA-CURL-PIPE-SHELL", 12, 12, "medium"),
    ]
    assert dict(scan.findings[2].properties)["job"] == COMPOSITE_JOB


def test_docker_actions_have_no_steps() -> None:
    parsed = parse_action("action.yml", (FIXTURES / "docker-action.yml").read_text("utf-8"))
    assert isinstance(parsed, Workflow) and parsed.jobs == ()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name: x\n", "not an action: `runs:` is nothing, expected a mapping"),
        ("- a\n", "not an action: the document is a sequence, expected a mapping"),
        ("runs: [\n", "malformed YAML: did not find expected node content"),
    ],
)
def test_unreadable_actions_are_skipped(text: str, reason: str) -> None:
    scan = scan_action_texts([("action.yml", text)])
    assert (scan.workflows, [s.reason for s in scan.skipped]) == ((), [reason])


def test_action_findings_reach_the_practices(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "composite-action.yml", tmp_path / "action.yml")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(FIXTURES / "clean.yml", workflows / "ci.yml")
    repo = Repo(tmp_path)
    scan = scan_actions(repo)
    assert scan is not None and scan is scan_actions(repo)
    result = EVALUATORS["pipeline.cicd-sec-4"](Context(repo, Config(), practice("pipeline.cicd-sec-4")))
    assert result.status is Status.FAIL
    assert [(f.rule_id, f.primary and f.primary.path) for f in result.findings] == [
        ("GHA-TEMPLATE-INJECTION", "action.yml")
    ]
