"""The report as one self-contained HTML file, organised by the four questions, with the diagram as
inline SVG: no scripts, no style sheets, fonts or images from elsewhere."""

from __future__ import annotations

from html import escape
from typing import Any

from secloop.core.enums import Severity
from secloop.threatmodel.engine import Analysis
from secloop.threatmodel.render import to_document
from secloop.threatmodel.svg import render_svg

_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f3f3f3}.open{color:#b00}.mitigated{color:#070}"
    ".diagram{overflow-x:auto;border:1px solid #ddd;padding:.5rem}.passed{color:#070}.failed{color:#b00}"
    ".critical,.high{font-weight:bold}code{font-size:.85rem}"
)


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _threat_rows(doc: dict[str, Any]) -> str:
    rows = []
    for t in doc["threats"]:
        refs = ", ".join(t["cwe"] + t["capec"] + t["asvs"])
        state = t.get("verification", {}).get("state", "") if t.get("verification") else ""
        rows.append(
            f'<tr id="{_e(t["id"])}"><td><code>{_e(t["id"])}</code></td>'
            f'<td class="{_e(t["severity"])}">{_e(t["severity"])}</td><td>{_e(t["category"])}</td>'
            f"<td>{_e(t['target'])}</td><td>{_e(t['title'])}<br><small>{_e(refs)}</small></td>"
            f'<td class="{_e(t["status"])}">{_e(t["status"])}'
            + (f" ({_e(state)})" if state else "")
            + "</td></tr>"
        )
    head = (
        "<tr><th>id</th><th>severity</th><th>category</th><th>element</th><th>threat</th><th>status</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>" if rows else "<p>No threats.</p>"


def _decisions(doc: dict[str, Any]) -> str:
    items = []
    for t in doc["threats"]:
        if not t["mitigations"] and not t["reason"]:
            continue
        parts = [f"<b>{_e(t['id'])}</b> {_e(t['status'])}" + (f": {_e(t['reason'])}" if t["reason"] else "")]
        for m in t["mitigations"]:
            tests = ", ".join(
                f"<code>{_e(x['ref'])}</code>" + (" (missing)" if x["exists"] is False else "")
                for x in m["tests"]
            )
            parts.append(f"<li>{_e(m['description'])} — {tests or 'no test linked'}</li>")
        items.append(f"<li>{parts[0]}<ul>{''.join(parts[1:])}</ul></li>")
    return f"<ul>{''.join(items)}</ul>" if items else "<p>No decision is recorded yet.</p>"


def render_html(a: Analysis, fail_on: Severity | None) -> str:
    doc = to_document(a, fail_on)
    q = doc["questions"]
    system = doc["system"]
    gate = doc["gate"]
    scope_out = "".join(f"<li>out of scope: {_e(x)}</li>" for x in system["scope"]["out"])
    assumptions = "".join(f"<li>{_e(x['text'])}</li>" for x in doc["assumptions"])
    levels = "".join(
        f"<li>{_e(x['id'])}: ASVS L{x['level']} ({_e(x['reason'])})</li>" for x in doc["asvs"]["assets"]
    )
    stale = doc["staleness"]
    verdict = (
        '<p class="passed">Gate: passed.</p>'
        if gate["passed"]
        else '<p class="failed">Gate: failed: ' + _e("; ".join(gate["reasons"])) + "</p>"
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>Threat model: {_e(system["name"])}</title>'
        f'<meta name="generator" content="secloop threatmodel check"><style>{_CSS}</style></head><body>'
        f"<h1>Threat model: {_e(system['name'])}</h1>"
        + (f"<p>{_e(system['description'])}</p>" if system["description"] else "")
        + f"<p>Model <code>{_e(a.loaded.path)}</code>, as of {_e(doc['as_of'])}.</p>"
        f"<h2>1. What are we working on?</h2><p>{_e(q[0]['summary'])}</p><ul>{scope_out}</ul>"
        + (f"<p>Assumptions:</p><ul>{assumptions}</ul>" if assumptions else "")
        + (f"<p>Security requirements (OWASP ASVS 5.0):</p><ul>{levels}</ul>" if levels else "")
        + f'<div class="diagram">{render_svg(a)}</div>'
        f"<h2>2. What can go wrong?</h2><p>{_e(q[1]['summary'])}</p>{_threat_rows(doc)}"
        f"<h2>3. What are we going to do about it?</h2><p>{_e(q[2]['summary'])}</p>{_decisions(doc)}"
        f"<h2>4. Did we do a good enough job?</h2><p>{_e(q[3]['summary'])}</p>"
        + (f"<p>Staleness: {_e(stale['reason'])}</p>" if stale else "")
        + verdict
        + "</body></html>\n"
    )
