"""The shipped scheduled-SCA examples: secloop's own pipeline engine finds nothing wrong with the
GitHub workflow, and `build.sca` recognises a repository that uses them as scanning daily."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.deps.practices import evaluate_sca
from secloop.pipeline.engine import scan_texts
from secloop.pipeline.gitlab.engine import scan_gitlab_files
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.sources.repo import Repo
from tests.deps.conftest import ROOT, write

GITHUB = ROOT / "templates" / "github" / "secloop-daily-sca.yml"
GITLAB = ROOT / "templates" / "gitlab" / "secloop-daily-sca.yml"
WORKFLOW = ".github/workflows/secloop-daily-sca.yml"


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_the_github_template_has_no_pipeline_finding() -> None:
    text = GITHUB.read_text("utf-8")
    scan = scan_texts([(WORKFLOW, text)])
    assert (scan.findings, scan.skipped) == ((), ())
    (workflow,) = scan.workflows
    assert workflow.path == WORKFLOW
    # What the brief asks of it, stated so a later edit cannot drop it unnoticed.
    assert "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2" in text
    assert "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0" in text
    assert "persist-credentials: false" in text
    assert "workflow_dispatch" in text
    assert "secloop db sync" in text
    assert "secloop scan deps . --fail-on high -f sarif" in text
    top = "\n".join(line for line in text.split("\njobs:", 1)[0].splitlines() if not line.startswith("#"))
    assert "permissions:\n  contents: read\n" in top
    assert "security-events" not in top  # only the job that uploads the SARIF report asks for it


def test_the_engine_would_notice_a_weakened_copy() -> None:
    # A control: the same file with the credentials persisted and a movable tag is not clean.
    text = GITHUB.read_text("utf-8")
    weakened = text.replace("          persist-credentials: false\n", "          fetch-depth: 1\n").replace(
        "actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0", "actions/setup-python@v5"
    )
    found = [(f.rule_id, f.locations[0].start_line) for f in scan_texts([(WORKFLOW, weakened)]).findings]
    assert found == [
        ("GHA-PERSIST-CREDENTIALS", line_of(weakened, "uses: actions/checkout@")),
        ("GHA-UNPINNED-ACTION", line_of(weakened, "uses: actions/setup-python@v5")),
    ]


def evaluate(root: Path) -> tuple[Status, list[str]]:
    practice = next(p for p in load_catalog() if p.id == "build.sca")
    result = evaluate_sca(Context(Repo(root), Config(), practice))
    return result.status, list(result.evidence)


@pytest.fixture
def use_db(osv_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SECLOOP_OSV_DIR", str(osv_dir))
    return osv_dir


@pytest.mark.usefixtures("use_db")
def test_build_sca_recognises_the_github_template_as_a_daily_scan(tmp_path: Path) -> None:
    text = GITHUB.read_text("utf-8")
    root = write(tmp_path / "r", {"requirements.txt": "idna==3.7\n"})
    (root / WORKFLOW).parent.mkdir(parents=True)
    (root / WORKFLOW).write_text(text, "utf-8")
    status, evidence = evaluate(root)
    assert status is Status.PASS
    assert (
        f"{WORKFLOW}:{line_of(text, '- cron:')}: a scheduled workflow runs the dependency scan daily "
        "(cron '23 4 * * *')"
    ) in evidence
    assert f"{WORKFLOW}:{line_of(text, 'run: secloop scan deps . --fail-on high')}" in " ".join(evidence)


@pytest.mark.usefixtures("use_db")
def test_without_the_template_build_sca_says_no_daily_scan_and_points_at_it(tmp_path: Path) -> None:
    text = GITHUB.read_text("utf-8").replace('    - cron: "23 4 * * *"', '    - cron: "23 4 * * 1"')
    root = write(tmp_path / "r", {"requirements.txt": "idna==3.7\n", WORKFLOW: text})
    status, evidence = evaluate(root)
    assert status is Status.PASS  # scanning is configured; only the cadence is noted
    assert (
        f"{WORKFLOW}:{line_of(text, '- cron:')}: the scheduled dependency scan runs less than daily "
        "(cron '23 4 * * 1')"
    ) in evidence


def test_the_gitlab_template_runs_in_scheduled_pipelines(tmp_path: Path, use_db: Path) -> None:
    text = GITLAB.read_text("utf-8")
    scan = scan_gitlab_files(lambda rel: text if rel == ".gitlab-ci.yml" else None)
    # The only finding is the image tag, left for the user to pin to a digest of their registry.
    assert [(f.rule_id, f.locations[0].start_line) for f in scan.findings] == [
        ("GL-UNPINNED-IMAGE", line_of(text, "image: python:3.12-slim"))
    ]
    root = write(tmp_path / "r", {"requirements.txt": "idna==3.7\n", ".gitlab-ci.yml": text})
    status, evidence = evaluate(root)
    assert status is Status.PASS
    scheduled = line_of(text, '$CI_PIPELINE_SOURCE == "schedule"')
    assert (
        f".gitlab-ci.yml:{scheduled}: the dependency scan runs in scheduled "
        "pipelines; whether the schedule is daily lives in the project settings (Build > Pipeline "
        "schedules), not in the repository"
    ) in evidence
