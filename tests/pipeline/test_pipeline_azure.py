"""Azure Pipelines: every step found wherever stages, jobs and deployment strategies put it; exact hits."""

from __future__ import annotations

from pathlib import Path

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import Skipped
from secloop.pipeline.azure.engine import scan_azure_texts
from secloop.pipeline.azure.model import parse_azure
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.practices.evaluators.pipeline import EVALUATORS
from secloop.sources.repo import Repo

AZURE = Path(__file__).resolve().parent.parent / "fixtures" / "pipeline" / "azure"


def _hits(name: str) -> list[tuple[str, int, int, str]]:
    scan = scan_azure_texts([(name, (AZURE / name).read_text("utf-8"))])
    assert scan.skipped == ()
    return [
        (f.rule_id, f.primary.start_line or 0, f.primary.start_column or 0, f.severity.value)
        for f in scan.findings
        if f.primary is not None
    ]


def test_risky_pipeline_every_rule_at_its_place() -> None:
    assert _hits("risky.yml") == [
        ("AZ-UNPINNED-REPOSITORY", 5, 7, "medium"),
        ("AZ-UNPINNED-REPOSITORY", 12, 12, "medium"),
        ("AZ-UNPINNED-IMAGE", 15, 14, "low"),
        ("AZ-PERSIST-CREDENTIALS", 23, 33, "medium"),
        ("AZ-SCRIPT-INJECTION", 25, 30, "high"),
        ("AZ-CURL-PIPE-SHELL", 26, 15, "medium"),
        ("AZ-SCRIPT-INJECTION", 31, 29, "high"),
        ("AZ-UNPINNED-IMAGE", 36, 20, "low"),
        ("AZ-SCRIPT-INJECTION", 41, 38, "high"),
    ]


def test_messages_name_the_value_and_the_place() -> None:
    scan = scan_azure_texts([("risky.yml", (AZURE / "risky.yml").read_text("utf-8"))])
    messages = [f.message for f in scan.findings]
    assert (
        "step 'build' expands Build.SourceBranchName into its script; pull requests run this pipeline"
        in messages
    )
    assert (
        "repository resource 'templates' (contoso/pipeline-templates) has no `ref:`, so it follows the "
        "default branch"
    ) in messages
    assert "job 'ship' image 'ubuntu:22.04' uses the movable tag '22.04'" in messages


def test_safe_pipeline_has_no_findings() -> None:
    assert _hits("safe.yml") == []


def test_without_pull_request_builds_injection_is_medium() -> None:
    assert _hits("pr-none-injection.yml") == [("AZ-SCRIPT-INJECTION", 4, 19, "medium")]


def test_steps_in_every_nesting_are_found() -> None:
    parsed = parse_azure("a.yml", (AZURE / "risky.yml").read_text("utf-8"))
    assert not isinstance(parsed, Skipped)
    assert [(s.job, s.name) for s in parsed.steps] == [
        ("compile", None),
        ("compile", "build"),
        ("compile", None),
        ("ship", None),
    ]
    assert parsed.pull_requests is True


def test_not_a_pipeline_and_broken_yaml_are_skipped_with_reasons() -> None:
    other = parse_azure("azure-pipelines.yml", "name: just a document\nvalue: 3\n")
    assert isinstance(other, Skipped)
    assert other.reason == "not an Azure Pipelines file: the document is a mapping"
    broken = scan_azure_texts([("azure-pipelines.yml", "steps:\n  - script: [\n")])
    assert [(s.path, s.line) for s in broken.skipped] == [("azure-pipelines.yml", 3)]


def test_findings_reach_the_practices_of_their_risks(tmp_path: Path) -> None:
    (tmp_path / "azure-pipelines.yml").write_text((AZURE / "risky.yml").read_text("utf-8"))
    catalog = {p.id: p for p in load_catalog()}
    repo = Repo(tmp_path)
    poisoned = EVALUATORS["pipeline.cicd-sec-4"](Context(repo, Config(), catalog["pipeline.cicd-sec-4"]))
    assert [f.rule_id for f in poisoned.findings] == ["AZ-SCRIPT-INJECTION"] * 3
    chain = EVALUATORS["pipeline.cicd-sec-3"](Context(repo, Config(), catalog["pipeline.cicd-sec-3"]))
    assert sorted({f.rule_id for f in chain.findings}) == [
        "AZ-CURL-PIPE-SHELL",
        "AZ-UNPINNED-IMAGE",
        "AZ-UNPINNED-REPOSITORY",
    ]
    assert poisoned.status is Status.FAIL
