"""Judge a posture snapshot: one `Check` per rule (per webhook or collaborator where several can fail).

Every check names the API path whose answer decided it. An answer the token could not read makes
the check `unknown` with what permission is missing; it never passes by default.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import urlsplit

from secloop.core.enums import Status
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location
from secloop.core.rules import Rule
from secloop.pipeline.posture import rules as R
from secloop.pipeline.posture.access import Bypass, deploy_key_checks, ruleset_bypass
from secloop.pipeline.posture.gitlab_checks import approvals as approval_settings
from secloop.pipeline.posture.gitlab_checks import extra_checks, review_adjust
from secloop.pipeline.posture.model import Answer, Check, Snapshot, unread_checks
from secloop.pipeline.posture.scorecard import BranchRule, Tier, combine, from_protection, from_rules
from secloop.pipeline.posture.scorecard import score as scorecard_score
from secloop.pipeline.posture.scorecard import tiers as scorecard_tiers

PASS, FAIL, UNKNOWN, NA = Status.PASS, Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE
WRITE_ROLES = ("admin", "maintain", "push")
BRANCH_RULES = (
    R.FORCE_PUSH_ALLOWED,
    R.DELETION_ALLOWED,
    R.ADMINS_BYPASS,
    R.NO_STATUS_CHECKS,
    R.NO_REQUIRED_REVIEW,
    R.NO_CODEOWNER_REVIEW,
    R.STALE_REVIEWS_KEPT,
)


@dataclass(frozen=True, slots=True)
class Posture:
    snapshot: Snapshot
    checks: tuple[Check, ...]
    branch: BranchRule | None  # None: the protection could not be read
    score: int | None  # Scorecard Branch-Protection score, 0-10
    tiers: tuple[Tier, ...] = ()

    def of(self, *rules: Rule) -> list[Check]:
        ids = {r.id for r in rules}
        return [c for c in self.checks if c.rule.id in ids]

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(finding_of(self.snapshot, c) for c in self.checks if c.status is FAIL)


def finding_of(snapshot: Snapshot, check: Check) -> Finding:
    rule = check.rule
    # host + path, no scheme or query: SARIF reads locations as paths relative to the source root.
    parts = urlsplit(snapshot.api_url)
    where = f"{parts.netloc}{parts.path}{(check.path or '').split('?', 1)[0]}"
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        message=f"{snapshot.repo}: {check.reason}",
        locations=(Location(path=where),),
        fingerprint=keyed_fingerprint(rule.id, snapshot.platform, snapshot.repo, check.subject),
        properties=(
            ("platform", snapshot.platform),
            ("repo", snapshot.repo),
            ("api_url", snapshot.api_url),
            ("api_path", check.path or ""),
        ),
        fix=rule.fix,
    )


def _body(answer: Answer | None) -> Any:
    return answer.body if answer is not None and answer.ok else None


def judge(snapshot: Snapshot, codeowners: bool) -> Posture:
    """The checks of a snapshot; `codeowners`: whether the repository has a CODEOWNERS file."""
    if snapshot.platform == "gitlab":
        return _judge_gitlab(snapshot, codeowners)
    return _judge_github(snapshot, codeowners)


# -- branch protection (both platforms) ------------------------------------------------------------


def branch_checks(rule: BranchRule, path: str, codeowners: bool) -> list[Check]:
    if not rule.protected:
        gone = "no protection rule applies to the branch (see POSTURE-BRANCH-UNPROTECTED)"
        return [
            Check(R.BRANCH_UNPROTECTED, FAIL, "the default branch has no protection rule or ruleset", path),
            *(Check(r, NA, gone, path) for r in BRANCH_RULES),
        ]
    out = [Check(R.BRANCH_UNPROTECTED, PASS, "a protection rule or ruleset applies to the branch", path)]

    def flag(rule_: Rule, value: bool | None, bad: bool, yes: str, no: str, unread: str) -> None:
        if value is None:
            out.append(Check(rule_, UNKNOWN, unread, path))
        else:
            out.append(Check(rule_, FAIL if value is bad else PASS, yes if value else no, path))

    flag(
        R.FORCE_PUSH_ALLOWED,
        rule.allow_force_pushes,
        True,
        "force pushes are allowed",
        "force pushes are blocked",
        "whether force pushes are blocked is not shown to this token",
    )
    flag(
        R.DELETION_ALLOWED,
        rule.allow_deletions,
        True,
        "the branch may be deleted",
        "deletion is blocked",
        "whether deletion is blocked is not shown to this token",
    )
    flag(
        R.ADMINS_BYPASS,
        rule.enforce_admins,
        False,
        "administrators are included (enforce_admins)",
        "administrators may bypass the protection (enforce_admins is off)",
        "whether administrators may bypass is not shown (ruleset bypass lists need an admin token)",
    )
    checks = rule.status_checks
    out.append(
        Check(
            R.NO_STATUS_CHECKS,
            PASS if checks else FAIL,
            f"required status checks: {', '.join(checks[:5])}" if checks else "no status check is required",
            path,
        )
    )
    reviews = rule.required_reviews
    if reviews is None or reviews < 1:
        why = "pull requests are not required" if reviews is None else "0 approving reviews are required"
        out.append(Check(R.NO_REQUIRED_REVIEW, FAIL, why, path))
        moot = "no review is required (see POSTURE-NO-REQUIRED-REVIEW)"
        out += [Check(R.NO_CODEOWNER_REVIEW, NA, moot, path), Check(R.STALE_REVIEWS_KEPT, NA, moot, path)]
        return out
    out.append(Check(R.NO_REQUIRED_REVIEW, PASS, f"{reviews} approving review(s) required", path))
    if rule.code_owner_review and not codeowners:
        out.append(
            Check(
                R.NO_CODEOWNER_REVIEW,
                FAIL,
                "code owners' review is required but there is no CODEOWNERS file",
                path,
            )
        )
    else:
        flag(
            R.NO_CODEOWNER_REVIEW,
            rule.code_owner_review,
            False,
            "code owners' review is required",
            "code owners' review is not required",
            "whether code owners must review is not shown to this token",
        )
    flag(
        R.STALE_REVIEWS_KEPT,
        rule.dismiss_stale,
        False,
        "stale approvals are dismissed on new pushes",
        "approvals survive new pushes",
        "whether stale approvals are dismissed is not shown to this token",
    )
    return out


def _scored(snapshot: Snapshot, checks: list[Check], rule: BranchRule | None, codeowners: bool) -> Posture:
    if rule is None:
        return Posture(snapshot, tuple(checks), None, None)
    return Posture(
        snapshot, tuple(checks), rule, scorecard_score(rule, codeowners), scorecard_tiers(rule, codeowners)
    )


# -- GitHub ----------------------------------------------------------------------------------------


def _github_branch(
    snapshot: Snapshot, codeowners: bool, bypass: Bypass
) -> tuple[list[Check], BranchRule | None]:
    protection, rules = snapshot.get("protection"), snapshot.get("rules")
    if protection is None:
        return unread_checks((R.BRANCH_UNPROTECTED, *BRANCH_RULES), None, "the default branch"), None
    # GitHub answers 404 "Branch not protected" for a branch without a classic rule.
    classic_known = protection.ok or protection.status == 404
    classic = from_protection(protection.body) if protection.ok else None
    ruleset = from_rules(_body(rules))
    if not classic_known and ruleset is None:
        return unread_checks((R.BRANCH_UNPROTECTED, *BRANCH_RULES), protection, "branch protection"), None
    combined = combine(classic, ruleset)
    path = (
        protection.path
        if classic is not None or ruleset is None
        else (rules.path if rules else protection.path)
    )
    if classic is not None or ruleset is None or bypass.no_bypass is None:
        return branch_checks(combined, path, codeowners), combined
    # Rulesets only: their bypass lists stand in for enforce_admins (Scorecard's tier 5).
    combined = replace(combined, enforce_admins=bypass.no_bypass)
    moot = "no classic protection rule; the rulesets' bypass lists are judged by POSTURE-RULESET-BYPASS"
    checks = [
        Check(c.rule, NA, moot, c.path) if c.rule is R.ADMINS_BYPASS else c
        for c in branch_checks(combined, path, codeowners)
    ]
    return checks, combined


def _security(repo: Answer, rule: Rule, key: str, what: str) -> Check:
    body = _body(repo) or {}
    feature = (body.get("security_and_analysis") or {}).get(key)
    status = feature.get("status") if isinstance(feature, dict) else None
    if status == "enabled":
        return Check(rule, PASS, f"{what} is enabled", repo.path)
    if status == "disabled":
        return Check(rule, FAIL, f"{what} is disabled", repo.path)
    return Check(
        rule,
        UNKNOWN,
        f"{what}: security_and_analysis is not in the answer (shown to repository admins only, "
        "or not available on this plan)",
        repo.path,
    )


def _workflow_checks(snapshot: Snapshot) -> list[Check]:
    workflow, actions = snapshot.get("workflow"), snapshot.get("actions")
    if workflow is None or not workflow.ok:
        return unread_checks((R.DEFAULT_TOKEN_WRITE, R.ACTIONS_CAN_APPROVE), workflow, "workflow permissions")
    if (_body(actions) or {}).get("enabled") is False:
        off = "GitHub Actions is disabled for the repository"
        path = actions.path if actions else None
        return [Check(R.DEFAULT_TOKEN_WRITE, NA, off, path), Check(R.ACTIONS_CAN_APPROVE, NA, off, path)]
    body = workflow.body or {}
    perms = body.get("default_workflow_permissions")
    approve = body.get("can_approve_pull_request_reviews")
    return [
        Check(
            R.DEFAULT_TOKEN_WRITE,
            FAIL if perms == "write" else PASS if perms == "read" else UNKNOWN,
            f"default_workflow_permissions is {perms!r}",
            workflow.path,
        ),
        Check(
            R.ACTIONS_CAN_APPROVE,
            FAIL if approve is True else PASS if approve is False else UNKNOWN,
            f"can_approve_pull_request_reviews is {str(approve).lower()}",
            workflow.path,
        ),
    ]


def _collaborator_checks(answer: Answer | None) -> list[Check]:
    if answer is None or not answer.ok:
        return unread_checks((R.OUTSIDE_COLLABORATOR_WRITE,), answer, "outside collaborators")
    writers = []
    for c in answer.body or ():
        perms = c.get("permissions") or {}
        role = next((r for r in WRITE_ROLES if perms.get(r)), None)
        if role is not None:
            writers.append(
                Check(
                    R.OUTSIDE_COLLABORATOR_WRITE,
                    FAIL,
                    f"outside collaborator {c.get('login')} has {role} access",
                    answer.path,
                    str(c.get("login")),
                )
            )
    if writers:
        return writers
    n = len(answer.body or ())
    return [
        Check(
            R.OUTSIDE_COLLABORATOR_WRITE,
            PASS,
            f"{n} outside collaborator(s), none with write access",
            answer.path,
        )
    ]


def _org_check(snapshot: Snapshot) -> Check:
    owner = ((_body(snapshot.get("repo")) or {}).get("owner") or {}).get("type")
    org = snapshot.get("org")
    if owner == "User":
        return Check(R.ORG_2FA_OFF, NA, "the repository belongs to a user account, not an organisation", None)
    if org is None or not org.ok:
        return unread_checks((R.ORG_2FA_OFF,), org, "the organisation")[0]
    required = (org.body or {}).get("two_factor_requirement_enabled")
    if required is None:
        return Check(
            R.ORG_2FA_OFF,
            UNKNOWN,
            "two_factor_requirement_enabled is shown to organisation owners only",
            org.path,
        )
    return Check(
        R.ORG_2FA_OFF,
        PASS if required else FAIL,
        f"two_factor_requirement_enabled is {str(required).lower()}",
        org.path,
    )


def _runner_checks(snapshot: Snapshot) -> list[Check]:
    repo = _body(snapshot.get("repo")) or {}
    public = repo.get("private") is False or repo.get("visibility") == "public"
    runners = snapshot.get("runners")
    out: list[Check] = []
    if runners is None or not runners.ok:
        out += unread_checks((R.SELF_HOSTED_PUBLIC,), runners, "self-hosted runners")
    else:
        names = [str(r.get("name")) for r in runners.body or ()]
        listed = (
            f"{len(names)} self-hosted runner(s) registered ({', '.join(names[:5])})"
            if names
            else "no self-hosted runner is registered"
        )
        status = FAIL if names and public else PASS
        out.append(
            Check(
                R.SELF_HOSTED_PUBLIC,
                status,
                listed + (" to a public repository" if status is FAIL else ""),
                runners.path,
            )
        )
    groups = snapshot.get("runner_groups")
    if groups is None:
        out.append(Check(R.RUNNER_GROUP_OPEN, NA, "runner groups belong to organisations", None))
    elif not groups.ok:
        out += unread_checks((R.RUNNER_GROUP_OPEN,), groups, "runner groups")
    else:
        open_ = [g for g in groups.body or () if g.get("allows_public_repositories")]
        for g in open_:
            out.append(
                Check(
                    R.RUNNER_GROUP_OPEN,
                    FAIL,
                    f"runner group {g.get('name')!r} allows public repositories "
                    f"(visibility {g.get('visibility')})",
                    groups.path,
                    str(g.get("name")),
                )
            )
        if not open_:
            out.append(
                Check(
                    R.RUNNER_GROUP_OPEN,
                    PASS,
                    f"{len(groups.body or ())} runner group(s), none open to public repositories",
                    groups.path,
                )
            )
    return out


def hook_checks(answer: Answer | None, platform: str) -> list[Check]:
    if answer is None or not answer.ok:
        return unread_checks((R.WEBHOOK_NO_SECRET, R.WEBHOOK_INSECURE), answer, "webhooks")
    hooks = [h for h in answer.body or () if h.get("active", True) is not False]
    if not hooks:
        none = "no active webhook"
        return [
            Check(R.WEBHOOK_NO_SECRET, PASS, none, answer.path),
            Check(R.WEBHOOK_INSECURE, PASS, none, answer.path),
        ]
    out: list[Check] = []
    for hook in hooks:
        config = hook.get("config") or hook
        url = str(config.get("url") or "")
        name = f"webhook {hook.get('id')} ({url or 'no url'})"
        if platform == "github" and not config.get("secret_set"):
            out.append(
                Check(R.WEBHOOK_NO_SECRET, FAIL, f"{name} has no secret", answer.path, str(hook.get("id")))
            )
        verify_off = (
            str(config.get("insecure_ssl", "0")) != "0" or config.get("enable_ssl_verification") is False
        )
        if url.startswith("http://") or verify_off:
            why = (
                "delivers over plain http"
                if url.startswith("http://")
                else "does not verify the TLS certificate"
            )
            out.append(Check(R.WEBHOOK_INSECURE, FAIL, f"{name} {why}", answer.path, str(hook.get("id"))))
    n = len(hooks)
    if platform != "github":
        out.append(
            Check(
                R.WEBHOOK_NO_SECRET,
                UNKNOWN,
                "GitLab's API does not show whether a hook has a secret token",
                answer.path,
            )
        )
    elif not any(c.rule is R.WEBHOOK_NO_SECRET for c in out):
        out.append(
            Check(R.WEBHOOK_NO_SECRET, PASS, f"{n} active webhook(s), each with a secret", answer.path)
        )
    if not any(c.rule is R.WEBHOOK_INSECURE for c in out):
        out.append(
            Check(R.WEBHOOK_INSECURE, PASS, f"{n} active webhook(s), each over verified https", answer.path)
        )
    return out


def _judge_github(snapshot: Snapshot, codeowners: bool) -> Posture:
    bypass = ruleset_bypass(snapshot)
    checks, rule = _github_branch(snapshot, codeowners, bypass)
    checks += bypass.checks
    repo = snapshot.get("repo") or Answer("/repos/" + snapshot.repo, 0, error="not fetched")
    checks += _workflow_checks(snapshot)
    checks.append(_security(repo, R.SECRET_SCANNING_OFF, "secret_scanning", "secret scanning"))
    checks.append(
        _security(repo, R.PUSH_PROTECTION_OFF, "secret_scanning_push_protection", "push protection")
    )
    checks += _collaborator_checks(snapshot.get("collaborators"))
    checks.append(_org_check(snapshot))
    checks += _runner_checks(snapshot)
    checks += hook_checks(snapshot.get("hooks"), "github")
    checks += deploy_key_checks(snapshot)
    return _scored(snapshot, checks, rule, codeowners)


def audit_log(snapshot: Snapshot) -> tuple[Status, str, str | None]:
    """Whether the organisation's audit log can be read through the API (CICD-SEC-10)."""
    answer = snapshot.get("audit_log")
    if answer is None:
        return (
            UNKNOWN,
            "the audit log API is an organisation feature; this repository has no organisation",
            None,
        )
    if answer.ok:
        return PASS, "the organisation's audit log is readable through the API", answer.path
    return (
        UNKNOWN,
        f"the audit log API did not answer: {answer.error} "
        "(it needs GitHub Enterprise Cloud and read:audit_log)",
        answer.path,
    )


