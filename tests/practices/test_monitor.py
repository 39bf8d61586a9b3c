"""Monitor-stage practices: metrics, failed-logon signals, alert rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.core.enums import Status
from secloop.practices.evaluators.monitor import EVALUATORS
from secloop.sources.manifests import NOTHING_DEPLOYABLE
from tests.practices._repo_helpers_b import evaluate, practices

LIBRARY = {"pyproject.toml": "[project]\nname = 'lib'\n", "src/lib/__init__.py": "VALUE = 1\n"}
DOCKER = {"Dockerfile": "FROM python:3.12-slim\n"}


def test_every_practice_of_the_stage_has_an_evaluator() -> None:
    assert {p for p in practices() if p.startswith("monitor.")} == set(EVALUATORS)


# -- monitor.metrics -----------------------------------------------------------------------------

METRICS = "monitor.metrics"


@pytest.mark.parametrize(
    ("path", "text", "evidence"),
    [
        (
            "app/metrics.py",
            "import os\nfrom prometheus_client import Counter\n",
            "app/metrics.py:2: uses Prometheus client (from prometheus_client import Counter)",
        ),
        (
            "svc/main.go",
            'package main\n\nimport (\n\t"fmt"\n\t"go.opentelemetry.io/otel/metric"\n)\n',
            'svc/main.go:5: uses OpenTelemetry ("go.opentelemetry.io/otel/metric")',
        ),
        (
            "web/stats.js",
            "const StatsD = require('hot-shots')\n",
            "web/stats.js:1: uses StatsD (const StatsD = require('hot-shots'))",
        ),
        (
            "pom.xml",
            "<project>\n  <artifactId>micrometer-registry-prometheus</artifactId>\n</project>\n",
            "pom.xml:2: depends on Micrometer (<artifactId>micrometer-registry-prometheus</artifactId>)",
        ),
    ],
)
def test_metrics_pass_on_an_sdk(tmp_path: Path, path: str, text: str, evidence: str) -> None:
    files = {**DOCKER, "app/main.py": "print('hi')\n", path: text}
    result = evaluate(tmp_path, METRICS, files)
    assert result.status is Status.PASS
    assert result.evidence == (evidence,)


def test_metrics_fail_for_an_application_without_an_sdk(tmp_path: Path) -> None:
    result = evaluate(tmp_path, METRICS, {**DOCKER, "app/main.py": "# TODO: prometheus_client\n"})
    assert result.status is Status.FAIL
    assert result.summary == "the application emits no metrics through a known SDK"
    assert result.evidence == (
        "application code: 1 source files (deployable)",
        "looked for: Prometheus client, OpenTelemetry, StatsD, Datadog, Micrometer",
    )


def test_metrics_not_applicable_without_application_code(tmp_path: Path) -> None:
    library = evaluate(tmp_path / "lib", METRICS, LIBRARY)
    assert library.status is Status.NOT_APPLICABLE
    assert library.summary.startswith("a library, not a running application")
    image_only = evaluate(tmp_path / "img", METRICS, DOCKER)
    assert image_only.status is Status.NOT_APPLICABLE
    assert image_only.summary == "no application source code outside tests, docs and scripts"


# -- monitor.failed-logon-metrics ----------------------------------------------------------------

LOGON = "monitor.failed-logon-metrics"

VIEWS_WITH_SIGNAL = """\
FAILED_LOGINS = Counter("failed_logins_total", "Failed logons")


def login(request):
    user = find(request)
    if not user.check_password(request.POST["password"]):
        FAILED_LOGINS.inc()
        logger.warning("login_failed", extra={"user": user.id})
        return deny()
