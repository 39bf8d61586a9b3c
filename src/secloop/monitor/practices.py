"""Engine-backed evaluator of `monitor.failed-logon-metrics`.

It keeps what the repository-content evaluator finds (failed logons counted or logged in the
application's code, the authentication surface) and adds the monitor engine's facts: auth log
sources collected by the repository's configuration, a secloop monitor config and its detections,
and the security-metrics exporter.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field

from secloop.core.enums import Status
from secloop.core.errors import ConfigError
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, PracticeResult
from secloop.core.rules import Rule
from secloop.monitor.config import DEFAULT_DETECTIONS, DEFAULT_PATH, MonitorConfig, load_monitor_config
from secloop.monitor.metrics import DETECTIONS, EVENTS
from secloop.monitor.rules import BRUTE_FORCE_LAX, CONFIG_INVALID, DETECTION_DISABLED
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators.monitor import auth_surface, failed_logon_signals
from secloop.sources.manifests import MAX_EVIDENCE, app_code
from secloop.sources.repo import Repo

_CONFIG_FILES = (
    "*.yml",
    "*.yaml",
    "*.toml",
    "*.conf",
    "*.json",
    "*.hcl",
    "*.ini",
    "*.cfg",
    "*.alloy",
    "*.service",
)
_LOG_SOURCE = re.compile(
    r"/var/log/(?:auth\.log|secure)\b|_SYSTEMD_UNIT\s*=\s*\"?sshd|--audit-log-path|audit-log-path\s*[:=]"
    r"|/var/log/(?:nginx|apache2|httpd)/access"
)
_EXPORTER = re.compile(rf"secloop\s+monitor\s+follow\b.*--serve-metrics|\b(?:{EVENTS}|{DETECTIONS})\b")
_MAX_PER_HOUR = 100  # ASVS 4.0 V2.2.1


@dataclass
class Facts:
    config_path: str | None = None
    config: MonitorConfig | None = None
    sources: list[str] = field(default_factory=list)
    exporter: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.config_path or self.sources or self.exporter)


def _finding(rule: Rule, path: str, line: int | None, message: str, *key: str) -> Finding:
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        message=message,
        locations=(Location(path, line),),
        fingerprint=keyed_fingerprint(rule.id, path, *key),
        fix=rule.fix,
    )


def _line(text: str, pattern: str) -> int | None:
    rx = re.compile(pattern, re.MULTILINE)
    match = rx.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _config_findings(path: str, text: str, config: MonitorConfig) -> list[Finding]:
    found: list[Finding] = []
    raw = tomllib.loads(text).get("detections", {})
    for name in DEFAULT_DETECTIONS:
        table = raw.get(name) if isinstance(raw, dict) else None
        header = rf"^[ \t]*\[detections\.\"?{re.escape(name)}\"?\]"
        if isinstance(table, dict) and table.get("enabled") is False:
            line = _line(text, header)
            message = f"detection '{name}' is turned off: attacks of this kind raise no alert"
            found.append(_finding(DETECTION_DISABLED, path, line, message, name))
    brute = config.detection("brute-force")
    per_hour = brute.threshold * 3600 / brute.window
    if brute.enabled and per_hour > _MAX_PER_HOUR:
        start = _line(text, r"^[ \t]*\[detections\.\"?brute-force\"?\]") or 1
        rest = "\n".join(text.splitlines()[start - 1 :])
        line = (_line(rest, r"^[ \t]*(?:threshold|window)\s*=") or 1) + start - 1
        message = (
            f"brute-force alerts only after {brute.threshold} failures in {brute.window} s "
            f"({per_hour:.0f} per hour on one account; ASVS V2.2.1 allows at most {_MAX_PER_HOUR})"
        )
        found.append(_finding(BRUTE_FORCE_LAX, path, line, message, "brute-force"))
    return found


def monitor_facts(repo: Repo) -> Facts:
    facts = Facts()
    if repo.exists(DEFAULT_PATH):
        facts.config_path = DEFAULT_PATH
        text = repo.read_text(DEFAULT_PATH) or ""
        try:
            facts.config, _ = load_monitor_config(repo.root / DEFAULT_PATH)
        except ConfigError as exc:
            line = exc.place.line if exc.place else None
            facts.findings.append(_finding(CONFIG_INVALID, DEFAULT_PATH, line, exc.message, exc.message))
        else:
            facts.findings += _config_findings(DEFAULT_PATH, text, facts.config)
            for entry in facts.config.sources:
                facts.sources.append(f"{DEFAULT_PATH}: monitors {entry.path} ({entry.format})")
            if facts.config.exporter is not None:
                facts.exporter.append(f"{DEFAULT_PATH}: exporter listens on {facts.config.exporter.listen}")
    files = [f for f in repo.glob(*_CONFIG_FILES) if f != DEFAULT_PATH]
    for hit in repo.grep(_LOG_SOURCE, files):
        facts.sources.append(f"{hit.path}:{hit.line}: collects {hit.text.strip()[:80]}")
    for hit in repo.grep(_EXPORTER, repo.files()):
        if hit.path != DEFAULT_PATH:
            facts.exporter.append(f"{hit.path}:{hit.line}: {hit.text.strip()[:80]}")
    return facts


def _monitor_evidence(facts: Facts) -> list[str]:
    evidence = facts.sources[:MAX_EVIDENCE] + facts.exporter[:MAX_EVIDENCE]
    if facts.config is not None:
        enabled = [name for name in DEFAULT_DETECTIONS if facts.config.detection(name).enabled]
        evidence.append(f"{DEFAULT_PATH}: {len(enabled)} detection(s) enabled: {', '.join(enabled)}")
    return evidence


def evaluate_failed_logon_metrics(ctx: Context) -> PracticeResult:
    facts = monitor_facts(ctx.repo)
    app = app_code(ctx.repo)
    signals = failed_logon_signals(ctx.repo, app.sources) if app.is_app else []
    evidence = signals[:MAX_EVIDENCE] + _monitor_evidence(facts)
    findings = facts.findings
    monitored = facts.config is not None and bool(facts.exporter)
    if signals or monitored:
        what = (
            "failed logons are counted or logged"
            if signals
            else "secloop monitor turns auth logs into metrics"
        )
        if findings:
            return ctx.result(
                Status.PARTIAL, f"{what}, but the monitor config has problems", evidence, findings
            )
        return ctx.result(Status.PASS, what, evidence)
    if facts.config is not None:
        summary = "detections are configured, but no exporter publishes the security metrics"
        return ctx.result(Status.PARTIAL, summary, evidence, findings)
    if facts.exporter or facts.sources:
        summary = (
            "security metrics are exported, but no monitor config sets the detections"
            if facts.exporter
            else "auth logs are collected, but no failed-logon metric or detection is kept here"
        )
        return ctx.result(Status.PARTIAL, summary, evidence, findings)
    if findings:
        return ctx.result(Status.FAIL, "the monitor config does not load", evidence, findings)
    if not app.is_app:
        return ctx.result(Status.NOT_APPLICABLE, app.not_app_reason())
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


EVALUATORS: dict[str, Evaluator] = {"monitor.failed-logon-metrics": evaluate_failed_logon_metrics}
