"""Build-stage practices: CI triggers, SAST, IaC scanning, SCA, cooldown (with its two rules), freshness."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.enums import Confidence, Severity, Status
from secloop.core.model import PracticeResult
from secloop.practices.evaluators import build
from secloop.registry import REGISTRY
from secloop.sources.updates import at_least_monthly, parse_duration_days
from tests.practices._repo_helpers_a import evaluate, git_repo, practices, run

PR_AND_MAIN = """\
on:
  pull_request:
  push:
    branches: [main]
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
"""
REQS = {"requirements.txt": "flask==3.0\n"}


def test_catalog_entries_of_the_build_stage() -> None:
    assert {p for p in practices() if p.startswith("build.")} == set(build.EVALUATORS)
    assert practices()["build.dependency-cooldown"].rules == (
        "BUILD-COOLDOWN-MISSING",
        "BUILD-COOLDOWN-SHORT",
        "DEP-COOLDOWN",
    )
    assert {r.id for r in build.RULES} <= {r.id for r in REGISTRY}


# -- build.ci ----------------------------------------------------------------------------------


def test_no_ci_fails(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.ci", {"README.md": "x\n"})
    assert result.status is Status.FAIL
    assert result.summary.startswith("no CI configuration")


def test_ci_on_pull_requests_and_main_passes(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.ci", {".github/workflows/ci.yml": PR_AND_MAIN})
    assert result.status is Status.PASS
    assert result.evidence == (".github/workflows/ci.yml: runs on pull requests, pushes to the main branch",)


@pytest.mark.parametrize(
    ("on", "summary", "score"),
    [
        ("push: {branches: [main]}", "CI runs on pushes to main but not on pull requests", 50),
        ("pull_request: {}", "CI runs on pull requests but not on pushes to main", 50),
        ("workflow_dispatch: {}", "CI exists but runs neither on pull requests nor on pushes to main", 25),
    ],
)
def test_ci_with_one_trigger_is_partial(tmp_path: Path, on: str, summary: str, score: int) -> None:
    result = evaluate(tmp_path, "build.ci", {".github/workflows/ci.yml": f"on:\n  {on}\njobs: {{}}\n"})
    assert (result.status, result.summary, result.score) == (Status.PARTIAL, summary, score)


def test_jenkins_triggers_live_outside_the_repository(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.ci", {"Jenkinsfile": "pipeline { steps { sh 'make' } }\n"})
    assert result.status is Status.PARTIAL
    assert result.summary == "CI exists but its triggers are configured outside the repository"


def test_gitlab_fragments_are_named_as_included(tmp_path: Path) -> None:
    files = {
        ".gitlab-ci.yml": "test:\n  script: [make]\n",
        ".gitlab/ci/lint.yml": "lint:\n  script: [make]\n",
    }
    result = evaluate(tmp_path, "build.ci", files)
    assert result.status is Status.PASS
    assert result.evidence == (
        ".gitlab-ci.yml: runs on pull requests, pushes to every branch "
        "(GitLab default: a pipeline on every push to every branch)",
        ".gitlab/ci/lint.yml: included template",
    )


def test_unparseable_ci_is_unknown_with_skipped(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.ci", {".github/workflows/ci.yml": "on: [\n"})
    assert result.status is Status.UNKNOWN
    assert [s.path for s in result.skipped] == [".github/workflows/ci.yml"]


def test_trunk_based_needs_the_delivery_engine(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.trunk-based", {})
    assert result.status is Status.UNKNOWN
    assert "secloop trunk" in result.summary


# -- build.sast --------------------------------------------------------------------------------

CODEQL = """\
on: pull_request
jobs:
  analyze:
    steps:
      - uses: github/codeql-action/init@v3
      - uses: github/codeql-action/analyze@v3
