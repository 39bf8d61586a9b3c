"""Each posture rule: a payload that fails it and one that passes it, with the deciding API path."""

from __future__ import annotations

from typing import Any

import pytest

from secloop.core.enums import Status
from secloop.pipeline.posture import rules as R
from secloop.pipeline.posture.checks import Posture, audit_log, judge

from .conftest import github_snapshot, gitlab_snapshot, payload

PROTECTION = "/repos/acme/widget/branches/main/protection"
RULESET = "ruleset/7001"


def posture(*, owners: bool = True, **override: Any) -> Posture:
    return judge(github_snapshot(**override), owners)


def detail(name: str) -> dict[str, Any]:
    """An override of the answer for ruleset 7001 (its key is not a Python name)."""
    return {RULESET: (200, name)}


def one(p: Posture, rule_id: str) -> tuple[Status, str, str | None]:
    (check,) = [c for c in p.checks if c.rule.id == rule_id]
    return check.status, check.reason, check.path


def statuses(p: Posture, rule_id: str) -> list[tuple[Status, str]]:
    return [(c.status, c.reason) for c in p.checks if c.rule.id == rule_id]


def test_well_configured_repository_passes_everything() -> None:
    p = posture()
    assert {c.rule.id: c.status for c in p.checks if c.status is not Status.PASS} == {}
    assert p.score == 10
    assert p.findings == ()


def test_branch_unprotected() -> None:
    p = posture(protection=(404, "protection_not_protected.json"))
    assert one(p, "POSTURE-BRANCH-UNPROTECTED") == (
        Status.FAIL,
        "the default branch has no protection rule or ruleset",
        PROTECTION,
    )
    assert one(p, "POSTURE-FORCE-PUSH-ALLOWED")[0] is Status.NOT_APPLICABLE
    assert p.score == 0
    (finding,) = [f for f in p.findings if f.rule_id == "POSTURE-BRANCH-UNPROTECTED"]
    assert finding.primary is not None
    assert finding.primary.path == f"api.github.com{PROTECTION}"
    assert finding.message == "acme/widget: the default branch has no protection rule or ruleset"
    assert one(posture(), "POSTURE-BRANCH-UNPROTECTED")[0] is Status.PASS


def test_ruleset_alone_protects() -> None:
    p = posture(protection=(404, "protection_not_protected.json"), rules=(200, "rules_ruleset.json"))
    assert one(p, "POSTURE-BRANCH-UNPROTECTED") == (
        Status.PASS,
        "a protection rule or ruleset applies to the branch",
        "/repos/acme/widget/rules/branches/main?per_page=100",
    )
    assert one(p, "POSTURE-ADMINS-BYPASS") == (
        Status.NOT_APPLICABLE,
        "no classic protection rule; the rulesets' bypass lists are judged by POSTURE-RULESET-BYPASS",
        "/repos/acme/widget/rules/branches/main?per_page=100",
    )
    assert p.score == 5
    # the ruleset's pull_request rule decides the review count
    assert one(p, "POSTURE-NO-REQUIRED-REVIEW")[:2] == (Status.PASS, "1 approving review(s) required")
    # without the rulesets' bypass lists, whether administrators may bypass stays unknown
    hidden = posture(
        protection=(404, "protection_not_protected.json"),
        rules=(200, "rules_ruleset.json"),
        **detail("ruleset_no_bypass_list.json"),
    )
    assert one(hidden, "POSTURE-ADMINS-BYPASS")[:2] == (
        Status.UNKNOWN,
        "whether administrators may bypass is not shown (ruleset bypass lists need an admin token)",
    )


def test_force_push_allowed() -> None:
    p = posture(protection=(200, "protection_force_push.json"))
    assert one(p, "POSTURE-FORCE-PUSH-ALLOWED") == (Status.FAIL, "force pushes are allowed", PROTECTION)
    assert one(posture(), "POSTURE-FORCE-PUSH-ALLOWED") == (
        Status.PASS,
        "force pushes are blocked",
        PROTECTION,
    )


def test_deletion_allowed() -> None:
    body = payload("github", "protection_admins.json")
    body["allow_deletions"]["enabled"] = True
    assert one(posture(protection=(200, body)), "POSTURE-BRANCH-DELETION-ALLOWED")[:2] == (
        Status.FAIL,
        "the branch may be deleted",
    )
    assert one(posture(), "POSTURE-BRANCH-DELETION-ALLOWED")[:2] == (Status.PASS, "deletion is blocked")


