"""Pipeline-stage practices: status, summary and evidence decided from the pipeline engine's scan."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import PracticeResult, Skipped
from secloop.pipeline import engine
from secloop.pipeline.workflow import parse_workflow
from secloop.practices.base import Context
from secloop.practices.catalog import practice
from secloop.practices.evaluators.pipeline import EVALUATORS, NOT_APPLICABLE
from secloop.sources.repo import Repo

SHA = "b4ffde65f46336ab88eb53be808477a3936bae11"
ALL = sorted(EVALUATORS)
BY_FINDINGS = [
    "pipeline.cicd-sec-3",
    "pipeline.cicd-sec-4",
    "pipeline.cicd-sec-5",
    "pipeline.cicd-sec-6",
    "pipeline.cicd-sec-7",
    "pipeline.cicd-sec-9",
    "pipeline.least-privilege-tokens",
    "pipeline.managed-runners",
    "pipeline.scoped-secrets",
]

CLEAN = f"""\
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@{SHA}
        with:
          persist-credentials: false
      - run: make test
        env:
          TOKEN: ${{{{ secrets.TEST_TOKEN }}}}
"""


def make_repo(root: Path, files: dict[str, str]) -> Repo:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    return Repo(root)


def evaluate(repo: Repo, practice_id: str) -> PracticeResult:
    return EVALUATORS[practice_id](Context(repo, Config(), practice(practice_id)))


def one(root: Path, practice_id: str, workflow: str, extra: dict[str, str] | None = None) -> PracticeResult:
    repo = make_repo(root, {".github/workflows/ci.yml": workflow, **(extra or {})})
    return evaluate(repo, practice_id)


def workflow(body: str, *, on: str = "push", permissions: str = "permissions: {}") -> str:
    return f"on: {on}\n{permissions}\njobs:\n{body}"


# -- no GitHub Actions ---------------------------------------------------------------------------


@pytest.mark.parametrize("practice_id", ALL)
def test_no_ci_at_all_is_not_applicable(tmp_path: Path, practice_id: str) -> None:
    result = evaluate(make_repo(tmp_path, {"README.md": "hi"}), practice_id)
    assert (result.status, result.summary, result.findings) == (Status.NOT_APPLICABLE, NOT_APPLICABLE, ())
    assert NOT_APPLICABLE == "no CI configuration found"


@pytest.mark.parametrize("practice_id", ALL)
def test_only_other_ci_is_unknown(tmp_path: Path, practice_id: str) -> None:
    repo = make_repo(tmp_path, {".gitlab-ci.yml": "test:\n  script: make\n", "ci/Jenkinsfile": "pipeline {}"})
    result = evaluate(repo, practice_id)
    assert result.status is Status.UNKNOWN
    assert result.summary == (
        "only GitLab CI, Jenkins configuration found; this practice's GitHub Actions checks do not apply "
        "(findings of the platforms secloop audits are listed with them)"
    )
    assert result.evidence[:2] == (
        ".gitlab-ci.yml: GitLab CI configuration, audited by its own rules",
        "ci/Jenkinsfile: Jenkins configuration, audited by its own rules",
    )


@pytest.mark.parametrize("practice_id", ALL)
def test_only_malformed_workflows_is_unknown(tmp_path: Path, practice_id: str) -> None:
    repo = make_repo(tmp_path, {".github/workflows/ci.yml": "on: push\njobs:\n  a: [\n"})
    result = evaluate(repo, practice_id)
    assert result.status is Status.UNKNOWN
    assert result.summary == "none of the 1 workflow file(s) could be read"
    assert result.evidence == (
        ".github/workflows/ci.yml:4: malformed YAML: did not find expected node content",
    )
    expected = (
        Skipped(".github/workflows/ci.yml", "malformed YAML: did not find expected node content", 4, 1),
    )
    assert result.skipped == (expected if practice_id == "pipeline.cicd-sec-4" else ())


def test_other_ci_next_to_workflows_is_noted(tmp_path: Path) -> None:
    result = one(tmp_path, "pipeline.cicd-sec-5", CLEAN, {"azure-pipelines.yml": "steps: []\n"})
    assert result.status is Status.PASS
    assert result.evidence == (
        "azure-pipelines.yml: Azure Pipelines configuration, audited by its own rules",
    )
    gitlab = one(tmp_path / "gl", "pipeline.cicd-sec-5", CLEAN, {".gitlab-ci.yml": "test:\n  script: make\n"})
    assert gitlab.evidence == (".gitlab-ci.yml: GitLab CI configuration, audited by its own rules",)


# -- practices that need the GitHub API ----------------------------------------------------------


def test_flow_control_is_unknown_with_codeowners_and_environments(tmp_path: Path) -> None:
    wf = (
        CLEAN
        + "  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: x\n"
    )
    result = one(tmp_path, "pipeline.cicd-sec-1", wf, {".github/CODEOWNERS": "* @team\n"})
    assert result.status is Status.UNKNOWN
    assert result.summary.endswith("deciding needs the GitHub API")
    assert result.evidence == (
        ".github/CODEOWNERS: CODEOWNERS assigns reviewers",
        ".github/workflows/ci.yml:16: job deploy deploys to environment 'production' "
        "(its protection rules are set in GitHub)",
    )


def test_flow_control_without_codeowners(tmp_path: Path) -> None:
    result = one(tmp_path, "pipeline.cicd-sec-1", CLEAN)
    assert result.evidence == ("no CODEOWNERS file (CODEOWNERS, .github/CODEOWNERS, docs/CODEOWNERS)",)


@pytest.mark.parametrize(
    ("practice_id", "summary"),
    [
        (
            "pipeline.cicd-sec-2",
            "members, outside collaborators, deploy keys and token scopes "
            "are visible only through the GitHub API",
        ),
        (
            "pipeline.cicd-sec-10",
            "audit log retention and streaming are configured in GitHub; deciding needs the audit log API",
        ),
    ],
)
def test_api_only_practices_are_unknown(tmp_path: Path, practice_id: str, summary: str) -> None:
    result = one(tmp_path, practice_id, CLEAN)
    assert (result.status, result.summary, result.evidence) == (Status.UNKNOWN, summary, ())


def test_third_party_services_lists_action_publishers(tmp_path: Path) -> None:
    body = (
        "  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: actions/checkout@{SHA}\n      - uses: zeta/tool@{SHA}\n      - uses: alpha/x@{SHA}\n"
        "      - uses: ./local\n      - uses: docker://alpine@sha256:" + "a" * 64 + "\n"
        f"  b:\n    uses: alpha/wf/.github/workflows/w.yml@{SHA}\n"
    )
    result = one(tmp_path, "pipeline.cicd-sec-8", workflow(body))
    assert result.status is Status.UNKNOWN
    assert (
        result.summary
        == "installed GitHub Apps, OAuth apps and webhooks are visible only through the GitHub API"
    )
    assert result.evidence == ("workflows run actions of 2 third-party publishers: alpha, zeta",)
    assert one(tmp_path / "clean", "pipeline.cicd-sec-8", CLEAN).evidence == (
        "the workflows use no third-party actions",
    )


# -- CICD-SEC-3: dependency chain ----------------------------------------------------------------


def steps(*lines: str) -> str:
    return "  build:\n    runs-on: ubuntu-latest\n    steps:\n" + "".join(
        f"      - {line}\n" for line in lines
    )


def test_dependency_chain_pass_notes_lockfiles(tmp_path: Path) -> None:
    result = one(tmp_path, "pipeline.cicd-sec-3", CLEAN, {"uv.lock": "", "web/package-lock.json": "{}"})
    assert result.status is Status.PASS
    assert result.summary == (
        "1 workflow read: every action is pinned to a commit SHA and no script is piped into a shell"
    )
    assert result.evidence == ("lockfiles: uv.lock, web/package-lock.json",)


def test_dependency_chain_partial_when_only_github_actions_are_unpinned(tmp_path: Path) -> None:
    result = one(
        tmp_path, "pipeline.cicd-sec-3", workflow(steps("uses: actions/checkout@v4", "uses: github/x@v1"))
    )
    assert result.status is Status.PARTIAL
    assert result.summary == (
        "2 unpinned action references, 0 scripts piped into a shell (only GitHub's own actions are unpinned)"
    )
    assert [(f.rule_id, f.primary.start_line if f.primary else 0) for f in result.findings] == [
        ("GHA-UNPINNED-ACTION", 7),
        ("GHA-UNPINNED-ACTION", 8),
    ]
    assert result.evidence == (
        ".github/workflows/ci.yml:7: Action or reusable workflow not pinned to a full commit SHA (2 times)",
        "no lockfile in the repository",
    )


def test_dependency_chain_fails_on_third_party_or_curl_pipe(tmp_path: Path) -> None:
    wf = workflow(steps("uses: some-org/tool@main", "run: curl -sSL https://example.invalid/i.sh | sh"))
    result = one(tmp_path, "pipeline.cicd-sec-3", wf)
    assert result.status is Status.FAIL
    assert result.summary == "1 unpinned action reference, 1 script piped into a shell"
    assert sorted(f.rule_id for f in result.findings) == ["GHA-CURL-PIPE-SHELL", "GHA-UNPINNED-ACTION"]
    assert result.evidence[:2] == (
        ".github/workflows/ci.yml:7: Action or reusable workflow not pinned to a full commit SHA",
        ".github/workflows/ci.yml:8: Remote script piped into a shell",
    )


# -- CICD-SEC-4: poisoned pipeline execution -----------------------------------------------------


def test_poisoned_pipeline_pass(tmp_path: Path) -> None:
    result = one(tmp_path, "pipeline.cicd-sec-4", CLEAN)
    assert result.status is Status.PASS
    assert result.summary == (
        "1 workflow read: no privileged trigger on untrusted events "
        "and no attacker-controlled expression in a script"
    )


def test_poisoned_pipeline_partial_for_a_privileged_trigger_alone(tmp_path: Path) -> None:
    result = one(tmp_path, "pipeline.cicd-sec-4", workflow(steps("run: echo hi"), on="pull_request_target"))
    assert result.status is Status.PARTIAL
    assert result.summary == "pull_request_target used without checking out untrusted code; keep it that way"
    assert [(f.rule_id, f.severity.value) for f in result.findings] == [("GHA-DANGEROUS-TRIGGER", "medium")]
    assert result.evidence == (
        ".github/workflows/ci.yml:1: Workflow runs privileged on pull_request_target or workflow_run",
    )


def test_poisoned_pipeline_fails_on_injection_and_reports_skipped(tmp_path: Path) -> None:
    wf = workflow(steps('run: echo "${{ github.event.issue.title }}"'), on="issues")
    repo = make_repo(
        tmp_path, {".github/workflows/ci.yml": wf, ".github/workflows/broken.yml": "on: push\njobs: 3\n"}
    )
    result = evaluate(repo, "pipeline.cicd-sec-4")
    assert result.status is Status.FAIL
    assert (
        result.summary
        == "1 attacker-controlled expression in scripts, 0 privileged workflows checking out untrusted code"
    )
    assert [(f.rule_id, str(f.primary)) for f in result.findings] == [
        ("GHA-TEMPLATE-INJECTION", ".github/workflows/ci.yml:7:20")
    ]
    reason = "not a workflow: `jobs:` is the scalar '3', expected a mapping"
    assert result.skipped == (Skipped(".github/workflows/broken.yml", reason, 2, 7),)
    assert result.evidence[-1] == f".github/workflows/broken.yml:2: not audited: {reason}"
    # reported once: the other practices do not repeat the skipped file
    assert evaluate(repo, "pipeline.cicd-sec-3").skipped == ()


# -- CICD-SEC-5 and least-privilege tokens -------------------------------------------------------


@pytest.mark.parametrize("practice_id", ["pipeline.cicd-sec-5", "pipeline.least-privilege-tokens"])
def test_permissions_pass(tmp_path: Path, practice_id: str) -> None:
    result = one(tmp_path, practice_id, CLEAN)
    assert result.status is Status.PASS
    assert (
        result.summary
        == "1 workflow read: every job has declared permissions and none writes at the top level"
    )
    assert result.findings == ()


@pytest.mark.parametrize("practice_id", ["pipeline.cicd-sec-5", "pipeline.least-privilege-tokens"])
def test_permissions_partial_on_default_token(tmp_path: Path, practice_id: str) -> None:
    result = one(tmp_path, practice_id, workflow(steps("run: make"), permissions=""))
    assert result.status is Status.PARTIAL
    assert result.summary == "1 job on the default token, 0 jobs asking for write-all"
    assert (
        result.evidence[0] == ".github/workflows/ci.yml:4: Workflow token has more permissions than it needs"
    )


@pytest.mark.parametrize("practice_id", ["pipeline.cicd-sec-5", "pipeline.least-privilege-tokens"])
def test_permissions_fail_on_top_level_write(tmp_path: Path, practice_id: str) -> None:
    result = one(tmp_path, practice_id, workflow(steps("run: make"), permissions="permissions: write-all"))
    assert result.status is Status.FAIL
    assert result.summary == "write access granted to every job at the top of .github/workflows/ci.yml"


def test_only_cicd_sec_5_carries_the_permission_findings(tmp_path: Path) -> None:
    wf = workflow(steps("run: make"), permissions="permissions:\n  contents: write")
    carrier = one(tmp_path, "pipeline.cicd-sec-5", wf)
    assert [(f.rule_id, str(f.primary)) for f in carrier.findings] == [
        ("GHA-EXCESSIVE-PERMISSIONS", ".github/workflows/ci.yml:3:3")
    ]
    cited = evaluate(Repo(tmp_path), "pipeline.least-privilege-tokens")
    assert cited.findings == ()
    assert cited.evidence == (
        ".github/workflows/ci.yml:3: Workflow token has more permissions than it needs",
        ".github/workflows/ci.yml:2: permissions: contents: write",
        "1 finding listed under pipeline.cicd-sec-5",
    )


# -- CICD-SEC-6 credential hygiene ---------------------------------------------------------------


def test_credential_hygiene(tmp_path: Path) -> None:
    assert one(tmp_path / "a", "pipeline.cicd-sec-6", CLEAN).status is Status.PASS
    partial = one(tmp_path / "b", "pipeline.cicd-sec-6", workflow(steps(f"uses: actions/checkout@{SHA}")))
    assert (partial.status, partial.summary) == (Status.PARTIAL, "1 checkout leaves the token in .git/config")
    assert [f.rule_id for f in partial.findings] == ["GHA-PERSIST-CREDENTIALS"]
    inherit = workflow("  call:\n    uses: ./.github/workflows/r.yml\n    secrets: inherit\n")
    failed = one(tmp_path / "c", "pipeline.cicd-sec-6", inherit)
    assert (failed.status, failed.summary) == (
        Status.FAIL,
        "1 reusable workflow call with `secrets: inherit`",
    )
    assert [str(f.primary) for f in failed.findings] == [".github/workflows/ci.yml:6:14"]


# -- CICD-SEC-7 and managed runners --------------------------------------------------------------


def runner(labels: str, on: str) -> str:
    return workflow(f"  t:\n    runs-on: {labels}\n    steps:\n      - run: make\n", on=on)


@pytest.mark.parametrize("practice_id", ["pipeline.cicd-sec-7", "pipeline.managed-runners"])
@pytest.mark.parametrize(
    ("labels", "on", "status", "summary"),
    [
        ("ubuntu-latest", "pull_request", Status.PASS, "every job runs on a GitHub-hosted runner"),
        (
            "[self-hosted, gpu]",
            "push",
            Status.PARTIAL,
            "1 job on self-hosted runners, none reachable from forks",
        ),
        (
            "[self-hosted]",
            "pull_request",
            Status.FAIL,
            "1 self-hosted job in workflows outsiders can trigger",
        ),
    ],
)
def test_runners(
    tmp_path: Path, practice_id: str, labels: str, on: str, status: Status, summary: str
) -> None:
    result = one(tmp_path, practice_id, runner(labels, on))
    assert (result.status, result.summary) == (status, summary)
    carried = practice_id == "pipeline.cicd-sec-7" and status is not Status.PASS
    assert [f.rule_id for f in result.findings] == (["GHA-SELF-HOSTED-RUNNER"] if carried else [])
    if status is not Status.PASS:
        assert result.evidence[0] == ".github/workflows/ci.yml:5: Job runs on a self-hosted runner"


# -- CICD-SEC-9 artifact integrity ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "status", "summary", "first_evidence"),
    [
        (
            (f"uses: actions/attest-build-provenance@{SHA}",),
            Status.PASS,
            "actions are pinned and artifacts are signed or attested",
            ".github/workflows/ci.yml:7: actions/attest-build-provenance",
        ),
        (
            ("run: |\n          make dist\n          cosign  sign --yes dist/app",),
            Status.PASS,
            "actions are pinned and artifacts are signed or attested",
            ".github/workflows/ci.yml:9: runs `cosign sign`",
        ),
        (
            ("run: make dist",),
            Status.PARTIAL,
            "actions are pinned, but nothing signs the artifacts or attests their provenance",
            "no step signs artifacts or produces provenance",
        ),
        (
            ("uses: actions/upload-artifact@v4", f"uses: actions/attest@{SHA}"),
            Status.PARTIAL,
            "GitHub's own actions are used by movable tags",
            ".github/workflows/ci.yml:8: actions/attest",
        ),
        (
            ("uses: someone/build@v1",),
            Status.FAIL,
            "1 third-party action reference by a movable ref: the build's own code can change under it",
            "no step signs artifacts or produces provenance",
        ),
    ],
)
def test_artifact_integrity(
    tmp_path: Path, lines: tuple[str, ...], status: Status, summary: str, first_evidence: str
) -> None:
    result = one(tmp_path, "pipeline.cicd-sec-9", workflow(steps(*lines)))
    assert (result.status, result.summary, result.evidence[0]) == (status, summary, first_evidence)
    assert result.findings == ()


def test_artifact_integrity_recognises_the_slsa_generator(tmp_path: Path) -> None:
    body = f"  provenance:\n    uses: slsa-framework/slsa-github-generator/.github/workflows/g.yml@{SHA}\n"
    result = one(tmp_path, "pipeline.cicd-sec-9", workflow(body))
    assert result.status is Status.PASS
    assert result.evidence == (
        ".github/workflows/ci.yml:5: job provenance runs the SLSA generator",
        "every action and reusable workflow is pinned to a full commit SHA",
    )


# -- scoped secrets ------------------------------------------------------------------------------


def test_scoped_secrets_pass(tmp_path: Path) -> None:
    result = one(tmp_path, "pipeline.scoped-secrets", CLEAN)
    assert (result.status, result.summary) == (
        Status.PASS,
        "1 workflow read: secrets are referenced only by steps",
    )


def test_scoped_secrets_partial_for_job_env(tmp_path: Path) -> None:
    body = "  t:\n    runs-on: ubuntu-latest\n    env:\n      KEY: ${{ secrets.KEY }}\n      PLAIN: x\n"
    result = one(tmp_path, "pipeline.scoped-secrets", workflow(body))
    assert (result.status, result.summary) == (
        Status.PARTIAL,
        "1 secret in job-level env, visible to every step",
    )
    assert result.evidence == (".github/workflows/ci.yml:7: env KEY of job t holds a secret",)


def test_scoped_secrets_fail_for_workflow_env_and_inherit(tmp_path: Path) -> None:
    wf = (
        "on: push\nenv:\n  TOKEN: ${{ secrets.TOKEN }}\n"
        "jobs:\n  call:\n    uses: ./.github/workflows/r.yml\n    secrets: inherit\n"
    )
    result = one(tmp_path, "pipeline.scoped-secrets", wf)
    assert result.status is Status.FAIL
    assert (
        result.summary
        == "1 secret in workflow-level env, 1 call with `secrets: inherit`: visible to every job"
    )
    assert result.evidence == (
        ".github/workflows/ci.yml:3: workflow env TOKEN holds a secret",
        ".github/workflows/ci.yml:7: Reusable workflow called with `secrets: inherit`",
    )
    assert result.findings == ()


# -- across practices ----------------------------------------------------------------------------

EVERYTHING = """\
on: [pull_request_target, issues]
permissions: write-all
env:
  TOKEN: ${{ secrets.TOKEN }}
