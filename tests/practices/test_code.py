"""Code-stage practices: branch protection, review (with git history), secrets, validation, logging."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.enums import Status
from secloop.practices.evaluators import code
from secloop.sources.history import Commit, LandingStats, first_parent_log, landing_stats
from secloop.sources.repo import Repo
from tests.practices._repo_helpers_a import (
    commit,
    evaluate,
    git,
    git_repo,
    merge_branch,
    practices,
    run,
    write,
)

API = "needs a GitHub/GitLab token; secloop posture"


def test_catalog_entries_of_the_code_stage() -> None:
    assert {p for p in practices() if p.startswith("code.")} == set(code.EVALUATORS)
    assert practices()["code.secrets"].engine == "secrets"
    assert "OpenSSF Scorecard: Branch-Protection" in practices()["code.branch-protection"].reference


# -- code.branch-protection --------------------------------------------------------------------


def test_branch_protection_is_unknown_without_the_api(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "code.branch-protection", {"README.md": "x\n"})
    assert result.status is Status.UNKNOWN
    assert result.summary == f"branch protection lives in the host's settings: {API}"
    assert result.evidence == ()


def test_codeowners_is_a_hint_not_a_decision(tmp_path: Path) -> None:
    files = {".github/CODEOWNERS": "# owners\n* @org/team\n"}
    result = evaluate(tmp_path, "code.branch-protection", files)
    assert result.status is Status.UNKNOWN
    assert result.evidence == (
        ".github/CODEOWNERS: code owners are declared "
        "(reviews by them need branch protection to be required)",
    )


SETTINGS = """\
repository:
  name: app
branches:
  - name: main
    protection:
      required_pull_request_reviews:
        required_approving_review_count: 1
      required_status_checks: {strict: true, contexts: [ci]}
      enforce_admins: true
      restrictions: null
      required_linear_history: true
  - name: old
    protection: null
