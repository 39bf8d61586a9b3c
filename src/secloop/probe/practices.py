"""Engine-backed `test.negative-auth` and `operate.production-scanning`.

Both keep what their repository-content evaluators decide (401/403 assertions in the test suite;
scheduled scanner jobs) and add the probe engine's facts: `secloop probe` steps in CI and when they
run, the probe configuration (validated), and the OpenAPI documents whose secured operations a probe
would cover.
"""

from __future__ import annotations

import json
import re

from secloop.core.enums import Status
from secloop.core.errors import InputError
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, PracticeResult
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators.operate import evaluate_production_scanning as content_scanning
from secloop.practices.evaluators.test import evaluate_negative_auth as content_negative_auth
from secloop.probe.config import parse_config
from secloop.probe.openapi import load_spec
from secloop.probe.rules import CONFIG_INVALID
from secloop.sources.delivery_jobs import SCHEDULE, CiJob
from secloop.sources.manifests import MAX_EVIDENCE, inventory

_PROBE_CMD = re.compile(r"\bsecloop\s+probe\b")
_PROBE_CONFIG = re.compile(r"(^|/)\.?(?:secloop[-_.])?probe[^/]*\.ya?ml$", re.IGNORECASE)
_OPENAPI = re.compile(r"(^|/)(?:openapi|swagger)[^/]*\.(?:json|ya?ml)$", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s\"']+")


def probe_jobs(ctx: Context) -> list[CiJob]:
    return [job for job in inventory(ctx.repo).jobs if any(_PROBE_CMD.search(c) for c in job.commands)]


def _describe(job: CiJob) -> str:
    command = next(c for c in job.commands if _PROBE_CMD.search(c))
    target = _URL.search(command[command.index("secloop") :])
    where = f" against {target.group(0)}" if target else ""
    return f"{job.where}: job '{job.name}' runs `secloop probe`{where} on {job.describe_triggers()}"


def probe_configs(ctx: Context) -> tuple[list[str], list[Finding]]:
    evidence: list[str] = []
    findings: list[Finding] = []
    for path in ctx.repo.files():
        if not _PROBE_CONFIG.search(path) or path.startswith(".github/"):
            continue
        text = ctx.repo.read_text(path) or ""
        try:
            config = parse_config(text, path)
        except InputError as exc:
            line = exc.place.line if exc.place else None
            findings.append(
                Finding(
                    rule_id=CONFIG_INVALID.id,
                    severity=CONFIG_INVALID.severity,
                    confidence=CONFIG_INVALID.confidence,
                    message=f"probe configuration does not validate: {exc.message}",
                    locations=(Location(path, line),),
                    fingerprint=keyed_fingerprint(CONFIG_INVALID.id, path),
                    fix=CONFIG_INVALID.fix,
                )
            )
            continue
        hosts = ", ".join(config.allow_hosts) or "loopback only"
        evidence.append(
            f"{path}: probe configuration (hosts: {hosts}; {config.rate:g} req/s, "
            f"at most {config.max_requests} requests)"
        )
    return evidence, findings


def secured_operations(ctx: Context) -> list[str]:
    evidence: list[str] = []
    for path in ctx.repo.files():
        if not _OPENAPI.search(path):
            continue
        text = ctx.repo.read_text(path) or ""
        if '"openapi"' not in text and "openapi:" not in text:
            continue
        try:
            spec = load_spec(text, path)
        except (InputError, json.JSONDecodeError):
            continue
        secured = [op for op in spec.operations if op.secured]
        evidence.append(f"{path}: {len(secured)} of {len(spec.operations)} operation(s) declare security")
    return evidence


def evaluate_negative_auth(ctx: Context) -> PracticeResult:
    base = content_negative_auth(ctx)
    jobs = probe_jobs(ctx)
    config_evidence, findings = probe_configs(ctx)
    evidence = [*(_describe(job) for job in jobs), *config_evidence, *secured_operations(ctx)]
    if base.status is Status.NOT_APPLICABLE and not jobs:
        return base
    merged = [*evidence, *base.evidence][: MAX_EVIDENCE * 4]
    if findings:
        summary = "the probe configuration does not validate, so the negative probes cannot run"
        return ctx.result(Status.PARTIAL, summary, merged, findings)
    if jobs and base.status is Status.PASS:
        summary = f"{base.summary}; CI probes every secured operation with `secloop probe`"
        return ctx.result(Status.PASS, summary, merged)
    if jobs:
        summary = "CI probes every secured operation without, with malformed and with expired credentials"
        return ctx.result(Status.PASS, summary, merged)
    if base.status is Status.PASS:
        return ctx.result(Status.PASS, base.summary, merged)
    hint = "; no `secloop probe` step in CI either"
    return ctx.result(base.status, base.summary + hint, merged)


def evaluate_production_scanning(ctx: Context) -> PracticeResult:
    base = content_scanning(ctx)
    jobs = probe_jobs(ctx)
    scheduled = [job for job in jobs if SCHEDULE in job.triggers]
    config_evidence, findings = probe_configs(ctx)
    evidence = [_describe(job) for job in jobs] + config_evidence
    merged = [*evidence, *base.evidence][: MAX_EVIDENCE * 4]
    if findings:
        summary = "the probe configuration does not validate, so the scheduled probe cannot run"
        status = Status.PARTIAL if scheduled or base.status is Status.PASS else base.status
        return ctx.result(status, summary, merged, findings, base.skipped)
    if scheduled:
        summary = f"job '{scheduled[0].name}' probes the running service on a schedule"
        if base.status is Status.PASS:
            summary += f"; {base.summary}"
        return ctx.result(Status.PASS, summary, merged, skipped=base.skipped)
    if jobs and base.status is Status.FAIL:
        summary = "no scheduled scan of what runs in production: `secloop probe` runs only on changes"
        return ctx.result(Status.FAIL, summary, merged, skipped=base.skipped)
    return ctx.result(base.status, base.summary, merged, skipped=base.skipped) if evidence else base


EVALUATORS: dict[str, Evaluator] = {
    "test.negative-auth": evaluate_negative_auth,
    "operate.production-scanning": evaluate_production_scanning,
}