jobs:
  build:
    runs-on: [self-hosted]
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - uses: some-org/tool@main
      - run: echo "${{ github.event.issue.body }}" && curl -s https://example.invalid/x | bash
  call:
    uses: ./.github/workflows/r.yml
    secrets: inherit
"""


def test_every_finding_is_carried_by_exactly_one_practice(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {".github/workflows/ci.yml": EVERYTHING})
    results = {pid: evaluate(repo, pid) for pid in ALL}
    carried = Counter(f.fingerprint for r in results.values() for f in r.findings)
    scan = engine.scan_workflows(repo)
    assert carried == Counter(f.fingerprint for f in scan.findings)
    assert set(carried.values()) == {1}
    assert {f.rule_id for f in scan.findings} == {
        "GHA-DANGEROUS-TRIGGER",
        "GHA-TEMPLATE-INJECTION",
        "GHA-EXCESSIVE-PERMISSIONS",
        "GHA-UNPINNED-ACTION",
        "GHA-SELF-HOSTED-RUNNER",
        "GHA-SECRETS-INHERIT",
        "GHA-PERSIST-CREDENTIALS",
        "GHA-CURL-PIPE-SHELL",
    }
    assert {pid: r.status for pid, r in results.items() if pid in BY_FINDINGS} == dict.fromkeys(
        BY_FINDINGS, Status.FAIL
    )
    for pid, result in results.items():
        rules = set(practice(pid).rules)
        assert {f.rule_id for f in result.findings} <= rules, pid


def test_workflows_are_parsed_once_per_assessment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = parse_workflow

    def counting(path: str, text: str) -> object:
        calls.append(path)
        return real(path, text)

    monkeypatch.setattr(engine, "parse_workflow", counting)
    repo = make_repo(tmp_path, {".github/workflows/a.yml": CLEAN, ".github/workflows/b.yml": EVERYTHING})
    for pid in ALL:
        evaluate(repo, pid)
    assert calls == [".github/workflows/a.yml", ".github/workflows/b.yml"]


def test_evidence_is_capped(tmp_path: Path) -> None:
    files = {f".github/workflows/w{i:02}.yml": workflow(steps("uses: o/a@v1")) for i in range(15)}
    result = evaluate(make_repo(tmp_path, files), "pipeline.cicd-sec-3")
    assert len(result.findings) == 15
    assert (
        result.evidence[11]
        == ".github/workflows/w11.yml:7: Action or reusable workflow not pinned to a full commit SHA"
    )
    assert result.evidence[12:] == ("… and 3 more", "no lockfile in the repository")
