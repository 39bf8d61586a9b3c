"""Ingest the SARIF 2.1.0 output of any producer (CodeQL, Semgrep, Bandit, ESLint, …) as secloop findings.

Rule ids become `SARIF-<TOOL>-<RULE>` in upper kebab case (the original id stays in the properties).
Severity comes from `properties["security-severity"]` when the producer gives one, otherwise from the
result's (or the rule's default) `level`. Fingerprints never contain line numbers: the producer's
`partialFingerprints`/`fingerprints` when present, else the flagged line's text (region snippet or the
file's line) with its occurrence index. Results the producer marks as suppressed (accepted) are
listed as not counted, with the producer's justification, unless `audit` asks to count them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.errors import InputError, place_of
from secloop.core.fingerprint import keyed_fingerprint, normalise
from secloop.core.model import Finding, Location, Skipped
from secloop.core.rules import Rule

_NOT_ID = re.compile(r"[^A-Z0-9]+")
_LEVEL = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "note": Severity.LOW, "none": Severity.INFO}


@dataclass(frozen=True, slots=True)
class ImportedSarif:
    findings: tuple[Finding, ...]
    rules: tuple[Rule, ...]
    skipped: tuple[Skipped, ...]
    tools: tuple[str, ...]


def rule_id(tool: str, original: str) -> str:
    parts = (_NOT_ID.sub("-", part.upper()).strip("-") for part in ("SARIF", tool, original))
    return "-".join(part for part in parts if part)


def _severity(result: dict[str, Any], descriptor: dict[str, Any]) -> Severity:
    for props in (result.get("properties"), descriptor.get("properties")):
        if isinstance(props, dict) and "security-severity" in props:
            try:
                score = float(props["security-severity"])
            except (TypeError, ValueError):
                continue
            if score >= 9.0:
                return Severity.CRITICAL
            if score >= 7.0:
                return Severity.HIGH
            if score >= 4.0:
                return Severity.MEDIUM
            return Severity.LOW if score > 0 else Severity.INFO
    level = result.get("level")
    if level is None:
        config = descriptor.get("defaultConfiguration")
        level = config.get("level") if isinstance(config, dict) else None
    return _LEVEL.get(str(level or "warning"), Severity.MEDIUM)


def _text(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("text") or value.get("markdown") or "")
    return ""


def _relative(uri: str, root: Path | None) -> str:
    parts = urlsplit(uri)
    path = unquote(parts.path) if parts.scheme in {"file", ""} else uri
    if root is not None and Path(path).is_absolute():
        try:
            return Path(path).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path
    return path.removeprefix("./")


def _location(result: dict[str, Any], root: Path | None) -> Location | None:
    locations = result.get("locations") or []
    if not locations or not isinstance(locations[0], dict):
        return None
    physical = locations[0].get("physicalLocation") or {}
    uri = (physical.get("artifactLocation") or {}).get("uri")
    if not isinstance(uri, str):
        return None
    region = physical.get("region") or {}
    line = region.get("startLine")
    column = region.get("startColumn")
    return Location(
        _relative(uri, root),
        line if isinstance(line, int) else None,
        column if isinstance(column, int) else None,
        snippet=_text(region.get("snippet")) or None,
    )


def _descriptors(run: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    driver = (run.get("tool") or {}).get("driver") or {}
    listed = [r for r in driver.get("rules") or [] if isinstance(r, dict)]
    return listed, {str(r.get("id")): r for r in listed if r.get("id")}


def _rule(rid: str, tool: str, original: str, descriptor: dict[str, Any], severity: Severity) -> Rule:
    title = _text(descriptor.get("shortDescription")) or str(descriptor.get("name") or original)
    cwe = tuple(
        int(m.group(1))
        for tag in (descriptor.get("properties") or {}).get("tags") or []
        if (m := re.search(r"CWE-(\d+)", str(tag), re.IGNORECASE))
    )
    return Rule(
        id=rid,
        title=title[:120],
        stage=Stage.BUILD,
        severity=severity,
        confidence=Confidence.MEDIUM,
        description=_text(descriptor.get("fullDescription")) or f"{tool} rule {original}.",
        fix=_text(descriptor.get("help"))[:300] or f"See {tool}'s documentation of {original}.",
        cwe=tuple(dict.fromkeys(cwe)),
        tags=("sarif", tool.lower()),
    )


def _line_text(loc: Location, root: Path | None) -> str:
    if loc.snippet:
        return loc.snippet
    if root is None or loc.start_line is None:
        return ""
    try:
        lines = (root / loc.path).read_text("utf-8", "replace").splitlines()
    except OSError:
        return ""
    return lines[loc.start_line - 1] if 0 < loc.start_line <= len(lines) else ""


def _fingerprint(rid: str, result: dict[str, Any], loc: Location | None, text: str, occurrence: int) -> str:
    for key in ("partialFingerprints", "fingerprints"):
        given = result.get(key)
        if isinstance(given, dict) and given:
            return keyed_fingerprint(
                rid, loc.path if loc else "", *(f"{k}={v}" for k, v in sorted(given.items()))
            )
    return keyed_fingerprint(rid, loc.path if loc else "", normalise(text), str(occurrence))


def _accepted_suppression(result: dict[str, Any]) -> str | None:
    for suppression in result.get("suppressions") or []:
        if isinstance(suppression, dict) and suppression.get("status", "accepted") == "accepted":
            return str(
                suppression.get("justification") or f"suppressed ({suppression.get('kind', 'external')})"
            )
    return None


def parse_sarif(text: str, source: str, root: Path | None = None, *, audit: bool = False) -> ImportedSarif:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg}", place=place_of(source, exc.lineno, exc.colno), hint="is it SARIF?"
        ) from exc
    if not isinstance(doc, dict) or doc.get("version") != "2.1.0" or not isinstance(doc.get("runs"), list):
        raise InputError(
            'not a SARIF 2.1.0 log (needs "version": "2.1.0" and a runs list)', place=place_of(source)
        )
    findings: list[Finding] = []
    rules: dict[str, Rule] = {}
    skipped: list[Skipped] = []
    tools: list[str] = []
    seen: Counter[tuple[str, str, str]] = Counter()
    for run in doc["runs"]:
        if not isinstance(run, dict):
            continue
        driver = (run.get("tool") or {}).get("driver") or {}
        tool = str(driver.get("name") or "unknown")
        tools.append(f"{tool} {driver.get('semanticVersion') or driver.get('version') or ''}".strip())
        listed, by_id = _descriptors(run)
        for result in run.get("results") or []:
            if not isinstance(result, dict):
                continue
            original = result.get("ruleId") or (result.get("rule") or {}).get("id")
            index = result.get("ruleIndex")
            if original is None and isinstance(index, int) and 0 <= index < len(listed):
                original = listed[index].get("id")
            original = str(original or "unnamed")
            descriptor = by_id.get(original, {})
            rid = rule_id(tool, original)
            severity = _severity(result, descriptor)
            rules.setdefault(rid, _rule(rid, tool, original, descriptor, severity))
            loc = _location(result, root)
            message = _text(result.get("message")) or rules[rid].title
            justification = _accepted_suppression(result)
            if justification is not None and not audit:
                skipped.append(
                    Skipped(
                        loc.path if loc else source,
                        f"{rid} suppressed by {tool}: {justification}",
                        loc.start_line if loc else None,
                    )
                )
                continue
            text = _line_text(loc, root) if loc else message
            key = (rid, loc.path if loc else "", normalise(text))
            occurrence = seen[key]
            seen[key] += 1
            findings.append(
                Finding(
                    rule_id=rid,
                    severity=severity,
                    confidence=Confidence.MEDIUM,
                    message=message,
                    locations=(loc,) if loc else (),
                    fingerprint=_fingerprint(rid, result, loc, text, occurrence),
                    properties=(("engine", tool), ("original_rule", original)),
                    fix=rules[rid].fix,
                )
            )
    return ImportedSarif(
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        rules=tuple(rules.values()),
        skipped=tuple(skipped),
        tools=tuple(tools),
    )


def load_sarif(path: Path, root: Path | None = None, *, audit: bool = False) -> ImportedSarif:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", place=place_of(path)) from exc
    return parse_sarif(text, str(path), root, audit=audit)
