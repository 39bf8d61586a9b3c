"""Mitigations verified by a SAST rule or IaC check in a secloop JSON report.

A mitigation may link `sast: RULE-ID` or `iac: RULE-ID`, optionally scoped by `path` (an fnmatch
glob, `*` also crosses `/`). In the report: an active finding of that rule in scope -> failed,
with the finding's location; no such finding and the rule was checked -> passed; the rule was not
part of the report (no practice that runs it was decided, no finding of it) -> not judged. A
finding whose risk was accepted (triage in the store, see storelink.py) neither fails nor verifies
the mitigation: it stays unverified, saying until when the risk is accepted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from secloop.core.errors import Place
from secloop.threatmodel.problems import ModelError, Problem
from secloop.threatmodel.schema import Mitigation

HINT = "pass the output of `secloop assess -f json` or `secloop scan sast|iac -f json`"
UNDECIDED = frozenset({"unknown", "not-applicable"})


@dataclass(frozen=True, slots=True)
class ReportFinding:
    rule: str
    active: bool
    message: str
    places: tuple[str, ...]  # "path" or "path:line"
    paths: tuple[str, ...]
    fingerprint: str | None = None
    accepted: str | None = None  # "until 2027-01-31" or "without expiry": an accepted risk


@dataclass(frozen=True, slots=True)
class SecloopReport:
    source: str  # the file's name, shown in reasons
    checked: frozenset[str]  # rule ids the report's decided practices run, or that have a finding
    findings: tuple[ReportFinding, ...]


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    link: str  # "sast:SAST-PY-B608" or "iac:IAC-AWS-S3-ENCRYPTION@infra/**"
    outcome: str  # passed, failed, absent
    reason: str | None


def _error(path: Path, message: str, line: int | None = None, column: int | None = None) -> ModelError:
    return ModelError([Problem(Place(str(path), line, column), message, hint=HINT)])


def _finding(raw: Any) -> ReportFinding | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("rule"), str):
        return None
    places: list[str] = []
    paths: list[str] = []
    for loc in raw.get("locations") or []:
        if isinstance(loc, dict) and isinstance(loc.get("path"), str):
            paths.append(loc["path"])
            line = loc.get("start_line")
            places.append(f"{loc['path']}:{line}" if isinstance(line, int) else loc["path"])
    return ReportFinding(
        raw["rule"],
        raw.get("active", True) is not False,
        str(raw.get("message", "")),
        tuple(places),
        tuple(paths),
        raw["fingerprint"] if isinstance(raw.get("fingerprint"), str) else None,
    )


class NotAReport(ValueError):
    """A parsed document that is not a `secloop.assessment/v1` report (the message says why)."""


def read_report(path: Path, practice_rules: dict[str, tuple[str, ...]] | None = None) -> SecloopReport:
    """The findings of a `secloop.assessment/v1` document and the rules it checked.

    ``practice_rules`` maps a practice id to the rules it runs (default: the catalog's).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _error(path, "the report file does not exist") from None
    except UnicodeDecodeError:
        raise _error(path, "not a secloop JSON report: not UTF-8 text") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _error(path, f"not a secloop JSON report: {exc.msg}", exc.lineno, exc.colno) from None
    try:
        return report_of(doc, path.name, practice_rules)
    except NotAReport as exc:
        raise _error(path, f"not a secloop JSON report: {exc}", 1, 1) from None


def report_of(
    doc: Any, source: str, practice_rules: dict[str, tuple[str, ...]] | None = None
) -> SecloopReport:
    """The report in a parsed `secloop.assessment/v1` document; ``source`` names it in reasons.

    Raises NotAReport for any other document.
    """
    schema = doc.get("schema") if isinstance(doc, dict) else None
    if not isinstance(schema, str) or not schema.startswith("secloop.") or not schema.endswith("/v1"):
        raise NotAReport(f"schema is {schema!r}, expected 'secloop.assessment/v1'")
    practices = doc.get("practices")
    if not isinstance(practices, list):
        raise NotAReport("it has no 'practices' list")
    if practice_rules is None:
        from secloop.practices.catalog import load_catalog

        practice_rules = {p.id: tuple(p.rules) for p in load_catalog()}
    checked: set[str] = set()
    findings: list[ReportFinding] = []
    for practice in practices:
        if not isinstance(practice, dict):
            continue
        if practice.get("status") not in UNDECIDED:
            checked.update(practice_rules.get(str(practice.get("id")), ()))
        for raw in practice.get("findings") or []:
            found = _finding(raw)
            if found is not None:
                findings.append(found)
                checked.add(found.rule)
    return SecloopReport(source, frozenset(checked), tuple(findings))


def links(mitigation: Mitigation) -> list[tuple[str, str]]:
    return [(kind, rule) for kind, rule in (("sast", mitigation.sast), ("iac", mitigation.iac)) if rule]


def _in_scope(finding: ReportFinding, glob: str | None) -> bool:
    return glob is None or any(fnmatchcase(p, glob) for p in finding.paths)


def judge(mitigations: tuple[Mitigation, ...], report: SecloopReport) -> list[CheckOutcome]:
    outcomes: list[CheckOutcome] = []
    for m in mitigations:
        for kind, rule in links(m):
            shown = f"{kind}:{rule}" + (f"@{m.path}" if m.path else "")
            hits = [f for f in report.findings if f.rule == rule and f.active and _in_scope(f, m.path)]
            open_hits = [f for f in hits if f.accepted is None]
            if open_hits:
                hit = open_hits[0]
                reason = f"{rule} has an active finding at {_where(hit)} in {report.source}: {hit.message}"
                outcomes.append(CheckOutcome(shown, "failed", reason.rstrip(": ")))
            elif hits:
                hit = hits[0]
                reason = (
                    f"{rule} has a finding at {_where(hit)} in {report.source} whose risk is accepted "
                    f"{hit.accepted}"
                )
                outcomes.append(CheckOutcome(shown, "absent", reason))
            elif rule in report.checked:
                outcomes.append(CheckOutcome(shown, "passed", None))
            else:
                outcomes.append(CheckOutcome(shown, "absent", f"{rule} was not part of {report.source}"))
    return outcomes


def _where(finding: ReportFinding) -> str:
    return finding.places[0] if finding.places else "an unknown place"