"""


def test_settings_yml_branch_protection_is_partial(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "code.branch-protection", {".github/settings.yml": SETTINGS})
    assert result.status is Status.PARTIAL
    assert result.evidence == (
        ".github/settings.yml:6: protects 'main' (required_pull_request_reviews, required_status_checks, "
        "enforce_admins, restrictions)",
    )
    assert result.summary == (
        "branch protection is declared in the repository; confirming that the host enforces it "
        "needs a GitHub/GitLab token; secloop posture"
    )


def test_terraform_branch_protection_is_partial(tmp_path: Path) -> None:
    tf = 'resource "github_branch_protection" "main" {\n  pattern = "main"\n}\n'
    result = evaluate(tmp_path, "code.branch-protection", {"infra/github.tf": tf})
    assert result.status is Status.PARTIAL
    assert result.evidence == ('infra/github.tf:1: resource "github_branch_protection" "main" {',)


def test_invalid_settings_yml_is_skipped(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "code.branch-protection", {".github/settings.yml": "branches: [\n"})
    assert result.status is Status.UNKNOWN
    assert [(s.path, s.line) for s in result.skipped] == [(".github/settings.yml", 2)]


# -- code.review and the history source --------------------------------------------------------


def test_review_without_git_or_codeowners_is_unknown(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "code.review", {"a.py": ""})
    assert result.status is Status.UNKNOWN
    assert result.summary == f"too little history and no CODEOWNERS to judge; {API}"
    assert result.evidence == ("git history: not a git repository, or no commits",)


def test_codeowners_makes_review_partial_never_pass(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "code.review", {"CODEOWNERS": "* @alice\n"})
    assert result.status is Status.PARTIAL
    assert result.summary == (
        f"CODEOWNERS requests reviews; pass needs the host API to confirm that approvals are required ({API})"
    )
    assert result.evidence[0] == "CODEOWNERS: code owners are requested as reviewers"


def test_direct_pushes_without_codeowners_fail(tmp_path: Path) -> None:
    git_repo(tmp_path, {"a.py": ""})
    for i in range(24):
        commit(tmp_path, f"change {i}")
    merge_branch(tmp_path, "feature", "Merge branch 'feature'")
    result = run(tmp_path, "code.review")
    assert result.status is Status.FAIL
    assert result.evidence == (
        "git history: 0/26 of the last changes on HEAD's first-parent line came through a pull/merge "
        "request (0%)",
    )


def test_pull_request_merges_make_review_partial(tmp_path: Path) -> None:
    git_repo(tmp_path, {"a.py": ""})
    merge_branch(tmp_path, "f1", "Merge pull request #1 from org/f1")
    commit(tmp_path, "Add login (#2)")
    result = run(tmp_path, "code.review")
    assert result.status is Status.PARTIAL
    assert result.summary.startswith("most changes land through pull requests;")
    assert result.evidence == (
        "git history: 2/3 of the last changes on HEAD's first-parent line came through a pull/merge "
        "request (67%)",
    )


def test_history_reads_first_parent_line(tmp_path: Path) -> None:
    assert first_parent_log(Repo(write(tmp_path / "plain", {"a": ""}))) is None
    git_repo(tmp_path / "g", {"a": ""})
    merge_branch(tmp_path / "g", "f", "Merge branch 'f' into 'main'")
    git(
        tmp_path / "g",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "Merge branch 'x'",
        "-m",
        "See merge request grp/app!42",
    )
    commits = first_parent_log(Repo(tmp_path / "g"))
    assert commits is not None
    assert [(c.parents, c.subject, c.pull_request_marker) for c in commits] == [
        (1, "Merge branch 'x'", "GitLab merge request"),
        (2, "Merge branch 'f' into 'main'", None),
        (0, "init", None),
    ]
    assert landing_stats(commits) == LandingStats(total=3, via_pull_request=1, merges=1)


@pytest.mark.parametrize(
    ("subject", "marker"),
    [
        ("Merge pull request #12 from a/b", "GitHub merge"),
        ("Fix parser (#345)", "squash merge"),
        ("Merged in feature/x (pull request #7)", "Bitbucket pull request"),
        ("Merged PR 99: add cache", "Azure DevOps pull request"),
        ("Fix #12 in parser", None),
    ],
)
def test_pull_request_markers(subject: str, marker: str | None) -> None:
    assert Commit("0" * 40, 1, subject).pull_request_marker == marker


def test_landing_stats_of_no_commits() -> None:
    assert landing_stats(()).ratio == 0.0


# -- code.secrets and code.push-protection -----------------------------------------------------

PRECOMMIT_GITLEAKS = """\
repos:
  - repo: https://github.com/pre-commit/pre-commit-hooks
    rev: v4.6.0
    hooks:
      - id: trailing-whitespace
  - repo: https://github.com/gitleaks/gitleaks
    rev: v8.18.0
    hooks:
      - id: gitleaks
