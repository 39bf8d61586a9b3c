"""One self-contained HTML page: inline CSS and SVG, no script, no external resource.

Every value that comes from the assessment goes through `_e` (html.escape with quotes); the page also
carries a Content-Security-Policy that forbids scripts, so a missed escape still could not run code.
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from secloop.core.enums import BaselineState, Stage, Status
from secloop.core.model import Assessment, Finding, Metric, PracticeResult, Skipped
from secloop.core.rules import RuleRegistry
from secloop.practices.catalog import Practice
from secloop.report.interface import RenderInput
from secloop.report.loop_svg import COLOURS, WORST_FIRST, render_loop, stage_statuses, worst_status

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1f1f1f;background:#fafafa}
header,main,footer{max-width:1200px;margin:0 auto;padding:0 1.5rem}
header{padding-top:1rem}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.25rem;margin-top:2rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:.5rem 0}
dl.meta dt{font-weight:600}dl.meta dd{margin:0}
.gate{padding:.6rem 1rem;border-radius:6px;margin:1rem 0;border:2px solid}
.gate-passed{border-color:#2e7d32;background:#e8f5e9}.gate-failed{border-color:#c62828;background:#ffebee}
.gate-none{border-color:#9e9e9e;background:#f5f5f5}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.92rem}
th,td{border:1px solid #ddd;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td ul{margin:0;padding-left:1.1rem}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:4px;color:#fff;font-size:.8rem;
font-weight:600;white-space:nowrap}
.sev{display:inline-block;padding:0 .35rem;border-radius:3px;font-size:.78rem;font-weight:600;
border:1px solid #888}
.sev-critical{background:#b71c1c;color:#fff}.sev-high{background:#e65100;color:#fff}
.sev-medium{background:#fff3e0}.sev-low{background:#e3f2fd}.sev-info{background:#f5f5f5}
.mark{font-size:.8rem;color:#555;font-style:italic}
.inactive{opacity:.75}
.meaning{color:#555;font-size:.85rem}
.loop{max-width:100%;height:auto}
.legend span{margin-right:.8rem}
footer{color:#666;font-size:.85rem;padding-bottom:2rem;margin-top:2rem}
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _badge(status: Status | None) -> str:
    word = status.value if status is not None else "no practices"
    css = status.value if status is not None else "none"
    ink = "#fff" if status in (Status.FAIL, Status.PASS, Status.UNKNOWN) else "#1f1f1f"
    return (
        f'<span class="badge status-{css}" style="background:{COLOURS[status]};color:{ink}">{_e(word)}</span>'
    )


def _list(items: Iterable[str], css: str = "") -> str:
    rows = "".join(f"<li>{item}</li>" for item in items)
    if not rows:
        return ""
    cls = f' class="{css}"' if css else ""
    return f"<ul{cls}>{rows}</ul>"


def metric_value(m: Metric) -> str:
    if m.value is None:
        return "not measured"
    number = f"{m.value:.2f}".rstrip("0").rstrip(".")
    return f"{number} {m.unit}".strip()


def _header(a: Assessment) -> str:
    as_of = a.created_at.isoformat().replace("+00:00", "Z")
    meta = [
        ("Target", _e(a.target)),
        ("Commit", f"<code>{_e(a.commit)}</code>" if a.commit else "not a git repository"),
        ("As of", f"<time>{_e(as_of)}</time>"),
        ("secloop", _e(a.tool_version)),
        ("Config digest", f"<code>{_e(a.config_digest)}</code>"),
    ]
    meta += [(f"Snapshot {_e(name)}", _e(value)) for name, value in sorted(a.snapshots)]
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in meta)
    return (
        f'<header><h1>secloop assessment: {_e(a.target)}</h1><dl class="meta">{rows}</dl>{_gate(a)}</header>'
    )


def _gate(a: Assessment) -> str:
    gate = a.gate
    if gate is None:
        return '<div class="gate gate-none" id="gate"><strong>Gate not evaluated</strong></div>'
    state = "passed" if gate.passed else "failed"
    threshold = gate.fail_on.value if gate.fail_on else "none"
    unknown = "unknown required practices fail the gate" if gate.fail_on_unknown else "unknown is tolerated"
    reasons = _list(_e(r) for r in gate.reasons)
    return (
        f'<div class="gate gate-{state}" id="gate"><strong>Gate {state}</strong> '
        f"(fail on severity: {_e(threshold)}; {unknown}){reasons}</div>"
    )


def _delivery(a: Assessment) -> str:
    head = '<section id="delivery"><h2>Delivery (DORA)</h2>'
    if not a.metrics:
        reason = a.metrics_reason or "no delivery metrics were computed"
        return f'{head}<p class="reason">{_e(reason)}</p></section>'
    rows = []
    for m in a.metrics:
        note = _e(m.reason) if m.value is None and m.reason else ""
        rows.append(
            f'<tr id="metric-{_e(m.id)}"><td>{_e(m.title)}</td><td>{_e(metric_value(m))}</td>'
            f"<td>{_e(m.tier or '')}</td><td>{m.samples}</td><td>{_e(m.definition)}</td><td>{note}</td></tr>"
        )
    reason = f'<p class="reason">{_e(a.metrics_reason)}</p>' if a.metrics_reason else ""
    return (
        f"{head}{reason}<table><thead><tr><th>Metric</th><th>Value</th><th>Tier</th><th>Samples</th>"
        f"<th>Definition</th><th>Why not measured</th></tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table></section>"
    )


def _loop(a: Assessment) -> str:
    statuses = stage_statuses(a.results)
    legend = "".join(f"<span>{_badge(s)}</span>" for s in (*WORST_FIRST, None))
    return (
        f'<section id="loop"><h2>The loop</h2>{render_loop(statuses)}'
        f'<p class="legend">Each stage shows its worst practice status: {legend}</p></section>'
    )


def _finding(f: Finding, rules: RuleRegistry) -> str:
    if f.rule_id in rules:
        rule = f'<a href="{_e(rules.get(f.rule_id).help_uri)}"><code>{_e(f.rule_id)}</code></a>'
    else:
        rule = f"<code>{_e(f.rule_id)}</code>"
    where = f" <code>{_e(f.primary)}</code>" if f.primary else ""
    related = "".join(f' <span class="mark">also <code>{_e(loc)}</code></span>' for loc in f.locations[1:])
    marks = []
    if f.baseline_state is BaselineState.UNCHANGED:
        marks.append("baseline: unchanged")
    elif f.baseline_state is BaselineState.NEW:
        marks.append("new")
    if f.suppression is not None:
        s = f.suppression
        until = f", until {s.expires.isoformat()}" if s.expires else ""
        source = f", {s.source}" if s.source else ""
        marks.append(f"suppressed ({s.kind}{source}{until}): {s.reason}")
    mark = "".join(f' <span class="mark">[{_e(m)}]</span>' for m in marks)
    css = "finding" if f.active else "finding inactive"
    return (
        f'<span class="{css}" data-fingerprint="{_e(f.fingerprint)}">'
        f'<span class="sev sev-{f.severity.value}">{f.severity.value}</span> {rule}{where} '
        f"{_e(f.message)}{related}{mark}</span>"
    )


def _practice_row(r: PracticeResult, practice: Practice | None, rules: RuleRegistry) -> str:
    title = practice.title if practice else r.practice_id
    meaning = practice.means(r.status) if practice else ""
    meaning_html = f'<div class="meaning">{_e(meaning)}</div>' if meaning else ""
    evidence = _list(_e(line) for line in r.evidence)
    findings = _list((_finding(f, rules) for f in sorted(r.findings, key=Finding.sort_key)), "findings")
    return (
        f'<tr id="practice-{_e(r.practice_id)}"><td>{_e(title)}<br><code>{_e(r.practice_id)}</code></td>'
        f"<td>{_badge(r.status)}</td><td>{r.score}</td><td>{_e(r.summary)}{meaning_html}</td>"
        f"<td>{evidence}</td><td>{findings}</td></tr>"
    )


def _stage(
    stage: Stage, results: list[PracticeResult], catalog: dict[str, Practice], rules: RuleRegistry
) -> str:
    rows = "".join(_practice_row(r, catalog.get(r.practice_id), rules) for r in results)
    status = worst_status(r.status for r in results)
    return (
        f'<section id="stage-{stage.value}" class="stage"><h2>{stage.value} {_badge(status)}</h2>'
        "<table><thead><tr><th>Practice</th><th>Status</th><th>Score</th><th>Summary</th>"
        f"<th>Evidence</th><th>Findings</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _next_steps(a: Assessment) -> str:
    items = [
        f"<li><strong>{_e(s.title)}</strong> (<code>{_e(s.practice_id)}</code>, {s.stage.value}, "
        f"now {s.status.value}; effort {_e(s.effort)}, impact {_e(s.impact)}): {_e(s.why)}</li>"
        for s in a.next_steps[:3]
    ]
    body = (
        f"<ol>{''.join(items)}</ol>"
        if items
        else "<p>Nothing to improve first: no practice fails or is partial.</p>"
    )
    return f'<section id="next-steps"><h2>Next steps</h2>{body}</section>'


def _skipped_item(s: Skipped) -> str:
    where = s.path
    if s.line is not None:
        where += f":{s.line}"
        if s.column is not None:
            where += f":{s.column}"
    return f"<code>{_e(where)}</code>: {_e(s.reason)}"


def _skipped(a: Assessment) -> str:
    items = sorted(a.skipped, key=lambda s: (s.path, s.line or 0, s.column or 0, s.reason))
    body = _list(_skipped_item(s) for s in items) or "<p>Nothing was skipped.</p>"
    return f'<section id="skipped"><h2>Skipped</h2>{body}</section>'


def render(data: RenderInput) -> str:
    a = data.assessment
    catalog = {p.id: p for p in data.catalog}
    stages = "".join(
        _stage(stage, [r for r in a.results if r.stage is stage], catalog, data.rules)
        for stage in Stage
        if any(r.stage is stage for r in a.results)
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>secloop: {_e(a.target)}</title><style>{_CSS}</style></head>\n<body>"
        f"{_header(a)}<main>{_delivery(a)}{_loop(a)}{stages}{_next_steps(a)}{_skipped(a)}</main>"
        f"<footer>Generated by secloop {_e(a.tool_version)} from the assessment as of "
        f"{_e(a.created_at.isoformat().replace('+00:00', 'Z'))}.</footer></body></html>\n"
    )
