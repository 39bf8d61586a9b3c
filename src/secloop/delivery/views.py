"""Render the trunk and flow reports: JSON (`secloop.trunk/v1`, `secloop.flow/v1`) and terminal text.

Both take finished reports and only render; nothing is recomputed or filtered here.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from secloop import __version__
from secloop.core.enums import Status
from secloop.core.model import Skipped
from secloop.delivery.flow import RISK_DEBT_SHARE, FlowReport, Mix
from secloop.delivery.model import Window, WorkType
from secloop.delivery.render import sparkline
from secloop.delivery.trunk import DAILY, IDEAL_HOURS, MAX_HOURS, THRESHOLDS, TrunkReport, days

TRUNK_SCHEMA = "secloop.trunk/v1"
FLOW_SCHEMA = "secloop.flow/v1"
TRUNK_SOURCE = "https://trunkbaseddevelopment.com/"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 2)


def _window(window: Window | None, days_: int) -> dict[str, Any] | None:
    if window is None:
        return None
    return {"start": _iso(window.start), "end": _iso(window.end), "days": days_}


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _skipped(skipped: tuple[Skipped, ...]) -> list[dict[str, Any]]:
    return [{"path": s.path, "line": s.line, "column": s.column, "reason": s.reason} for s in skipped]


def trunk_document(report: TrunkReport, target: str) -> dict[str, Any]:
    stats = report.stats
    document: dict[str, Any] = {
        "schema": TRUNK_SCHEMA,
        "tool": {"name": "secloop", "version": __version__},
        "target": target,
        "trunk": report.trunk,
        "window": _window(stats.window if stats else None, report.window_days),
        "thresholds": {
            "ideal_branch_hours": IDEAL_HOURS,
            "max_branch_hours": MAX_HOURS,
            "integrations_per_weekday": DAILY,
            "source": TRUNK_SOURCE,
        },
        "verdict": {"status": report.status.value, "summary": report.summary},
        "path": report.path,
        "path_slice": report.slice_note,
        "sources": list(report.basis),
        "shallow": report.truncated,
        "integrations": None,
        "branches": None,
        "active_branches": [],
    }
    if stats is None:
        return document
    merges = stats.integrations - stats.squashes - stats.direct
    document["integrations"] = {
        "total": stats.integrations,
        "weekdays": stats.weekdays,
        "per_weekday": round(stats.per_weekday, 2),
        "merges": merges,
        "squash_merges": stats.squashes,
        "direct_commits": stats.direct,
    }
    document["branches"] = {
        "merged": len(stats.branches),
        "from_merge_commits": stats.from_git,
        "from_pull_requests": stats.from_pulls,
        "squash_merges_unmeasured": stats.unmeasured,
        "lifetime_hours": {
            "median": None if stats.median_hours is None else round(stats.median_hours, 2),
            "p90": stats.p90_hours,
            "max": stats.max_hours,
        },
        "within_1_day_percent": _percent(stats.share_within(24)),
        "within_2_days_percent": _percent(stats.share_within(48)),
        "merged_branches": [
            {
                "merge": b.merge,
                "subject": b.subject,
                "hours": b.hours,
                "commits": b.commits,
                "source": b.source,
                "origin": b.origin,
                "measured_from": b.start,
            }
            for b in stats.branches
        ],
    }
    document["active_branches"] = [
        {
            "name": a.name,
            "tip": a.tip,
            "commits": a.commits,
            "first_commit": _iso(a.first),
            "age_hours": a.hours,
        }
        for a in report.active
    ]
    return document


_VERDICT_STYLE = {Status.PASS: "green", Status.PARTIAL: "yellow", Status.FAIL: "red"}


def render_trunk_json(report: TrunkReport, target: str) -> str:
    return _dump(trunk_document(report, target))


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:g} h ({days(value)})"


def render_trunk_terminal(report: TrunkReport, target: str, console: Console) -> None:
    stats = report.stats
    span = "no window" if stats is None else f"{stats.window.start:%Y-%m-%d} → {stats.window.end:%Y-%m-%d}"
    parts: list[Any] = [
        Text.assemble(
            ("secloop trunk ", "bold"),
            (target, "bold cyan"),
            f"   trunk: {report.trunk}   {span} ({report.window_days} days)",
        )
    ]
    if stats is not None:
        table = Table(expand=True, show_edge=False)
        table.add_column("measure")
        table.add_column("value", overflow="fold")
        table.add_row(
            "integrations to trunk",
            f"{stats.integrations} over {stats.weekdays} weekdays: {stats.per_weekday:.2f} per weekday "
            f"({stats.integrations - stats.squashes - stats.direct} merges, {stats.squashes} squash or "
            f"rebase, {stats.direct} direct)",
        )
        table.add_row(
            "merged branches",
            f"{len(stats.branches)} ({stats.from_git} from merge commits, "
            f"{stats.from_pulls} from pull requests)",
        )
        table.add_row("branch lifetime median", _hours(stats.median_hours))
        table.add_row("branch lifetime p90", _hours(stats.p90_hours))
        table.add_row("branch lifetime max", _hours(stats.max_hours))
        for label, hours in (("≤ 1 day", 24), ("≤ 2 days", 48)):
            share = _percent(stats.share_within(hours))
            table.add_row(f"branches living {label}", "—" if share is None else f"{share:g}%")
        table.add_row("active branches", str(len(report.active)))
        parts.append(table)
    if report.slice_note:
        parts.append(Text(report.slice_note))
    style = _VERDICT_STYLE.get(report.status, "yellow")
    parts.append(Text(f"verdict: {report.status.value}: {report.summary}", style=style))
    for line in report.basis:
        parts.append(Text(f"source: {line}", style="dim"))
    parts.append(Text(THRESHOLDS, style="dim"))
    console.print(Panel(Group(*parts), title="Trunk-based development", title_align="left"))
    if report.active:
        table = Table(title="active branches (not merged into the trunk)", expand=True, show_edge=False)
        for col in ("branch", "tip", "commits", "first commit", "age"):
            table.add_column(col, overflow="fold")
        for a in report.active:
            table.add_row(a.name, a.tip[:12], str(a.commits), f"{a.first:%Y-%m-%d %H:%M}", days(a.hours))
        console.print(table)
    if report.truncated:
        console.print(Text("shallow clone: history before the shallow boundary is missing", style="yellow"))


def _mix(mix: Mix) -> dict[str, Any]:
    counts = {t.value: mix.count(t) for t in WorkType}
    passes = mix.passes
    return counts | {
        "total": mix.total,
        "risk_debt_percent": _percent(mix.share),
        "check": None if passes is None else ("pass" if passes else "fail"),
    }


def flow_document(
    report: FlowReport | None, target: str, window_days: int, reason: str | None, skipped: tuple[Skipped, ...]
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "schema": FLOW_SCHEMA,
        "tool": {"name": "secloop", "version": __version__},
        "target": target,
        "window": _window(report.window if report else None, window_days),
        "reason": reason,
        "check": {
            "rule": "risk + debt >= 20% of the completed items",
            "threshold_percent": 100 * RISK_DEBT_SHARE,
        },
        "work_items": 0 if report is None else report.items,
        "distribution": None,
        "periods": [],
        "flow_time_days": None,
        "flow_load": None,
        "flow_velocity_per_week": None,
        "flow_efficiency": None,
        "skipped": _skipped(skipped),
    }
    if report is None:
        return document
    document["distribution"] = _mix(report.mix)
    document["periods"] = [
        {"start": _iso(p.window.start), "end": _iso(p.window.end)} | _mix(p.mix) for p in report.periods
    ]
    document["flow_time_days"] = {
        "median": report.flow_time_median,
        "p90": report.flow_time_p90,
        "samples": len(report.flow_time_days),
    }
    document["flow_load"] = {"count": len(report.load), "items": sorted(i.id for i in report.load)}
    document["flow_velocity_per_week"] = report.velocity
    document["flow_efficiency"] = {
        "definition": "median over completed items with a start of (done - started) / (done - created); "
        "an upper bound, since waiting after the start is not visible without status history",
        "median": report.efficiency_median,
        "samples": len(report.efficiency),
    }
    return document


def render_flow_json(
    report: FlowReport | None, target: str, window_days: int, reason: str | None, skipped: tuple[Skipped, ...]
) -> str:
    return _dump(flow_document(report, target, window_days, reason, skipped))


def _check(mix: Mix) -> str:
    share = _percent(mix.share)
    if share is None:
        return "— (nothing completed)"
    return f"{'pass' if mix.passes else 'fail'} ({share:g}% risk + debt)"


def render_flow_terminal(
    report: FlowReport | None,
    target: str,
    window_days: int,
    reason: str | None,
    skipped: tuple[Skipped, ...],
    console: Console,
) -> None:
    span = "no window" if report is None else f"{report.window.start:%Y-%m-%d} → {report.window.end:%Y-%m-%d}"
    parts: list[Any] = [
        Text.assemble(("secloop flow ", "bold"), (target, "bold cyan"), f"   {span} ({window_days} days)")
    ]
    if reason:
        parts.append(Text(reason, style="yellow"))
    if report is not None:
        table = Table(expand=True, show_edge=False)
        for col in ("period", *(t.value for t in WorkType), "total", "risk + debt ≥ 20%"):
            table.add_column(col, overflow="fold")
        rows = [(f"{p.window.start:%Y-%m-%d} → {p.window.end:%Y-%m-%d}", p.mix) for p in report.periods]
        for label, mix in [*rows, ("whole window", report.mix)]:
            table.add_row(label, *(str(n) for n in mix.counts), str(mix.total), _check(mix))
        parts.append(table)
        median, worst = report.flow_time_median, report.flow_time_p90
        time = "—" if median is None else f"median {median:g} days, p90 {worst:g} days"
        parts.append(Text(f"flow time (created → done): {time} (n={len(report.flow_time_days)})"))
        parts.append(Text(f"flow load (started, not done at the window's end): {len(report.load)}"))
        parts.append(Text(f"flow velocity: {report.velocity:g} done per week"))
        eff = report.efficiency_median
        shown = "— (no completed item has a start)" if eff is None else f"{100 * eff:.0f}% median"
        parts.append(
            Text(f"flow efficiency (started → done of created → done): {shown} (n={len(report.efficiency)})")
        )
        totals = [p.mix.total for p in report.periods]
        if totals:
            parts.append(Text(f"done per 4 weeks, oldest first: {sparkline(totals)}  (max {max(totals)})"))
    console.print(Panel(Group(*parts), title="Flow", title_align="left"))
    for s in skipped:
        where = s.path + (f":{s.line}" if s.line else "") + (f":{s.column}" if s.column else "")
        console.print(Text(f"skipped {where}: {s.reason}", style="yellow"))
