"""The engine-backed `monitor.failed-logon-metrics` evaluator and its rules."""

from __future__ import annotations

from pathlib import Path

from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.monitor.practices import EVALUATORS
from secloop.monitor.rules import RULES
from tests.practices._repo import evaluate_with, stage_practices, write

LOGON = "monitor.failed-logon-metrics"
DOCKER = {"Dockerfile": "FROM python:3.12-slim\n"}
ALL = "brute-force, credential-stuffing, password-spraying, success-after-failures, account-lockout, "
ALL += "authz-failure-burst, impossible-travel"
MONITOR = (
    '[[sources]]\npath = "/var/log/auth.log"\nformat = "syslog"\n\n[exporter]\nlisten = "127.0.0.1:9465"\n'
)


def evaluate(tmp_path: Path, files: dict[str, str]) -> PracticeResult:
    return evaluate_with(EVALUATORS, stage_practices(("monitor",)), write(tmp_path, files), LOGON)


def test_rules_are_declared_once_with_distinct_ids() -> None:
    assert [r.id for r in RULES] == [
        "MONITOR-CONFIG-INVALID",
        "MONITOR-DETECTION-DISABLED",
        "MONITOR-BRUTE-FORCE-LAX",
    ]


def test_monitor_config_with_exporter_passes(tmp_path: Path) -> None:
    result = evaluate(tmp_path, {".secloop/monitor.toml": MONITOR})
    assert (result.status, result.summary, result.findings) == (
        Status.PASS, "secloop monitor turns auth logs into metrics", (),
    )  # fmt: skip
    assert result.evidence == (
        ".secloop/monitor.toml: monitors /var/log/auth.log (syslog)",
        ".secloop/monitor.toml: exporter listens on 127.0.0.1:9465",
        f".secloop/monitor.toml: 7 detection(s) enabled: {ALL}",
    )


def test_exporter_run_by_a_unit_file_counts(tmp_path: Path) -> None:
    unit = "[Service]\nExecStart=/usr/bin/secloop monitor follow /var/log/auth.log --serve-metrics 9465\n"
    result = evaluate(tmp_path, {".secloop/monitor.toml": "", "deploy/secloop-monitor.service": unit})
    assert result.status is Status.PASS
    command = "ExecStart=/usr/bin/secloop monitor follow /var/log/auth.log --serve-metrics 9465"
    assert result.evidence[:2] == (
        f"deploy/secloop-monitor.service:2: collects {command[:80]}",
        f"deploy/secloop-monitor.service:2: {command[:80]}",
    )


def test_detections_without_exporter_are_partial(tmp_path: Path) -> None:
    result = evaluate(tmp_path, {".secloop/monitor.toml": 'timezone = "UTC"\n'})
    assert (result.status, result.summary) == (
        Status.PARTIAL, "detections are configured, but no exporter publishes the security metrics",
    )  # fmt: skip
    assert result.evidence == (f".secloop/monitor.toml: 7 detection(s) enabled: {ALL}",)


def test_collected_auth_logs_alone_are_partial(tmp_path: Path) -> None:
    promtail = "scrape_configs:\n  - job_name: auth\n    static_configs:\n      - labels:\n"
    promtail += "          __path__: /var/log/auth.log\n"
    result = evaluate(tmp_path, {**DOCKER, "ops/promtail.yaml": promtail})
    assert (result.status, result.summary) == (
        Status.PARTIAL, "auth logs are collected, but no failed-logon metric or detection is kept here",
    )  # fmt: skip
    assert result.evidence == ("ops/promtail.yaml:5: collects __path__: /var/log/auth.log",)


def test_app_signals_still_pass_without_monitor(tmp_path: Path) -> None:
    code = "def login(request):\n    if bad:\n        FAILED_LOGINS.inc()\n"
    result = evaluate(tmp_path, {**DOCKER, "app/views.py": code})
    assert result.status is Status.PASS
    assert result.evidence == ("app/views.py:3: failed logon recorded (FAILED_LOGINS.inc())",)


def test_auth_surface_without_anything_fails(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path, {**DOCKER, "app/auth.py": "def login(request):\n    return verify_password(x)\n"}
    )
    assert result.status is Status.FAIL
    assert result.evidence[0] == "authentication surface: app/auth.py:1: def login(request):"


def test_nothing_to_monitor_is_not_applicable(tmp_path: Path) -> None:
    result = evaluate(
        tmp_path, {"pyproject.toml": "[project]\nname = 'lib'\n", "src/lib/__init__.py": "X = 1\n"}
    )
    assert result.status is Status.NOT_APPLICABLE


# -- rules: one positive and one negative each ---------------------------------------------------


def test_config_invalid_positive(tmp_path: Path) -> None:
    result = evaluate(tmp_path, {".secloop/monitor.toml": "[detections.port-scan]\nthreshold = 3\n"})
    assert result.status is Status.FAIL
    [finding] = result.findings
    assert (finding.rule_id, str(finding.primary)) == ("MONITOR-CONFIG-INVALID", ".secloop/monitor.toml:1")
    assert finding.message.startswith("option 'detections': Value error, unknown detection 'port-scan'")


def test_config_invalid_negative(tmp_path: Path) -> None:
    result = evaluate(tmp_path, {".secloop/monitor.toml": "[detections.brute-force]\nthreshold = 3\n"})
    assert [f.rule_id for f in result.findings] == []


def test_detection_disabled_positive(tmp_path: Path) -> None:
    text = MONITOR + "\n[detections.password-spraying]\nenabled = false\n"
    result = evaluate(tmp_path, {".secloop/monitor.toml": text})
    assert (result.status, result.summary) == (
        Status.PARTIAL, "secloop monitor turns auth logs into metrics, but the monitor config has problems",
    )  # fmt: skip
    [finding] = result.findings
    assert (finding.rule_id, str(finding.primary), finding.message) == (
        "MONITOR-DETECTION-DISABLED",
        ".secloop/monitor.toml:8",
        "detection 'password-spraying' is turned off: attacks of this kind raise no alert",
    )


def test_detection_disabled_negative(tmp_path: Path) -> None:
    text = MONITOR + "\n[detections.password-spraying]\nenabled = true\nthreshold = 10\n"
    assert evaluate(tmp_path, {".secloop/monitor.toml": text}).findings == ()


def test_brute_force_lax_positive(tmp_path: Path) -> None:
    text = MONITOR + '\n[detections.brute-force]\nseverity = "medium"\nthreshold = 50\nwindow = "10m"\n'
    [finding] = evaluate(tmp_path, {".secloop/monitor.toml": text}).findings
    assert (finding.rule_id, str(finding.primary), finding.severity.value) == (
        "MONITOR-BRUTE-FORCE-LAX", ".secloop/monitor.toml:10", "medium",
    )  # fmt: skip
    assert finding.message == (
        "brute-force alerts only after 50 failures in 600 s (300 per hour on one account;"
        " ASVS V2.2.1 allows at most 100)"
    )


def test_brute_force_lax_negative(tmp_path: Path) -> None:
    text = MONITOR + '\n[detections.brute-force]\nthreshold = 100\nwindow = "1h"\n'
    assert evaluate(tmp_path, {".secloop/monitor.toml": text}).findings == ()