"""


SECRETS_WORKFLOW = "jobs:\n  s:\n    steps:\n      - uses: trufflesecurity/trufflehog@v3\n"


def test_secrets_is_unknown_and_lists_scanning_config(tmp_path: Path) -> None:
    files = {
        ".gitleaks.toml": "title = 'x'\n",
        ".pre-commit-config.yaml": PRECOMMIT_GITLEAKS,
        ".github/workflows/secrets.yml": SECRETS_WORKFLOW,
    }
    result = evaluate(tmp_path, "code.secrets", files)
    assert result.status is Status.UNKNOWN
    assert result.summary == "the secrets engine is not available yet"
    assert result.evidence == (
        ".gitleaks.toml: secret-scanning configuration",
        ".github/workflows/secrets.yml:4: CI runs trufflesecurity/trufflehog@v3",
        ".pre-commit-config.yaml:9: pre-commit hook gitleaks",
    )


def test_precommit_secret_hook_makes_push_protection_partial(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "code.push-protection", {".pre-commit-config.yaml": PRECOMMIT_GITLEAKS})
    assert result.status is Status.PARTIAL
    assert result.evidence == (
        ".pre-commit-config.yaml:9: pre-commit hook 'gitleaks' (https://github.com/gitleaks/gitleaks)",
    )
    assert "server-side push protection needs the host API" in result.summary


def test_husky_hook_with_a_secret_scanner_counts(tmp_path: Path) -> None:
    files = {".husky/pre-commit": "#!/bin/sh\nnpx lint-staged\ngitleaks protect --staged\n"}
    result = evaluate(tmp_path, "code.push-protection", files)
    assert result.status is Status.PARTIAL
    assert result.evidence == (".husky/pre-commit:3: gitleaks protect --staged",)


def test_precommit_without_secret_hook_fails(tmp_path: Path) -> None:
    text = PRECOMMIT_GITLEAKS.split("  - repo: https://github.com/gitleaks")[0]
    result = evaluate(tmp_path, "code.push-protection", {".pre-commit-config.yaml": text})
    assert result.status is Status.FAIL
    assert result.summary.startswith(
        "no client-side secret scanning before commit or push "
        "(.pre-commit-config.yaml has no secret-scanning hook)"
    )


def test_no_hooks_at_all_fails(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "code.push-protection", {"a.py": ""})
    assert result.status is Status.FAIL
    assert "(no .pre-commit-config.yaml)" in result.summary


# -- code.input-validation ---------------------------------------------------------------------


def test_input_validation_not_applicable_without_code(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "code.input-validation", {"README.md": "x\n", "tests/test_a.py": ""})
    assert result.status is Status.NOT_APPLICABLE


def test_declared_validation_library_is_partial(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "x"\ndependencies = [\n  "pydantic>=2.10",\n  "httpx",\n]\n',
        "web/package.json": '{\n  "dependencies": {\n    "zod": "^3.23.0"\n  }\n}\n',
        "src/app.py": "import pydantic\n",
    }
    result = evaluate(tmp_path, "code.input-validation", files)
    assert result.status is Status.PARTIAL
    assert result.evidence == ("pyproject.toml:4: declares pydantic", "web/package.json:3: declares zod")


def test_django_forms_in_source_count(tmp_path: Path) -> None:
    files = {"requirements.txt": "django==5.1\n", "app/forms.py": "from django import forms\n"}
    result = evaluate(tmp_path, "code.input-validation", files)
    assert result.status is Status.PARTIAL
    assert result.evidence == ("app/forms.py:1: uses from django import forms",)


def test_no_validation_library_is_unknown(tmp_path: Path) -> None:
    files = {"requirements.txt": "pydantic-settings==2.0\nflask\n", "app.py": "import flask\n"}
    result = evaluate(tmp_path, "code.input-validation", files)
    assert result.status is Status.UNKNOWN
    assert "needs the SAST engine" in result.summary
    assert result.evidence == ("dependency manifests read: requirements.txt",)


# -- code.logging ------------------------------------------------------------------------------


def test_logging_not_applicable_without_code(tmp_path: Path) -> None:
    assert evaluate(tmp_path, "code.logging", {"docs/a.md": ""}).status is Status.NOT_APPLICABLE


def test_logging_used_passes(tmp_path: Path) -> None:
    files = {
        "src/app.py": '"""app"""\nimport logging\n',
        "src/util.py": "x = 1\n",
        "web/server.ts": "import pino from 'pino'\n",
        "cmd/main.go": 'package main\n\nimport (\n\t"log/slog"\n)\n',
    }
    result = evaluate(tmp_path, "code.logging", files)
    assert result.status is Status.PASS
    assert result.evidence == (
        "logging used in 3 of 4 application source files",
        "src/app.py:2: import logging",
        "web/server.ts:1: import pino from 'pino'",
        'cmd/main.go:4: "log/slog"',
    )


def test_code_without_logging_fails(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "code.logging", {"src/app.py": "print('hi')\n"})
    assert result.status is Status.FAIL
    assert result.summary == "no logging library is used in 1 application source file(s)"
    assert result.evidence == ("application source, e.g. src/app.py",)
