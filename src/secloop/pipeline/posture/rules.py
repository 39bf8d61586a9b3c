"""Rules of the repository posture checks (GitHub and GitLab settings read through their APIs)."""

from __future__ import annotations

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule

_HIGH = Confidence.HIGH


def _rule(
    rule_id: str,
    title: str,
    stage: Stage,
    severity: Severity,
    description: str,
    fix: str,
    cicd_sec: tuple[int, ...],
    cwe: tuple[int, ...] = (),
) -> Rule:
    return Rule(
        id=rule_id,
        title=title,
        stage=stage,
        severity=severity,
        confidence=_HIGH,
        description=description,
        fix=fix,
        cwe=cwe,
        cicd_sec=cicd_sec,
        tags=("posture",),
    )


BRANCH_UNPROTECTED = _rule(
    "POSTURE-BRANCH-UNPROTECTED",
    "The default branch is not protected",
    Stage.CODE,
    Severity.HIGH,
    "Neither a branch protection rule nor an active ruleset applies to the default branch: anyone "
    "with write access can push unreviewed, untested code to the branch that ships, or rewrite it.",
    "Protect the default branch (Settings > Branches, or a ruleset targeting ~DEFAULT_BRANCH): "
    "require a pull request with one approval and passing status checks, block force pushes and deletion.",
    (1,),
    (284,),
)
FORCE_PUSH_ALLOWED = _rule(
    "POSTURE-FORCE-PUSH-ALLOWED",
    "Force pushes to the default branch are allowed",
    Stage.CODE,
    Severity.HIGH,
    "A force push rewrites the branch's history: reviewed commits can be replaced by unreviewed ones "
    "and the evidence of what shipped is lost.",
    "Turn off 'Allow force pushes' (GitHub), add the 'Block force pushes' rule to the ruleset, or "
    "turn off 'Allowed to force push' on the GitLab protected branch.",
    (1,),
    (284,),
)
DELETION_ALLOWED = _rule(
    "POSTURE-BRANCH-DELETION-ALLOWED",
    "The default branch can be deleted",
    Stage.CODE,
    Severity.MEDIUM,
    "A protected branch that may be deleted can be recreated from any commit, which bypasses every "
    "other protection on it.",
    "Turn off 'Allow deletions' on the branch protection rule, or add the 'Restrict deletions' rule.",
    (1,),
    (284,),
)
ADMINS_BYPASS = _rule(
    "POSTURE-ADMINS-BYPASS",
    "Administrators are exempt from branch protection",
    Stage.CODE,
    Severity.MEDIUM,
    "Without 'Do not allow bypassing the above settings' (enforce admins), an administrator account, "
    "or a stolen administrator token, can push straight to the default branch.",
    "Enable 'Do not allow bypassing the above settings' (enforce_admins) on the branch protection rule.",
    (1,),
    (284,),
)
NO_STATUS_CHECKS = _rule(
    "POSTURE-NO-STATUS-CHECKS",
    "No status check is required before merging",
    Stage.CODE,
    Severity.LOW,
    "Branch protection names no required status check, so a change can merge while CI (tests, "
    "security scans) fails or has not run.",
    "Add the CI jobs that must pass under 'Require status checks to pass before merging'.",
    (1,),
)
NO_REQUIRED_REVIEW = _rule(
    "POSTURE-NO-REQUIRED-REVIEW",
    "No approving review is required before merging",
    Stage.CODE,
    Severity.HIGH,
    "The default branch accepts changes that nobody but their author has approved; a single "
    "compromised account can ship code.",
    "Require pull requests with at least one approving review (GitHub), or an approval rule with "
    "at least one required approval (GitLab).",
    (1,),
    (1390,),
)
NO_CODEOWNER_REVIEW = _rule(
    "POSTURE-NO-CODEOWNER-REVIEW",
    "Code owners' review is not required",
    Stage.CODE,
    Severity.LOW,
    "Any reviewer may approve changes to sensitive paths (workflows, deployment code) even where "
    "CODEOWNERS names who must.",
    "Enable 'Require review from Code Owners' (GitHub) or 'Code owner approval' on the protected "
    "branch (GitLab), with a CODEOWNERS file that covers the sensitive paths.",
    (1,),
)
STALE_REVIEWS_KEPT = _rule(
    "POSTURE-STALE-REVIEWS-KEPT",
    "Approvals survive new pushes",
    Stage.CODE,
    Severity.MEDIUM,
    "An approval stays valid after the author pushes more commits, so code added after the review "
    "merges unreviewed.",
    "Enable 'Dismiss stale pull request approvals when new commits are pushed' (GitHub) or "
    "'Remove all approvals when commits are added' (GitLab).",
    (1,),
)
ACTIONS_CAN_APPROVE = _rule(
    "POSTURE-ACTIONS-CAN-APPROVE",
    "GitHub Actions may approve pull requests",
    Stage.CODE,
    Severity.MEDIUM,
    "With 'Allow GitHub Actions to create and approve pull requests', any workflow holding the token "
    "can satisfy the required review itself.",
    "Turn off 'Allow GitHub Actions to create and approve pull requests' (Settings > Actions > General).",
    (1,),
)
DEFAULT_TOKEN_WRITE = _rule(
    "POSTURE-DEFAULT-TOKEN-WRITE",
    "The default GITHUB_TOKEN has write access",
    Stage.PIPELINE,
    Severity.MEDIUM,
    "Workflows without a `permissions:` block get a token that can write to the repository, its "
    "packages and its releases; any injected step inherits that.",
    "Set 'Workflow permissions' to 'Read repository contents and packages permissions' and grant "
    "more per job with `permissions:`.",
    (2, 5),
    (250,),
)
OUTSIDE_COLLABORATOR_WRITE = _rule(
    "POSTURE-OUTSIDE-COLLABORATOR-WRITE",
    "Outside collaborators can write to the repository",
    Stage.PIPELINE,
    Severity.MEDIUM,
    "Accounts outside the organisation, which its 2FA and offboarding rules do not govern, hold "
    "write, maintain or admin access.",
    "Lower outside collaborators to read or triage, or make them members of a team the organisation manages.",
    (2,),
    (284,),
)
ORG_2FA_OFF = _rule(
    "POSTURE-ORG-2FA-OFF",
    "The organisation does not require two-factor authentication",
    Stage.PIPELINE,
    Severity.HIGH,
    "A member whose password leaks can push code and change settings; 2FA stops most account takeovers.",
    "Require two-factor authentication for everyone in the organisation "
    "(Settings > Authentication security).",
    (2,),
    (308,),
)
SECRET_SCANNING_OFF = _rule(
    "POSTURE-SECRET-SCANNING-OFF",
    "The host's secret scanning is off",
    Stage.PIPELINE,
    Severity.MEDIUM,
    "Credentials pushed to the repository are not detected by the host, so nobody is told to revoke them.",
    "Enable secret scanning (Settings > Code security).",
    (6,),
    (798,),
)
PUSH_PROTECTION_OFF = _rule(
    "POSTURE-PUSH-PROTECTION-OFF",
    "Secret scanning push protection is off",
    Stage.PIPELINE,
    Severity.MEDIUM,
    "Pushes that contain a recognised credential are accepted; the secret is public (or in every "
    "clone) before anyone can react.",
    "Enable push protection for secret scanning (Settings > Code security).",
    (6,),
    (798,),
)
SELF_HOSTED_PUBLIC = _rule(
    "POSTURE-SELF-HOSTED-RUNNER-PUBLIC",
    "Self-hosted runners serve a public repository",
    Stage.PIPELINE,
    Severity.HIGH,
    "Anyone can open a pull request against a public repository; a workflow that reaches a "
    "self-hosted runner runs their code on your machine, which persists between jobs.",
    "Use GitHub-hosted or ephemeral runners for public repositories, or remove the repository's "
    "self-hosted runners.",
    (7,),
    (284,),
)
RUNNER_GROUP_OPEN = _rule(
    "POSTURE-RUNNER-GROUP-OPEN",
    "A runner group is open to every or to public repositories",
    Stage.PIPELINE,
    Severity.MEDIUM,
    "An organisation runner group with visibility 'all' or 'allows public repositories' lets any "
    "repository, including public ones, schedule jobs on its self-hosted runners.",
    "Limit the group to selected repositories and turn off 'Allow public repositories'.",
    (7,),
    (284,),
)
WEBHOOK_NO_SECRET = _rule(
    "POSTURE-WEBHOOK-NO-SECRET",
    "A webhook has no secret",
    Stage.PIPELINE,
    Severity.MEDIUM,
    "Without a secret the receiver cannot verify the signature of deliveries, so anyone who knows "
    "its URL can forge events (pushes, releases) that may trigger deployments.",
    "Set a random secret on the webhook and verify X-Hub-Signature-256 in the receiver.",
    (8,),
    (345,),
)
WEBHOOK_INSECURE = _rule(
    "POSTURE-WEBHOOK-INSECURE",
    "A webhook delivers without TLS verification",
    Stage.PIPELINE,
    Severity.HIGH,
    "Deliveries go over plain http or with certificate verification turned off: payloads, and the "
    "repository data in them, can be read or altered in transit.",
    "Use an https URL and turn SSL verification on (insecure_ssl '0', enable_ssl_verification true).",
    (8,),
    (319, 295),
)
RULESET_BYPASS = _rule(
    "POSTURE-RULESET-BYPASS",
    "Actors may always bypass the default branch's ruleset",
    Stage.CODE,
    Severity.MEDIUM,
    "An active ruleset that protects the default branch lists bypass actors with bypass mode "
    "'always' (or 'exempt'): those roles, teams, apps or deploy keys can push straight to the branch, "
    "force-push or delete it, past every rule of the ruleset. Administrator, organisation-admin and "
    "app (Integration) bypasses are the usual case, and a stolen token of any of them ships code "
    "unreviewed. Bypass mode 'pull_request' is accepted: the actor must still open a pull request, "
    "which leaves a reviewable record.",
    "Empty the ruleset's bypass list, or set the bypass mode of each actor to 'For pull requests "
    "only' (bypass_mode pull_request).",
    (1,),
    (284,),
)
DEPLOY_KEY_WRITE = _rule(
    "POSTURE-DEPLOY-KEY-WRITE",
    "A deploy key has write access",
    Stage.PIPELINE,
    Severity.MEDIUM,
    "A deploy key with write access is an SSH key, held outside GitHub's accounts, 2FA and "
    "offboarding, that can push to every branch no rule protects and create tags and releases "
    "without review.",
    "Recreate the key as read-only; pushes from automation should come from a GitHub App or a "
    "workflow token with scoped permissions.",
    (2,),
    (284,),
)
DEPLOY_KEY_STALE = _rule(
    "POSTURE-DEPLOY-KEY-STALE",
    "A deploy key has not been used for a year",
    Stage.PIPELINE,
    Severity.LOW,
    "A deploy key with no recorded use in the last 365 days (by its last_used date, else its "
    "creation date) is a standing credential nobody seems to need; its private half may sit on a "
    "machine that no longer exists.",
    "Delete the deploy key, or rotate it if it is still needed.",
    (2,),
    (324,),
)

