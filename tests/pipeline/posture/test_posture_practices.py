"""Posture-backed evaluators, without saved posture (offline) and with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.pipeline.posture.practices import EVALUATORS
from secloop.pipeline.posture.store import facts_file, save
from secloop.practices.base import Context
from secloop.practices.catalog import practice
from secloop.practices.evaluators.pipeline import EVALUATORS as BASE
from secloop.sources.repo import Repo

from .conftest import commit, github_snapshot, make_repo

SHA = "b4ffde65f46336ab88eb53be808477a3936bae11"
WORKFLOW = f"""name: ci
on: [push, pull_request]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
        with:
          persist-credentials: false
      - run: make test
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(folder))
    return folder


def repo_at(tmp_path: Path, *, owners: bool = True, workflow: bool = True, commits: int = 3) -> Path:
    root = make_repo(tmp_path / "repo")
    if owners:
        (root / ".github").mkdir()
        (root / ".github" / "CODEOWNERS").write_text("* @acme/maintainers\n")
    if workflow:
        (root / ".github" / "workflows").mkdir(parents=True)
        (root / ".github" / "workflows" / "ci.yml").write_text(WORKFLOW)
    now = datetime.now(tz=UTC)
    for i in range(commits):
        commit(root, f"change {i}", now - timedelta(days=commits - i))
    return root


def saved(**override: Any) -> None:
    snapshot = github_snapshot(**override)
    save(replace(snapshot, fetched_at=datetime.now(tz=UTC) - timedelta(hours=3)), "github.com")


def run(root: Path, practice_id: str) -> PracticeResult:
    return EVALUATORS[practice_id](Context(Repo(root), Config(), practice(practice_id)))


def base(root: Path, practice_id: str) -> PracticeResult:
    return BASE[practice_id](Context(Repo(root), Config(), practice(practice_id)))


def rules(result: PracticeResult) -> list[str]:
    return sorted(f.rule_id for f in result.findings)


# -- without saved posture -------------------------------------------------------------------------


