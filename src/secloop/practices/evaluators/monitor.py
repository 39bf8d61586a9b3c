"""Evaluators of the monitor stage: metrics, failed-logon signals and alert rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from secloop.core.enums import Status
from secloop.core.model import PracticeResult
from secloop.core.rules import Rule
from secloop.practices.base import Context, Evaluator
from secloop.sources.manifests import (
    COMMENT_LINE,
    IMPORT_LINE,
    MAX_EVIDENCE,
    NOTHING_DEPLOYABLE,
    Inventory,
    Sdk,
    app_code,
    find_sdks,
    inventory,
    sdk_evidence,
    sdk_names,
)
from secloop.sources.repo import GrepHit, Repo
from secloop.sources.yaml_lines import YamlMap

RULES: tuple[Rule, ...] = ()

METRIC_SDKS: tuple[Sdk, ...] = (
    Sdk(
        "Prometheus client",
        r"(?i:prometheus[-_]client|prom-client|prometheus/client_golang|io\.prometheus|prometheus-net)",
        r"(?i:\bprometheus_client\b|prom-client|prometheus/client_golang|io\.prometheus|\bpromauto\b)",
    ),
    Sdk(
        "OpenTelemetry",
        r"(?i:opentelemetry|go\.opentelemetry\.io)",
        r"(?i:\bopentelemetry\b|@opentelemetry/|go\.opentelemetry\.io)",
    ),
    Sdk("StatsD", r"(?i:\bstatsd\b|hot-shots|datadog-go/statsd)", r"(?i:\bstatsd\b|hot-shots|dogstatsd)"),
    Sdk("Datadog", r"(?i:\bddtrace\b|\bdd-trace\b|\bdatadog\b)", r"(?i:\bddtrace\b|dd-trace|\bdatadog\b)"),
    Sdk("Micrometer", r"(?i:io\.micrometer|micrometer-registry)", r"(?i:io\.micrometer)"),
)


def evaluate_metrics(ctx: Context) -> PracticeResult:
    app = app_code(ctx.repo)
    if not app.is_app:
        return ctx.result(Status.NOT_APPLICABLE, app.not_app_reason())
    hits = find_sdks(ctx.repo, app, METRIC_SDKS)
    if hits:
        return ctx.result(Status.PASS, f"metrics emitted through {sdk_names(hits)}", sdk_evidence(hits))
    looked = ", ".join(sdk.name for sdk in METRIC_SDKS)
    return ctx.result(
        Status.FAIL,
        "the application emits no metrics through a known SDK",
        [app.app_evidence(), f"looked for: {looked}"],
    )


# -- failed logons -------------------------------------------------------------------------------

_FAILED_LOGON = re.compile(
    r"(?i)failed[_\s.-]?log(?:in|on)s?|log(?:in|on)[_\s.-]?fail(?:ed|ures?)?"
    r"|auth(?:entication)?[_\s.-]?fail(?:ed|ures?)|invalid[_\s.-]?credentials|bad[_\s.-]?credentials"
)
_SIGNAL = re.compile(  # a call that records: a metric update or a logger call
    r"(?i)\.(?:inc|incr|increment|add|observe|record|labels|count)\s*\("
    r"|\b(?:counter|histogram|gauge|create_counter|createcounter|newcounter)\s*\("
    r"|\b(?:s?log|logger|logging|logrus|zap|console|statsd|metrics|meter|audit\w*|span)\s*\.\s*\w+\s*\("
    r"|\bemit\w*\s*\("
)
_AUTH_CODE = re.compile(  # login handlers and password checks
    r"(?i)\b(?:def|function|func|async\s+def|public|private|protected)\s+(?!\w*fail)\w*"
    r"(?:log_?in|log_?on|sign_?in|authenticate)\w*\s*\("
    r"|\b(?:check_password|verify_password|checkpw|password_verify|bcrypt\.compare)\s*\("
    r"|^\s*has_secure_password\b|\bpassport\.authenticate\s*\("
)
_AUTH_IMPORT = re.compile(  # authentication frameworks, counted only where they are imported
    r"flask_login|django\.contrib\.auth|\bpassport\b|\bdevise\b|springframework\.security|next-auth|\bauthlib\b"
)
_WINDOW = 2  # lines either side of a failed-logon name where the metric/logger call may sit


def failed_logon_signals(repo: Repo, files: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for path in files:
        text = repo.read_text(path)
        if text is None or not _FAILED_LOGON.search(text):
            continue
        lines = ["" if COMMENT_LINE.match(line) else line for line in text.splitlines()]
        for index, line in enumerate(lines):
            if not _FAILED_LOGON.search(line):
                continue
            window = lines[max(0, index - _WINDOW) : index + _WINDOW + 1]
            if any(_SIGNAL.search(near) for near in window):
                found.append(f"{path}:{index + 1}: failed logon recorded ({line.strip()[:80]})")
    return found


def auth_surface(repo: Repo, files: tuple[str, ...]) -> list[GrepHit]:
    hits = [h for h in repo.grep(_AUTH_CODE, files) if not COMMENT_LINE.match(h.text)]
    hits += [h for h in repo.grep(_AUTH_IMPORT, files) if IMPORT_LINE.search(h.text)]
    return sorted(hits, key=lambda h: (h.path, h.line))


def evaluate_failed_logon_metrics(ctx: Context) -> PracticeResult:
    app = app_code(ctx.repo)
    if not app.is_app:
        return ctx.result(Status.NOT_APPLICABLE, app.not_app_reason())
    signals = failed_logon_signals(ctx.repo, app.sources)
    if signals:
        return ctx.result(Status.PASS, "failed logons are counted or logged", signals[:MAX_EVIDENCE])
    surface = [f"{h.path}:{h.line}: {h.text.strip()[:80]}" for h in auth_surface(ctx.repo, app.sources)]
    if surface:
        return ctx.result(
            Status.FAIL,
            "the application authenticates users but records no failed-logon metric or event",
            [f"authentication surface: {line}" for line in surface[:MAX_EVIDENCE]],
        )
    return ctx.result(
        Status.NOT_APPLICABLE,
        "no authentication surface (login/authenticate functions, password checks) in the application",
        [app.app_evidence()],
    )


# -- alert rules ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alert:
    path: str
    line: int
    name: str
    waits: bool  # has a `for:` duration or an evaluation window


_DURATION = re.compile(r"(?:\d+(?:ms|s|m|h|d|w|y))+")


def _waits(value: Any) -> bool:
    text = str(value).strip() if value is not None else ""
    return bool(_DURATION.fullmatch(text)) and bool(re.search(r"[1-9]", text))


def _rule_groups(path: str, groups: Any) -> list[Alert]:
    """Prometheus (`alert:`) and Grafana (`title:` + `condition:`) rules of a `groups:` list."""
    alerts: list[Alert] = []
    for group in groups if isinstance(groups, list) else []:
        rules = group.get("rules") if isinstance(group, YamlMap) else None
        for rule in rules if isinstance(rules, list) else []:
            if not isinstance(rule, YamlMap):
                continue
            if "alert" in rule:
                name, line = str(rule["alert"]), rule.line_of("alert")
            elif "title" in rule and "condition" in rule:
                name, line = str(rule["title"]), rule.line_of("title")
            else:
                continue
            alerts.append(Alert(path, line, name, _waits(rule.get("for"))))
    return alerts


_TF_ALERT = re.compile(
    r'^\s*resource\s+"(datadog_monitor|grafana_rule_group|google_monitoring_alert_policy)"\s+"([\w-]+)"'
)
_TF_WAITS = {
    "datadog_monitor": re.compile(r"last_\d+[mhdw]"),
    "grafana_rule_group": re.compile(r'\bfor\s*=\s*"(?:\d+[smhd])*[1-9]'),
    "google_monitoring_alert_policy": re.compile(r'\bduration\s*=\s*"[1-9]\d*s"'),
}


def _terraform_alerts(repo: Repo, inv: Inventory) -> list[Alert]:
    alerts: list[Alert] = []
    for path in (f for kind, files in inv.iac if kind == "Terraform/OpenTofu" for f in files):
        lines = (repo.read_text(path) or "").splitlines()
        for index, line in enumerate(lines):
            match = _TF_ALERT.match(line)
            if not match:
                continue
            depth, end = 0, index
            for end in range(index, len(lines)):
                depth += lines[end].count("{") - lines[end].count("}")
                if depth <= 0 and end > index:
                    break
            block = "\n".join(lines[index : end + 1])
            waits = bool(_TF_WAITS[match.group(1)].search(block))
            alerts.append(Alert(path, index + 1, f"{match.group(1)}.{match.group(2)}", waits))
    return alerts


def alert_rules(repo: Repo, inv: Inventory) -> tuple[list[Alert], list[str]]:
    """Every alert rule kept as code, and the files that only route alerts (Alertmanager)."""
    alerts: list[Alert] = []
    routing: list[str] = []
    for doc in inv.yaml_docs:
        data = doc.data
        if not isinstance(data, YamlMap):
            continue
        if data.get("kind") == "PrometheusRule":
            spec = data.get("spec")
            alerts += _rule_groups(doc.path, spec.get("groups") if isinstance(spec, YamlMap) else None)
        elif "groups" in data and "kind" not in data:
            alerts += _rule_groups(doc.path, data["groups"])
        if ("route" in data and "receivers" in data) or data.get("kind") == "AlertmanagerConfig":
            routing.append(f"{doc.path}:{doc.line}")
    alerts += _terraform_alerts(repo, inv)
    return alerts, routing


def evaluate_alerting(ctx: Context) -> PracticeResult:
    inv = inventory(ctx.repo)
    alerts, routing = alert_rules(ctx.repo, inv)
    skipped = inv.manifest_skipped
    routing_line = [f"alert routing (Alertmanager): {', '.join(routing)}"] if routing else []
    if alerts:
        hasty = [a for a in alerts if not a.waits]
        files = sorted({a.path for a in alerts})
        counted = f"{len(alerts)} alert rules in {len(files)} files ({', '.join(files[:3])})"
        if not hasty:
            summary = "every alert rule waits for a duration before it fires"
            return ctx.result(Status.PASS, summary, [counted, *routing_line], skipped=skipped)
        evidence = [f"{a.path}:{a.line}: alert '{a.name}' has no `for:` duration" for a in hasty]
        return ctx.result(
            Status.PARTIAL,
            f"{len(hasty)} of {len(alerts)} alert rules fire on a single evaluation",
            [*evidence[: MAX_EVIDENCE * 4], counted],
            skipped=skipped,
        )
    if routing:
        return ctx.result(
            Status.PARTIAL,
            "alert routing is code, but no alert rules are kept here",
            routing_line,
            skipped=skipped,
        )
    if not inv.deployable:
        return ctx.result(Status.NOT_APPLICABLE, NOTHING_DEPLOYABLE, skipped=skipped)
    return ctx.result(
        Status.FAIL,
        "deployable, but no alert rules are kept as code",
        [f"looked at {len(inv.yaml_docs)} YAML documents and the Terraform files"],
        skipped=skipped,
    )


EVALUATORS: dict[str, Evaluator] = {
    "monitor.metrics": evaluate_metrics,
    "monitor.failed-logon-metrics": evaluate_failed_logon_metrics,
    "monitor.alerting": evaluate_alerting,
}
