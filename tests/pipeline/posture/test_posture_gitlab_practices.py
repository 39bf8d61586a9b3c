"""GitLab facts saved by `secloop posture`, read by the posture-backed practices."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.pipeline.posture.practices import EVALUATORS
from secloop.pipeline.posture.store import save
from secloop.practices.base import Context
from secloop.practices.catalog import practice
from secloop.sources.repo import Repo

from .conftest import NOW, commit, gitlab_snapshot, make_repo


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(tmp_path / "cache"))
    repo = make_repo(tmp_path / "repo", "git@gitlab.com:acme/widget.git")
    (repo / "CODEOWNERS").write_text("* @acme/maintainers\n")
    commit(repo, "Add widget", NOW)
    return repo


def run(root: Path, practice_id: str, **override: tuple[int, str] | None) -> PracticeResult:
    # fetched_at stays NOW: deploy keys are aged against the fetch, never against the wall clock.
    save(gitlab_snapshot(**override), "gitlab.com")
    return EVALUATORS[practice_id](Context(Repo(root), Config(), practice(practice_id)))


def test_gitlab_deploy_keys_decide_identity_practice(root: Path) -> None:
    result = run(root, "pipeline.cicd-sec-2", deploy_keys=(200, "deploy_keys_write.json"))
    assert result.status is Status.FAIL
    assert [(f.rule_id, f.message) for f in result.findings] == [
        (
            "POSTURE-DEPLOY-KEY-STALE",
            "acme/widget: deploy key 14 ('backup') was last used on 2025-01-15 (680 days ago)",
        ),
        ("POSTURE-DEPLOY-KEY-WRITE", "acme/widget: deploy key 12 ('release bot') has write access"),
    ]


def test_gitlab_read_only_recent_keys_pass(root: Path) -> None:
    result = run(root, "pipeline.cicd-sec-2")
    assert result.status is Status.PASS
    assert result.findings == ()


def test_gitlab_author_self_approval_fails_review(root: Path) -> None:
    result = run(root, "code.review", approvals=(200, "approvals_author.json"))
    assert result.status is Status.FAIL
    assert result.summary == (
        "the host requires no approval before merging: 2 approving review(s) required, but merge "
        "request authors may approve their own changes (merge_requests_author_approval is true)"
    )
    assert [f.rule_id for f in result.findings] == ["POSTURE-NO-REQUIRED-REVIEW"]


# The GitLab-only rules, carried by their practices.
@pytest.mark.parametrize(
    ("practice_id", "override", "rule_id", "status", "summary"),
    [
        (
            "pipeline.cicd-sec-1",
            {"protected_tags": (200, "empty_list.json")},
            "POSTURE-TAGS-UNPROTECTED",
            Status.FAIL,
            "host settings: 3 recent tag(s) (nightly-20261126, v1.1.0, v1.2.0) and no protected tag pattern",
        ),
        (
            "pipeline.cicd-sec-6",
            {"variables": (200, "variables_exposed.json")},
            "POSTURE-CI-VARIABLE-EXPOSED",
            Status.FAIL,
            "host settings: CI/CD variable API_TOKEN (environments *) is not protected; CI/CD variable "
            "DB_PASSWORD (environments *) is not masked; CI/CD variable SSH_PRIVATE_KEY (environments "
            "production) is neither masked nor protected",
        ),
        (
            "code.review",
            {"project": (200, "project_open_threads.json")},
            "POSTURE-MR-DISCUSSIONS-UNRESOLVED",
            Status.PARTIAL,
            "2 approving review(s) required, but only_allow_merge_if_all_discussions_are_resolved is false",
        ),
    ],
)
def test_gitlab_only_rules_are_carried(
    root: Path,
    practice_id: str,
    override: dict[str, tuple[int, str]],
    rule_id: str,
    status: Status,
    summary: str,
) -> None:
    bad = run(root, practice_id, **override)
    assert (bad.status, bad.summary) == (status, summary)
    assert [f.rule_id for f in bad.findings] == [rule_id] * len(bad.findings) and bad.findings
    good = run(root, practice_id)
    assert (good.status, good.findings) == (Status.PASS, ())


def test_secret_variables_decide_cicd_sec_6_on_gitlab(root: Path) -> None:
    result = run(root, "pipeline.cicd-sec-6")
    assert (
        result.summary
        == "host settings: 1 of 4 project variable(s) named like secrets, each masked and protected"
    )