TAGS_UNPROTECTED = _rule(
    "POSTURE-TAGS-UNPROTECTED",
    "The project's tags are not protected",
    Stage.RELEASE,
    Severity.MEDIUM,
    "The project has tags but no protected-tag pattern covers them: anyone with the Developer role "
    "can create, move or delete a release tag, and a tag pipeline (release jobs, package "
    "publishing, deployments keyed on tags) then ships a commit nobody reviewed.",
    "Protect the release tag pattern (Settings > Repository > Protected tags, e.g. `v*`) and allow "
    "only Maintainers, or no one but a release job's deploy key, to create such tags.",
    (1,),
    (284,),
)
CI_VARIABLE_EXPOSED = _rule(
    "POSTURE-CI-VARIABLE-EXPOSED",
    "A secret CI/CD variable is not masked or not protected",
    Stage.PIPELINE,
    Severity.MEDIUM,
    "A project CI/CD variable named like a credential (TOKEN, SECRET, PASSWORD, KEY) is not masked, "
    "so any job that prints it writes it to the job log, or not protected, so a pipeline of any "
    "branch, including one a developer pushes without review, can read and send it away.",
    "Mark the variable Masked (or Masked and hidden) and Protected (Settings > CI/CD > Variables), "
    "and scope it to the environment that needs it.",
    (6,),
    (532, 668),
)
DISCUSSIONS_UNRESOLVED = _rule(
    "POSTURE-MR-DISCUSSIONS-UNRESOLVED",
    "Merge requests can merge with unresolved discussions",
    Stage.CODE,
    Severity.LOW,
    "A merge request may be merged while a reviewer's thread is still open, so an objection raised "
    "in review (a security concern included) can be ignored rather than answered.",
    "Enable 'All threads must be resolved' (only_allow_merge_if_all_discussions_are_resolved, "
    "Settings > Merge requests).",
    (1,),
)

RULES: tuple[Rule, ...] = (
    BRANCH_UNPROTECTED,
    FORCE_PUSH_ALLOWED,
    DELETION_ALLOWED,
    ADMINS_BYPASS,
    NO_STATUS_CHECKS,
    NO_REQUIRED_REVIEW,
    NO_CODEOWNER_REVIEW,
    STALE_REVIEWS_KEPT,
    ACTIONS_CAN_APPROVE,
    DEFAULT_TOKEN_WRITE,
    OUTSIDE_COLLABORATOR_WRITE,
    ORG_2FA_OFF,
    SECRET_SCANNING_OFF,
    PUSH_PROTECTION_OFF,
    SELF_HOSTED_PUBLIC,
    RUNNER_GROUP_OPEN,
    WEBHOOK_NO_SECRET,
    WEBHOOK_INSECURE,
    RULESET_BYPASS,
    DEPLOY_KEY_WRITE,
    DEPLOY_KEY_STALE,
    TAGS_UNPROTECTED,
    CI_VARIABLE_EXPOSED,
    DISCUSSIONS_UNRESOLVED,
)
