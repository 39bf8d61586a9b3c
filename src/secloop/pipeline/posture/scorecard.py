"""OpenSSF Scorecard's Branch-Protection score (0-10) for one branch, from the same settings.

Scorecard (checks/evaluation/branch_protection.go) adds five tiers in order and stops at the first
tier that is not complete; each tier's points are scaled by its weight, and the sum is truncated:

  tier 1 (weight 3): force pushes blocked; deletion blocked
  tier 2 (weight 3): >= 1 required approval (2 points); up-to-date branches required; last-push
                     approval required; pull requests required (when known)
  tier 3 (weight 2): at least one required status check
  tier 4 (weight 1): >= 2 required approvals; code owners' review required and a CODEOWNERS file exists
  tier 5 (weight 1): stale approvals dismissed; administrators included

A setting the token could not read (None) does not count towards a tier's maximum, as in Scorecard.
A tier with no readable setting counts as complete. secloop reads the REST protection endpoint,
which shows every setting to an administrator; for a branch without protection the score is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MIN_THOROUGH_REVIEWS = 2


@dataclass(frozen=True, slots=True)
class BranchRule:
    """The settings Scorecard reads; None means the API did not show it."""

    protected: bool
    allow_force_pushes: bool | None = None
    allow_deletions: bool | None = None
    required_reviews: int | None = None  # None: pull requests are not required (or not known)
    pull_requests_known: bool = False  # whether "no pull request required" could be told apart
    up_to_date: bool | None = None
    last_push_approval: bool | None = None
    status_checks: tuple[str, ...] = ()
    code_owner_review: bool | None = None
    dismiss_stale: bool | None = None
    enforce_admins: bool | None = None


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    weight: int
    points: int
    maximum: int


def tiers(rule: BranchRule, codeowners: bool) -> tuple[Tier, ...]:
    basic = maximum = 0
    for allowed in (rule.allow_force_pushes, rule.allow_deletions):
        maximum += 1
        basic += allowed is False
    t1 = Tier("force pushes and deletion blocked", 3, basic, maximum)

    reviews = rule.required_reviews
    points, maximum = (2 if reviews is not None and reviews > 0 else 0), 2
    for setting in (rule.up_to_date, rule.last_push_approval):
        if setting is not None:
            maximum += 1
            points += setting
    if rule.pull_requests_known:
        maximum += 1
        points += reviews is not None
    t2 = Tier("pull requests with an approval", 3, points, maximum)

    t3 = Tier("required status checks", 2, 1 if rule.status_checks else 0, 1)

    thorough = 1 if reviews is not None and reviews >= MIN_THOROUGH_REVIEWS else 0
    owners = 1 if rule.code_owner_review and codeowners else 0
    t4 = Tier("two approvals and code owners' review", 1, thorough + owners, 2)

    points = maximum = 0
    for setting in (rule.dismiss_stale, rule.enforce_admins):
        if setting is not None:
            maximum += 1
            points += setting
    t5 = Tier("stale approvals dismissed and administrators included", 1, points, maximum)
    return (t1, t2, t3, t4, t5)


def score(rule: BranchRule, codeowners: bool) -> int:
    """Scorecard's Branch-Protection score of one branch."""
    total = 0.0
    for tier in tiers(rule, codeowners):
        total += tier.weight if tier.maximum == 0 else tier.points * tier.weight / tier.maximum
        if tier.points < tier.maximum:
            break
    return int(total)


# -- building the rule from API answers ------------------------------------------------------------


def _enabled(data: Any, key: str) -> bool | None:
    value = data.get(key) if isinstance(data, dict) else None
    if isinstance(value, dict):
        flag = value.get("enabled")
        return flag if isinstance(flag, bool) else None
    return value if isinstance(value, bool) else None


def _contexts(checks: Any) -> tuple[str, ...]:
    if not isinstance(checks, dict):
        return ()
    names = [str(c) for c in checks.get("contexts") or ()]
    names += [str(c.get("context")) for c in checks.get("checks") or () if isinstance(c, dict)]
    return tuple(sorted(set(names)))