def test_admins_bypass() -> None:
    p = posture(protection=(200, "protection_codeowners.json"))
    assert one(p, "POSTURE-ADMINS-BYPASS")[:2] == (
        Status.FAIL,
        "administrators may bypass the protection (enforce_admins is off)",
    )
    assert one(posture(), "POSTURE-ADMINS-BYPASS")[0] is Status.PASS


def test_no_status_checks() -> None:
    p = posture(protection=(200, "protection_reviews.json"))
    assert one(p, "POSTURE-NO-STATUS-CHECKS")[:2] == (Status.FAIL, "no status check is required")
    assert one(posture(), "POSTURE-NO-STATUS-CHECKS")[:2] == (
        Status.PASS,
        "required status checks: ci/lint, ci/test",
    )


def test_no_required_review() -> None:
    p = posture(protection=(200, "protection_basic.json"))
    assert one(p, "POSTURE-NO-REQUIRED-REVIEW")[:2] == (Status.FAIL, "pull requests are not required")
    assert one(p, "POSTURE-STALE-REVIEWS-KEPT")[0] is Status.NOT_APPLICABLE
    assert one(posture(), "POSTURE-NO-REQUIRED-REVIEW")[:2] == (Status.PASS, "2 approving review(s) required")


def test_zero_required_reviews() -> None:
    body = payload("github", "protection_reviews.json")
    body["required_pull_request_reviews"]["required_approving_review_count"] = 0
    assert one(posture(protection=(200, body)), "POSTURE-NO-REQUIRED-REVIEW")[:2] == (
        Status.FAIL,
        "0 approving reviews are required",
    )


def test_codeowner_review() -> None:
    p = posture(protection=(200, "protection_reviews.json"))
    assert one(p, "POSTURE-NO-CODEOWNER-REVIEW")[:2] == (Status.FAIL, "code owners' review is not required")
    assert one(posture(), "POSTURE-NO-CODEOWNER-REVIEW")[:2] == (
        Status.PASS,
        "code owners' review is required",
    )
    assert one(posture(owners=False), "POSTURE-NO-CODEOWNER-REVIEW")[:2] == (
        Status.FAIL,
        "code owners' review is required but there is no CODEOWNERS file",
    )


def test_stale_reviews() -> None:
    p = posture(protection=(200, "protection_reviews.json"))
    assert one(p, "POSTURE-STALE-REVIEWS-KEPT")[:2] == (Status.FAIL, "approvals survive new pushes")
    assert one(posture(), "POSTURE-STALE-REVIEWS-KEPT")[0] is Status.PASS


def test_protection_unreadable_is_unknown() -> None:
    p = posture(protection=(403, "forbidden.json"), rules=(200, "rules_none.json"))
    status, reason, path = one(p, "POSTURE-BRANCH-UNPROTECTED")
    assert (status, path) == (Status.UNKNOWN, PROTECTION)
    assert reason == f"{PROTECTION} answered HTTP 403"
    assert p.score is None


WORKFLOW = "/repos/acme/widget/actions/permissions/workflow"


def test_default_token_and_approval() -> None:
    p = posture(workflow=(200, "workflow_write.json"))
    assert one(p, "POSTURE-DEFAULT-TOKEN-WRITE") == (
        Status.FAIL,
        "default_workflow_permissions is 'write'",
        WORKFLOW,
    )
    assert one(p, "POSTURE-ACTIONS-CAN-APPROVE") == (
        Status.FAIL,
        "can_approve_pull_request_reviews is true",
        WORKFLOW,
    )
    good = posture()
    assert one(good, "POSTURE-DEFAULT-TOKEN-WRITE")[0] is Status.PASS
    assert one(good, "POSTURE-ACTIONS-CAN-APPROVE")[0] is Status.PASS
    off = posture(actions=(200, "actions_disabled.json"), workflow=(200, "workflow_write.json"))
    assert one(off, "POSTURE-DEFAULT-TOKEN-WRITE")[:2] == (
        Status.NOT_APPLICABLE,
        "GitHub Actions is disabled for the repository",
    )


def test_outside_collaborators() -> None:
    p = posture(collaborators=(200, "collaborators_write.json"))
    assert statuses(p, "POSTURE-OUTSIDE-COLLABORATOR-WRITE") == [
        (Status.FAIL, "outside collaborator contractor has push access")
    ]
    assert statuses(posture(), "POSTURE-OUTSIDE-COLLABORATOR-WRITE") == [
        (Status.PASS, "1 outside collaborator(s), none with write access")
    ]


