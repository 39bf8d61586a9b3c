"""Probe reports: plain text and the versioned JSON `secloop.probe/v1`."""

from __future__ import annotations

import json

from secloop.probe.engine import ProbeReport

SCHEMA = "secloop.probe/v1"


def render_text(report: ProbeReport) -> str:
    lines = [
        f"probed {report.url} with {report.spec}: {len(report.log)} request(s), "
        f"{len(report.probed)} secured operation(s) probed, {len(report.not_probed)} not probed",
    ]
    for finding in report.findings:
        lines.append(f"  {finding.severity.value.upper():8} {finding.rule_id}: {finding.message}")
    if not report.findings:
        lines.append("  no findings")
    for result, what in report.inconclusive:
        lines.append(f"  inconclusive: {result.operation.key}: {what}")
    for key, why in report.not_probed:
        lines.append(f"  not probed: {key}: {why}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    return "\n".join(lines) + "\n"


def render_json(report: ProbeReport) -> str:
    data = {
        "schema": SCHEMA,
        "url": report.url,
        "openapi": report.spec,
        "requests": len(report.log),
        "findings": [
            {
                "rule": f.rule_id,
                "severity": f.severity.value,
                "message": f.message,
                "location": str(f.primary) if f.primary else None,
                "fingerprint": f.fingerprint,
                "properties": dict(f.properties),
            }
            for f in report.findings
        ],
        "probed": [
            {
                "operation": r.operation.key,
                "target": r.target,
                "expected": list(r.expected),
                "attempts": [
                    {"variant": a.variant, "scheme": a.scheme, "status": a.status} for a in r.attempts
                ],
            }
            for r in report.probed
        ],
        "not_probed": [{"operation": k, "reason": why} for k, why in report.not_probed],
        "notes": report.notes,
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
