"""Test-stage practices: automated tests run by CI, and negative authentication tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.enums import Status
from secloop.practices.evaluators import test as test_stage
from secloop.sources.repo import Repo
from tests.practices._repo_helpers_a import evaluate, practices, write

CI_PYTEST = (
    "on: pull_request\njobs:\n  t:\n    steps:\n      - run: pip install pytest\n      - run: pytest -q\n"
)


def test_catalog_entries_of_the_test_stage() -> None:
    assert {p for p in practices() if p.startswith("test.")} == set(test_stage.EVALUATORS)
    assert "WSTG-ATHZ-02" in practices()["test.negative-auth"].reference


# -- test.automated ----------------------------------------------------------------------------


def test_ci_running_pytest_passes(tmp_path: Path) -> None:
    files = {".github/workflows/ci.yml": CI_PYTEST, "tests/test_app.py": "def test_x() -> None: ...\n"}
    result = evaluate(tmp_path, "test.automated", files)
    assert result.status is Status.PASS
    assert result.evidence == (
        ".github/workflows/ci.yml:6: pytest -q",
        "1 test file(s), e.g. tests/test_app.py",
    )


def test_make_target_is_followed_to_the_test_runner(tmp_path: Path) -> None:
    files = {
        ".gitlab-ci.yml": "test:\n  script:\n    - make check\n",
        "Makefile": "check: unit\nunit:\n\tgo test ./...\n",
        "pkg/x_test.go": "package pkg\n",
    }
    result = evaluate(tmp_path, "test.automated", files)
    assert result.status is Status.PASS
    assert result.evidence[:2] == (
        ".gitlab-ci.yml:3: make check",
        ".gitlab-ci.yml:3 via Makefile:3: go test ./...",
    )


def test_azure_task_with_test_command_counts(tmp_path: Path) -> None:
    azure = "steps:\n  - task: DotNetCoreCLI@2\n    inputs:\n      command: test\n"
    result = evaluate(tmp_path, "test.automated", {"azure-pipelines.yml": azure})
    assert result.status is Status.PASS
    assert result.evidence == ("azure-pipelines.yml:2: DotNetCoreCLI@2 command: test",)


def test_tests_without_ci_are_partial(tmp_path: Path) -> None:
    files = {"web/app.spec.ts": "it('x', () => {})\n", "src/app.ts": "export const x = 1\n"}
    result = evaluate(tmp_path, "test.automated", files)
    assert result.status is Status.PARTIAL
    assert result.summary == "1 test file(s) exist but no CI configuration"
    assert result.evidence == ("tests: web/app.spec.ts",)


def test_precommit_tests_are_not_ci(tmp_path: Path) -> None:
    files = {
        ".github/workflows/lint.yml": "on: push\njobs:\n  l:\n    steps:\n      - run: ruff check\n",
        ".pre-commit-config.yaml": "repos:\n  - repo: local\n    hooks:\n      - id: pytest\n",
        "test_app.py": "",
    }
    result = evaluate(tmp_path, "test.automated", files)
    assert result.status is Status.PARTIAL
    assert result.summary == "1 test file(s) exist but no CI step runs a test command"


def test_code_without_tests_fails_and_no_code_is_not_applicable(tmp_path: Path) -> None:
    failing = evaluate(tmp_path / "a", "test.automated", {"src/app.py": "x = 1\n"})
    assert failing.status is Status.FAIL
    assert failing.summary == "no automated tests: no test files and no test command in CI"
    assert evaluate(tmp_path / "b", "test.automated", {"README.md": ""}).status is Status.NOT_APPLICABLE


@pytest.mark.parametrize(
    "path",
    [
        "tests/unit/helpers.py",
        "pkg/a_test.go",
        "src/test/java/AppTest.java",
        "spec/user_spec.rb",
        "x.test.js",
    ],
)
def test_test_file_patterns(tmp_path: Path, path: str) -> None:
    assert test_stage.find_test_files(Repo(write(tmp_path, {path: "", "node_modules/m/t.test.js": ""}))) == [
        path
    ]


# -- test.negative-auth ------------------------------------------------------------------------


def test_not_a_web_application_is_not_applicable(tmp_path: Path) -> None:
    files = {"requirements.txt": "click\n", "cli.py": "import click\n"}
    result = evaluate(tmp_path, "test.negative-auth", files)
    assert result.status is Status.NOT_APPLICABLE


def test_assertion_of_401_passes_with_its_line(tmp_path: Path) -> None:
    files = {
        "requirements.txt": "flask==3.0\n",
        "app.py": "from flask import Flask\napp = Flask(__name__)\n\n@app.get('/orders')\ndef f(): ...\n",
        "tests/test_auth.py": """\
        def test_orders_need_login(client) -> None:
            response = client.get("/orders")
            assert response.status_code == 401
        """,
    }
    result = evaluate(tmp_path, "test.negative-auth", files)
    assert result.status is Status.PASS
    assert result.evidence == (
        "tests/test_auth.py:3: assert response.status_code == 401",
        "web framework: requirements.txt:1: flask==3.0",
        "app.py:4: HTTP route (@app.get('/orders'))",
    )


@pytest.mark.parametrize(
    "line",
    [
        "assert r.status_code == status.HTTP_403_FORBIDDEN",
        "await request(app).get('/admin').expect(401)",
        "expect(res.status).toBe(403)",
        "if resp.StatusCode != http.StatusUnauthorized {",
        'mockMvc.perform(get("/a")).andExpect(status().isForbidden());',
        "assert_response :unauthorized  # Unauthorized",
    ],
)
def test_negative_auth_assertion_forms(tmp_path: Path, line: str) -> None:
    files = {"package.json": '{"dependencies": {"express": "^4"}}', "test/auth.test.js": line + "\n"}
    result = evaluate(tmp_path, "test.negative-auth", files)
    assert result.status is Status.PASS
    assert result.evidence[0] == f"test/auth.test.js:1: {line}"


def test_web_app_without_negative_tests_fails(tmp_path: Path) -> None:
    files = {
        "go.mod": "module x\n",
        "main.go": 'package main\n\nfunc main() {\n\thttp.HandleFunc("/", h)\n}\n',
        "main_test.go": "package main\n// checks 200\n",
    }
    result = evaluate(tmp_path, "test.negative-auth", files)
    assert result.status is Status.FAIL
    assert result.summary == (
        "a web application, but none of 1 test file(s) asserts a 401/403 for an unauthenticated "
        "or unauthorised request"
    )
    assert result.evidence == ('main.go:4: HTTP route (http.HandleFunc("/", h))',)


def test_web_app_without_tests_fails(tmp_path: Path) -> None:
    files = {"pyproject.toml": '[project]\ndependencies = ["fastapi"]\n', "src/api.py": "x = 1\n"}
    result = evaluate(tmp_path, "test.negative-auth", files)
    assert result.status is Status.FAIL
    assert "there are no tests asserting a 401/403" in result.summary
