"""Terminal and JSON (secloop.monitor/v1) views of a monitor report, and one-line incident notices."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from secloop.core.enums import Severity
from secloop.monitor.detect import Incident
from secloop.monitor.engine import Report
from secloop.monitor.events import iso

SCHEMA = "secloop.monitor/v1"


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "detection": incident.detection,
        "key": incident.key,
        "severity": incident.severity,
        "status": "open" if incident.closed is None else "closed",
        "window_seconds": incident.window,
        "threshold": incident.threshold,
        "first": iso(incident.first),
        "opened": iso(incident.opened),
        "last": iso(incident.last),
        "closed": iso(incident.closed) if incident.closed is not None else None,
        "count": incident.count,
        "accounts": dict(sorted(incident.accounts.items(), key=lambda kv: (-kv[1], kv[0]))),
        "sources": dict(sorted(incident.sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        "note": incident.note,
        "opened_by": incident.trigger,
        "samples": list(incident.samples),
    }


def render_json(report: Report, threshold: Severity | None) -> str:
    stats, summary = report.stats, report.summary
    failing = report.at_or_above(threshold)
    data = {
        "schema": SCHEMA,
        "files": [{"path": path, "format": fmt} for path, fmt in stats.files.items()],
        "lines": {
            "total": stats.lines,
            "events": stats.events,
            "ignored": stats.ignored,
            "malformed": stats.malformed,
        },
        "malformed_samples": stats.malformed_samples,
        "events": {
            "first": iso(summary.first) if summary.first is not None else None,
            "last": iso(summary.last) if summary.last is not None else None,
            "by_type": [
                {"event": type_, "source": source, "count": count}
                for (type_, source), count in sorted(summary.by_type.items())
            ],
            "top_failing_sources": [{"ip": ip, "failures": n} for ip, n in summary.top_sources()],
            "approximate": summary.approximate,
        },
        "detections_enabled": list(report.detections),
        "detections": [incident_json(i) for i in report.incidents],
        "detections_dropped": report.dropped,
        "gate": {
            "fail_on": threshold.value if threshold is not None else "none",
            "passed": not failing,
        },
    }
    return json.dumps(data, indent=2) + "\n"


def notice(incident: Incident, action: str) -> str:
    """One line per opened or closed incident, for `follow`."""
    when = iso(incident.opened if action == "opened" else incident.closed or incident.last)
    text = f"{when} {action.upper()} {incident.severity} {incident.detection} {incident.key}"
    text += f": {incident.count} event(s) since {iso(incident.first)}"
    return text + (f" — {incident.note}" if incident.note else "")


def render_terminal(report: Report, threshold: Severity | None, console: Console) -> None:
    stats, summary = report.stats, report.summary
    files = ", ".join(f"{path} ({fmt})" for path, fmt in stats.files.items()) or "(none)"
    console.print(f"[bold]secloop monitor[/bold] {escape(files)}")
    console.print(
        f"{stats.lines} lines: {stats.events} security events, {stats.ignored} other, "
        f"{stats.malformed} malformed"
    )
    for sample in stats.malformed_samples[:5]:
        console.print(f"  malformed {escape(sample)}")
    if summary.first is not None and summary.last is not None:
        console.print(f"events from {iso(summary.first)} to {iso(summary.last)}")
    for (type_, source), count in sorted(summary.by_type.items(), key=lambda kv: (-kv[1], kv[0])):
        console.print(f"  {count:>9}  {type_} ({source})")
    top = summary.top_sources(5)
    if top:
        approx = " (approximate)" if summary.approximate else ""
        console.print(f"top failing sources{approx}: " + ", ".join(f"{ip} {n}" for ip, n in top))
    console.print()
    if not report.incidents:
        console.print(
            f"no detection fired ({len(report.detections)} enabled: {', '.join(report.detections)})"
        )
    for incident in report.incidents:
        state = "open" if incident.closed is None else f"closed {iso(incident.closed)}"
        console.print(
            f"[bold]{incident.severity.upper()}[/bold] {incident.detection} "
            f"[cyan]{escape(incident.key)}[/cyan]: "
            f"{incident.count} event(s) {iso(incident.first)} .. {iso(incident.last)}, "
            f"threshold {incident.threshold} in {incident.window}s, {state}"
        )
        if incident.note:
            console.print(f"  {escape(incident.note)}")
        if incident.sources and incident.detection in ("brute-force", "account-lockout"):
            console.print("  sources: " + escape(", ".join(f"{k} {v}" for k, v in incident.sources.items())))
        if incident.accounts and incident.detection not in ("brute-force", "account-lockout"):
            console.print(
                "  accounts: " + escape(", ".join(f"{k} {v}" for k, v in incident.accounts.items()))
            )
        for sample in incident.samples[:3]:
            console.print(f"  {escape(sample)}")
    if report.dropped:
        console.print(f"… and {report.dropped} more incident(s) not kept")
    failing = report.at_or_above(threshold)
    if threshold is not None:
        verdict = "failed" if failing else "passed"
        console.print(f"\ngate {verdict}: {len(failing)} detection(s) at or above {threshold.value}")
