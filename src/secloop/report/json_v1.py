"""`secloop.assessment/v1`: the versioned, machine-readable output. Only ever extended.

Kept apart from the internal types: this module is the only place that decides the JSON shape.
"""

from __future__ import annotations

import json
from typing import Any

from secloop.core.model import Finding, Location, Metric, PracticeResult, Skipped
from secloop.report.interface import RenderInput

SCHEMA = "secloop.assessment/v1"


def _location(loc: Location) -> dict[str, Any]:
    out: dict[str, Any] = {"path": loc.path}
    for key in ("start_line", "start_column", "end_line", "end_column", "commit", "blob", "snippet"):
        value = getattr(loc, key)
        if value is not None:
            out[key] = value
    return out


def _finding(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rule": f.rule_id,
        "severity": f.severity.value,
        "confidence": f.confidence.value,
        "message": f.message,
        "fingerprint": f.fingerprint,
        "locations": [_location(loc) for loc in f.locations],
        "baseline_state": f.baseline_state.value,
        "active": f.active,
    }
    if f.properties:
        out["properties"] = dict(f.properties)
    if f.fix:
        out["fix"] = f.fix
    if f.suppression:
        s = f.suppression
        out["suppression"] = {
            "kind": s.kind,
            "reason": s.reason,
            "expires": s.expires.isoformat() if s.expires else None,
            "source": s.source,
        }
    return out


def _skipped(s: Skipped) -> dict[str, Any]:
    out: dict[str, Any] = {"path": s.path, "reason": s.reason}
    if s.line is not None:
        out["line"] = s.line
    if s.column is not None:
        out["column"] = s.column
    return out


def _result(r: PracticeResult) -> dict[str, Any]:
    return {
        "id": r.practice_id,
        "stage": r.stage.value,
        "status": r.status.value,
        "score": r.score,
        "summary": r.summary,
        "evidence": list(r.evidence),
        "findings": [_finding(f) for f in r.findings],
        "skipped": [_skipped(s) for s in r.skipped],
    }


def _metric(m: Metric) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": m.title,
        "value": m.value,
        "unit": m.unit,
        "definition": m.definition,
        "reason": m.reason,
        "tier": m.tier,
        "samples": m.samples,
    }


def to_document(data: RenderInput) -> dict[str, Any]:
    a = data.assessment
    titles = {p.id: p.title for p in data.catalog}
    gate = a.gate
    used_rules = sorted({f.rule_id for f in a.findings})
    return {
        "schema": SCHEMA,
        "tool": {"name": "secloop", "version": a.tool_version},
        "target": a.target,
        "commit": a.commit,
        "as_of": a.created_at.isoformat().replace("+00:00", "Z"),
        "config_digest": a.config_digest,
        "snapshots": dict(a.snapshots),
        "delivery": {"metrics": [_metric(m) for m in a.metrics], "reason": a.metrics_reason},
        "practices": [{**_result(r), "title": titles.get(r.practice_id, r.practice_id)} for r in a.results],
        "next_steps": [
            {
                "practice": s.practice_id,
                "title": s.title,
                "stage": s.stage.value,
                "status": s.status.value,
                "effort": s.effort,
                "impact": s.impact,
                "why": s.why,
            }
            for s in a.next_steps
        ],
        "skipped": [_skipped(s) for s in a.skipped],
        "rules": [
            {
                "id": rule.id,
                "title": rule.title,
                "stage": rule.stage.value,
                "severity": rule.severity.value,
                "help_uri": rule.help_uri,
            }
            for rule in (data.rules.get(rid) for rid in used_rules if rid in data.rules)
        ],
        "gate": None
        if gate is None
        else {
            "passed": gate.passed,
            "fail_on": gate.fail_on.value if gate.fail_on else "none",
            "fail_on_unknown": gate.fail_on_unknown,
            "reasons": list(gate.reasons),
        },
    }


def render(data: RenderInput) -> str:
    return json.dumps(to_document(data), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