"""


def test_codeql_in_ci_passes(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.sast", {".github/workflows/codeql.yml": CODEQL})
    assert result.status is Status.PASS
    assert result.evidence == (
        ".github/workflows/codeql.yml:5: github/codeql-action/init@v3",
        ".github/workflows/codeql.yml:6: github/codeql-action/analyze@v3",
    )


def test_semgrep_through_a_make_target_passes(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": PR_AND_MAIN,
        "Makefile": "test: sast\nsast:\n\tsemgrep scan --config auto\n",
    }
    result = evaluate(tmp_path, "build.sast", files)
    assert result.evidence == (".github/workflows/ci.yml:9 via Makefile:3: semgrep scan --config auto",)


def test_bandit_in_precommit_passes(tmp_path: Path) -> None:
    text = (
        "repos:\n  - repo: https://github.com/PyCQA/bandit\n    rev: 1.7.9\n    hooks:\n      - id: bandit\n"
    )
    result = evaluate(tmp_path, "build.sast", {".pre-commit-config.yaml": text})
    assert result.status is Status.PASS
    assert result.evidence == (
        ".pre-commit-config.yaml:5: pre-commit hook bandit (https://github.com/PyCQA/bandit)",
    )


def test_ruff_security_rules_run_in_ci_pass(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[tool.ruff.lint]\nselect = ["E", "S"]\n',
        ".github/workflows/ci.yml": "on: push\njobs:\n  l:\n    steps:\n      - run: ruff check .\n",
    }
    result = evaluate(tmp_path, "build.sast", files)
    assert result.status is Status.PASS
    assert result.evidence == (
        "pyproject.toml:2: ruff security (S, flake8-bandit) rules, run at .github/workflows/ci.yml:5",
    )


def test_eslint_security_plugin_counts_only_when_lint_runs(tmp_path: Path) -> None:
    package = '{\n  "devDependencies": {\n    "eslint-plugin-security": "^3.0.0"\n  }\n}\n'
    lint = "on: push\njobs:\n  l:\n    steps:\n      - run: npm run lint\n"
    passing = evaluate(
        tmp_path / "a", "build.sast", {"package.json": package, ".github/workflows/l.yml": lint}
    )
    assert passing.status is Status.PASS
    assert passing.evidence == ("package.json:3: eslint security plugin, run at .github/workflows/l.yml:5",)
    assert evaluate(tmp_path / "b", "build.sast", {"package.json": package}).status is Status.FAIL


def test_no_sast_fails(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.sast", {".github/workflows/ci.yml": PR_AND_MAIN})
    assert result.status is Status.FAIL
    assert result.summary.startswith("no SAST tool (CodeQL, Semgrep")


# -- build.iac-scanning ------------------------------------------------------------------------

TF = 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'
DOCKERFILE = "FROM python:3.12-slim\n"


def test_no_iac_is_not_applicable(tmp_path: Path) -> None:
    assert evaluate(tmp_path, "build.iac-scanning", {"a.py": ""}).status is Status.NOT_APPLICABLE


def test_checkov_covers_every_kind(tmp_path: Path) -> None:
    ci = "on: push\njobs:\n  s:\n    steps:\n      - uses: bridgecrewio/checkov-action@v12\n"
    files = {"infra/main.tf": TF, "Dockerfile": DOCKERFILE, ".github/workflows/iac.yml": ci}
    result = evaluate(tmp_path, "build.iac-scanning", files)
    assert result.status is Status.PASS
    assert result.evidence == (
        "IaC: dockerfile (Dockerfile)",
        "IaC: terraform (infra/main.tf)",
        ".github/workflows/iac.yml:5: Checkov (bridgecrewio/checkov-action@v12)",
    )


def test_hadolint_alone_leaves_terraform_uncovered(tmp_path: Path) -> None:
    hooks = "repos:\n  - repo: https://github.com/hadolint/hadolint\n    hooks:\n      - id: hadolint\n"
    files = {"infra/main.tf": TF, "Dockerfile": DOCKERFILE, ".pre-commit-config.yaml": hooks}
    result = evaluate(tmp_path, "build.iac-scanning", files)
    assert result.status is Status.PARTIAL
    assert result.summary == "no IaC scanner covers: terraform"


def test_kubernetes_manifests_scanned_by_trivy_config(tmp_path: Path) -> None:
    manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec: {}\n"
    ci = """\
    on: push
    jobs:
      s:
        steps:
          - uses: aquasecurity/trivy-action@0.28.0
            with:
              scan-type: config
    """
    result = evaluate(
        tmp_path, "build.iac-scanning", {"k8s/web.yaml": manifest, ".github/workflows/s.yml": ci}
    )
    assert result.status is Status.PASS
    assert (
        result.evidence[-1]
        == ".github/workflows/s.yml:5: Trivy (aquasecurity/trivy-action@0.28.0 scan-type: config)"
    )


def test_iac_without_scanner_fails_and_config_alone_is_partial(tmp_path: Path) -> None:
    failing = evaluate(tmp_path / "a", "build.iac-scanning", {"main.tf": TF})
    assert failing.status is Status.FAIL
    assert failing.summary.startswith("IaC (terraform) is not scanned")
    partial = evaluate(
        tmp_path / "b", "build.iac-scanning", {"main.tf": TF, ".checkov.yaml": "framework: terraform\n"}
    )
    assert partial.status is Status.PARTIAL
    assert (
        partial.evidence[-1] == ".checkov.yaml: scanner configuration, but no CI or pre-commit step runs it"
    )


# -- build.sca ---------------------------------------------------------------------------------

DEPENDABOT = """\
version: 2
updates:
  - package-ecosystem: pip
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 14
"""


def test_sca_not_applicable_without_dependencies(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[tool.ruff]\nline-length = 100\n",
        "tests/fixtures/app/requirements.txt": "flask\n",
    }
    result = evaluate(tmp_path, "build.sca", files)
    assert result.status is Status.NOT_APPLICABLE


def test_dependabot_counts_as_dependency_scanning(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.sca", {**REQS, ".github/dependabot.yml": DEPENDABOT})
    assert result.status is Status.PASS
    assert result.evidence == (
        ".github/dependabot.yml:3: dependabot (pip, /) watches dependencies",
        build.DEPS_ENGINE,
    )


def test_npm_audit_in_ci_counts(tmp_path: Path) -> None:
    ci = "on: push\njobs:\n  a:\n    steps:\n      - run: npm audit --audit-level=high\n"
    files = {"package.json": '{"dependencies": {"express": "^4"}}', ".github/workflows/a.yml": ci}
    result = evaluate(tmp_path, "build.sca", files)
    assert result.status is Status.PASS
    assert result.evidence[0] == ".github/workflows/a.yml:5: npm audit --audit-level=high"


def test_dependabot_for_actions_only_does_not_scan_the_code_dependencies(tmp_path: Path) -> None:
    text = DEPENDABOT.replace("package-ecosystem: pip", "package-ecosystem: github-actions")
    result = evaluate(tmp_path, "build.sca", {**REQS, ".github/dependabot.yml": text})
    assert result.status is Status.FAIL


def test_manifests_without_scanner_fail(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.sca", REQS)
    assert result.status is Status.FAIL
    assert result.evidence == ("manifests: requirements.txt",)


# -- build.dependency-cooldown and its rules ---------------------------------------------------

MIXED = """\
version: 2
updates:
  - package-ecosystem: pip
    directory: /
    schedule:
      interval: weekly
    cooldown:
      default-days: 3
  - package-ecosystem: github-actions
    directory: /
    schedule:
      interval: monthly
