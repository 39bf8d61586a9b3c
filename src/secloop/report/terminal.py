"""The terminal view: the loop, stage by stage, with DORA on top and three next steps at the end."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from secloop.core.enums import Stage, Status
from secloop.core.model import Assessment, Finding, PracticeResult
from secloop.report.interface import RenderInput

STATUS_STYLE = {
    Status.PASS: ("PASS", "bold green"),
    Status.PARTIAL: ("PARTIAL", "bold yellow"),
    Status.FAIL: ("FAIL", "bold red"),
    Status.UNKNOWN: ("UNKNOWN", "bold magenta"),
    Status.NOT_APPLICABLE: ("N/A", "dim"),
}
SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def _status(status: Status) -> Text:
    label, style = STATUS_STYLE[status]
    return Text(label, style=style)


def _finding_line(f: Finding) -> Text:
    text = Text("  ")
    text.append(f"{f.severity.value:<8}", style=SEVERITY_STYLE[f.severity.value])
    text.append(f" {f.rule_id} ", style="bold")
    if f.primary:
        text.append(f"{f.primary} ", style="blue")
    text.append(f.message)
    if f.suppression is not None:
        text.append(f"  [suppressed ({f.suppression.kind}): {f.suppression.reason}]", style="dim")
    elif not f.active:
        text.append("  [in baseline]", style="dim")
    return text


def _stage_table(stage: Stage, results: list[PracticeResult], titles: dict[str, str]) -> Table:
    table = Table(title=f"{stage.value.upper()}", title_justify="left", expand=True, show_edge=False)
    table.add_column("status", width=8, no_wrap=True)
    table.add_column("practice", ratio=2)
    table.add_column("score", justify="right", width=5)
    table.add_column("summary", ratio=3)
    for r in results:
        summary: list[Text] = [Text(r.summary)]
        summary += [Text(f"• {line}", style="dim") for line in r.evidence]
        table.add_row(
            _status(r.status),
            Text(f"{titles.get(r.practice_id, r.practice_id)}\n", style="bold").append(
                r.practice_id, style="dim"
            ),
            str(r.score),
            Group(*summary),
        )
    return table


def render_terminal(data: RenderInput, console: Console) -> None:
    a = data.assessment
    titles = {p.id: p.title for p in data.catalog}
    commit = a.commit[:12] if a.commit else "not a git repository"
    console.print(
        Panel(
            Text.assemble(
                ("secloop assess ", "bold"),
                (a.target, "bold cyan"),
                f"   commit {commit}   as of {a.created_at.date().isoformat()}   secloop {a.tool_version}",
            ),
            expand=True,
        )
    )
    if a.metrics:
        dora = Table(expand=True, show_edge=False)
        for col in ("metric", "value", "tier", "n", "note"):
            dora.add_column(col)
        for m in a.metrics:
            value = "—" if m.value is None else f"{m.value:g} {m.unit}"
            dora.add_row(m.title, value, m.tier or "—", str(m.samples), m.reason or "")
        console.print(
            Panel(
                dora,
                title="DORA",
                title_align="left",
                subtitle="definitions: secloop dora --help, or the JSON/HTML report",
                subtitle_align="right",
            )
        )
    else:
        console.print(
            Panel(Text(a.metrics_reason or "no delivery data", style="dim"), title="DORA", title_align="left")
        )

    for stage in Stage:
        results = [r for r in a.results if r.stage is stage]
        if results:
            console.print(_stage_table(stage, results, titles))
            for r in results:
                for f in r.findings:
                    console.print(_finding_line(f), overflow="fold")
            console.print()

    counts = {s: sum(1 for r in a.results if r.status is s) for s in Status}
    line = Text("practices: ")
    for status, n in counts.items():
        label, style = STATUS_STYLE[status]
        line.append(f"{n} {label.lower()}  ", style=style)
    console.print(line)

    if a.skipped:
        skipped = Table(title="Not checked", title_justify="left", show_edge=False, expand=True)
        skipped.add_column("where", style="blue", no_wrap=True)
        skipped.add_column("why")
        for s in a.skipped:
            where = s.path + (f":{s.line}" if s.line is not None else "")
            skipped.add_row(where, s.reason)
        console.print(skipped)

    steps = Table(show_header=False, show_edge=False, expand=True)
    steps.add_column(width=3)
    steps.add_column()
    for number, step in enumerate(a.next_steps, start=1):
        steps.add_row(
            f"{number}.",
            Text.assemble(
                (step.title, "bold"),
                f"  ({step.practice_id}: {step.status.value}; impact {step.impact}, effort {step.effort})\n",
                (step.why, "dim"),
            ),
        )
    if not a.next_steps:
        steps.add_row("", "Nothing failing or partial: keep the loop turning.")
    console.print(
        Panel(steps, title="Next steps — one at a time, not everything at once", title_align="left")
    )

    if a.gate is not None:
        if a.gate.passed:
            console.print(Text("gate: passed", style="bold green"))
        else:
            console.print(Text("gate: FAILED — " + "; ".join(a.gate.reasons), style="bold red"))


def render_scan(assessment: Assessment, console: Console, title: str, *, fixes: bool = True) -> None:
    """The terminal view of one engine's command: evidence, status, findings, what was not checked, gate."""
    console.print(Text.assemble((title, "bold"), (assessment.target, "bold cyan")))
    several = len(assessment.results) > 1
    for result in assessment.results:
        if several:
            console.print(Text(result.practice_id, style="bold"))
        _scan_result(result, console, fixes)
    _scan_tail(assessment, console)


def _scan_result(result: PracticeResult, console: Console, fixes: bool) -> None:
    for evidence in result.evidence:
        console.print(Text(evidence, style="dim"), overflow="fold")
    console.print(Text(f"{result.status.value}: {result.summary}"))
    for f in result.findings:
        line = Text("  ")
        line.append(f"{f.severity.value:<8}", style=SEVERITY_STYLE[f.severity.value])
        line.append(f" {f.rule_id} ", style="bold")
        line.append(" ".join(str(loc) for loc in f.locations) + " ", style="blue")
        line.append(f.message)
        if f.suppression is not None:
            line.append(f"  [suppressed ({f.suppression.kind}): {f.suppression.reason}]", style="dim")
        elif not f.active:
            line.append("  [in baseline]", style="dim")
        console.print(line, overflow="fold")
        if fixes and f.fix:
            console.print(Text(f"           fix: {f.fix}", style="dim"), overflow="fold")


def _scan_tail(assessment: Assessment, console: Console) -> None:
    if assessment.skipped:
        console.print(Text("not checked:", style="bold"))
        for s in assessment.skipped:
            where = s.path + (f":{s.line}" if s.line is not None else "")
            console.print(Text(f"  {where}: {s.reason}"), overflow="fold")
    gate = assessment.gate
    if gate is not None:
        if gate.passed:
            console.print(Text("gate: passed", style="bold green"))
        else:
            console.print(Text("gate: FAILED — " + "; ".join(gate.reasons), style="bold red"))
