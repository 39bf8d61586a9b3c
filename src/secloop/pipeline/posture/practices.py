"""Posture-backed evaluators: `code.branch-protection`, `code.review` and the CICD-SEC practices the
GitHub API decides (1, 2, 6, 7, 8, 10).

Offline git facts are always used. The API posture is read from the facts `secloop posture` saved
(see `store`); `secloop assess` never touches the network. Without saved facts every evaluator
answers what the repository-content evaluator answers, plus the git evidence.

Each posture finding is carried by one practice only: branch settings by code.branch-protection,
review settings by code.review, the others by the CICD-SEC practice of their rule; pipeline.cicd-sec-1
cites the branch and review checks as evidence without carrying them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from secloop.core.enums import Severity, Status
from secloop.core.model import PracticeResult
from secloop.core.rules import Rule
from secloop.pipeline.posture import rules as R
from secloop.pipeline.posture.checks import Posture, audit_log, finding_of, judge
from secloop.pipeline.posture.localgit import LocalFacts, local_facts
from secloop.pipeline.posture.model import Check
from secloop.pipeline.posture.store import Stored, load_for
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators.code import codeowners
from secloop.practices.evaluators.code import evaluate_branch_protection as content_branch_protection
from secloop.practices.evaluators.pipeline import EVALUATORS as BASE
from secloop.sources.repo import Repo

HOW = "run `secloop posture` with a read-only token to fetch the host's settings"
MIN_HISTORY = 20
PR_TEMPLATES = (
    ".github/pull_request_template.md",
    ".github/PULL_REQUEST_TEMPLATE.md",
    "pull_request_template.md",
    "PULL_REQUEST_TEMPLATE.md",
    "docs/pull_request_template.md",
    "docs/PULL_REQUEST_TEMPLATE.md",
)
PR_TEMPLATE_DIRS = (".github/PULL_REQUEST_TEMPLATE/", ".gitlab/merge_request_templates/")
BRANCH = (
    R.BRANCH_UNPROTECTED,
    R.FORCE_PUSH_ALLOWED,
    R.DELETION_ALLOWED,
    R.ADMINS_BYPASS,
    R.RULESET_BYPASS,
    R.NO_STATUS_CHECKS,
)
ACCESS = (
    R.OUTSIDE_COLLABORATOR_WRITE,
    R.DEFAULT_TOKEN_WRITE,
    R.ORG_2FA_OFF,
    R.DEPLOY_KEY_WRITE,
    R.DEPLOY_KEY_STALE,
)
APPS_NOTE = (
    "installed GitHub Apps: not checked; listing an organisation's app installations needs an "
    "organisation owner's token, and secloop asks for read-only repository access"
)
REVIEW = (
    R.NO_REQUIRED_REVIEW,
    R.NO_CODEOWNER_REVIEW,
    R.STALE_REVIEWS_KEPT,
    R.ACTIONS_CAN_APPROVE,
    R.DISCUSSIONS_UNRESOLVED,
)
SECRETS = (R.SECRET_SCANNING_OFF, R.PUSH_PROTECTION_OFF, R.CI_VARIABLE_EXPOSED)
_RANK = {Status.PASS: 0, Status.NOT_APPLICABLE: 0, Status.UNKNOWN: 1, Status.PARTIAL: 2, Status.FAIL: 3}


@dataclass(frozen=True)
class Facts:
    stored: Stored
    posture: Posture | None
    local: LocalFacts
    now: datetime

    def header(self) -> list[str]:
        if self.posture is None:
            return [self.stored.problem] if self.stored.problem else []
        snap = self.posture.snapshot
        return [
            f"{self.stored.file}: {snap.platform} settings of {snap.repo} (branch {snap.branch or '?'}) "
            f"fetched {self.stored.age(self.now)} by secloop posture"
        ]


_FACTS: weakref.WeakKeyDictionary[Repo, Facts] = weakref.WeakKeyDictionary()


def facts(repo: Repo, now: datetime | None = None) -> Facts:
    """Saved posture and local git facts of the repository, computed once per Repo."""
    found = _FACTS.get(repo)
    if found is None:
        stored = load_for(repo)
        has_owners = codeowners(repo) is not None
        posture = judge(stored.snapshot, has_owners) if stored.snapshot is not None else None
        found = Facts(stored, posture, local_facts(repo, now), now or datetime.now(tz=UTC))
        _FACTS[repo] = found
    return found


def check_line(check: Check) -> str:
    return f"{check.path or 'posture'}: {check.reason} [{check.rule.id}: {check.status.value}]"


def _git_lines(local: LocalFacts) -> list[str]:
    lines = []
    if local.landing is not None:
        lines.append(local.landing.describe())
    if local.activity is not None:
        lines.append(local.activity.describe())
    if local.shallow:
        lines.append("git history: shallow clone, only part of the history was read")
    if local.landing is None and local.activity is None:
        lines.append("git history: not a git repository, or no commits")
    return lines


def _failed(checks: Iterable[Check]) -> list[Check]:
    return [c for c in checks if c.status is Status.FAIL]


def _worse(a: Status, b: Status) -> Status:
    return a if _RANK[a] >= _RANK[b] else b


# -- code.branch-protection ------------------------------------------------------------------------


def evaluate_branch_protection(ctx: Context) -> PracticeResult:
    base = content_branch_protection(ctx)
    known = facts(ctx.repo)
    git_lines = _git_lines(known.local)[:1]
    if known.posture is None:
        return ctx.result(
            base.status, base.summary, [*base.evidence, *git_lines, *known.header()], skipped=base.skipped
        )
    posture = known.posture
    checks = posture.of(*BRANCH)
    by_id = {c.rule.id: c for c in checks}
    reviews = next(iter(posture.of(R.NO_REQUIRED_REVIEW)), None)
    evidence = [*known.header(), *(check_line(c) for c in checks)]
    if posture.score is not None:
        evidence.append(f"OpenSSF Scorecard Branch-Protection score: {posture.score}/10")
    evidence += [*base.evidence, *git_lines]
    findings = [finding_of(posture.snapshot, c) for c in _failed(checks)]
    unprotected = by_id.get(R.BRANCH_UNPROTECTED.id)
    score = posture.score * 10 if posture.score is not None else None
    if unprotected is None or unprotected.status is Status.UNKNOWN:
        reason = unprotected.reason if unprotected else "branch protection was not fetched"
        return ctx.result(
            Status.UNKNOWN, f"the saved posture cannot tell: {reason}", evidence, skipped=base.skipped
        )
    if unprotected.status is Status.FAIL:
        return ctx.result(
            Status.FAIL, "the host shows the default branch unprotected", evidence, findings, score=0
        )
    force = by_id.get(R.FORCE_PUSH_ALLOWED.id)
    if force is not None and force.status is Status.FAIL:
        return ctx.result(
            Status.FAIL,
            "the default branch is protected but accepts force pushes",
            evidence,
            findings,
            score=score,
        )
    missing = [c.reason for c in _failed(checks)]
    if reviews is not None and reviews.status is not Status.PASS:
        missing.insert(0, reviews.reason)
    if missing:
        return ctx.result(
            Status.PARTIAL,
            f"the default branch is protected, but {'; '.join(missing)}",
            evidence,
            findings,
            score=score,
        )
    return ctx.result(
        Status.PASS,
        "the host confirms the default branch requires reviews and status checks and blocks force pushes",
        evidence,
        score=score,
    )


# -- code.review -----------------------------------------------------------------------------------


def templates(repo: Repo) -> list[str]:
    found = [p for p in PR_TEMPLATES if repo.exists(p)]
    found += sorted(f for f in repo.files() if f.startswith(PR_TEMPLATE_DIRS) and f.endswith(".md"))
    return found


def _offline_review(ctx: Context, known: Facts, owners: str | None, evidence: list[str]) -> PracticeResult:
    land = known.local.landing
    ratio = land.ratio if land else 0.0
    enough = land is not None and land.total >= MIN_HISTORY
    if owners or ratio >= 0.5:
        why = "CODEOWNERS requests reviews" if owners else "most recent changes came through reviewed merges"
        return ctx.result(
            Status.PARTIAL, f"{why}; confirming that approvals are required needs the host ({HOW})", evidence
        )
    if enough:
        return ctx.result(
            Status.FAIL,
            "most recent changes landed on the mainline without a pull request or review trailer and "
            "there is no CODEOWNERS file (rebase merges leave no marker; the host API can tell for sure)",
            evidence,
        )
    return ctx.unknown(f"too little history and no CODEOWNERS to judge; {HOW}", evidence)


def evaluate_review(ctx: Context) -> PracticeResult:
    repo = ctx.repo
    known = facts(repo)
    owners = codeowners(repo)
    evidence = [f"{owners}: code owners are requested as reviewers"] if owners else []
    evidence += [f"{t}: pull request template" for t in templates(repo)]
    evidence += _git_lines(known.local)
    posture = known.posture
    if posture is None:
        return _offline_review(ctx, known, owners, [*evidence, *known.header()])
    checks = posture.of(*REVIEW)
    evidence = [*known.header(), *(check_line(c) for c in checks), *evidence]
    required = next((c for c in checks if c.rule is R.NO_REQUIRED_REVIEW), None)
    findings = [finding_of(posture.snapshot, c) for c in _failed(checks)]
    if required is None or required.status is Status.UNKNOWN:
        return _offline_review(ctx, known, owners, evidence)
    if required.status is Status.NOT_APPLICABLE:
        return ctx.result(
            Status.FAIL, "the default branch is unprotected, so no review is required", evidence, findings
        )
    if required.status is Status.FAIL:
        return ctx.result(
            Status.FAIL,
            f"the host requires no approval before merging: {required.reason}",
            evidence,
            findings,
        )
    weak = [c.reason for c in _failed(checks)]
    if weak:
        return ctx.result(Status.PARTIAL, f"{required.reason}, but {'; '.join(weak)}", evidence, findings)
    return ctx.result(Status.PASS, f"the host requires approval before merging: {required.reason}", evidence)


# -- CICD-SEC practices: the base evaluator, decided by the API when posture was saved -------------


def decide(checks: Sequence[Check], key: Sequence[Rule]) -> tuple[Status, str]:
    """Status of a set of checks: a failing rule fails (low severity only: partial); an unreadable
    key check leaves the practice unknown; unreadable secondary checks are only noted."""
    failed = _failed(checks)
    if failed:
        serious = any(c.rule.severity.at_least(Severity.MEDIUM) for c in failed)
        return (Status.FAIL if serious else Status.PARTIAL), "; ".join(c.reason for c in failed)
    keys = {r.id for r in key}
    unread = [c for c in checks if c.status is Status.UNKNOWN]
    if not checks or any(c.rule.id in keys for c in unread):
        reasons = "; ".join(c.reason for c in unread) or "no check of this practice applies to the platform"
        return Status.UNKNOWN, f"the saved posture cannot tell: {reasons}"
    passed = "; ".join(c.reason for c in checks if c.status is Status.PASS)
    noted = f" ({'; '.join(c.reason for c in unread)})" if unread else ""
    return Status.PASS, f"{passed}{noted}"


@dataclass(frozen=True)
class Decision:
    status: Status
    summary: str
    own: list[Check]  # checks whose findings the practice carries
    cited: list[Check]  # checks carried by another practice, shown as evidence
    notes: list[str]


Decider = Callable[[Posture], Decision]


def by_rules(carried: Sequence[Rule], key: Sequence[Rule], cited: Sequence[Rule] = ()) -> Decider:
    """Decide from the checks of `carried` (whose findings this practice carries) and `cited` ones."""

    def run(posture: Posture) -> Decision:
        own = posture.of(*carried)
        other = posture.of(*cited)
        status, summary = decide([*own, *other], key)
        return Decision(status, summary, own, other, [])

    return run


def _access(posture: Posture) -> Decision:
    # Deploy keys are a key check: a token that cannot list them cannot vouch for who may push.
    key = (R.OUTSIDE_COLLABORATOR_WRITE, R.DEFAULT_TOKEN_WRITE, R.DEPLOY_KEY_WRITE)
    decision = by_rules(ACCESS, key)(posture)
    if posture.snapshot.platform == "github" and posture.snapshot.get("org") is not None:
        decision.notes.append(f"posture: {APPS_NOTE}")
    return decision


def _audit(posture: Posture) -> Decision:
    status, reason, path = audit_log(posture.snapshot)
    note = [f"{path or 'posture'}: {reason}"]
    if status is Status.PASS:
        summary = f"{reason}; whether it is streamed and retained is not visible to secloop"
        return Decision(Status.PARTIAL, summary, [], [], note)
    return Decision(Status.UNKNOWN, reason, [], [], note)


def with_posture(practice_id: str, decider: Decider) -> Evaluator:
    """The base evaluator of `practice_id`, with its "needs the API" answer replaced by the saved
    posture's decision (and any other answer made worse, never better, by it)."""
    base_evaluate = BASE[practice_id]

    def evaluate(ctx: Context) -> PracticeResult:
        result = base_evaluate(ctx)
        known = facts(ctx.repo)
        if known.posture is None:
            return result
        decision = decider(known.posture)
        evidence = [
            *known.header(),
            *(check_line(c) for c in decision.own),
            *(f"{check_line(c)} (listed under code.branch-protection / code.review)" for c in decision.cited),
            *decision.notes,
        ]
        findings = [*result.findings, *(finding_of(known.posture.snapshot, c) for c in _failed(decision.own))]
        if decision.status is Status.UNKNOWN:
            final, text = result.status, f"{result.summary}; host settings: {decision.summary}"
        elif result.status in (Status.UNKNOWN, Status.NOT_APPLICABLE):
            final, text = decision.status, f"host settings: {decision.summary}"
        else:
            final = _worse(result.status, decision.status)
            text = f"host settings: {decision.summary}; {result.summary}"
        return ctx.result(final, text, [*evidence, *result.evidence], findings, result.skipped)

    return evaluate


