"""Run every probe against one base URL and turn what was seen into findings.

Nothing is sent before the target passed `check_target` (loopback or explicitly allowed). When the
request or time budget runs out the probe stops and lists what it did not check.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location
from secloop.core.rules import Rule
from secloop.probe.auth import OperationResult, fill_path, probe_operation
from secloop.probe.client import BudgetExhausted, Client, Response, Sent
from secloop.probe.config import ProbeConfig, check_target
from secloop.probe.headers import PROBE_ORIGIN, Problem, cookie_problems, cors_problems, header_problems
from secloop.probe.openapi import Spec
from secloop.probe.rules import AUTH_EXPIRED, AUTH_MALFORMED, AUTH_NONE
from secloop.probe.tls import tls_problems, verified_context

_AUTH_RULES: dict[str, Rule] = {
    "no-credentials": AUTH_NONE,
    "malformed": AUTH_MALFORMED,
    "expired": AUTH_EXPIRED,
}


@dataclass
class ProbeReport:
    url: str
    spec: str
    findings: list[Finding] = field(default_factory=list)
    probed: list[OperationResult] = field(default_factory=list)
    not_probed: list[tuple[str, str]] = field(default_factory=list)  # (operation, why)
    notes: list[str] = field(default_factory=list)
    log: list[Sent] = field(default_factory=list)

    @property
    def inconclusive(self) -> list[tuple[OperationResult, str]]:
        out = []
        for result in self.probed:
            for attempt in result.inconclusive:
                scheme = f":{attempt.scheme}" if attempt.scheme else ""
                status = "no answer" if attempt.status is None else str(attempt.status)
                out.append((result, f"{attempt.variant}{scheme} -> {status}"))
        return out


def _finding(
    rule: Rule, message: str, url: str, key: str, spec: Spec, line: int | None = None, **props: str
) -> Finding:
    where = Location(spec.path, line) if line is not None else Location(url)
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        message=message,
        locations=(where,) if line is None else (where, Location(url)),
        fingerprint=keyed_fingerprint(rule.id, url, key),
        properties=tuple(sorted({"url": url, **props}.items())),
        fix=rule.fix,
    )


def _auth_findings(result: OperationResult, origin: str, spec: Spec) -> list[Finding]:
    findings = []
    op = result.operation
    for variant, rule in _AUTH_RULES.items():
        accepted = result.accepted(variant)
        if not accepted:
            continue
        what = ", ".join(f"{a.scheme or 'none'} -> {a.status}" for a in accepted)
        findings.append(
            _finding(
                rule,
                f"{op.key} answered 2xx to a request with {variant.replace('-', ' ')} ({what}); "
                f"expected {' or '.join(map(str, result.expected))}",
                origin + result.target,
                f"{op.key}:{variant}",
                spec,
                op.line,
                operation=op.key,
                variant=variant,
            )
        )
        break  # one finding per operation: the weakest credentials it accepted
    return findings


def _response_findings(problems: list[Problem], url: str, spec: Spec) -> list[Finding]:
    return [_finding(rule, f"{url}: {message}", url, key, spec) for rule, message, key in problems]


def run_probe(
    url: str,
    spec: Spec,
    config: ProbeConfig,
    *,
    client_factory: Callable[..., Client] = Client,
) -> ProbeReport:
    scheme, host, port, base = check_target(url, config)
    https = scheme == "https"
    context: ssl.SSLContext | None = None
    if https:
        context = verified_context(config.ca_file)
    client = client_factory(
        scheme=scheme,
        host=host,
        port=port,
        rate=config.rate,
        max_requests=config.max_requests,
        time_budget=config.time_budget,
        timeout=config.timeout,
        context=context,
    )
    origin = f"{scheme}://{host}" + ("" if port == (443 if https else 80) else f":{port}")
    report = ProbeReport(url, spec.path, log=client.log)
    problems: list[Problem] = []
    seen_cookies: list[Response] = []
    try:
        if https:
            tls, notes = tls_problems(client, config.ca_file)
            report.findings += _response_findings(tls, origin, spec)
            report.notes += notes
            if any(p[0].id == "PROBE-TLS-CERT-INVALID" for p in tls):
                # Without a verifiable certificate the HTTP probes below cannot be sent safely.
                report.notes.append("HTTP probes not sent: the certificate does not verify (set ca_file)")
                return report
        home = client.send(
            "GET", base or "/", {"Origin": PROBE_ORIGIN, "User-Agent": "secloop-probe"}, "headers"
        )
        if home is None:
            report.notes.append(f"{origin}{base or '/'}: no answer; headers, cookies and CORS not checked")
        else:
            problems += header_problems(home, https) + cors_problems(home)
            seen_cookies.append(home)
        for op in spec.operations:
            why = _skip_reason(op.key, op.operation_id, op.method, op.secured, op.optional, config)
            if why is not None:
                report.not_probed.append((op.key, why))
                continue
            target = fill_path(base, op, config.parameters)
            if target is None:
                report.not_probed.append(
                    (op.key, "a path parameter has no example, schema or configured value")
                )
                continue
            result = probe_operation(client, spec, op, target, config)
            report.probed.append(result)
            report.findings += _auth_findings(result, origin, spec)
    except BudgetExhausted as exc:
        done = {r.operation.key for r in report.probed} | {k for k, _ in report.not_probed}
        left = [op.key for op in spec.operations if op.key not in done]
        report.notes.append(f"stopped: {exc}; {len(left)} operation(s) not probed")
        report.not_probed += [(key, "budget spent") for key in left]
    for response in seen_cookies:
        problems += cookie_problems(response, https)
    report.findings += _response_findings(problems, origin + (base or "/"), spec)
    report.findings.sort(key=Finding.sort_key)
    if spec.unsupported:
        report.notes.append(
            f"security schemes not forged (no credentials to fake): {', '.join(spec.unsupported)}"
        )
    return report


def _skip_reason(
    key: str, operation_id: str | None, method: str, secured: bool, optional: bool, config: ProbeConfig
) -> str | None:
    if key in config.skip or (operation_id is not None and operation_id in config.skip):
        return "skipped in the configuration"
    if not secured:
        return "credentials are optional (security: [] or {})" if optional else "declares no security"
    if method not in config.methods:
        return f"{method} is not among the allowed methods ({', '.join(config.methods)}); see --methods"
    return None
