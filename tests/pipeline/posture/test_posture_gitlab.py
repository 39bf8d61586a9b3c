"""GitLab checks beyond branch protection: approval settings, deploy keys, protected tags, CI/CD
variables, unresolved discussions; each with a failing and a passing answer and the deciding path."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from secloop.core.enums import Severity, Status
from secloop.pipeline.posture import rules as R
from secloop.pipeline.posture.checks import Posture, judge
from secloop.pipeline.posture.gitlab_checks import secret_like
from secloop.pipeline.posture.model import Answer, Snapshot

from .conftest import gitlab_snapshot

BASE = "/projects/acme%2Fwidget"
BRANCHES = f"{BASE}/protected_branches?per_page=100"
APPROVALS = f"{BASE}/approvals"
KEYS = f"{BASE}/deploy_keys?per_page=100"
PROTECTED_TAGS = f"{BASE}/protected_tags?per_page=100"
TAGS = f"{BASE}/repository/tags?per_page=100"
VARIABLES = f"{BASE}/variables?per_page=100"

PASS, FAIL, UNKNOWN, NA = Status.PASS, Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE


def gitlab(**answers: tuple[int, str] | None) -> Posture:
    return judge(gitlab_snapshot(**answers), True)


def of(p: Posture, rule: Any) -> list[tuple[Status, str | None, str]]:
    return [(c.status, c.path, c.reason) for c in p.checks if c.rule is rule]


def test_well_configured_project_passes_the_new_checks() -> None:
    p = gitlab()
    assert of(p, R.NO_REQUIRED_REVIEW) == [(PASS, BRANCHES, "2 approving review(s) required")]
    assert of(p, R.DEPLOY_KEY_WRITE) == [(PASS, KEYS, "1 deploy key(s), all read-only")]
    assert of(p, R.DEPLOY_KEY_STALE) == [
        (PASS, KEYS, "1 deploy key(s), each used or created in the last 365 days")
    ]
    assert of(p, R.TAGS_UNPROTECTED) == [
        (PASS, PROTECTED_TAGS, "2 of 3 recent tag(s) match a protected tag pattern (v*)")
    ]
    assert of(p, R.CI_VARIABLE_EXPOSED) == [
        (PASS, VARIABLES, "1 of 4 project variable(s) named like secrets, each masked and protected")
    ]
    assert of(p, R.DISCUSSIONS_UNRESOLVED) == [
        (PASS, BASE, "only_allow_merge_if_all_discussions_are_resolved is true")
    ]
    assert p.score == 10


# -- merge request approval settings ---------------------------------------------------------------


def test_author_self_approval_is_no_review_by_another_person() -> None:
    p = gitlab(approvals=(200, "approvals_author.json"))
    reason = (
        "2 approving review(s) required, but merge request authors may approve their own changes "
        "(merge_requests_author_approval is true)"
    )
    assert of(p, R.NO_REQUIRED_REVIEW) == [(FAIL, APPROVALS, reason)]
    (finding,) = [f for f in p.findings if f.rule_id == "POSTURE-NO-REQUIRED-REVIEW"]
    assert finding.severity is Severity.HIGH
    assert finding.message == f"acme/widget: {reason}"
    assert finding.locations[0].path == "gitlab.com/api/v4/projects/acme%2Fwidget/approvals"


def test_committers_and_overrides_are_named_and_scored() -> None:
    p = gitlab(approvals=(200, "approvals_keep.json"))
    assert of(p, R.NO_REQUIRED_REVIEW) == [
        (
            PASS,
            BRANCHES,
            "2 approving review(s) required (committers may approve merge requests they added "
            "commits to; approval rules may be edited in each merge request)",
        )
    ]
    assert of(p, R.STALE_REVIEWS_KEPT) == [(FAIL, BRANCHES, "approvals survive new pushes")]
    # Committers' approval is GitLab's missing last-push approval: tier 2 is incomplete (3 + 3 * 3/4).
    assert p.branch is not None and p.branch.last_push_approval is False
    assert p.score == 5


def test_unreadable_approval_settings_leave_the_review_count_alone() -> None:
    p = gitlab(approvals=(403, "forbidden.json"))
    assert of(p, R.NO_REQUIRED_REVIEW) == [(PASS, BRANCHES, "2 approving review(s) required")]
    assert of(p, R.STALE_REVIEWS_KEPT) == [
        (UNKNOWN, BRANCHES, "whether stale approvals are dismissed is not shown to this token")
    ]
    assert p.branch is not None and p.branch.last_push_approval is None


# -- deploy keys -----------------------------------------------------------------------------------


def test_deploy_keys_with_push_access_and_stale_keys_fail() -> None:
    p = gitlab(deploy_keys=(200, "deploy_keys_write.json"))
    # Key 13 expired on 2025-05-01 and can no longer authenticate: it is left out.
    assert [
        (c.status, c.path, c.reason, c.subject) for c in p.checks if c.rule.id.startswith("POSTURE-DEPLOY")
    ] == [
        (FAIL, KEYS, "deploy key 12 ('release bot') has write access", "12"),
        (FAIL, KEYS, "deploy key 14 ('backup') was last used on 2025-01-15 (680 days ago)", "14"),
    ]
    assert {f.severity for f in p.findings if f.rule_id.startswith("POSTURE-DEPLOY")} == {
        Severity.MEDIUM,
        Severity.LOW,
    }


def test_deploy_key_without_recorded_use_is_judged_by_its_creation() -> None:
    body = gitlab_snapshot().answers["deploy_keys"]
    old = [{"id": 7, "title": "mirror", "can_push": False, "created_at": "2024-01-10T10:00:00Z"}]
    snapshot = gitlab_snapshot()
    snapshot.answers["deploy_keys"] = replace(body, body=old)
    assert of(judge(snapshot, True), R.DEPLOY_KEY_STALE) == [
        (
            FAIL,
            KEYS,
            "deploy key 7 ('mirror') was created on 2024-01-10 and has no recorded use (1051 days ago)",
        )
    ]


def test_deploy_keys_need_maintainer() -> None:
    p = gitlab(deploy_keys=(403, "forbidden.json"))
    why = f"{KEYS} answered HTTP 403"
    assert of(p, R.DEPLOY_KEY_WRITE) == [(UNKNOWN, KEYS, why)]
    assert of(p, R.DEPLOY_KEY_STALE) == [(UNKNOWN, KEYS, why)]


# -- protected tags --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("protected", "tags", "expected"),
    [
        (
            "empty_list.json",
            "tags.json",
            (
                FAIL,
                PROTECTED_TAGS,
                "3 recent tag(s) (nightly-20261126, v1.1.0, v1.2.0) and no protected tag pattern",
            ),
        ),
        (
            "protected_tags_other.json",
            "tags.json",
            (
                FAIL,
                PROTECTED_TAGS,
                "the protected tag patterns (release-*) match none of the recent tags "
                "(nightly-20261126, v1.1.0, v1.2.0)",
            ),
        ),
        ("empty_list.json", "empty_list.json", (NA, TAGS, "the project has no tags")),
        ("protected_tags.json", "empty_list.json", (NA, TAGS, "the project has no tags")),
    ],
)
def test_protected_tags(protected: str, tags: str, expected: tuple[Status, str, str]) -> None:
    p = gitlab(protected_tags=(200, protected), tags=(200, tags))
    assert of(p, R.TAGS_UNPROTECTED) == [expected]


def test_protected_tags_unreadable() -> None:
    p = gitlab(protected_tags=(404, "forbidden.json"))
    assert of(p, R.TAGS_UNPROTECTED) == [(UNKNOWN, PROTECTED_TAGS, f"{PROTECTED_TAGS} answered HTTP 404")]
    q = gitlab(tags=(403, "forbidden.json"))
    assert of(q, R.TAGS_UNPROTECTED) == [(UNKNOWN, TAGS, f"{TAGS} answered HTTP 403")]


def test_unprotected_tags_finding() -> None:
    (finding,) = [
        f
        for f in gitlab(protected_tags=(200, "empty_list.json")).findings
        if f.rule_id == "POSTURE-TAGS-UNPROTECTED"
    ]
    assert (finding.severity, finding.locations[0].path) == (
        Severity.MEDIUM,
        "gitlab.com/api/v4/projects/acme%2Fwidget/protected_tags",
    )


# -- CI/CD variables -------------------------------------------------------------------------------


def test_secret_variables_not_masked_or_not_protected_fail() -> None:
    p = gitlab(variables=(200, "variables_exposed.json"))
    checks = [(c.status, c.path, c.reason, c.subject) for c in p.checks if c.rule is R.CI_VARIABLE_EXPOSED]
    assert checks == [
        (FAIL, VARIABLES, "CI/CD variable API_TOKEN (environments *) is not protected", "API_TOKEN@*"),
        (FAIL, VARIABLES, "CI/CD variable DB_PASSWORD (environments *) is not masked", "DB_PASSWORD@*"),
        (
            FAIL,
            VARIABLES,
            "CI/CD variable SSH_PRIVATE_KEY (environments production) is neither masked nor protected",
            "SSH_PRIVATE_KEY@production",
        ),
    ]
    findings = [f for f in p.findings if f.rule_id == "POSTURE-CI-VARIABLE-EXPOSED"]
    assert {f.severity for f in findings} == {Severity.MEDIUM}
    assert len({f.fingerprint for f in findings}) == 3


def test_hidden_variable_counts_as_masked() -> None:
    snapshot = gitlab_snapshot()
    answer = snapshot.answers["variables"]
    hidden = [
        {"key": "NPM_TOKEN", "masked": False, "hidden": True, "protected": True, "environment_scope": "*"}
    ]
    snapshot.answers["variables"] = replace(answer, body=hidden)
    assert of(judge(snapshot, True), R.CI_VARIABLE_EXPOSED) == [
        (PASS, VARIABLES, "1 of 1 project variable(s) named like secrets, each masked and protected")
    ]


def test_variables_need_maintainer() -> None:
    p = gitlab(variables=(403, "forbidden.json"))
    assert of(p, R.CI_VARIABLE_EXPOSED) == [(UNKNOWN, VARIABLES, f"{VARIABLES} answered HTTP 403")]


@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("NPM_TOKEN", True),
        ("DB_PASSWORD", True),
        ("SSH_PRIVATE_KEY", True),
        ("APIKEY", True),
        ("sonar.login.secret", True),
        ("GOOGLE_CREDENTIALS", True),
        ("AWS_ACCESS_KEY_ID", False),
        ("SSH_PUBLIC_KEY", False),
        ("KEYCLOAK_URL", False),
        ("DEPLOY_ENV", False),
        ("TOKEN_URL", False),
    ],
)
def test_secret_like_names(key: str, secret: bool) -> None:
    assert secret_like(key) is secret


# -- unresolved discussions ------------------------------------------------------------------------


def test_unresolved_discussions() -> None:
    p = gitlab(project=(200, "project_open_threads.json"))
    assert of(p, R.DISCUSSIONS_UNRESOLVED) == [
        (FAIL, BASE, "only_allow_merge_if_all_discussions_are_resolved is false")
    ]
    (finding,) = [f for f in p.findings if f.rule_id == "POSTURE-MR-DISCUSSIONS-UNRESOLVED"]
    assert finding.severity is Severity.LOW


def test_discussions_moot_without_merge_requests() -> None:
    snapshot = gitlab_snapshot()
    project = snapshot.answers["project"]
    snapshot.answers["project"] = replace(project, body={**project.body, "merge_requests_enabled": False})
    assert of(judge(snapshot, True), R.DISCUSSIONS_UNRESOLVED) == [
        (NA, BASE, "merge requests are disabled for the project")
    ]


# -- facts saved before these checks existed -------------------------------------------------------


def test_snapshot_saved_by_an_older_secloop_still_loads() -> None:
    doc = gitlab_snapshot(deploy_keys=None, protected_tags=None, tags=None, variables=None).to_json()
    del doc["answers"]["project"]["body"]["only_allow_merge_if_all_discussions_are_resolved"]
    p = judge(Snapshot.from_json(doc), True)
    assert of(p, R.DEPLOY_KEY_WRITE) == [(UNKNOWN, None, "deploy keys was not fetched")]
    assert of(p, R.DEPLOY_KEY_STALE) == [(UNKNOWN, None, "deploy keys was not fetched")]
    assert of(p, R.TAGS_UNPROTECTED) == [(UNKNOWN, None, "the tag list was not fetched")]
    assert of(p, R.CI_VARIABLE_EXPOSED) == [(UNKNOWN, None, "the CI/CD variable list was not fetched")]
    assert of(p, R.DISCUSSIONS_UNRESOLVED) == [
        (
            UNKNOWN,
            BASE,
            "only_allow_merge_if_all_discussions_are_resolved was not fetched (facts saved by an older "
            "secloop; run secloop posture again)",
        )
    ]
    assert of(p, R.NO_REQUIRED_REVIEW) == [(PASS, BRANCHES, "2 approving review(s) required")]
    assert {c.rule.id for c in p.checks if c.status is FAIL} == {"POSTURE-WEBHOOK-INSECURE"}


def test_no_project_answer() -> None:
    snapshot = gitlab_snapshot()
    snapshot.answers["project"] = Answer(BASE, 0, error=f"{BASE} could not be fetched")
    assert of(judge(snapshot, True), R.DISCUSSIONS_UNRESOLVED) == [
        (UNKNOWN, BASE, f"{BASE} could not be fetched")
    ]