# -- GitLab ----------------------------------------------------------------------------------------


def _gitlab_branch(snapshot: Snapshot) -> tuple[BranchRule | None, str, str | None, bool]:
    protected = snapshot.get("protected_branches")
    if protected is None or not protected.ok:
        return (
            None,
            protected.path if protected else "",
            protected.error if protected else "not fetched",
            False,
        )
    branch = snapshot.branch or ""
    match = next((b for b in protected.body or () if fnmatchcase(branch, str(b.get("name", "")))), None)
    if match is None:
        return BranchRule(protected=False), protected.path, None, True
    pushers = [lvl.get("access_level", 0) for lvl in match.get("push_access_levels") or ()]
    approvals_needed: int | None = None
    rules = snapshot.get("approval_rules")
    if rules is not None and rules.ok:
        approvals_needed = 0
        for r in rules.body or ():
            names = [b.get("name") for b in r.get("protected_branches") or ()]
            if r.get("rule_type") in ("any_approver", "regular") and (
                not names or any(fnmatchcase(branch, str(n)) for n in names)
            ):
                approvals_needed += int(r.get("approvals_required") or 0)
    direct_push = any(level and level > 0 for level in pushers)
    approvals = _body(snapshot.get("approvals")) or {}
    project = _body(snapshot.get("project")) or {}
    # Committers may not approve: GitLab's counterpart of GitHub's last-push approval.
    committers = approval_settings(snapshot).committers_approval
    rule = BranchRule(
        protected=True,
        allow_force_pushes=bool(match.get("allow_force_push", False)),
        allow_deletions=False,
        required_reviews=None if direct_push else approvals_needed,
        pull_requests_known=True,
        last_push_approval=None if committers is None else not committers,
        status_checks=("pipeline",) if project.get("only_allow_merge_if_pipeline_succeeds") else (),
        code_owner_review=bool(match.get("code_owner_approval_required", False)),
        dismiss_stale=approvals.get("reset_approvals_on_push")
        if isinstance(approvals.get("reset_approvals_on_push"), bool)
        else None,
        enforce_admins=None,
    )
    return rule, protected.path, None, direct_push