def test_org_2fa() -> None:
    assert one(posture(org=(200, "org_no2fa.json")), "POSTURE-ORG-2FA-OFF") == (
        Status.FAIL,
        "two_factor_requirement_enabled is false",
        "/orgs/acme",
    )
    assert one(posture(), "POSTURE-ORG-2FA-OFF")[0] is Status.PASS
    assert one(posture(org=(200, "org_public_view.json")), "POSTURE-ORG-2FA-OFF")[:2] == (
        Status.UNKNOWN,
        "two_factor_requirement_enabled is shown to organisation owners only",
    )
    user = posture(repo=(200, "repo_user_nosecrets.json"), org=None)
    assert one(user, "POSTURE-ORG-2FA-OFF")[0] is Status.NOT_APPLICABLE


def test_secret_scanning_and_push_protection() -> None:
    p = posture(repo=(200, "repo_user_nosecrets.json"))
    assert one(p, "POSTURE-SECRET-SCANNING-OFF") == (
        Status.FAIL,
        "secret scanning is disabled",
        "/repos/acme/widget",
    )
    assert one(p, "POSTURE-PUSH-PROTECTION-OFF")[:2] == (Status.FAIL, "push protection is disabled")
    good = posture()
    assert one(good, "POSTURE-SECRET-SCANNING-OFF")[0] is Status.PASS
    assert one(good, "POSTURE-PUSH-PROTECTION-OFF")[0] is Status.PASS
    hidden = posture(repo=(200, "repo_readonly.json"))
    assert one(hidden, "POSTURE-SECRET-SCANNING-OFF")[0] is Status.UNKNOWN


def test_self_hosted_runners_on_public_repository() -> None:
    p = posture(runners=(200, "runners_two.json"))
    assert one(p, "POSTURE-SELF-HOSTED-RUNNER-PUBLIC")[:2] == (
        Status.FAIL,
        "2 self-hosted runner(s) registered (build-01, build-02) to a public repository",
    )
    assert one(posture(), "POSTURE-SELF-HOSTED-RUNNER-PUBLIC")[:2] == (
        Status.PASS,
        "no self-hosted runner is registered",
    )
    private = payload("github", "repo.json") | {"private": True, "visibility": "private"}
    assert (
        one(
            posture(repo=(200, private), runners=(200, "runners_two.json")),
            "POSTURE-SELF-HOSTED-RUNNER-PUBLIC",
        )[0]
        is Status.PASS
    )


def test_runner_groups() -> None:
    p = posture(runner_groups=(200, "runner_groups_open.json"))
    assert statuses(p, "POSTURE-RUNNER-GROUP-OPEN") == [
        (Status.FAIL, "runner group 'gpu' allows public repositories (visibility all)")
    ]
    assert statuses(posture(), "POSTURE-RUNNER-GROUP-OPEN") == [
        (Status.PASS, "1 runner group(s), none open to public repositories")
    ]


def test_webhooks() -> None:
    p = posture(hooks=(200, "hooks_insecure.json"))
    assert statuses(p, "POSTURE-WEBHOOK-NO-SECRET") == [
        (Status.FAIL, "webhook 502 (http://chat.example.net/…) has no secret")
    ]
    assert statuses(p, "POSTURE-WEBHOOK-INSECURE") == [
        (Status.FAIL, "webhook 502 (http://chat.example.net/…) delivers over plain http"),
        (Status.FAIL, "webhook 503 (https://deploy.example.org/…) does not verify the TLS certificate"),
    ]
    good = posture()
    assert statuses(good, "POSTURE-WEBHOOK-NO-SECRET") == [
        (Status.PASS, "1 active webhook(s), each with a secret")
    ]
    assert statuses(good, "POSTURE-WEBHOOK-INSECURE") == [
        (Status.PASS, "1 active webhook(s), each over verified https")
    ]
    # the stored body keeps neither the URL's path and query nor the secret
    hooks = github_snapshot().answers["hooks"].body
    assert hooks[0]["config"] == {
        "url": "https://ci.example.com/…",
        "insecure_ssl": "0",
        "content_type": "json",
        "secret_set": True,
    }


