"""The `threatmodel check` report, organised by the four questions: terminal, JSON, Markdown, SARIF."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.text import Text

from secloop import __version__
from secloop.core.enums import Severity, Stage, Status
from secloop.core.model import Assessment, GateOutcome, PracticeResult
from secloop.core.rules import RuleRegistry
from secloop.practices.catalog import load_catalog
from secloop.report.formats import FORMATS
from secloop.report.interface import RenderInput
from secloop.threatmodel.engine import Analysis, ThreatRecord
from secloop.threatmodel.questions import finding, four_questions, stale_findings
from secloop.threatmodel.requirements import asset_levels
from secloop.threatmodel.rules import RULES

SCHEMA = "secloop.threatmodel/v1"
FORMAT_NAMES = ("terminal", "json", "markdown", "sarif", "html")
_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _tests(a: Analysis, t: ThreatRecord) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in t.mitigations:
        doc: dict[str, Any] = {
            "description": m.description,
            "tests": [{"ref": ref, "exists": a.tests.get(ref)} for ref in m.tests],
        }
        doc.update({k: v for k, v in (("sast", m.sast), ("iac", m.iac), ("path", m.path)) if v})
        out.append(doc)
    return out


def _threat(a: Analysis, t: ThreatRecord) -> dict[str, Any]:
    doc = _threat_fields(a, t)
    if a.verification is not None:
        v = a.verification[t.id]
        doc["verification"] = {"state": v.state, "tests": list(v.tests), "reason": v.reason}
        if v.checks:
            doc["verification"]["checks"] = list(v.checks)
    return doc


def _verification(a: Analysis) -> dict[str, int] | None:
    if a.verification is None:
        return None
    states = [v.state for v in a.verification.values()]
    return {state: states.count(state) for state in ("verified", "failed", "unverified")}


_STATIC: dict[tuple[str | None, str, str], dict[str, Any]] = {}


def _static(t: ThreatRecord) -> dict[str, Any]:
    """The fields every threat of one rule shares (per title and category, which answers may change)."""
    key = (t.rule_id, t.title, t.category.value)
    cached = _STATIC.get(key)
    if cached is None or cached["_of"] != (t.suggested, t.cwe, t.capec, t.asvs):
        cached = {
            "_of": (t.suggested, t.cwe, t.capec, t.asvs),
            "category": t.category.value,
            "framework": t.category.framework,
            "suggested_mitigations": list(t.suggested),
            "cwe": [f"CWE-{n}" for n in t.cwe],
            "capec": [f"CAPEC-{n}" for n in t.capec],
            "asvs": [f"V{x}" for x in t.asvs],
        }
        _STATIC[key] = cached
    return cached


def _threat_fields(a: Analysis, t: ThreatRecord) -> dict[str, Any]:
    shared = _static(t)
    return {
        "id": t.id,
        "rule": t.rule_id,
        "title": t.title,
        "category": shared["category"],
        "framework": shared["framework"],
        "severity": t.severity.value,
        "target": t.target,
        "target_kind": t.target_kind,
        "status": t.status.value,
        "triaged": t.triaged,
        "generated": t.generated,
        "reason": t.reason,
        "expires": t.expires.isoformat() if t.expires else None,
        "expired": t.expired(a.today),
        "owner": t.owner,
        "mitigations": _tests(a, t) if t.mitigations else [],
        "suggested_mitigations": shared["suggested_mitigations"],
        "cwe": shared["cwe"],
        "capec": shared["capec"],
        "asvs": shared["asvs"],
        "location": {"path": a.loaded.path, "line": t.line},
    }


def _staleness(a: Analysis) -> dict[str, Any] | None:
    st = a.staleness
    if st is None:
        return None
    return {
        "known": st.known,
        "stale": st.stale,
        "reason": st.reason,
        "model_commit": st.model_commit,
        "commits": st.commits,
        "days": st.days,
        "files": list(st.files),
        "components": list(st.components),
    }


def to_document(a: Analysis, fail_on: Severity | None) -> dict[str, Any]:
    model = a.loaded.model
    passed, reasons = a.gate(fail_on)
    cov = a.coverage
    levels = asset_levels(model)
    answers = four_questions(a)
    scope = model.system.scope
    return {
        "schema": SCHEMA,
        "model": a.loaded.path,
        "as_of": a.today.isoformat(),
        "system": {
            "name": model.system.name,
            "description": model.system.description,
            "owner": model.system.owner,
            "reviewed": model.system.reviewed.isoformat() if model.system.reviewed else None,
            "scope": {
                "in": list(scope.in_scope) if scope else [],
                "out": list(scope.out_of_scope) if scope else [],
            },
        },
        "questions": [
            {"question": ans.question + "?", "answered": ans.answered, "summary": ans.summary}
            for ans in answers
        ],
        "staleness": _staleness(a),
        "verification": _verification(a),
        "asvs": {
            "level": max((x.level for x in levels), default=1),
            "assets": [{"id": x.asset, "level": x.level, "reason": x.reason} for x in levels],
        },
        "coverage": {
            "boundary_crossing_flows": len(cov.crossing_flows),
            "considered": len(cov.considered),
            "verified": len(cov.verified),
            "share": round(cov.share, 4) if cov.share is not None else None,
            "unverified_flows": [k for k in cov.crossing_flows if k not in cov.verified],
        },
        "assumptions": [
            {"id": x.id, "text": x.text, "valid_until": x.valid_until.isoformat() if x.valid_until else None}
            for x in model.assumptions
        ],
        "missing_tests": sorted(ref for ref, exists in a.tests.items() if exists is False),
        "threats": [_threat(a, t) for t in a.threats],
        "gate": {
            "passed": passed,
            "fail_on": fail_on.value if fail_on else "none",
            "reasons": list(reasons),
        },
    }


def render_json(a: Analysis, fail_on: Severity | None) -> str:
    """Indented JSON with one threat per line: readable, diffable, and written by the C encoder
    (json's indenting encoder is pure Python and takes seconds on thousands of threats)."""
    doc = to_document(a, fail_on)
    threats = doc.pop("threats")
    head = json.dumps(doc, indent=2, ensure_ascii=False)
    if not threats:
        return head[:-2] + ',\n  "threats": []\n}\n'
    items = ",\n".join("    " + json.dumps(t, ensure_ascii=False) for t in threats)
    return head[:-2] + ',\n  "threats": [\n' + items + "\n  ]\n}\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(a: Analysis, fail_on: Severity | None) -> str:
    doc = to_document(a, fail_on)
    out = [f"# Threat model: {doc['system']['name']}", ""]
    if doc["system"]["description"]:
        out += [doc["system"]["description"], ""]
    out += [f"Model: `{a.loaded.path}`, as of {doc['as_of']}.", ""]
    q = doc["questions"]
    out += ["## 1. What are we working on?", "", q[0]["summary"], ""]
    if doc["system"]["scope"]["out"]:
        out += [f"- out of scope: {item}" for item in doc["system"]["scope"]["out"]] + [""]
    if doc["assumptions"]:
        out += ["Assumptions:", ""]
        out += [
            f"- {x['text']}" + (f" (until {x['valid_until']})" if x["valid_until"] else "")
            for x in doc["assumptions"]
        ]
        out.append("")
    out += ["## 2. What can go wrong?", "", q[1]["summary"], ""]
    if a.threats:
        out += ["| id | severity | category | element | threat | status |", "|---|---|---|---|---|---|"]
        out += [
            f"| {t.id} | {t.severity.value} | {t.category.value} | {_cell(t.target)} | {_cell(t.title)} "
            f"| {t.status.value}{' (expired)' if t.expired(a.today) else ''} |"
            for t in a.threats
        ]
    out += ["", "## 3. What are we going to do about it?", "", q[2]["summary"], ""]
    for t in a.threats:
        if not t.mitigations and not t.reason:
            continue
        out.append(f"- **{t.id}** ({t.status.value})" + (f": {t.reason}" if t.reason else ""))
        for m in t.mitigations:
            tests = ", ".join(
                f"`{ref}`" + (" (missing)" if a.tests.get(ref) is False else "") for ref in m.tests
            )
            out.append(f"  - {m.description}" + (f" — verified by {tests}" if tests else " — no test linked"))
    out += ["", "## 4. Did we do a good enough job?", "", q[3]["summary"], ""]
    gate = doc["gate"]
    out.append("Gate: passed." if gate["passed"] else "Gate: **failed**: " + "; ".join(gate["reasons"]))
    return "\n".join(out).rstrip() + "\n"


def render_sarif(a: Analysis, fail_on: Severity | None) -> str:
    passed, reasons = a.gate(fail_on)
    result = PracticeResult(
        practice_id="plan.threat-model",
        stage=Stage.PLAN,
        status=Status.PASS if passed else Status.FAIL,
        score=100 if passed else 0,
        summary="threat model check",
        findings=(*(finding(a, t) for t in a.threats), *stale_findings(a)),
    )
    created = datetime.combine(a.today, datetime.min.time(), tzinfo=UTC)
    assessment = Assessment(
        target=a.loaded.model.system.name,
        commit=None,
        created_at=created,
        tool_version=__version__,
        config_digest="",
        results=(result,),
        gate=GateOutcome(passed, fail_on, False, reasons),
    )
    return FORMATS["sarif"](RenderInput(assessment, RuleRegistry(RULES), load_catalog()))


def render_terminal(a: Analysis, fail_on: Severity | None, console: Console) -> None:
    answers = four_questions(a)
    console.print(Text.assemble(("secloop threatmodel check ", "bold"), (a.loaded.path, "bold cyan")))
    for n, ans in enumerate(answers, start=1):
        mark = ("✓", "green") if ans.answered else ("✗", "red")
        console.print(Text.assemble((f"{n}. {ans.question}? ", "bold"), (mark[0], mark[1])))
        console.print(Text(f"   {ans.summary}"), overflow="fold")
        if n == 2:
            for t in a.threats:
                line = Text("   ")
                line.append(f"{t.severity.value:<8}", style=_STYLE[t.severity.value])
                line.append(f" {t.id} ", style="bold")
                line.append(f"{t.status.value:<14}", style="green" if t.status.value != "open" else "red")
                line.append(f" {t.target}: {t.title}")
                if t.line is not None:
                    line.append(f"  ({a.loaded.path}:{t.line})", style="dim")
                console.print(line, overflow="fold")
    counts = _verification(a)
    if counts is not None:
        shown = ", ".join(f"{n} {state}" for state, n in counts.items())
        console.print(Text(f"   verification by the latest test run: {shown}"), overflow="fold")
        for t in a.threats:
            v = a.verification[t.id] if a.verification else None
            if v is not None and v.state == "failed":
                console.print(Text(f"   {t.id} open again: {v.reason}", style="red"), overflow="fold")
    if a.staleness is not None and a.staleness.known:
        style = "bold yellow" if a.staleness.stale else "dim"
        label = "stale" if a.staleness.stale else "fresh"
        console.print(Text(f"   model {label}: {a.staleness.reason}", style=style), overflow="fold")
    missing = sorted(ref for ref, exists in a.tests.items() if exists is False)
    for ref in missing:
        console.print(Text(f"   linked test not found: {ref}", style="yellow"), overflow="fold")
    passed, reasons = a.gate(fail_on)
    if passed:
        console.print(Text("gate: passed", style="bold green"))
    else:
        console.print(Text("gate: FAILED — " + "; ".join(reasons), style="bold red"), overflow="fold")


def render(a: Analysis, fmt: str, fail_on: Severity | None, *, width: int = 120, color: bool = True) -> str:
    if fmt == "json":
        return render_json(a, fail_on)
    if fmt == "markdown":
        return render_markdown(a, fail_on)
    if fmt == "sarif":
        return render_sarif(a, fail_on)
    if fmt == "html":
        from secloop.threatmodel.htmlreport import render_html  # it builds on this module

        return render_html(a, fail_on)
    buffer = io.StringIO()
    render_terminal(a, fail_on, Console(file=buffer, width=width, no_color=not color, highlight=False))
    return buffer.getvalue()