"""


def test_failed_logon_metric_and_log_pass(tmp_path: Path) -> None:
    result = evaluate(tmp_path, LOGON, {**DOCKER, "app/views.py": VIEWS_WITH_SIGNAL})
    assert result.status is Status.PASS
    assert result.summary == "failed logons are counted or logged"
    assert result.evidence == (
        "app/views.py:1: failed logon recorded "
        '(FAILED_LOGINS = Counter("failed_logins_total", "Failed logons"))',
        "app/views.py:7: failed logon recorded (FAILED_LOGINS.inc())",
        'app/views.py:8: failed logon recorded (logger.warning("login_failed", extra={"user": user.id}))',
    )


def test_failed_logon_signal_may_sit_two_lines_away(tmp_path: Path) -> None:
    code = "const reason = 'auth.failure'\nconst labels = {reason}\nmetrics.increment(reason, labels)\n"
    result = evaluate(tmp_path, LOGON, {**DOCKER, "web/auth.js": code})
    assert result.status is Status.PASS
    assert result.evidence == ("web/auth.js:1: failed logon recorded (const reason = 'auth.failure')",)


AUTH_WITHOUT_SIGNAL = """\
MESSAGES = {"invalid_credentials": "Wrong user or password"}


def login(request):
    # failed_login: logger.warning(...) one day
    if not verify_password(request.form["password"]):
        return MESSAGES["invalid_credentials"]
"""


def test_auth_surface_without_signal_fails(tmp_path: Path) -> None:
    result = evaluate(tmp_path, LOGON, {**DOCKER, "app/auth.py": AUTH_WITHOUT_SIGNAL})
    assert result.status is Status.FAIL
    assert result.summary == "the application authenticates users but records no failed-logon metric or event"
    assert result.evidence == (
        "authentication surface: app/auth.py:4: def login(request):",
        'authentication surface: app/auth.py:6: if not verify_password(request.form["password"]):',
    )


def test_auth_framework_import_is_an_auth_surface(tmp_path: Path) -> None:
    result = evaluate(tmp_path, LOGON, {**DOCKER, "app/auth.py": "from flask_login import LoginManager\n"})
    assert result.status is Status.FAIL
    assert result.evidence == ("authentication surface: app/auth.py:1: from flask_login import LoginManager",)


def test_helpers_named_after_failures_are_not_login_handlers(tmp_path: Path) -> None:
    code = "def count_failed_logins(rows):\n    return len(rows)\n"
    result = evaluate(tmp_path, LOGON, {**DOCKER, "app/report.py": code})
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary == (
        "no authentication surface (login/authenticate functions, password checks) in the application"
    )
    assert result.evidence == ("application code: 1 source files (deployable)",)


def test_failed_logon_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, LOGON, {**LIBRARY, "src/lib/auth.py": AUTH_WITHOUT_SIGNAL})
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary.startswith("a library, not a running application")


# -- monitor.alerting ----------------------------------------------------------------------------

ALERTING = "monitor.alerting"

PROM_RULES = """\
groups:
  - name: web
    rules:
      - record: job:errors:rate5m
        expr: sum(rate(errors[5m]))
      - alert: HighErrorRate
        expr: job:errors:rate5m > 0.05
        for: 10m
      - alert: TargetDown
        expr: up == 0
      - alert: Flapping
        expr: changes(up[5m]) > 3
        for: 0s
