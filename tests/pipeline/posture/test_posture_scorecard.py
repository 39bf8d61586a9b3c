"""The Branch-Protection score equals OpenSSF Scorecard's for the same settings."""

from __future__ import annotations

import pytest

from secloop.pipeline.posture.scorecard import BranchRule, combine, from_protection, from_rules, score

from .conftest import payload

# Scorecard's own evaluation cases (checks/evaluation/branch_protection_test.go), with an admin token
# (pull_requests_known) wherever Scorecard's case has up-to-date or last-push values.
F, T = False, True
SCORECARD_CASES = [
    ("nothing enabled", BranchRule(T, F, F, 0, T, F, F, (), F, F, F), False, 3),
    ("nothing enabled, values nil", BranchRule(T), False, 0),
    ("required status check", BranchRule(T, F, F, 0, T, T, F, ("foo",), F, F, F), False, 4),
    ("status check without contexts", BranchRule(T, F, F, 0, T, T, F, (), F, F, F), False, 4),
    ("required pull request", BranchRule(T, F, F, 1, T, F, F, ("foo",), F, F, F), False, 4),
    ("admin enforcement", BranchRule(T, F, F, 0, T, F, F, ("foo",), F, F, T), False, 3),
    ("allow force push", BranchRule(T, T, F, 0, T, F, F, ("foo",), F, F, F), False, 1),
    ("allow deletions", BranchRule(T, F, T, 0, T, F, F, ("foo",), F, F, F), False, 1),
    ("branches protected", BranchRule(T, F, F, 1, T, T, T, ("foo",), T, T, T), False, 8),
    ("protected, codeowners file", BranchRule(T, F, F, 1, T, T, T, ("foo",), T, T, T), True, 8),
    ("codeowners required, no file", BranchRule(T, F, F, 1, T, T, F, ("foo",), T, T, T), False, 5),
]


@pytest.mark.parametrize(
    ("name", "rule", "owners", "expected"), SCORECARD_CASES, ids=[c[0] for c in SCORECARD_CASES]
)
def test_scorecard_cases(name: str, rule: BranchRule, owners: bool, expected: int) -> None:
    assert score(rule, owners) == expected


@pytest.mark.parametrize(
    ("fixture", "owners", "expected"),
    [
        ("protection_basic.json", True, 3),  # tier 1 only
        ("protection_force_push.json", True, 1),  # tier 1 incomplete
        ("protection_reviews.json", True, 6),  # tiers 1-2
        ("protection_codeowners.json", True, 8),  # tiers 1-3, half of tier 4
        ("protection_codeowners.json", False, 8),  # codeowners required without a file: 0 of tier 4
        ("protection_admins.json", True, 10),  # every tier, administrators included
        ("protection_admins.json", False, 8),  # tier 4 half done: tier 5 never counts
    ],
)
def test_payload_tiers(fixture: str, owners: bool, expected: int) -> None:
    assert score(from_protection(payload("github", fixture)), owners) == expected


def test_unprotected_scores_zero() -> None:
    rule = combine(None, from_rules([]))
    assert rule == BranchRule(protected=False)
    assert score(rule, True) == 0


def test_ruleset_rules() -> None:
    rule = from_rules(payload("github", "rules_ruleset.json"))
    assert rule is not None
    assert (rule.allow_force_pushes, rule.allow_deletions, rule.required_reviews) == (False, False, 1)
    assert rule.status_checks == ("ci/test",)
    assert (rule.up_to_date, rule.last_push_approval, rule.dismiss_stale, rule.enforce_admins) == (
        T,
        F,
        T,
        None,
    )
    # tier 2 misses last-push approval: 3 + 4/5 * 3 = 5.4
    assert score(rule, True) == 5


def test_classic_and_ruleset_combine_to_the_stricter() -> None:
    classic = from_protection(payload("github", "protection_basic.json"))
    rules = from_rules(payload("github", "rules_ruleset.json"))
    both = combine(classic, rules)
    assert both.required_reviews == 1
    assert both.dismiss_stale is True
    assert both.enforce_admins is False
    assert both.status_checks == ("ci/test",)