def _judge_gitlab(snapshot: Snapshot, codeowners: bool) -> Posture:
    rule, path, error, direct_push = _gitlab_branch(snapshot)
    if rule is None:
        checks = [
            Check(r, UNKNOWN, error or "protected branches not fetched", path or None)
            for r in (R.BRANCH_UNPROTECTED, *BRANCH_RULES)
        ]
    else:
        checks = branch_checks(rule, path, codeowners)
        rules = snapshot.get("approval_rules")
        settings = approval_settings(snapshot)
        checks = [review_adjust(_gitlab_adjust(c, rules, direct_push), settings) for c in checks]
    checks += hook_checks(snapshot.get("hooks"), "gitlab")
    checks += extra_checks(snapshot)
    return _scored(snapshot, checks, rule, codeowners)


def _gitlab_adjust(check: Check, rules: Answer | None, direct_push: bool) -> Check:
    if check.rule is R.ADMINS_BYPASS and check.status is UNKNOWN:
        return Check(check.rule, NA, "GitLab has no per-branch administrator exemption setting", check.path)
    if check.rule is R.DELETION_ALLOWED and check.status is PASS:
        return Check(check.rule, PASS, "a protected branch cannot be deleted by a push", check.path)
    if check.rule is not R.NO_REQUIRED_REVIEW or check.status is not FAIL:
        return check
    if direct_push:
        return Check(
            check.rule, FAIL, "maintainers or developers may push to the branch directly", check.path
        )
    if rules is not None and not rules.ok:
        return Check(check.rule, UNKNOWN, f"{rules.error} (approval rules need GitLab Premium)", rules.path)
    return check
