"""The audits that took the GitHub Actions engine past thirty: exact hits on fixtures, and negatives."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from secloop.pipeline.audits.unsound_condition import unsound
from secloop.pipeline.engine import PipelineScan, scan_texts
from secloop.pipeline.rules import RULES

Hits = Callable[[str, str], list[tuple[str, int, int, str]]]
Scan = Callable[[str], PipelineScan]

OP = "GHA-OVERPROVISIONED-SECRETS"
UR = "GHA-UNREDACTED-SECRETS"
UC = "GHA-UNSOUND-CONDITION"
CO = "GHA-UNSOUND-CONTAINS"
AR = "GHA-ARCHIVED-ACTION"
EI = "GHA-EXTRA-INDEX-URL"
TP = "GHA-TOKEN-PUBLISHING"
AT = "GHA-BROAD-APP-TOKEN"
OB = "GHA-OBFUSCATED-USES"
SE = "GHA-SECRET-OUTSIDE-ENVIRONMENT"
NEW = (OP, UR, UC, CO, AR, EI, TP, AT, OB, SE)

POSITIVE = [
    ("overprovisioned-secrets.yml", OP, [(OP, 4, 8, "medium"), (OP, 10, 20, "medium")]),
    ("unredacted-secrets.yml", UR, [(UR, 9, 17, "medium"), (UR, 10, 33, "medium")]),
    ("unsound-condition.yml", UC, [(UC, 5, 9, "high"), (UC, 10, 13, "high"), (UC, 13, 13, "high")]),
    ("unsound-contains.yml", CO, [(CO, 5, 9, "high"), (CO, 9, 13, "medium")]),
    ("archived-action.yml", AR, [(AR, 7, 15, "medium"), (AR, 8, 15, "medium")]),
    ("extra-index-url.yml", EI, [(EI, 4, 3, "medium"), (EI, 12, 43, "medium")]),
    ("token-publishing.yml", TP, [(TP, 11, 11, "low"), (TP, 18, 14, "low"), (TP, 20, 14, "low")]),
    ("broad-app-token.yml", AT, [(AT, 7, 15, "medium")]),
    ("obfuscated-uses.yml", OB, [(OB, 7, 15, "low"), (OB, 8, 15, "low")]),
    ("secret-outside-environment.yml", SE, [(SE, 7, 24, "medium"), (SE, 11, 18, "medium")]),
]
NEGATIVE = [
    ("overprovisioned-secrets-negative.yml", OP),
    ("unredacted-secrets-negative.yml", UR),
    ("unsound-condition-negative.yml", UC),
    ("unsound-contains-negative.yml", CO),
    ("archived-action-negative.yml", AR),
    ("extra-index-url-negative.yml", EI),
    ("token-publishing-negative.yml", TP),
    ("broad-app-token-negative.yml", AT),
    ("obfuscated-uses-negative.yml", OB),
    ("secret-outside-environment-negative.yml", SE),
]


@pytest.mark.parametrize(("name", "rule_id", "expected"), POSITIVE)
def test_positive_fixture(
    hits: Hits, name: str, rule_id: str, expected: list[tuple[str, int, int, str]]
) -> None:
    assert hits(name, rule_id) == expected


@pytest.mark.parametrize(("name", "rule_id"), NEGATIVE)
def test_negative_fixture(hits: Hits, name: str, rule_id: str) -> None:
    assert hits(name, rule_id) == []


def test_thirty_github_audits_each_with_a_positive_and_negative_fixture() -> None:
    github = {r.id for r in RULES if r.id.startswith("GHA-")}
    assert len(github) >= 30
    assert {rule for _, rule, _ in POSITIVE} == set(NEW) == {rule for _, rule in NEGATIVE}
    assert set(NEW) <= github


def test_messages_say_what_is_wrong_and_where(scan: Scan) -> None:
    assert [f.message for f in scan("unsound-condition.yml").of(UC)] == [
        "the `if:` of job 'release' is always true: whitespace around its `${{ }}` "
        "(a `|` block keeps the final newline) makes it a string",
        "the `if:` of step 'two' is always true: it holds 2 separate `${{ }}` expressions joined as text",
        "the `if:` of step 'words' is always true: the text 'only when' sits outside its `${{ }}`",
    ]
    assert [f.message for f in scan("overprovisioned-secrets.yml").of(OP)] == [
        "`toJSON(secrets)` serialises every secret in the workflow",
        "`secrets[…]` with a computed key makes every secret available in step 'pick'",
    ]
    assert [f.message for f in scan("token-publishing.yml").of(TP)][1:] == [
        "step 'publish' publishes to npm with NODE_AUTH_TOKEN from a secret",
        "step 'crate' publishes to crates.io with a token from a secret on the command line",
    ]
    assert [f.message for f in scan("secret-outside-environment.yml").of(SE)] == [
        "job 'deploy' uses secrets.PROD_KUBECONFIG but is bound to no environment, so no protection rule "
        "stands between any branch and that secret",
        "job 'deploy' uses secrets.DEPLOY_TOKEN but is bound to no environment, so no protection rule "
        "stands between any branch and that secret",
    ]
    app = scan("broad-app-token.yml").of(AT)[0].message
    assert "no `permission-*` input" in app and "`owner:` without `repositories:`" in app


def test_two_copies_of_one_problem_in_a_step_keep_distinct_fingerprints(scan: Scan) -> None:
    findings = scan("unredacted-secrets.yml").of(UR)
    assert len({f.fingerprint for f in findings}) == 2


def test_a_fingerprint_survives_lines_moving() -> None:
    text = (
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: x\n    steps:\n"
        "      - run: echo ${{ toJSON(secrets) }}\n"
    )
    moved = text.replace("jobs:", "# a comment\n\njobs:")
    first = scan_texts([("w.yml", text)]).of(OP)
    second = scan_texts([("w.yml", moved)]).of(OP)
    assert [f.primary.start_line for f in first if f.primary] == [7]
    assert [f.primary.start_line for f in second if f.primary] == [9]
    assert [f.fingerprint for f in first] == [f.fingerprint for f in second]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${{ a }}", None),
        ("a == b", None),
        (
            "${{ a }}\n",
            "whitespace around its `${{ }}` (a `|` block keeps the final newline) makes it a string",
        ),
        ("${{ a }} || ${{ b }}", "it holds 2 separate `${{ }}` expressions joined as text"),
        ("x ${{ a }}", "the text 'x' sits outside its `${{ }}`"),
    ],
)
def test_unsound_condition_text(text: str, expected: str | None) -> None:
    assert unsound(text) == expected


PM = "GHA-PIN-COMMENT-MISMATCH"


def _fixture_texts(*names: str) -> list[tuple[str, str | None]]:
    from tests.pipeline.conftest import FIXTURES

    return [(f".github/workflows/{n}", (FIXTURES / n).read_text("utf-8")) for n in names]


def test_one_version_comment_on_two_shas_is_reported_at_each_use() -> None:
    scan = scan_texts(_fixture_texts("pin-comment-a.yml", "pin-comment-b.yml"))
    hits = [
        (f.primary.path, f.primary.start_line, f.primary.start_column, f.severity.value)
        for f in scan.of(PM)
        if f.primary
    ]
    assert hits == [
        (".github/workflows/pin-comment-a.yml", 7, 15, "medium"),
        (".github/workflows/pin-comment-b.yml", 8, 16, "medium"),
    ]
    assert scan.of(PM)[0].message == (
        "actions/checkout@11bd71901bbe is commented 'v4.2.2', and so is 692973e3d937 elsewhere: "
        "at most one of them is that tag"
    )


def test_consistent_pins_are_not_reported() -> None:
    assert scan_texts(_fixture_texts("pin-comment-a.yml")).of(PM) == ()
    assert scan_texts(_fixture_texts("pin-comment-b.yml")).of(PM) == ()
