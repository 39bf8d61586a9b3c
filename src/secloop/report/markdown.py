"""GitHub-flavoured Markdown for a pull-request comment or a job summary.

Text from the assessment is escaped twice over: Markdown punctuation is backslash-escaped and `<`,
`>` and `&` become entities, so a finding message can neither break a table nor inject HTML.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from secloop.core.enums import BaselineState, Stage, Status
from secloop.core.model import Assessment, Finding, Metric, PracticeResult, Skipped
from secloop.core.rules import RuleRegistry
from secloop.report.interface import RenderInput

_ICON = {
    Status.PASS: "✅",
    Status.PARTIAL: "🟡",
    Status.FAIL: "❌",
    Status.UNKNOWN: "❔",
    Status.NOT_APPLICABLE: "➖",
}
_COUNTED = (Status.PASS, Status.PARTIAL, Status.FAIL, Status.UNKNOWN, Status.NOT_APPLICABLE)
_PUNCTUATION = set("\\`*_[]|~#")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}


def text(value: object) -> str:
    """Plain text safe anywhere, table cells included: one line, no active Markdown or HTML."""
    out = []
    for ch in " ".join(str(value).split()):
        if ch in _PUNCTUATION:
            out.append("\\" + ch)
        else:
            out.append(_ENTITIES.get(ch, ch))
    return "".join(out)


def code(value: object, *, in_table: bool = True) -> str:
    """An inline code span: backticks fenced; in a table cell pipes escaped too (GFM's table rule)."""
    body = " ".join(str(value).split())
    if in_table:
        body = body.replace("|", "\\|")
    longest = run = 0
    for ch in body:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _metric_value(m: Metric) -> str:
    if m.value is None:
        return "not measured"
    number = f"{m.value:.2f}".rstrip("0").rstrip(".")
    return f"{number} {m.unit}".strip()


def _header(a: Assessment) -> list[str]:
    gate = a.gate
    if gate is None:
        title = "## secloop: gate not evaluated"
    elif gate.passed:
        title = "## ✅ secloop: gate passed"
    else:
        title = "## ❌ secloop: gate failed"
    as_of = a.created_at.isoformat().replace("+00:00", "Z")
    commit = code(a.commit) if a.commit else "not a git repository"
    lines = [title, "", f"**Target** {text(a.target)} · **Commit** {commit} · **As of** {as_of}"]
    if gate is not None:
        threshold = gate.fail_on.value if gate.fail_on else "none"
        unknown = "unknown fails closed" if gate.fail_on_unknown else "unknown tolerated"
        lines += ["", f"Gate: fail on {threshold}; {unknown}."]
        lines += [f"- {text(r)}" for r in gate.reasons]
    return lines


def _delivery(a: Assessment) -> list[str]:
    lines = ["", "### Delivery (DORA)", ""]
    if not a.metrics:
        return [*lines, text(a.metrics_reason or "No delivery metrics were computed.")]
    if a.metrics_reason:
        lines += [text(a.metrics_reason), ""]
    rows = [
        (
            text(m.title),
            text(_metric_value(m)),
            text(m.tier or ""),
            str(m.samples),
            text(m.reason if m.value is None and m.reason else m.definition),
        )
        for m in a.metrics
    ]
    return lines + _table(("Metric", "Value", "Tier", "Samples", "Definition or reason"), rows)


def _stage_summary(by_stage: dict[Stage, list[PracticeResult]]) -> list[str]:
    rows = []
    for stage, results in by_stage.items():
        counts = [sum(1 for r in results if r.status is s) for s in _COUNTED]
        rows.append((stage.value, *(str(n) for n in counts)))
    header = ("Stage", "✅ pass", "🟡 partial", "❌ fail", "❔ unknown", "➖ n/a")
    return ["", "### Stages", "", *_table(header, rows)]


def _state(f: Finding) -> str:
    marks = []
    if f.baseline_state is BaselineState.UNCHANGED:
        marks.append("baseline (unchanged)")
    if f.suppression is not None:
        s = f.suppression
        until = f" until {s.expires.isoformat()}" if s.expires else ""
        marks.append(f"suppressed ({s.kind}{until}): {s.reason}")
    return text("; ".join(marks)) if marks else "**new**"


def _rule_link(rule_id: str, rules: RuleRegistry) -> str:
    if rule_id in rules:
        return f"[{code(rule_id)}]({rules.get(rule_id).help_uri})"
    return code(rule_id)


def _stage_section(
    stage: Stage, results: list[PracticeResult], titles: dict[str, str], rules: RuleRegistry
) -> list[str]:
    rows = [
        (
            f"{text(titles.get(r.practice_id, r.practice_id))} {code(r.practice_id)}",
            f"{_ICON[r.status]} {r.status.value}",
            str(r.score),
            text(r.summary),
        )
        for r in results
    ]
    lines = ["", f"#### {stage.value}", "", *_table(("Practice", "Status", "Score", "Summary"), rows)]
    findings = sorted((f for r in results for f in r.findings), key=Finding.sort_key)
    if findings:
        frows = [
            (
                f.severity.value,
                _rule_link(f.rule_id, rules),
                code(f.primary) if f.primary else "",
                text(f.message),
                _state(f),
            )
            for f in findings
        ]
        lines += ["", *_table(("Severity", "Rule", "Location", "Message", "State"), frows)]
    return lines


def _next_steps(a: Assessment) -> list[str]:
    lines = ["", "### Next steps", ""]
    if not a.next_steps:
        return [*lines, "Nothing to improve first: no practice fails or is partial."]
    for n, s in enumerate(a.next_steps[:3], start=1):
        lines.append(
            f"{n}. **{text(s.title)}** ({code(s.practice_id)}, {s.stage.value}, {s.status.value}; "
            f"effort {text(s.effort)}, impact {text(s.impact)}): {text(s.why)}"
        )
    return lines


def _where(s: Skipped) -> str:
    where = s.path
    if s.line is not None:
        where += f":{s.line}"
        if s.column is not None:
            where += f":{s.column}"
    return where


def _skipped(a: Assessment) -> list[str]:
    if not a.skipped:
        return []
    items = sorted(a.skipped, key=lambda s: (s.path, s.line or 0, s.column or 0, s.reason))
    return ["", "### Skipped", "", *(f"- {code(_where(s), in_table=False)}: {text(s.reason)}" for s in items)]


def render(data: RenderInput) -> str:
    a = data.assessment
    titles = {p.id: p.title for p in data.catalog}
    by_stage = {
        stage: [r for r in a.results if r.stage is stage]
        for stage in Stage
        if any(r.stage is stage for r in a.results)
    }
    lines = [*_header(a), *_delivery(a), *_stage_summary(by_stage)]
    for stage, results in by_stage.items():
        lines += _stage_section(stage, results, titles, data.rules)
    lines += [*_next_steps(a), *_skipped(a)]
    return "\n".join(lines) + "\n"