def from_protection(body: Any) -> BranchRule:
    """A classic branch protection rule (GET /repos/{o}/{r}/branches/{b}/protection, 200)."""
    data = body if isinstance(body, dict) else {}
    reviews = data.get("required_pull_request_reviews")
    checks = data.get("required_status_checks")
    has_reviews = isinstance(reviews, dict)
    review = reviews if isinstance(reviews, dict) else {}
    count = review.get("required_approving_review_count", 0) if has_reviews else None
    return BranchRule(
        protected=True,
        allow_force_pushes=_enabled(data, "allow_force_pushes"),
        allow_deletions=_enabled(data, "allow_deletions"),
        required_reviews=int(count) if count is not None else None,
        pull_requests_known=True,
        up_to_date=bool(checks.get("strict")) if isinstance(checks, dict) else False,
        last_push_approval=bool(review.get("require_last_push_approval", False)),
        status_checks=_contexts(checks),
        code_owner_review=bool(review.get("require_code_owner_reviews", False)),
        dismiss_stale=bool(review.get("dismiss_stale_reviews", False)),
        enforce_admins=_enabled(data, "enforce_admins"),
    )


def from_rules(rules: Any) -> BranchRule | None:
    """The active rules of rulesets that apply to the branch (GET /repos/{o}/{r}/rules/branches/{b}).

    Bypass lists are not in this answer, so whether administrators are included stays unknown.
    """
    if not isinstance(rules, list) or not rules:
        return None
    by_type: dict[str, dict[str, Any]] = {}
    for rule in rules:
        if isinstance(rule, dict) and isinstance(rule.get("type"), str):
            params = rule.get("parameters")
            by_type.setdefault(rule["type"], params if isinstance(params, dict) else {})
    pr = by_type.get("pull_request")
    checks = by_type.get("required_status_checks")
    contexts = tuple(
        sorted(
            {
                str(c.get("context"))
                for c in (checks or {}).get("required_status_checks") or ()
                if isinstance(c, dict)
            }
        )
    )
    return BranchRule(
        protected=True,
        allow_force_pushes="non_fast_forward" not in by_type,
        allow_deletions="deletion" not in by_type,
        required_reviews=int(pr.get("required_approving_review_count", 0)) if pr is not None else None,
        pull_requests_known=True,
        up_to_date=bool((checks or {}).get("strict_required_status_checks_policy", False)),
        last_push_approval=bool((pr or {}).get("require_last_push_approval", False)),
        status_checks=contexts,
        code_owner_review=bool((pr or {}).get("require_code_owner_review", False)),
        dismiss_stale=bool((pr or {}).get("dismiss_stale_reviews_on_push", False)),
        enforce_admins=None,
    )


def _either(a: bool | None, b: bool | None, protective: bool) -> bool | None:
    """Combine two settings; the more protective known value wins (GitHub enforces both layers)."""
    known = [v for v in (a, b) if v is not None]
    if not known:
        return None
    return protective if protective in known else known[0]


def combine(classic: BranchRule | None, rules: BranchRule | None) -> BranchRule:
    """Classic protection and rulesets both apply; GitHub enforces the stricter of each setting."""
    if classic is None and rules is None:
        return BranchRule(protected=False)
    if classic is None or rules is None:
        only = classic or rules
        assert only is not None
        return only
    counts = [c for c in (classic.required_reviews, rules.required_reviews) if c is not None]
    return BranchRule(
        protected=True,
        allow_force_pushes=_either(classic.allow_force_pushes, rules.allow_force_pushes, False),
        allow_deletions=_either(classic.allow_deletions, rules.allow_deletions, False),
        required_reviews=max(counts) if counts else None,
        pull_requests_known=True,
        up_to_date=_either(classic.up_to_date, rules.up_to_date, True),
        last_push_approval=_either(classic.last_push_approval, rules.last_push_approval, True),
        status_checks=tuple(sorted({*classic.status_checks, *rules.status_checks})),
        code_owner_review=_either(classic.code_owner_review, rules.code_owner_review, True),
        dismiss_stale=_either(classic.dismiss_stale, rules.dismiss_stale, True),
        enforce_admins=classic.enforce_admins,
    )