EVALUATORS: dict[str, Evaluator] = {
    "code.branch-protection": evaluate_branch_protection,
    "code.review": evaluate_review,
    "pipeline.cicd-sec-1": with_posture(
        "pipeline.cicd-sec-1",
        by_rules(
            (R.TAGS_UNPROTECTED,),
            (R.BRANCH_UNPROTECTED, R.NO_REQUIRED_REVIEW, R.FORCE_PUSH_ALLOWED),
            (*BRANCH, *REVIEW),
        ),
    ),
    "pipeline.cicd-sec-2": with_posture("pipeline.cicd-sec-2", _access),
    "pipeline.cicd-sec-6": with_posture(
        "pipeline.cicd-sec-6",
        by_rules(SECRETS, SECRETS),
    ),
    "pipeline.cicd-sec-7": with_posture(
        "pipeline.cicd-sec-7", by_rules((R.SELF_HOSTED_PUBLIC, R.RUNNER_GROUP_OPEN), (R.SELF_HOSTED_PUBLIC,))
    ),
    "pipeline.cicd-sec-8": with_posture(
        "pipeline.cicd-sec-8", by_rules((R.WEBHOOK_NO_SECRET, R.WEBHOOK_INSECURE), (R.WEBHOOK_INSECURE,))
    ),
    "pipeline.cicd-sec-10": with_posture("pipeline.cicd-sec-10", _audit),
}
