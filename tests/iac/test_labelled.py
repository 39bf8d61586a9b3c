"""The labelled fixture set: every policy has failing and passing resources, no false positive and
at least 95% of its labelled failures found."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.iac.policies import POLICIES
from tests.iac.labelled import LABELLED, labels, markdown, scan, table

MIN_RECALL = 0.95
MIN_LABELLED = 3  # failing lines per policy
MIN_PASSING = 2  # resources of the policy's types that must not be flagged


def test_every_policy_has_no_false_positive_and_finds_95_percent() -> None:
    rows = table()
    assert {r.rule_id for r in rows} == {p.rule.id for p in POLICIES}
    problems = [
        f"{r.rule_id}: {r.labelled} labelled, {r.found} found, {r.false_positives} false positives, "
        f"{r.passing_resources} passing; missed {list(r.missed)}; unexpected {list(r.extra)}"
        for r in rows
        if r.false_positives
        or r.recall < MIN_RECALL
        or r.labelled < MIN_LABELLED
        or r.passing_resources < MIN_PASSING
    ]
    assert problems == [], "\n" + markdown(rows) + "\n" + "\n".join(problems)


def test_the_labelled_set_is_read_completely() -> None:
    result = scan()
    assert result.skipped == ()
    frameworks = {fw.value for fw in result.frameworks()}
    assert frameworks == {"terraform", "cloudformation", "kubernetes", "dockerfile", "compose"}


def test_labels_name_known_rules_only() -> None:
    known = {p.rule.id for p in POLICIES}
    assert {rule for rule, _, _ in labels()} <= known


def test_label_conventions(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "x" "y" { # expect: A-1, B-2\n  # expect: C-3\n\n  # a comment in between\n  z = 1\n}\n',
        "utf-8",
    )
    (tmp_path / "doc.json").write_text('{\n  "a": 1\n}\n', "utf-8")
    (tmp_path / "doc.json.labels").write_text("2: D-4, E-5\n", "utf-8")
    assert labels(tmp_path) == {
        ("A-1", "main.tf", 1),
        ("B-2", "main.tf", 1),
        ("C-3", "main.tf", 5),
        ("D-4", "doc.json", 2),
        ("E-5", "doc.json", 2),
    }


@pytest.mark.parametrize("rule_id", sorted({p.rule.id for p in POLICIES}))
def test_each_policy_is_labelled_in_the_set(rule_id: str) -> None:
    assert any(rule == rule_id for rule, _, _ in labels(LABELLED))