def test_audit_log() -> None:
    assert audit_log(github_snapshot()) == (
        Status.PASS,
        "the organisation's audit log is readable through the API",
        "/orgs/acme/audit-log?per_page=1",
    )
    status, reason, _ = audit_log(github_snapshot(audit_log=(404, "not_found.json")))
    assert status is Status.UNKNOWN and "GitHub Enterprise Cloud" in reason


def test_fingerprints_are_stable_and_distinct() -> None:
    a = posture(collaborators=(200, "collaborators_write.json"), hooks=(200, "hooks_insecure.json")).findings
    b = posture(collaborators=(200, "collaborators_write.json"), hooks=(200, "hooks_insecure.json")).findings
    assert [f.fingerprint for f in a] == [f.fingerprint for f in b]
    assert len({f.fingerprint for f in a}) == len(a)


# -- GitLab ----------------------------------------------------------------------------------------


def gitlab(**answers: tuple[int, str] | None) -> Posture:
    return judge(gitlab_snapshot(**answers), True)


def test_gitlab_strict_branch() -> None:
    p = gitlab()
    failing = {c.rule.id for c in p.checks if c.status is Status.FAIL}
    assert failing == {"POSTURE-WEBHOOK-INSECURE"}
    assert one(p, "POSTURE-NO-REQUIRED-REVIEW")[:2] == (Status.PASS, "2 approving review(s) required")
    assert one(p, "POSTURE-ADMINS-BYPASS")[0] is Status.NOT_APPLICABLE
    assert one(p, "POSTURE-WEBHOOK-NO-SECRET")[0] is Status.UNKNOWN
    assert (
        p.score == 10
    )  # settings GitLab lacks (up-to-date, last push, admins) do not count, as in Scorecard


def test_gitlab_loose_branch() -> None:
    p = gitlab(protected_branches=(200, "protected_loose.json"), approvals=(200, "approvals_keep.json"))
    assert one(p, "POSTURE-FORCE-PUSH-ALLOWED")[0] is Status.FAIL
    assert one(p, "POSTURE-NO-REQUIRED-REVIEW")[:2] == (
        Status.FAIL,
        "maintainers or developers may push to the branch directly",
    )


def test_gitlab_unprotected_and_no_premium() -> None:
    p = gitlab(protected_branches=(200, "protected_other.json"))
    assert one(p, "POSTURE-BRANCH-UNPROTECTED")[0] is Status.FAIL
    q = gitlab(approval_rules=(403, "forbidden.json"))
    status, reason, _ = one(q, "POSTURE-NO-REQUIRED-REVIEW")
    assert status is Status.UNKNOWN and reason.endswith("(approval rules need GitLab Premium)")


@pytest.mark.parametrize("rule", R.RULES, ids=[r.id for r in R.RULES])
def test_every_rule_has_a_failing_fixture(rule: Any) -> None:
    bad = [
        posture(protection=(404, "protection_not_protected.json")),
        posture(protection=(200, "protection_force_push.json")),
        posture(protection=(200, "protection_reviews.json"), workflow=(200, "workflow_write.json")),
        posture(
            repo=(200, "repo_user_nosecrets.json"),
            collaborators=(200, "collaborators_write.json"),
            runners=(200, "runners_two.json"),
            runner_groups=(200, "runner_groups_open.json"),
            hooks=(200, "hooks_insecure.json"),
        ),
        posture(org=(200, "org_no2fa.json")),
        posture(deploy_keys=(200, "deploy_keys_write.json"), **detail("ruleset_bypass_always.json")),
    ]
    body = payload("github", "protection_admins.json")
    body["allow_deletions"]["enabled"] = True
    bad.append(posture(protection=(200, body)))
    bad.append(
        gitlab(
            project=(200, "project_open_threads.json"),
            protected_tags=(200, "empty_list.json"),
            variables=(200, "variables_exposed.json"),
        )
    )
    assert any(c.rule.id == rule.id and c.status is Status.FAIL for p in bad for c in p.checks)
    good = [*posture().checks, *(c for c in gitlab().checks if c.rule is not R.WEBHOOK_INSECURE)]
    assert all(c.status is not Status.FAIL for c in good if c.rule.id == rule.id)


def test_every_posture_rule_is_registered() -> None:
    from secloop.registry import REGISTRY

    assert all(r.id in REGISTRY for r in R.RULES)
    assert all(r.id.startswith("POSTURE-") and r.tags == ("posture",) for r in R.RULES)