"""


def _rules(result: PracticeResult) -> list[tuple[str, str, int | None, Severity]]:
    return [(f.rule_id, f.locations[0].path, f.locations[0].start_line, f.severity) for f in result.findings]


def test_cooldown_of_14_days_passes_without_findings(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.dependency-cooldown", {**REQS, ".github/dependabot.yml": DEPENDABOT})
    assert result.status is Status.PASS
    assert result.findings == ()
    assert result.evidence == (".github/dependabot.yml:8: dependabot cooldown default-days: 14 (14 days)",)


def test_short_and_missing_cooldowns_raise_rules_on_their_lines(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.dependency-cooldown", {**REQS, ".github/dependabot.yml": MIXED})
    assert result.status is Status.PARTIAL
    assert result.summary == "a cooldown exists but 1 setting(s) are under 14 days (shortest: 3 days)"
    assert _rules(result) == [
        ("BUILD-COOLDOWN-SHORT", ".github/dependabot.yml", 8, Severity.LOW),
        ("BUILD-COOLDOWN-MISSING", ".github/dependabot.yml", 9, Severity.MEDIUM),
    ]
    missing = result.findings[1]
    assert (
        missing.message
        == "dependabot (github-actions, /) proposes new releases as soon as they are published (no cooldown)"
    )
    assert missing.confidence is Confidence.HIGH
    assert missing.fix == build.COOLDOWN_MISSING.fix


def test_fingerprints_survive_line_shifts(tmp_path: Path) -> None:
    first = evaluate(tmp_path / "a", "build.dependency-cooldown", {**REQS, ".github/dependabot.yml": MIXED})
    shifted = "# comment\n\n" + MIXED
    second = evaluate(
        tmp_path / "b", "build.dependency-cooldown", {**REQS, ".github/dependabot.yml": shifted}
    )
    assert [f.fingerprint for f in first.findings] == [f.fingerprint for f in second.findings]
    assert [f.locations[0].start_line for f in second.findings] == [10, 11]


def test_update_tool_without_any_cooldown_fails(tmp_path: Path) -> None:
    text = MIXED.replace("    cooldown:\n      default-days: 3\n", "")
    result = evaluate(tmp_path, "build.dependency-cooldown", {**REQS, ".github/dependabot.yml": text})
    assert result.status is Status.FAIL
    assert result.summary == "update tools adopt new releases immediately (no cooldown)"
    assert _rules(result) == [
        ("BUILD-COOLDOWN-MISSING", ".github/dependabot.yml", 3, Severity.MEDIUM),
        ("BUILD-COOLDOWN-MISSING", ".github/dependabot.yml", 7, Severity.MEDIUM),
    ]


def test_no_update_tool_and_no_cooldown_fails_without_findings(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.dependency-cooldown", REQS)
    assert result.status is Status.FAIL
    assert result.summary.startswith("no cooldown: neither an update tool nor the package manager waits")
    assert result.findings == ()


def test_semver_only_cooldown_leaves_minor_and_patch_at_zero(tmp_path: Path) -> None:
    text = DEPENDABOT.replace("default-days: 14", "semver-major-days: 30")
    result = evaluate(tmp_path, "build.dependency-cooldown", {**REQS, ".github/dependabot.yml": text})
    assert result.status is Status.PARTIAL
    assert _rules(result) == [("BUILD-COOLDOWN-SHORT", ".github/dependabot.yml", 8, Severity.LOW)]


@pytest.mark.parametrize(
    ("path", "text", "status", "evidence"),
    [
        (
            "renovate.json",
            '{\n  "extends": ["config:recommended"],\n  "minimumReleaseAge": "3 weeks"\n}\n',
            Status.PASS,
            "renovate.json:3: renovate minimumReleaseAge: 3 weeks (21 days)",
        ),
        (
            ".github/renovate.json5",
            "{\n  // legacy\n  stabilityDays: 14,\n}\n",
            Status.PASS,
            ".github/renovate.json5:3: renovate stabilityDays: 14 (14 days)",
        ),
        (
            "renovate.json",
            '{\n  "extends": ["config:best-practices"]\n}\n',
            Status.PARTIAL,
            'renovate.json:2: renovate preset "config:best-practices" (npm only) (3 days)',
        ),
        (
            "pyproject.toml",
            '[project]\ndependencies = ["flask"]\n\n[tool.uv]\nexclude-newer = "14 days"\n',
            Status.PASS,
            "pyproject.toml:5: uv exclude-newer = '14 days' (14 days)",
        ),
        (
            "uv.toml",
            'exclude-newer = "P7D"\n',
            Status.PARTIAL,
            "uv.toml:1: uv exclude-newer = 'P7D' (7 days)",
        ),
        (
            "pnpm-workspace.yaml",
            "packages: ['.']\nminimumReleaseAge: 1440\n",
            Status.PARTIAL,
            "pnpm-workspace.yaml:2: pnpm minimumReleaseAge 1440 (1 day)",
        ),
        (".npmrc", "min-release-age=14\n", Status.PASS, ".npmrc:1: npm min-release-age 14 (14 days)"),
        (
            ".yarnrc.yml",
            "nodeLinker: node-modules\nnpmMinimalAgeGate: 3d\n",
            Status.PARTIAL,
            ".yarnrc.yml:2: yarn npmMinimalAgeGate 3d (3 days)",
        ),
        (
            "bunfig.toml",
            "[install]\nminimumReleaseAge = 1209600 # 14 days\n",
            Status.PASS,
            "bunfig.toml:2: bun minimumReleaseAge 1209600 (14 days)",
        ),
    ],
)
def test_cooldown_settings_of_every_tool(
    tmp_path: Path, path: str, text: str, status: Status, evidence: str
) -> None:
    result = evaluate(tmp_path, "build.dependency-cooldown", {**REQS, path: text})
    assert result.status is status
    assert result.evidence == (evidence,)


def test_short_package_manager_setting_raises_the_short_rule(tmp_path: Path) -> None:
    files = {**REQS, "pnpm-workspace.yaml": "packages: ['.']\nminimumReleaseAge: 1440\n"}
    result = evaluate(tmp_path, "build.dependency-cooldown", files)
    assert _rules(result) == [("BUILD-COOLDOWN-SHORT", "pnpm-workspace.yaml", 2, Severity.LOW)]


def test_renovate_in_package_json_without_cooldown_raises_missing_on_its_key(tmp_path: Path) -> None:
    package = (
        '{\n  "name": "x",\n  "dependencies": {"a": "1"},\n  "renovate": {"extends": ["config:base"]}\n}\n'
    )
    result = evaluate(tmp_path, "build.dependency-cooldown", {"package.json": package})
    assert result.status is Status.FAIL
    assert _rules(result) == [("BUILD-COOLDOWN-MISSING", "package.json", 4, Severity.MEDIUM)]


def test_uv_fixed_date_is_measured_from_head(tmp_path: Path) -> None:
    git_repo(tmp_path, {**REQS, "uv.toml": 'exclude-newer = "2026-08-01T00:00:00Z"\n'})
    result = run(tmp_path, "build.dependency-cooldown")
    assert result.status is Status.PASS
    assert result.evidence == (
        "uv.toml:1: uv exclude-newer = 2026-08-01T00:00:00Z, a fixed date, measured from HEAD's commit "
        "(31.4 days)",
    )


def test_invalid_pyproject_is_skipped(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.dependency-cooldown", {**REQS, "pyproject.toml": "[tool.uv\n"})
    assert result.status is Status.FAIL
    assert [s.path for s in result.skipped] == ["pyproject.toml"]


def test_cooldown_not_applicable_without_dependencies(tmp_path: Path) -> None:
    assert evaluate(tmp_path, "build.dependency-cooldown", {"a.md": ""}).status is Status.NOT_APPLICABLE


# -- build.dependency-freshness and build.component-health -------------------------------------


def test_weekly_dependabot_is_fresh(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.dependency-freshness", {**REQS, ".github/dependabot.yml": DEPENDABOT})
    assert result.status is Status.PASS
    assert result.evidence == (".github/dependabot.yml:3: dependabot (pip, /) updates weekly",)


def test_quarterly_schedule_is_partial(tmp_path: Path) -> None:
    text = DEPENDABOT.replace("weekly", "quarterly")
    result = evaluate(tmp_path, "build.dependency-freshness", {**REQS, ".github/dependabot.yml": text})
    assert result.status is Status.PARTIAL
    assert (
        result.summary == "1 update schedule(s) run less often than monthly: dependabot (pip, /) (quarterly)"
    )


def test_renovate_default_schedule_is_at_any_time(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.dependency-freshness", {**REQS, "renovate.json": "{}\n"})
    assert result.status is Status.PASS
    assert result.evidence == ("renovate.json:1: renovate updates at any time",)
    preset = evaluate(
        tmp_path / "b",
        "build.dependency-freshness",
        {**REQS, ".renovaterc": '{"extends": ["schedule:quarterly"]}'},
    )
    assert preset.status is Status.PARTIAL


def test_disabled_or_missing_update_tool_fails(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path, "build.dependency-freshness", {**REQS, "renovate.json": '{\n  "enabled": false\n}\n'}
    )
    assert result.status is Status.FAIL
    assert result.evidence == ("renovate.json:1: renovate is disabled",)
    assert (
        evaluate(tmp_path / "b", "build.dependency-freshness", {"a.md": ""}).status is Status.NOT_APPLICABLE
    )


def test_cron_interval(tmp_path: Path) -> None:
    text = DEPENDABOT.replace("interval: weekly", "interval: cron\n      cronjob: '0 9 * * 1'")
    result = evaluate(tmp_path, "build.dependency-freshness", {**REQS, ".github/dependabot.yml": text})
    assert result.status is Status.PASS
    assert result.evidence == (".github/dependabot.yml:3: dependabot (pip, /) updates cron 0 9 * * 1",)


def test_component_health_needs_registry_metadata(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.component-health", REQS)
    assert result.status is Status.UNKNOWN
    assert result.evidence == ("manifests: requirements.txt",)
    assert evaluate(tmp_path / "b", "build.component-health", {"a.md": ""}).status is Status.NOT_APPLICABLE


# -- the updates source ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("14 days", 14.0),
        ("3 weeks", 21.0),
        ("2w", 14.0),
        ("36 hours", 1.5),
        ("1 week 2 days", 9.0),
        ("P14D", 14.0),
        ("PT24H", 1.0),
        ("90 mins", 0.0625),
        ("1 month", 30.0),
        ("before 4am", None),
        ("soon", None),
        ("P", None),
    ],
)
def test_parse_duration_days(text: str, days: float | None) -> None:
    assert parse_duration_days(text) == days


@pytest.mark.parametrize(
    ("schedule", "monthly"),
    [
        (None, True),
        ("weekly", True),
        ("before 4am on monday", True),
        ("cron 0 9 * * 1", True),
        ("* 0-3 1 */3 *", False),
        ("quarterly", False),
        ("every 3 months on the first day of the month", False),
        ("on the first day of january", False),
    ],
)
def test_at_least_monthly(schedule: str | None, monthly: bool) -> None:
    assert at_least_monthly(schedule) is monthly
