"""Render a DoraReport: the versioned JSON document `secloop.dora/v1` and the terminal view.

Both take the finished report and only render; nothing is recomputed or filtered here.
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
from secloop.delivery.metrics import DoraReport, Measure
from secloop.delivery.paradox import month_points
from secloop.delivery.tiers import reports

SCHEMA = "secloop.dora/v1"
_SPARK = "▁▂▃▄▅▆▇█"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _measure(m: Measure) -> dict[str, Any]:
    metric = m.metric
    return {
        "id": metric.id,
        "title": metric.title,
        "value": metric.value,
        "unit": metric.unit,
        "tier": metric.tier,
        "samples": metric.samples,
        "definition": metric.definition,
        "reason": metric.reason,
        "details": dict(m.details),
    }


def _timing(report: DoraReport) -> dict[str, Any] | None:
    timing = report.timing
    if timing is None:
        return None
    return {
        "working_hours": timing.hours.describe(),
        "deployments": timing.total,
        "inside": timing.inside,
        "share_inside": timing.share_inside,
        "outside": [{"time": _iso(d.time), "version": d.version, "sha": d.sha} for d in timing.outside],
        "with_downtime": [
            {"time": _iso(d.time), "version": d.version, "sha": d.sha, "downtime_minutes": d.downtime_minutes}
            for d in timing.with_downtime
        ],
    }


def to_document(report: DoraReport, target: str) -> dict[str, Any]:
    options = report.options
    tiers = reports()[options.tiers]
    window = report.window
    return {
        "schema": SCHEMA,
        "tool": {"name": "secloop", "version": __version__},
        "target": target,
        "environment": options.environment,
        "window": None
        if window is None
        else {"start": _iso(window.start), "end": _iso(window.end), "days": options.window_days},
        "failure_window_days": options.failure_window_days,
        "tiers": {"report": tiers.id, "title": tiers.title, "url": tiers.url},
        "reason": report.reason,
        "sources": list(report.sources),
        "metrics": [_measure(m) for m in report.measures],
        "weekly_deployments": list(report.weekly),
        "monthly": [
            {"month": m.month, "deployments": m.deployments, "failed": m.failed} for m in report.months
        ],
        "speed_vs_stability": [
            {
                "month": p.month,
                "deployments": p.deployments,
                "change_failure_rate": p.failure_rate,
                "lead_time_hours": p.lead_hours,
                "time_to_restore_hours": p.restore_hours,
            }
            for p in month_points(report)
        ],
        "release_timing": _timing(report),
        "deployments": [
            {
                "time": _iso(row.deployment.time),
                "environment": row.deployment.environment,
                "sha": row.deployment.sha,
                "version": row.deployment.version,
                "source": row.deployment.source.value,
                "origin": row.deployment.origin,
                "changes": row.changes,
                "failed": list(row.failed),
                "rework": row.rework,
            }
            for row in report.deployments
        ],
        "incidents": [
            {
                "id": row.incident.id,
                "opened": _iso(row.incident.opened),
                "resolved": _iso(row.incident.resolved),
                "severity": row.incident.severity,
                "title": row.incident.title,
                "link": row.link,
                "deployment": row.deployment,
                "note": row.note,
            }
            for row in report.incidents
        ],
        "skipped": [
            {"path": s.path, "line": s.line, "column": s.column, "reason": s.reason} for s in report.skipped
        ],
    }


def render_json(report: DoraReport, target: str) -> str:
    return json.dumps(to_document(report, target), indent=2, ensure_ascii=False) + "\n"


def sparkline(counts: tuple[int, ...] | list[int]) -> str:
    top = max(counts, default=0)
    if top == 0:
        return "·" * len(counts)
    return "".join("·" if c == 0 else _SPARK[min(7, (c * 8 - 1) // top)] for c in counts)


def _value(m: Measure) -> str:
    metric, details = m.metric, dict(m.details)
    if metric.value is None:
        return "—"
    text = f"{metric.value:g} {metric.unit}"
    if metric.id == "lead-time":
        text += f" (p90 {details['p90_hours']:g})"
    elif metric.id == "deployment-frequency" and details.get("bucket_text"):
        text += f" ({details['bucket_text']})"
    elif metric.id == "change-failure-rate":
        bands = [f"{k.removeprefix('rate_')} {v:g}" for k, v in m.details if k.startswith("rate_")]
        text += f" ({', '.join(bands)})"
    return text


def render_terminal(report: DoraReport, target: str, console: Console) -> None:
    options, window = report.options, report.window
    span = "no window" if window is None else f"{window.start:%Y-%m-%d} → {window.end:%Y-%m-%d}"
    head = Text.assemble(
        ("secloop dora ", "bold"),
        (target, "bold cyan"),
        f"   {options.environment}   {span} ({options.window_days} days)   tiers: DORA {options.tiers}",
    )
    parts: list[Any] = [head]
    if report.reason:
        parts.append(Text(report.reason, style="yellow"))
    if report.measures:
        table = Table(expand=True, show_edge=False)
        for col in ("metric", "value", "tier", "n", "definition"):
            table.add_column(col, overflow="fold")
        for m in report.measures:
            metric = m.metric
            table.add_row(
                metric.title,
                _value(m),
                metric.tier or "—",
                str(metric.samples),
                metric.reason or metric.definition,
            )
        parts.append(table)
        parts.append(
            Text(
                f"deployments per week, oldest first: {sparkline(report.weekly)}  (max {max(report.weekly)})"
            )
        )
        if report.months:
            months = ", ".join(f"{m.month} {m.deployments}/{m.failed}" for m in report.months)
            parts.append(Text(f"deployments/failed per month: {months}"))
        timing = report.timing
        if timing is not None and timing.total:
            share = timing.share_inside or 0.0
            line = f"release timing: {100 * share:.0f}% of deployments inside {timing.hours.describe()}"
            if timing.outside:
                line += f"; outside: {', '.join(d.label for d in timing.outside[:5])}"
                line += " …" if len(timing.outside) > 5 else ""
            if timing.with_downtime:
                line += f"; {len(timing.with_downtime)} with downtime"
            parts.append(Text(line))
    console.print(Panel(Group(*parts), title="DORA", title_align="left"))
    if report.deployments:
        table = Table(title="deployments in the window", expand=True, show_edge=False)
        for col in ("time", "version", "sha", "source", "changes", "failed or rework"):
            table.add_column(col, overflow="fold")
        for row in report.deployments:
            d = row.deployment
            notes = "; ".join([*row.failed, *([f"rework: {row.rework}"] if row.rework else [])])
            table.add_row(
                f"{d.time:%Y-%m-%d %H:%M}",
                d.version or "—",
                d.sha[:12],
                d.source.value,
                str(row.changes),
                notes or "—",
            )
        console.print(table)
    if report.incidents:
        table = Table(title="incidents in the window", expand=True, show_edge=False)
        for col in ("id", "opened", "resolved", "link", "deployment", "note"):
            table.add_column(col, overflow="fold")
        for seen in report.incidents:
            i = seen.incident
            resolved = f"{i.resolved:%Y-%m-%d %H:%M}" if i.resolved else "open"
            table.add_row(
                i.id, f"{i.opened:%Y-%m-%d %H:%M}", resolved, seen.link, seen.deployment or "—", seen.note
            )
        console.print(table)
    for line in report.sources:
        console.print(Text(line, style="dim"))
    for s in report.skipped:
        where = s.path + (f":{s.line}" if s.line else "") + (f":{s.column}" if s.column else "")
        console.print(Text(f"skipped {where}: {s.reason}", style="yellow"))
