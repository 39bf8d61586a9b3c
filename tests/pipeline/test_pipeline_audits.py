"""Every audit: positive fixtures with exact (rule, line, column, severity), negatives with none."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from secloop.core.enums import Confidence
from secloop.pipeline.audits.template_injection import classify, references
from secloop.pipeline.audits.unpinned_action import problem
from secloop.pipeline.engine import PipelineScan
from secloop.pipeline.rules import RULES

Hits = Callable[[str, str], list[tuple[str, int, int, str]]]
Scan = Callable[[str], PipelineScan]

DT = "GHA-DANGEROUS-TRIGGER"
TI = "GHA-TEMPLATE-INJECTION"
EP = "GHA-EXCESSIVE-PERMISSIONS"
UA = "GHA-UNPINNED-ACTION"
SH = "GHA-SELF-HOSTED-RUNNER"
SI = "GHA-SECRETS-INHERIT"
PC = "GHA-PERSIST-CREDENTIALS"
CP = "GHA-CURL-PIPE-SHELL"

POSITIVE = [
    ("dangerous-trigger-head.yml", DT, [(DT, 3, 3, "high")]),
    ("dangerous-trigger-plain.yml", DT, [(DT, 2, 3, "medium")]),
    (
        "template-injection.yml",
        TI,
        [
            (TI, 13, 24, "high"),
            (TI, 15, 19, "high"),
            (TI, 15, 50, "high"),
            (TI, 19, 26, "high"),
            (TI, 21, 20, "high"),
            (TI, 24, 16, "high"),
        ],
    ),
    ("template-injection.yml", DT, [(DT, 4, 3, "medium")]),
    ("permissions-default.yml", EP, [(EP, 3, 3, "medium")]),
    ("permissions-write-all.yml", EP, [(EP, 2, 1, "high")]),
    ("permissions-scopes.yml", EP, [(EP, 3, 3, "medium"), (EP, 8, 5, "medium")]),
    (
        "unpinned.yml",
        UA,
        [
            (UA, 7, 15, "low"),
            (UA, 10, 15, "medium"),
            (UA, 11, 15, "medium"),
            (UA, 12, 15, "medium"),
            (UA, 14, 11, "medium"),
        ],
    ),
    ("self-hosted.yml", SH, [(SH, 5, 15, "medium")]),
    ("self-hosted-matrix.yml", SH, [(SH, 7, 33, "low")]),
    ("secrets-inherit.yml", SI, [(SI, 6, 14, "medium")]),
    ("persist-credentials.yml", PC, [(PC, 7, 15, "low"), (PC, 11, 32, "low")]),
    (
        "curl-pipe-shell.yml",
        CP,
        [(CP, 9, 11, "medium"), (CP, 10, 11, "medium"), (CP, 12, 14, "medium"), (CP, 15, 11, "medium")],
    ),
]

NEGATIVE = [
    ("dangerous-trigger-negative.yml", DT),
    ("template-injection-negative.yml", TI),
    ("permissions-negative.yml", EP),
    ("unpinned-negative.yml", UA),
    ("self-hosted-negative.yml", SH),
    ("secrets-inherit-negative.yml", SI),
    ("persist-credentials-negative.yml", PC),
    ("curl-pipe-shell-negative.yml", CP),
]


@pytest.mark.parametrize(("name", "rule_id", "expected"), POSITIVE)
def test_positive_fixture(
    hits: Hits, name: str, rule_id: str, expected: list[tuple[str, int, int, str]]
) -> None:
    assert hits(name, rule_id) == expected


@pytest.mark.parametrize(("name", "rule_id"), NEGATIVE)
def test_negative_fixture(hits: Hits, name: str, rule_id: str) -> None:
    assert hits(name, rule_id) == []


def test_every_rule_has_a_positive_and_a_negative_fixture() -> None:
    # the first eight audits; test_pipeline_audits_more.py covers the rest
    ids = {DT, TI, EP, UA, SH, SI, PC, CP}
    assert {rule for _, rule, _ in POSITIVE} == ids
    assert {rule for _, rule in NEGATIVE} == ids


def test_clean_workflow_has_no_findings(scan: Scan) -> None:
    result = scan("clean.yml")
    assert result.findings == ()
    assert result.skipped == ()


def test_rules_are_declared_for_the_pipeline_with_cicd_sec_mapping() -> None:
    mapping = {r.id: r.cicd_sec for r in RULES if r.id in (DT, TI, EP, UA, SH, SI, PC, CP)}
    assert mapping == {DT: (4,), TI: (4,), EP: (5,), UA: (3, 9), SH: (7,), SI: (6,), PC: (6,), CP: (3,)}
    for rule in RULES:
        assert rule.stage.value == "pipeline"
        assert rule.cwe, rule.id
        assert rule.description
        assert rule.fix


def test_dangerous_trigger_points_at_the_head_checkout(scan: Scan) -> None:
    (finding,) = scan("dangerous-trigger-head.yml").of(DT)
    assert finding.confidence is Confidence.HIGH
    related = finding.locations[1]
    assert (related.start_line, related.start_column) == (14, 16)
    assert finding.message == (
        "runs on pull_request_target with the base repository's secrets and token, and checks out "
        "the untrusted head at .github/workflows/dangerous-trigger-head.yml:14"
    )
    assert dict(finding.properties)["checks_out_head"] == "true"


def test_template_injection_messages_and_confidence(scan: Scan) -> None:
    findings = scan("template-injection.yml").of(TI)
    first = findings[0]
    assert first.message == (
        "`${{ github.event.issue.title }}` expands github.event.issue.title, which an outsider "
        "controls, inside the run script of step 'greet'"
    )
    loc = first.primary
    assert loc is not None
    assert (loc.end_line, loc.end_column) == (13, 55)  # exclusive end, after `}}`
    assert [f.confidence for f in findings] == [Confidence.HIGH] * 4 + [Confidence.MEDIUM, Confidence.HIGH]
    assert "github-script script" in findings[3].message
    # the same expression twice in one step keeps two distinct fingerprints
    assert findings[1].fingerprint != findings[2].fingerprint


def test_unpinned_messages(scan: Scan) -> None:
    messages = [f.message for f in scan("unpinned.yml").of(UA)]
    assert messages == [
        "actions/checkout@v4 is used by the movable ref 'v4'; pin it to a full commit SHA",
        "some-org/setup-tool@main is used by the movable ref 'main'; pin it to a full commit SHA",
        "some-org/other@a1b2c3d is used by a short SHA (a1b2c3d), which can collide; "
        "pin it to a full commit SHA",
        "docker://alpine:3.19 is used by a container image by tag, not by sha256 digest; "
        "pin it to a sha256 digest",
        "some-org/workflows/.github/workflows/release.yml@v1 is used by the movable ref 'v1'; "
        "pin it to a full commit SHA",
    ]


def test_unpinned_without_any_ref() -> None:
    assert problem("some-org/action") == "no ref at all"
    assert problem("./local") is None
    assert problem("") is None


def test_self_hosted_in_an_expression_has_medium_confidence() -> None:
    from secloop.pipeline.engine import scan_texts

    text = (
        "on: push\npermissions: {}\njobs:\n  a:\n"
        "    runs-on: ${{ github.repository == 'o/r' && 'self-hosted' || 'ubuntu-latest' }}\n"
        "    steps:\n      - run: make\n"
    )
    (finding,) = scan_texts([("w.yml", text)]).of(SH)
    assert finding.confidence is Confidence.MEDIUM
    assert (finding.severity.value, finding.primary and finding.primary.start_line) == ("low", 5)


def test_curl_pipe_shell_message(scan: Scan) -> None:
    finding = scan("curl-pipe-shell.yml").of(CP)[2]
    assert finding.message == (
        "step 'codecov' runs a downloaded script unverified: bash <(curl -s https://codecov.example.invalid/bash)"
    )


def test_secrets_inherit_and_persist_credentials_messages(scan: Scan) -> None:
    (inherit,) = scan("secrets-inherit.yml").of(SI)
    assert (
        inherit.message
        == "job 'release' passes every secret of this workflow to ./.github/workflows/release.yml"
    )
    second = scan("persist-credentials.yml").of(PC)[1]
    assert second.message.startswith("step 'second' checks out with the token persisted")
    assert dict(second.properties) == {
        "workflow": ".github/workflows/persist-credentials.yml",
        "job": "build",
        "step": "second",
    }


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("github.event.issue.title", [("github.event.issue.title", Confidence.HIGH)]),
        ("github.event['issue']['body']", [("github.event.issue.body", Confidence.HIGH)]),
        ("github.event.commits[0].message", [("github.event.commits.*.message", Confidence.HIGH)]),
        ("format('{0}', github.HEAD_REF)", [("github.head_ref", Confidence.HIGH)]),
        ("toJSON(github.event.pull_request)", [("github.event.pull_request", Confidence.MEDIUM)]),
        ("github.event.pull_request && 'a'", []),
        ("contains(github.event.pull_request.labels.*.name, 'github.head_ref')", []),
        ("github.event.pull_request.head.sha", []),
        ("inputs.title", []),
        ("github.event.inputs.title", []),
        ("steps.build.outcome", []),
    ],
)
def test_classify_expressions(expression: str, expected: list[tuple[str, Confidence]]) -> None:
    assert classify(expression) == expected


def test_references_skip_function_names_and_strings() -> None:
    assert references("startsWith(github.ref, 'refs/tags/x.y')") == ["github.ref"]


def test_dangerous_trigger_sees_a_head_fetched_by_a_script() -> None:
    from secloop.pipeline.engine import scan_texts

    text = (
        "on: workflow_run\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: |\n          gh pr checkout 12\n"
    )
    (finding,) = scan_texts([("w.yml", text)]).of(DT)
    assert finding.severity.value == "high"
    assert [(loc.start_line, loc.start_column) for loc in finding.locations] == [(1, 5), (8, 11)]
