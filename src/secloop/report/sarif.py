"""SARIF 2.1.0: one run, rules[] from the registry, results with fingerprints, baseline and suppressions.

Shaped for GitHub code scanning: `partialFingerprints` keep alerts stable across line shifts and
`properties["security-severity"]` drives the alert's severity there.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlsplit

from secloop.core.enums import Severity
from secloop.core.model import Assessment, Finding, Location, PracticeResult, Skipped, Suppression
from secloop.core.rules import Rule
from secloop.report.interface import RenderInput

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://secloop.dev"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "secloop/v1"

# GitHub code scanning maps these numbers to its critical/high/medium/low buckets.
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}

_SUPPRESSION_KIND = {"inline": "inSource", "config": "external", "baseline": "external"}
_WORD = re.compile(r"[A-Za-z0-9]+")
_SOURCE_LINE = re.compile(r"^(?P<path>.+):(?P<line>[1-9][0-9]*)$")


def pascal_case(title: str) -> str:
    return "".join(word[0].upper() + word[1:] for word in _WORD.findall(title))


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/").lstrip("/"), safe="/")


def _artifact(path: str) -> dict[str, Any]:
    return {"uri": _uri(path), "uriBaseId": SRCROOT}


def _region(loc: Location) -> dict[str, Any] | None:
    if loc.start_line is None:
        return None
    region: dict[str, Any] = {"startLine": loc.start_line}
    if loc.start_column is not None:
        region["startColumn"] = loc.start_column
    if loc.end_line is not None:
        region["endLine"] = loc.end_line
    if loc.end_column is not None:
        region["endColumn"] = loc.end_column
    if loc.snippet is not None:
        region["snippet"] = {"text": loc.snippet}
    return region


def _physical(path: str, region: dict[str, Any] | None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(path)}
    if region is not None:
        physical["region"] = region
    return {"physicalLocation": physical}


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    tags = list(dict.fromkeys(["security", rule.stage.value, *rule.references, *rule.tags]))
    markdown = f"{rule.description}\n\n**Fix:** {rule.fix}\n\n[Documentation]({rule.help_uri})"
    return {
        "id": rule.id,
        "name": pascal_case(rule.title),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": {"text": f"{rule.description}\n\nFix: {rule.fix}", "markdown": markdown},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": rule.severity.sarif_level},
        "properties": {
            "tags": tags,
            "precision": rule.confidence.value,
            "security-severity": SECURITY_SEVERITY[rule.severity],
        },
    }


def _suppression(s: Suppression) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": _SUPPRESSION_KIND.get(s.kind, "external"),
        "status": "accepted",
        "justification": s.reason,
    }
    match = _SOURCE_LINE.match(s.source or "")
    if s.kind == "inline" and match:
        out["location"] = _physical(match["path"], {"startLine": int(match["line"])})
    props: dict[str, Any] = {"secloop/kind": s.kind}
    if s.expires is not None:
        props["expires"] = s.expires.isoformat()
    if s.source is not None:
        props["source"] = s.source
    out["properties"] = props
    return out


def _result(f: Finding, practice_id: str, rule_index: dict[str, int]) -> dict[str, Any]:
    out: dict[str, Any] = {"ruleId": f.rule_id}
    if f.rule_id in rule_index:
        out["ruleIndex"] = rule_index[f.rule_id]
    out["level"] = f.severity.sarif_level
    out["message"] = {"text": f.message}
    if f.locations:
        primary, *related = f.locations
        out["locations"] = [_physical(primary.path, _region(primary))]
        if related:
            out["relatedLocations"] = [
                {"id": n, **_physical(loc.path, _region(loc))} for n, loc in enumerate(related, start=1)
            ]
    out["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    out["baselineState"] = f.baseline_state.value
    if f.suppression is not None:
        out["suppressions"] = [_suppression(f.suppression)]
    props = dict(sorted(f.properties))
    props.update({"confidence": f.confidence.value, "practice": practice_id, "severity": f.severity.value})
    if f.fix:
        props["fix"] = f.fix
    out["properties"] = props
    return out


def _notification(s: Skipped) -> dict[str, Any]:
    out: dict[str, Any] = {"level": "warning", "message": {"text": s.reason}}
    if s.path:
        region: dict[str, Any] | None = None
        if s.line is not None:
            region = {"startLine": s.line}
            if s.column is not None:
                region["startColumn"] = s.column
        out["locations"] = [_physical(s.path, region)]
    return out


def _is_absolute_uri(text: str) -> bool:
    parts = urlsplit(text)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and len(parts.scheme) > 1


def _provenance(a: Assessment) -> list[dict[str, Any]] | None:
    # SARIF requires an absolute repositoryUri; a bare directory name cannot be one, so the commit
    # then travels in run.properties only.
    if a.commit is None or not _is_absolute_uri(a.target):
        return None
    return [{"repositoryUri": a.target, "revisionId": a.commit, "mappedTo": {"uriBaseId": SRCROOT}}]


def _ordered_findings(results: tuple[PracticeResult, ...]) -> list[tuple[Finding, str]]:
    pairs = [(f, r.practice_id) for r in results for f in r.findings]
    return sorted(pairs, key=lambda pair: (pair[0].sort_key(), pair[1]))


def to_document(data: RenderInput) -> dict[str, Any]:
    a = data.assessment
    pairs = _ordered_findings(a.results)
    used = sorted({f.rule_id for f, _ in pairs if f.rule_id in data.rules})
    rule_index = {rule_id: n for n, rule_id in enumerate(used)}
    driver: dict[str, Any] = {
        "name": "secloop",
        "version": a.tool_version,
        "semanticVersion": a.tool_version,
        "informationUri": INFORMATION_URI,
        "rules": [_rule_descriptor(data.rules.get(rule_id)) for rule_id in used],
    }
    run_props: dict[str, Any] = {
        "target": a.target,
        "commit": a.commit,
        "as_of": a.created_at.isoformat().replace("+00:00", "Z"),
        "config_digest": a.config_digest,
    }
    if a.snapshots:
        run_props["snapshots"] = dict(sorted(a.snapshots))
    if a.gate is not None:
        run_props["gate"] = {
            "passed": a.gate.passed,
            "fail_on": a.gate.fail_on.value if a.gate.fail_on else "none",
            "fail_on_unknown": a.gate.fail_on_unknown,
            "reasons": list(a.gate.reasons),
        }
    skipped = sorted(a.skipped, key=lambda s: (s.path, s.line or 0, s.column or 0, s.reason))
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [_notification(s) for s in skipped],
            }
        ],
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": f"The root of the assessed repository {a.target}"}}
        },
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, practice_id, rule_index) for f, practice_id in pairs],
        "properties": run_props,
    }
    provenance = _provenance(a)
    if provenance is not None:
        run["versionControlProvenance"] = provenance
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(data: RenderInput) -> str:
    return json.dumps(to_document(data), indent=2, ensure_ascii=False) + "\n"
