"""The engine-backed evaluators: `build.sast` and `code.input-validation` keep the repository-content
evidence (SAST tools in CI, validation libraries) and add the SAST engine's findings."""

from __future__ import annotations

from pathlib import Path

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.sast.practices import EVALUATORS
from secloop.sources.repo import Repo
from tests.sast.conftest import FLASK, write

CI_BANDIT = """
on:
  pull_request:
jobs:
  sast:
    runs-on: ubuntu-latest
    steps:
      - run: bandit -r src
"""
VULNERABLE = (
    FLASK
    + """
import os

@app.route("/ping")
def ping():
    os.system("ping " + request.args["host"])
    return "ok"
"""
)
SAFE = (
    FLASK
    + """
import subprocess

@app.route("/ping")
def ping():
    subprocess.run(["ping", request.args["host"]], check=False)
    return "ok"
"""
)
TOOL = "def add(a, b):\n    return a + b\n"


def evaluate(root: Path, practice_id: str, files: dict[str, str]) -> PracticeResult:
    write(root, files)
    practice = next(p for p in load_catalog() if p.id == practice_id)
    return EVALUATORS[practice_id](Context(Repo(root), Config(), practice))


def ids(result: PracticeResult) -> list[tuple[str, str, int | None]]:
    return [(f.rule_id, f.primary.path, f.primary.start_line) for f in result.findings if f.primary]


# -- build.sast -------------------------------------------------------------------------------------


def test_sast_in_ci_and_no_serious_finding_passes(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path, "build.sast", {".github/workflows/ci.yml": CI_BANDIT, "src/app/util.py": TOOL}
    )
    assert result.status is Status.PASS
    assert result.summary == "no high or critical finding in 1 Python file"
    assert result.evidence[0] == ".github/workflows/ci.yml:7: bandit -r src"
    assert result.evidence[1] == "CI: a SAST tool runs in CI or pre-commit"
    assert result.evidence[2].endswith("secloop-taint: 1 Python file checked (src/app/util.py)")


def test_high_findings_fail_even_with_sast_in_ci(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path, "build.sast", {".github/workflows/ci.yml": CI_BANDIT, "src/app/web.py": VULNERABLE}
    )
    assert result.status is Status.FAIL
    assert result.summary == "2 high or critical findings in 1 Python file (1 critical, 1 high)"
    assert ids(result) == [
        ("SAST-PY-B605", "src/app/web.py", 10),
        ("SAST-PY-TAINT-CMD", "src/app/web.py", 10),
    ]


def test_no_sast_in_ci_but_clean_code_is_partial(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.sast", {"src/app/util.py": TOOL})
    assert result.status is Status.PARTIAL
    assert result.summary == (
        "no high or critical finding in 1 Python file, but no SAST tool runs in CI or pre-commit"
    )
    assert result.evidence[0] == "CI: no SAST tool runs; add `secloop scan sast`"


def test_without_python_the_ci_evaluator_decides(tmp_path: Path) -> None:
    result = evaluate(tmp_path, "build.sast", {"main.go": "package main\n", "tests/test_x.py": "assert 1\n"})
    assert result.status is Status.FAIL
    assert result.summary.startswith("no SAST tool (CodeQL, Semgrep, Bandit")
    assert result.findings == ()


# -- code.input-validation --------------------------------------------------------------------------


def test_request_data_reaching_a_sink_fails(tmp_path: Path) -> None:
    files = {"requirements.txt": "flask\npydantic\n", "src/app/web.py": VULNERABLE}
    result = evaluate(tmp_path, "code.input-validation", files)
    assert result.status is Status.FAIL
    assert result.summary == "1 request input reaches a dangerous call without validation (cmd)"
    assert result.evidence == (
        "requirements.txt:2: declares pydantic",
        "src/app/web.py:10:5: SAST-PY-TAINT-CMD Request data reaches a shell command: "
        "`os.system` gets request data from line 10",
    )
    assert ids(result) == [("SAST-PY-TAINT-CMD", "src/app/web.py", 10)]


def test_web_code_without_unvalidated_flows_passes(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path, "code.input-validation", {"requirements.txt": "flask\n", "src/app/web.py": SAFE}
    )
    assert result.status is Status.PASS
    assert result.summary.startswith("no request data reaches a SQL, command, code, path")
    assert result.summary.endswith("unvalidated in 1 web module (followed into helpers)")
    assert result.findings == ()


def test_no_web_code_keeps_the_library_evidence(tmp_path: Path) -> None:
    files = {"requirements.txt": "pydantic\n", "src/app/util.py": TOOL}
    result = evaluate(tmp_path, "code.input-validation", files)
    assert result.status is Status.PARTIAL
    assert result.evidence == (
        "requirements.txt:1: declares pydantic",
        "SAST engine: no Flask, Django or FastAPI code in 1 Python file",
    )