def test_branch_protection_offline(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    result = run(root, "code.branch-protection")
    assert result.status is Status.UNKNOWN
    assert result.summary == (
        "branch protection lives in the host's settings: needs a GitHub/GitLab token; secloop posture"
    )
    assert result.evidence[0] == (
        ".github/CODEOWNERS: code owners are declared (reviews by them need branch protection to be required)"
    )
    assert result.evidence[1].startswith(
        "git history: 0/3 mainline changes of the last 3 first-parent commits"
    )


def test_branch_protection_declared_offline(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path, owners=False)
    (root / ".github" / "settings.yml").write_text(
        "branches:\n  - name: main\n    protection:\n      required_pull_request_reviews:\n"
        "        required_approving_review_count: 1\n"
    )
    result = run(root, "code.branch-protection")
    assert result.status is Status.PARTIAL
    assert result.evidence[0] == ".github/settings.yml:4: protects 'main' (required_pull_request_reviews)"


def test_review_offline(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    (root / ".github" / "pull_request_template.md").write_text("## What\n")
    result = run(root, "code.review")
    assert result.status is Status.PARTIAL
    assert result.summary.startswith("CODEOWNERS requests reviews; confirming that approvals are required")
    assert result.evidence[:2] == (
        ".github/CODEOWNERS: code owners are requested as reviewers",
        ".github/pull_request_template.md: pull request template",
    )
    assert result.evidence[3].startswith(
        "maintenance: 3 commit(s) by 1 distinct author(s) in the last 90 days"
    )


def test_review_offline_direct_pushes_fail(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path, owners=False, commits=21)
    result = run(root, "code.review")
    assert result.status is Status.FAIL
    assert result.evidence[0].startswith("git history: 0/21 mainline changes of the last 90 days")


@pytest.mark.parametrize(
    "practice_id",
    [
        "pipeline.cicd-sec-1",
        "pipeline.cicd-sec-2",
        "pipeline.cicd-sec-6",
        "pipeline.cicd-sec-7",
        "pipeline.cicd-sec-8",
        "pipeline.cicd-sec-10",
    ],
)
def test_wrappers_without_posture_are_the_base(tmp_path: Path, cache: Path, practice_id: str) -> None:
    root = repo_at(tmp_path)
    assert run(root, practice_id) == base(root, practice_id)


# -- with saved posture ----------------------------------------------------------------------------


def test_branch_protection_confirmed(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved()
    result = run(root, "code.branch-protection")
    assert result.status is Status.PASS
    assert result.score == 100
    file = facts_file("github.com", "acme/widget")
    assert result.evidence[0].startswith(
        f"{file}: github settings of acme/widget (branch main) fetched 3 h ago ("
    )
    assert result.evidence[1] == (
        "/repos/acme/widget/branches/main/protection: a protection rule or ruleset applies to the branch "
        "[POSTURE-BRANCH-UNPROTECTED: pass]"
    )
    assert "OpenSSF Scorecard Branch-Protection score: 10/10" in result.evidence
    assert result.findings == ()


def test_branch_protection_unprotected(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(protection=(404, "protection_not_protected.json"))
    result = run(root, "code.branch-protection")
    assert (result.status, result.score) == (Status.FAIL, 0)
    assert result.summary == "the host shows the default branch unprotected"
    assert rules(result) == ["POSTURE-BRANCH-UNPROTECTED"]


def test_branch_protection_force_push(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(protection=(200, "protection_force_push.json"))
    result = run(root, "code.branch-protection")
    assert (result.status, result.score) == (Status.FAIL, 10)
    assert rules(result) == [
        "POSTURE-ADMINS-BYPASS",
        "POSTURE-FORCE-PUSH-ALLOWED",
        "POSTURE-NO-STATUS-CHECKS",
    ]


def test_branch_protection_partial(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(protection=(200, "protection_reviews.json"))
    result = run(root, "code.branch-protection")
    assert (result.status, result.score) == (Status.PARTIAL, 60)
    assert result.summary == (
        "the default branch is protected, but administrators may bypass the protection "
        "(enforce_admins is off); no status check is required"
    )


def test_branch_protection_ruleset_bypass(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(**{"ruleset/7001": (200, "ruleset_bypass_always.json")})
    result = run(root, "code.branch-protection")
    assert (result.status, result.score) == (Status.PARTIAL, 100)
    assert result.summary == (
        "the default branch is protected, but ruleset 'main' (7001) protects main, but repository role "
        "admin, organisation admins, GitHub App 15368 (exempt) may bypass it always"
    )
    assert rules(result) == ["POSTURE-RULESET-BYPASS"]
    assert (
        "/repos/acme/widget/rulesets/7001: ruleset 'main' (7001) protects main, but repository role admin, "
        "organisation admins, GitHub App 15368 (exempt) may bypass it always [POSTURE-RULESET-BYPASS: fail]"
    ) in result.evidence


def test_review_confirmed(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved()
    result = run(root, "code.review")
    assert result.status is Status.PASS
    assert result.summary == "the host requires approval before merging: 2 approving review(s) required"


def test_review_not_required(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(protection=(200, "protection_basic.json"))
    result = run(root, "code.review")
    assert result.status is Status.FAIL
    assert rules(result) == ["POSTURE-NO-REQUIRED-REVIEW"]


def test_review_weak(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(protection=(200, "protection_reviews.json"), workflow=(200, "workflow_write.json"))
    result = run(root, "code.review")
    assert result.status is Status.PARTIAL
    assert rules(result) == [
        "POSTURE-ACTIONS-CAN-APPROVE",
        "POSTURE-NO-CODEOWNER-REVIEW",
        "POSTURE-STALE-REVIEWS-KEPT",
    ]


def test_review_falls_back_when_unreadable(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(protection=(403, "forbidden.json"))
    result = run(root, "code.review")
    assert result.status is Status.PARTIAL
    assert result.summary.startswith("CODEOWNERS requests reviews")
    assert any("[POSTURE-NO-REQUIRED-REVIEW: unknown]" in line for line in result.evidence)


def test_cicd_sec_1_decided_without_carrying(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    assert base(root, "pipeline.cicd-sec-1").status is Status.UNKNOWN
    saved(protection=(404, "protection_not_protected.json"))
    result = run(root, "pipeline.cicd-sec-1")
    assert result.status is Status.FAIL
    assert result.summary.startswith("host settings: the default branch has no protection rule or ruleset")
    assert result.findings == ()


def test_cicd_sec_1_pass(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved()
    assert run(root, "pipeline.cicd-sec-1").status is Status.PASS


def test_cicd_sec_2(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(collaborators=(200, "collaborators_write.json"), workflow=(200, "workflow_write.json"))
    result = run(root, "pipeline.cicd-sec-2")
    assert result.status is Status.FAIL
    assert rules(result) == ["POSTURE-DEFAULT-TOKEN-WRITE", "POSTURE-OUTSIDE-COLLABORATOR-WRITE"]
    saved()
    good = run(Path(root), "pipeline.cicd-sec-2")
    assert good.status is Status.PASS
    assert good.summary == (
        "host settings: default_workflow_permissions is 'read'; 1 outside collaborator(s), none with write "
        "access; two_factor_requirement_enabled is true; 1 deploy key(s), all read-only; 1 deploy key(s), "
        "each used or created in the last 365 days"
    )


def test_cicd_sec_2_deploy_keys(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(deploy_keys=(200, "deploy_keys_write.json"))
    result = run(root, "pipeline.cicd-sec-2")
    assert result.status is Status.FAIL
    assert rules(result) == [
        "POSTURE-DEPLOY-KEY-STALE",
        "POSTURE-DEPLOY-KEY-STALE",
        "POSTURE-DEPLOY-KEY-WRITE",
    ]
    assert (
        "posture: installed GitHub Apps: not checked; listing an organisation's app installations needs an "
        "organisation owner's token, and secloop asks for read-only repository access"
    ) in result.evidence


def test_cicd_sec_2_unreadable_deploy_keys_are_not_a_pass(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(deploy_keys=(403, "forbidden.json"))
    result = run(root, "pipeline.cicd-sec-2")
    assert result.status is base(root, "pipeline.cicd-sec-2").status
    assert result.status is not Status.PASS
    assert (
        "host settings: the saved posture cannot tell: /repos/acme/widget/keys?per_page=100 answered HTTP 403"
        in (result.summary)
    )


def test_cicd_sec_2_secondary_unknown_is_noted(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(org=(200, "org_public_view.json"))
    result = run(root, "pipeline.cicd-sec-2")
    assert result.status is Status.PASS
    assert result.summary.endswith("(two_factor_requirement_enabled is shown to organisation owners only)")


def test_cicd_sec_6(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(repo=(200, "repo_user_nosecrets.json"), org=None)
    result = run(root, "pipeline.cicd-sec-6")
    assert result.status is Status.FAIL
    assert rules(result) == ["POSTURE-PUSH-PROTECTION-OFF", "POSTURE-SECRET-SCANNING-OFF"]


def test_cicd_sec_7_made_worse_not_better(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    assert base(root, "pipeline.cicd-sec-7").status is Status.PASS
    saved(runners=(200, "runners_two.json"))
    result = run(root, "pipeline.cicd-sec-7")
    assert result.status is Status.FAIL
    assert rules(result) == ["POSTURE-SELF-HOSTED-RUNNER-PUBLIC"]
    assert result.summary.endswith("; every job runs on a GitHub-hosted runner")


def test_cicd_sec_8(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved(hooks=(200, "hooks_insecure.json"))
    result = run(root, "pipeline.cicd-sec-8")
    assert result.status is Status.FAIL
    assert rules(result) == [
        "POSTURE-WEBHOOK-INSECURE",
        "POSTURE-WEBHOOK-INSECURE",
        "POSTURE-WEBHOOK-NO-SECRET",
    ]


def test_cicd_sec_10(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    saved()
    result = run(root, "pipeline.cicd-sec-10")
    assert result.status is Status.PARTIAL
    assert (
        "/orgs/acme/audit-log?per_page=1: the organisation's audit log is readable through the API"
        in result.evidence
    )
    saved(audit_log=(404, "not_found.json"))
    assert run(root, "pipeline.cicd-sec-10").status is Status.UNKNOWN


def test_posture_applies_without_ci_files(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path, workflow=False)
    assert base(root, "pipeline.cicd-sec-2").status is Status.NOT_APPLICABLE
    saved(org=(200, "org_no2fa.json"))
    assert run(root, "pipeline.cicd-sec-2").status is Status.FAIL


def test_unreadable_saved_posture(tmp_path: Path, cache: Path) -> None:
    root = repo_at(tmp_path)
    file = facts_file("github.com", "acme/widget")
    file.parent.mkdir(parents=True)
    file.write_text("{not json")
    result = run(root, "code.branch-protection")
    assert result.status is Status.UNKNOWN
    assert result.evidence[-1].startswith(f"{file}: unreadable posture facts (")
