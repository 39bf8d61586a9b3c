from __future__ import annotations

from pathlib import Path

from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.probe.practices import EVALUATORS
from tests.practices._repo import evaluate_with, stage_practices, write
from tests.probe.conftest import SPEC

NEGATIVE = "test.negative-auth"
SCANNING = "operate.production-scanning"
APP = {
    "requirements.txt": "fastapi==0.110.0\n",
    "app/main.py": (
        "from fastapi import FastAPI\napp = FastAPI()\n\n@app.get('/items')\ndef items():\n    return []\n"
    ),
    "Dockerfile": "FROM python:3.12-slim\n",
}
PROBE_CONFIG = "allow_hosts: [staging.example.org]\nrate: 5\nmax_requests: 200\n"


def _workflow(trigger: str) -> str:
    return (
        f"name: probe\non:\n{trigger}\njobs:\n  probe:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: secloop probe https://staging.example.org --openapi openapi.yaml --config probe.yml\n"
    )


SCHEDULED = _workflow("  schedule:\n    - cron: '0 3 * * *'")
ON_PUSH = _workflow("  push:\n    branches: [main]")


def _evaluate(root: Path, practice: str, files: dict[str, str]) -> PracticeResult:
    write(root, files)
    stage = practice.split(".")[0]
    return evaluate_with(EVALUATORS, stage_practices((stage,)), root, practice)


def test_negative_auth_passes_with_a_probe_step(tmp_path: Path) -> None:
    files = {
        **APP,
        ".github/workflows/probe.yml": ON_PUSH,
        "probe.yml": PROBE_CONFIG,
        "openapi.yaml": SPEC.read_text(),
    }
    result = _evaluate(tmp_path, NEGATIVE, files)
    assert result.status is Status.PASS and result.findings == ()
    assert (
        result.summary
        == "CI probes every secured operation without, with malformed and with expired credentials"
    )
    assert result.evidence[:3] == (
        ".github/workflows/probe.yml:6: job 'probe' runs `secloop probe` against https://staging.example.org "
        "on push to main",
        "probe.yml: probe configuration (hosts: staging.example.org; 5 req/s, at most 200 requests)",
        "openapi.yaml: 7 of 9 operation(s) declare security",
    )


def test_negative_auth_fails_without_tests_or_probe(tmp_path: Path) -> None:
    result = _evaluate(tmp_path, NEGATIVE, {**APP, "openapi.yaml": SPEC.read_text()})
    assert result.status is Status.FAIL
    assert result.summary.endswith("; no `secloop probe` step in CI either")
    assert result.evidence[0] == "openapi.yaml: 7 of 9 operation(s) declare security"


def test_negative_auth_keeps_test_assertions(tmp_path: Path) -> None:
    files = {
        **APP,
        "tests/test_auth.py": "def test_anon(client):\n    assert client.get('/items').status_code == 401\n",
    }
    result = _evaluate(tmp_path, NEGATIVE, files)
    assert result.status is Status.PASS
    assert result.evidence[0].startswith("tests/test_auth.py:2:")


def test_invalid_probe_config_is_a_finding(tmp_path: Path) -> None:
    files = {**APP, ".github/workflows/probe.yml": ON_PUSH, "probe.yml": "rate: fast\n"}
    result = _evaluate(tmp_path, NEGATIVE, files)
    assert result.status is Status.PARTIAL
    assert [(f.rule_id, str(f.primary), f.message) for f in result.findings] == [
        (
            "PROBE-CONFIG-INVALID",
            "probe.yml:1",
            "probe configuration does not validate: `rate` must be a positive number",
        )
    ]


def test_negative_auth_not_applicable_without_web_app(tmp_path: Path) -> None:
    result = _evaluate(tmp_path, NEGATIVE, {"README.md": "docs\n"})
    assert result.status is Status.NOT_APPLICABLE


def test_scheduled_probe_is_production_scanning(tmp_path: Path) -> None:
    files = {**APP, ".github/workflows/probe.yml": SCHEDULED, "probe.yml": PROBE_CONFIG}
    result = _evaluate(tmp_path, SCANNING, files)
    assert result.status is Status.PASS
    assert result.summary == "job 'probe' probes the running service on a schedule"
    assert result.evidence[0] == (
        ".github/workflows/probe.yml:6: job 'probe' runs `secloop probe` against https://staging.example.org "
        "on schedule"
    )


def test_probe_only_on_push_is_not_production_scanning(tmp_path: Path) -> None:
    files = {**APP, ".github/workflows/probe.yml": ON_PUSH}
    result = _evaluate(tmp_path, SCANNING, files)
    assert result.status is Status.FAIL
    assert (
        result.summary == "no scheduled scan of what runs in production: `secloop probe` runs only on changes"
    )


def test_scheduled_probe_with_broken_config_is_partial(tmp_path: Path) -> None:
    files = {**APP, ".github/workflows/probe.yml": SCHEDULED, "probe.yml": "methods: [FETCH]\n"}
    result = _evaluate(tmp_path, SCANNING, files)
    assert result.status is Status.PARTIAL
    assert [f.rule_id for f in result.findings] == ["PROBE-CONFIG-INVALID"]


def test_scanning_without_probe_keeps_the_content_verdict(tmp_path: Path) -> None:
    result = _evaluate(tmp_path, SCANNING, dict(APP))
    assert result.status is Status.FAIL
    assert result.summary == "no scheduled scan of what runs in production"
