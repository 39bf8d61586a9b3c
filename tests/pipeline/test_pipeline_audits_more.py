"""The audits added after the first slice: exact (rule, line, column, severity) on fixtures, and negatives."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from secloop.core.enums import Confidence
from secloop.pipeline.audits.hardcoded_credential import credential_key
from secloop.pipeline.audits.known_vulnerable_action import known
from secloop.pipeline.audits.unpinned_image import image_problem
from secloop.pipeline.engine import PipelineScan, scan_texts
from secloop.pipeline.rules import RULES

Hits = Callable[[str, str], list[tuple[str, int, int, str]]]
Scan = Callable[[str], PipelineScan]

TI = "GHA-TEMPLATE-INJECTION"
AC = "GHA-ARTIFACT-CREDENTIALS"
CA = "GHA-CACHE-POISONING"
WA = "GHA-WORKFLOW-RUN-ARTIFACT"
KV = "GHA-KNOWN-VULNERABLE-ACTION"
SF = "GHA-SECRETS-IN-IF"
HC = "GHA-HARDCODED-CREDENTIAL"
EW = "GHA-UNTRUSTED-ENV-WRITE"
IC = "GHA-INSECURE-COMMANDS"
IT = "GHA-UNUSED-ID-TOKEN"
UI = "GHA-UNPINNED-IMAGE"
LG = "GHA-LABEL-GATE"
BC = "GHA-BOT-CONDITION"
CC = "GHA-CLOUD-CREDENTIALS"
TS = "GHA-THIRD-PARTY-SECRET"

POSITIVE = [
    (
        "template-injection-env.yml",
        TI,
        [
            (TI, 21, 20, "high"),
            (TI, 21, 46, "high"),
            (TI, 27, 30, "high"),
            (TI, 31, 19, "high"),
            (TI, 35, 22, "high"),
            (TI, 36, 25, "high"),
        ],
    ),
    ("artifact-credentials.yml", AC, [(AC, 11, 17, "high"), (AC, 16, 17, "medium")]),
    ("cache-poisoning.yml", CA, [(CA, 9, 15, "medium"), (CA, 15, 18, "medium"), (CA, 16, 15, "medium")]),
    ("cache-poisoning-target.yml", CA, [(CA, 7, 15, "high")]),
    (
        "workflow-run-artifact.yml",
        WA,
        [(WA, 11, 15, "high"), (WA, 21, 15, "high"), (WA, 26, 11, "high"), (WA, 31, 15, "medium")],
    ),
    (
        "known-vulnerable.yml",
        KV,
        [
            (KV, 7, 15, "high"),
            (KV, 8, 15, "medium"),
            (KV, 9, 15, "low"),
            (KV, 10, 15, "low"),
            (KV, 11, 15, "high"),
        ],
    ),
    ("secrets-in-if.yml", SF, [(SF, 5, 9, "medium"), (SF, 9, 13, "medium")]),
    ("untrusted-env-write.yml", EW, [(EW, 11, 51, "high"), (EW, 15, 35, "high"), (EW, 16, 67, "high")]),
    ("insecure-commands.yml", IC, [(IC, 4, 3, "high"), (IC, 9, 7, "low"), (IC, 12, 11, "high")]),
    ("unused-id-token.yml", IT, [(IT, 4, 3, "medium"), (IT, 13, 7, "medium")]),
    (
        "unpinned-image.yml",
        UI,
        [(UI, 6, 16, "medium"), (UI, 9, 16, "medium"), (UI, 11, 16, "medium"), (UI, 17, 14, "medium")],
    ),
    ("label-gate.yml", LG, [(LG, 3, 5, "high")]),
    ("label-gate-sha.yml", LG, [(LG, 3, 5, "medium")]),
    ("bot-condition.yml", BC, [(BC, 5, 9, "high"), (BC, 9, 13, "high")]),
    ("cloud-credentials.yml", CC, [(CC, 9, 15, "high")]),
    ("cloud-credentials-push.yml", CC, [(CC, 9, 15, "medium")]),
    ("third-party-secret.yml", TS, [(TS, 7, 15, "medium"), (TS, 10, 15, "low")]),
]

NEGATIVE = [
    ("template-injection-negative.yml", TI),
    ("artifact-credentials-negative.yml", AC),
    ("cache-poisoning-negative.yml", CA),
    ("cache-poisoning-release-negative.yml", CA),
    ("workflow-run-artifact-negative.yml", WA),
    ("workflow-run-artifact-data.yml", WA),
    ("known-vulnerable-negative.yml", KV),
    ("secrets-in-if-negative.yml", SF),
    ("untrusted-env-write-negative.yml", EW),
    ("insecure-commands-negative.yml", IC),
    ("unused-id-token-negative.yml", IT),
    ("unpinned-image-negative.yml", UI),
    ("label-gate-negative.yml", LG),
    ("bot-condition-negative.yml", BC),
    ("cloud-credentials-negative.yml", CC),
    ("cloud-credentials-main-negative.yml", CC),
    ("third-party-secret-negative.yml", TS),
]


@pytest.mark.parametrize(("name", "rule_id", "expected"), POSITIVE)
def test_positive_fixture(
    hits: Hits, name: str, rule_id: str, expected: list[tuple[str, int, int, str]]
) -> None:
    assert hits(name, rule_id) == expected


@pytest.mark.parametrize(("name", "rule_id"), NEGATIVE)
def test_negative_fixture(hits: Hits, name: str, rule_id: str) -> None:
    assert hits(name, rule_id) == []


def test_the_engine_has_at_least_twenty_audits_each_with_full_metadata() -> None:
    github = [r for r in RULES if r.id.startswith("GHA-")]
    assert len(github) >= 20
    covered = {rule for _, rule, _ in POSITIVE} | {HC}
    assert covered >= {r.id for r in github} - {
        "GHA-DANGEROUS-TRIGGER",
        "GHA-EXCESSIVE-PERMISSIONS",
        "GHA-UNPINNED-ACTION",
        "GHA-SELF-HOSTED-RUNNER",
        "GHA-SECRETS-INHERIT",
        "GHA-PERSIST-CREDENTIALS",
        "GHA-CURL-PIPE-SHELL",
        # covered by test_pipeline_audits_session2.py
        "GHA-OVERPROVISIONED-SECRETS",
        "GHA-UNREDACTED-SECRETS",
        "GHA-UNSOUND-CONDITION",
        "GHA-UNSOUND-CONTAINS",
        "GHA-ARCHIVED-ACTION",
        "GHA-EXTRA-INDEX-URL",
        "GHA-TOKEN-PUBLISHING",
        "GHA-BROAD-APP-TOKEN",
        "GHA-OBFUSCATED-USES",
        "GHA-PIN-COMMENT-MISMATCH",
        "GHA-SECRET-OUTSIDE-ENVIRONMENT",
    }
    mapping = {r.id: r.cicd_sec for r in RULES}
    assert {k: mapping[k] for k in (AC, CA, WA, KV, SF, HC, EW, IC, IT, UI, LG, BC, CC, TS)} == {
        AC: (6,),
        CA: (9,),
        WA: (4,),
        KV: (3,),
        SF: (6,),
        HC: (6,),
        EW: (4,),
        IC: (7,),
        IT: (5,),
        UI: (3,),
        LG: (4, 1),
        BC: (1,),
        CC: (2,),
        TS: (8,),
    }
    for rule in RULES:
        assert rule.cwe and rule.description and rule.fix, rule.id
    # every CICD-SEC risk 1..9 has at least one audit from repository contents
    assert {n for r in RULES for n in r.cicd_sec} >= set(range(1, 10))


def test_template_injection_through_env_names_the_hop(scan: Scan) -> None:
    findings = scan("template-injection-env.yml").of(TI)
    assert findings[0].message == (
        "`${{ env.TITLE }}` expands env.title, which holds github.event.pull_request.title, which an "
        "outsider controls, inside the run script of step 'expanded'"
    )
    assert dict(findings[0].properties)["via"] == "env.title"
    assert findings[4].message == (
        "`eval` re-reads $TITLE, which holds github.event.pull_request.title, which an outsider "
        "controls, as code in step 'eval'"
    )
    assert [f.confidence for f in findings[4:]] == [Confidence.MEDIUM, Confidence.MEDIUM]
    assert dict(findings[2].properties) == {
        "workflow": ".github/workflows/template-injection-env.yml",
        "job": "label",
        "step": "matrix",
        "expression": "github.head_ref",
        "via": "matrix.ref",
    }


def _secret(*parts: str) -> str:
    return "".join(parts)


def test_hardcoded_credentials_are_literal_values_of_credential_keys() -> None:
    value = _secret("hunter", "2-", "exa", "mple")
    text = (
        "on: push\npermissions: {}\nenv:\n"
        f"  API_KEY: {value}\n"
        "  TOKEN_FILE: /tmp/token\n"
        "jobs:\n  a:\n    runs-on: ubuntu-latest\n    env:\n"
        f"      DB_PASSWORD: '{value}'\n"
        "      GH_TOKEN: ${{ secrets.GH_TOKEN }}\n"
        "    steps:\n      - uses: some/deploy@8f4b7f84864484a7bf31766abe9204da3cbe65b3\n        with:\n"
        f"          github-token: {value}\n"
        "          server-password: MAVEN_PASSWORD\n"
        "          password: ''\n"
        "          token: true\n"
    )
    findings = scan_texts([("w.yml", text)]).of(HC)
    assert [
        (f.primary.start_line, f.primary.start_column, f.severity.value) for f in findings if f.primary
    ] == [(4, 12, "high"), (10, 20, "high"), (15, 25, "high")]
    assert (
        findings[0].message
        == "env API_KEY holds a literal value (15 characters) instead of a secret reference"
    )
    assert value not in " ".join(f.message for f in findings)


def test_hardcoded_credential_negative() -> None:
    text = (
        "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    env:\n"
        "      TOKEN: ${{ github.token }}\n      PASSWORD: $DB_PASS\n      TOKEN_URL: https://x.invalid\n"
        "    steps:\n      - run: make\n"
    )
    assert scan_texts([("w.yml", text)]).of(HC) == ()


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("NPM_TOKEN", True),
        ("github-token", True),
        ("db_password", True),
        ("client-secret", True),
        ("api-key", True),
        ("PGPASSWORD", True),
        ("key", False),
        ("token-format", False),
        ("secret-name", False),
        ("cache-key", False),
    ],
)
def test_credential_keys(key: str, expected: bool) -> None:
    assert credential_key(key) is expected


def test_known_action_list_matches_owner_prefixes_and_exact_names() -> None:
    entry = known("actions-rs/cargo@v1")
    assert entry is not None and entry.reason.startswith("archived")
    assert known("actions-rsx/cargo@v1") is None
    assert known("./local") is None


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("node:20", "uses the movable tag '20'"),
        ("postgres", "has no tag (so `latest`)"),
        ("localhost:5000/build", "has no tag (so `latest`)"),
        ("node@sha256:abc", None),
        ("${{ matrix.image }}", None),
        ("", None),
    ],
)
def test_image_problem(image: str, expected: str | None) -> None:
    assert image_problem(image) == expected


def test_workflow_run_artifact_confidence_and_message(scan: Scan) -> None:
    findings = scan("workflow-run-artifact.yml").of(WA)
    assert findings[0].message == (
        "job 'comment' downloads artifacts of the triggering run in step 'fetch' and then executes "
        "workspace files (step 'apply') with this workflow's privileges"
    )
    assert [f.confidence for f in findings] == [Confidence.MEDIUM] * 3 + [Confidence.LOW]
    related = findings[0].locations[1]
    assert (related.start_line, related.start_column) == (16, 14)


def test_untrusted_env_write_message(scan: Scan) -> None:
    second = scan("untrusted-env-write.yml").of(EW)[1]
    assert second.message == (
        "step 'indirect' writes github.event.pull_request.title through env.title, which an outsider "
        "controls, to $GITHUB_ENV"
    )


def test_label_gate_and_bot_condition_messages(scan: Scan) -> None:
    (gate,) = scan("label-gate.yml").of(LG)
    assert gate.message == (
        "pull_request_target runs on `labeled` and checks out the pull request head by branch name, "
        "so commits pushed after the label run too; a label is a weak approval gate"
    )
    bots = scan("bot-condition.yml").of(BC)
    assert bots[1].message == (
        "`if:` trusts github.actor == 'Dependabot[bot]', 'renovate[bot]'; the actor is whoever "
        "caused the latest event, not the author of the change"
    )


def test_secrets_in_if_names_the_secrets(scan: Scan) -> None:
    messages = [f.message for f in scan("secrets-in-if.yml").of(SF)]
    assert messages == [
        "the `if:` of job 'deploy' reads secrets.deploy_key, which conditions cannot see",
        "the `if:` of step 'publish' reads secrets.npm_token, which conditions cannot see",
    ]


def test_unused_id_token_and_cloud_credentials_messages(scan: Scan) -> None:
    first, second = scan("unused-id-token.yml").of(IT)
    assert first.message == (
        "job 'test' gets `id-token: write` from the workflow's permissions but no step requests an OIDC token"
    )
    assert second.message.startswith("job 'lint' gets `id-token: write` from its own permissions")
    (cloud,) = scan("cloud-credentials.yml").of(CC)
    assert cloud.message == (
        "step 'aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502' logs in "
        "with aws-actions/configure-aws-credentials in job 'deploy', which has no protected environment, "
        "and the workflow runs on pull_request"
    )


def test_third_party_secret_message(scan: Scan) -> None:
    first = scan("third-party-secret.yml").of(TS)[0]
    assert first.message == (
        "codecov/codecov-action@v4 receives credentials (token); it is not pinned to a commit, so its "
        "code can change under them"
    )


def test_untrusted_env_write_in_powershell() -> None:
    text = (
        "on: issues\npermissions: {}\njobs:\n  a:\n    runs-on: windows-latest\n    steps:\n"
        '      - run: Add-Content $env:GITHUB_ENV "T=${{ github.event.issue.title }}"\n'
        "        shell: pwsh\n"
    )
    (finding,) = scan_texts([("w.yml", text)]).of(EW)
    assert finding.primary is not None
    assert (finding.primary.start_line, finding.primary.start_column) == (7, 26)
    assert finding.message.endswith("to $GITHUB_ENV")
