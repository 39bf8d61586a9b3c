"""Robustness over 551 real workflows: nothing raises, broken copies become Skipped, known findings hold."""

from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import pytest

from secloop.pipeline.engine import PipelineScan, scan_texts

# ../shared beside the checkout (as CI lays it out), else the workplace's copy.
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "data" / "workflows" / "github-realworld-dev.zip"
if not CORPUS.is_file():
    CORPUS = Path("/work/shared/data/workflows/github-realworld-dev.zip")

pytestmark = pytest.mark.skipif(not CORPUS.is_file(), reason=f"corpus {CORPUS} not present")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    target = tmp_path_factory.mktemp("workflows")
    with zipfile.ZipFile(CORPUS) as archive:
        archive.extractall(target)
    return [
        (path.name, path.read_text("utf-8", "replace"))
        for path in sorted(target.iterdir())
        if path.suffix in (".yml", ".yaml")
    ]


@pytest.fixture(scope="module")
def scanned(corpus: list[tuple[str, str]]) -> PipelineScan:
    return scan_texts(corpus)


def test_every_real_workflow_is_read(corpus: list[tuple[str, str]], scanned: PipelineScan) -> None:
    assert len(corpus) == 551
    assert len(scanned.workflows) == 551
    assert scanned.skipped == ()


def test_known_findings_in_the_corpus(scanned: PipelineScan) -> None:
    def at(name: str, rule: str) -> list[tuple[int, int, str]]:
        return [
            (f.primary.start_line or 0, f.primary.start_column or 0, f.severity.value)
            for f in scanned.findings
            if f.primary and f.primary.path == name and f.rule_id == rule
        ]

    assert at("react-dnd_react-dnd_.github_workflows_fix-dependabot.yml", "GHA-TEMPLATE-INJECTION") == [
        (26, 42, "high"),
        (27, 43, "high"),
    ]
    assert at("hashicorp_consul_.github_workflows_website-checker.yml", "GHA-DANGEROUS-TRIGGER") == [
        (14, 3, "high")
    ]
    assert at("denoland_deno_.github_workflows_ci.yml", "GHA-CURL-PIPE-SHELL") == [
        (92, 11, "medium"),
        (101, 11, "medium"),
    ]
    assert at("ReactiveX_RxSwift_.github_workflows_tests.yml", "GHA-SELF-HOSTED-RUNNER") == [
        (28, 14, "medium")
    ]
    assert at("yewstack_yew_.github_workflows_publish-website.yml", "GHA-UNTRUSTED-ENV-WRITE") == [
        (50, 76, "high")
    ]
    assert at("snowpackjs_snowpack_.github_workflows_autoapprove.yml", "GHA-BOT-CONDITION") == [
        (10, 9, "medium")
    ]
    counts = Counter(f.rule_id for f in scanned.findings)
    assert counts["GHA-TEMPLATE-INJECTION"] == 6
    assert counts["GHA-DANGEROUS-TRIGGER"] == 46
    assert counts["GHA-WORKFLOW-RUN-ARTIFACT"] == 11
    assert counts["GHA-HARDCODED-CREDENTIAL"] == 2
    assert counts["GHA-SECRETS-IN-IF"] == 0


def test_safe_contexts_never_count_as_injections(scanned: PipelineScan) -> None:
    safe = ("github.sha", "head.sha", "outcome", "conclusion", "github.event.pull_request.number")
    refs = [dict(f.properties).get("expression", "") for f in scanned.of("GHA-TEMPLATE-INJECTION")]
    assert refs and not [r for r in refs if r.endswith(safe)]


def test_broken_copies_of_every_workflow_become_skipped(corpus: list[tuple[str, str]]) -> None:
    broken = [(name, text.rstrip("\n") + "\n\tbroken: [\n") for name, text in corpus]
    truncated = [(name, text[: len(text) // 2] + "\n  - ]: {\n") for name, text in corpus]
    scan = scan_texts(broken + truncated)
    assert scan.workflows == ()
    assert len(scan.skipped) == 2 * len(corpus)
    for (name, text), skipped in zip(corpus, scan.skipped[: len(corpus)], strict=True):
        expected_line = len(text.rstrip("\n").splitlines()) + 1
        assert (skipped.path, skipped.line, skipped.column) == (name, expected_line, 1)
        assert skipped.reason.startswith("malformed YAML: "), skipped
    assert all(s.reason.startswith("malformed YAML: ") and s.line for s in scan.skipped[len(corpus) :])