"""


def test_alerting_passes_when_every_alert_waits(tmp_path: Path) -> None:
    rules = "groups:\n  - name: web\n    rules:\n      - alert: HighErrorRate\n"
    rules += "        expr: x > 1\n        for: 1h30m\n"
    result = evaluate(tmp_path, ALERTING, {**DOCKER, "monitoring/rules.yml": rules})
    assert result.status is Status.PASS
    assert result.summary == "every alert rule waits for a duration before it fires"
    assert result.evidence == ("1 alert rules in 1 files (monitoring/rules.yml)",)


def test_alerting_partial_names_each_alert_without_for(tmp_path: Path) -> None:
    result = evaluate(tmp_path, ALERTING, {**DOCKER, "monitoring/web.rules": PROM_RULES})
    assert result.status is Status.PARTIAL
    assert result.summary == "2 of 3 alert rules fire on a single evaluation"
    assert result.evidence == (
        "monitoring/web.rules:9: alert 'TargetDown' has no `for:` duration",
        "monitoring/web.rules:11: alert 'Flapping' has no `for:` duration",
        "3 alert rules in 1 files (monitoring/web.rules)",
    )


def test_alerting_reads_prometheus_rule_crds_and_grafana_provisioning(tmp_path: Path) -> None:
    crd = """\
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: unrelated}
    ---
    apiVersion: monitoring.coreos.com/v1
    kind: PrometheusRule
    metadata: {name: web}
    spec:
      groups:
        - name: web
          rules:
            - alert: Slow
              expr: latency > 1
    """
    grafana = """\
    apiVersion: 1
    groups:
      - orgId: 1
        name: web
        folder: alerts
        interval: 1m
        rules:
          - uid: abc
            title: Errors
            condition: C
            for: 5m
    """
    result = evaluate(tmp_path, ALERTING, {"k8s/rules.yaml": crd, "grafana/alerts.yaml": grafana})
    assert result.status is Status.PARTIAL
    assert result.evidence == (
        "k8s/rules.yaml:12: alert 'Slow' has no `for:` duration",
        "2 alert rules in 2 files (grafana/alerts.yaml, k8s/rules.yaml)",
    )


def test_alerting_reads_terraform_monitors(tmp_path: Path) -> None:
    tf = """\
    resource "datadog_monitor" "errors" {
      name  = "errors"
      query = "avg(last_5m):sum:errors{*} > 5"
    }

    resource "grafana_rule_group" "web" {
      rule {
        name = "latency"
      }
    }

    resource "google_monitoring_alert_policy" "cpu" {
      conditions {
        condition_threshold {
          duration = "0s"
        }
      }
    }
    """
    result = evaluate(tmp_path, ALERTING, {"infra/alerts.tf": tf})
    assert result.status is Status.PARTIAL
    assert result.evidence == (
        "infra/alerts.tf:6: alert 'grafana_rule_group.web' has no `for:` duration",
        "infra/alerts.tf:12: alert 'google_monitoring_alert_policy.cpu' has no `for:` duration",
        "3 alert rules in 1 files (infra/alerts.tf)",
    )


def test_alert_routing_alone_is_partial(tmp_path: Path) -> None:
    config = "route:\n  receiver: team\nreceivers:\n  - name: team\n"
    result = evaluate(tmp_path, ALERTING, {**DOCKER, "alertmanager/alertmanager.yml": config})
    assert result.status is Status.PARTIAL
    assert result.summary == "alert routing is code, but no alert rules are kept here"
    assert result.evidence == ("alert routing (Alertmanager): alertmanager/alertmanager.yml:1",)


def test_alerting_fails_when_deployable_without_rules(tmp_path: Path) -> None:
    result = evaluate(tmp_path, ALERTING, DOCKER)
    assert result.status is Status.FAIL
    assert result.summary == "deployable, but no alert rules are kept as code"
    assert result.evidence == ("looked at 0 YAML documents and the Terraform files",)


def test_alerting_not_applicable_to_a_library(tmp_path: Path) -> None:
    result = evaluate(tmp_path, ALERTING, LIBRARY)
    assert result.status is Status.NOT_APPLICABLE
    assert result.summary == NOTHING_DEPLOYABLE


def test_malformed_rule_file_is_skipped_not_raised(tmp_path: Path) -> None:
    broken = "groups:\n  - name: web\n    rules:\n      - alert: X\n        expr: [unclosed\n"
    result = evaluate(tmp_path, ALERTING, {**DOCKER, "monitoring/rules.yml": broken})
    assert result.status is Status.FAIL
    assert [(s.path, s.line) for s in result.skipped] == [("monitoring/rules.yml", 6)]
    assert result.skipped[0].reason.startswith("not valid YAML: ")
