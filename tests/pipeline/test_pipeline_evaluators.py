"""The CICD-SEC practices carry the findings of every audit mapped to their risk."""

from __future__ import annotations

from pathlib import Path

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.pipeline.rules import RULES
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog, practice
from secloop.practices.evaluators.pipeline import EVALUATORS
from secloop.sources.repo import Repo

SHA = "b4ffde65f46336ab88eb53be808477a3936bae11"

BOT = f"""\
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  merge:
    if: github.actor == 'dependabot[bot]'
    runs-on: ubuntu-latest
    container: node:20
    steps:
      - uses: actions/checkout@{SHA}
        with:
          persist-credentials: false
      - run: make
"""


def evaluate(root: Path, practice_id: str, text: str) -> PracticeResult:
    path = root / ".github" / "workflows" / "ci.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text, "utf-8")
    return EVALUATORS[practice_id](Context(Repo(root), Config(), practice(practice_id)))


def test_a_bot_condition_fails_flow_control_even_without_the_api(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "pipeline.cicd-sec-1", BOT)
    assert result.status is Status.FAIL
    assert result.summary.startswith(
        "1 finding (condition trusts a bot by `github.actor`); branch protection"
    )
    assert [(f.rule_id, f.primary and f.primary.start_line) for f in result.findings] == [
        ("GHA-BOT-CONDITION", 8)
    ]
    assert result.evidence[0] == ".github/workflows/ci.yml:8: Condition trusts a bot by `github.actor`"


def test_an_unpinned_image_turns_a_passing_dependency_chain_into_a_failure(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "pipeline.cicd-sec-3", BOT)
    assert result.status is Status.FAIL
    assert [f.rule_id for f in result.findings] == ["GHA-UNPINNED-IMAGE"]
    assert result.summary.endswith(
        "every action is pinned to a commit SHA and no script is piped into a shell"
    )


def test_practices_without_mapped_findings_are_unchanged(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "pipeline.cicd-sec-6", BOT)
    assert (result.status, result.findings) == (Status.PASS, ())


def test_every_engine_rule_is_named_by_the_practice_of_its_first_risk() -> None:
    named = {rule: p.id for p in load_catalog() for rule in p.rules if p.id.startswith("pipeline.")}
    for rule in RULES:
        assert named[rule.id] == f"pipeline.cicd-sec-{rule.cicd_sec[0]}", rule.id
