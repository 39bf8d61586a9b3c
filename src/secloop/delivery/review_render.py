"""Render the review-flow and churn reports: JSON (`secloop.review/v1`, `secloop.churn/v1`) and terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from secloop import __version__
from secloop.delivery.churn import Churn
from secloop.delivery.review import SMALL, ReviewReport, Stat

REVIEW_SCHEMA = "secloop.review/v1"
CHURN_SCHEMA = "secloop.churn/v1"
DEFINITIONS = {
    "size": "Lines added plus lines removed per merged change.",
    "time_to_first_review": (
        "Hours from opening to the first review or comment by someone other than the author."
    ),
    "time_to_merge": "Hours from opening (git: the branch's first commit) to the merge.",
    "unreviewed": "Share of merged changes with no review by anyone other than the author.",
}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _stat(stat: Stat) -> dict[str, Any]:
    return {
        "median_hours": stat.median,
        "p90_hours": stat.p90,
        "samples": stat.samples,
        "reason": stat.reason,
    }


def review_document(report: ReviewReport, target: str) -> dict[str, Any]:
    window = report.window
    return {
        "schema": REVIEW_SCHEMA,
        "tool": {"name": "secloop", "version": __version__},
        "target": target,
        "basis": report.basis,
        "basis_note": report.note,
        "window": None
        if window is None
        else {"start": _iso(window.start), "end": _iso(window.end), "days": report.window_days},
        "reason": report.reason,
        "path": report.path,
        "path_slice": report.slice_note,
        "unplaced_pull_requests": list(report.unplaced),
        "definitions": DEFINITIONS,
        "changes": len(report.changes),
        "size": {
            "buckets": dict(report.sizes),
            "sized": report.sized,
            "share_at_most_400_lines": report.share_small,
            "note": report.size_note,
        },
        "time_to_first_review": _stat(report.first_review()),
        "time_to_merge": _stat(report.to_merge()),
        "unreviewed": {"share": report.share_unreviewed, "changes": list(report.unreviewed)},
        "merged": [
            {
                "change": c.label,
                "merged": _iso(c.merged),
                "size": c.size,
                "hours_to_first_review": c.to_review,
                "hours_to_merge": c.to_merge,
                "reviewed": c.reviewed,
            }
            for c in report.changes
        ],
    }


def render_review_json(report: ReviewReport, target: str) -> str:
    return json.dumps(review_document(report, target), indent=2, ensure_ascii=False) + "\n"


def _hours(stat: Stat) -> str:
    if stat.median is None:
        return f"— ({stat.reason})"
    return f"median {stat.median:g} h, p90 {stat.p90:g} h (n={stat.samples})"


def render_review_terminal(report: ReviewReport, target: str, console: Console) -> None:
    window = report.window
    span = "no window" if window is None else f"{window.start:%Y-%m-%d} → {window.end:%Y-%m-%d}"
    parts: list[Any] = [
        Text.assemble(
            ("secloop review ", "bold"), (target, "bold cyan"), f"   {span} ({report.window_days} days)"
        ),
        Text(f"basis: {report.note}", style="dim"),
    ]
    if report.slice_note:
        parts.append(Text(report.slice_note))
    if report.unplaced:
        parts.append(
            Text(
                f"left out of the slice, not found on the trunk: {', '.join(report.unplaced)}",
                style="yellow",
            )
        )
    if report.reason:
        parts.append(Text(report.reason, style="yellow"))
    if report.changes:
        table = Table(expand=True, show_edge=False)
        for col in ("measure", "value", "definition"):
            table.add_column(col, overflow="fold")
        buckets = "  ".join(f"{label}: {n}" for label, n in report.sizes)
        small = report.share_small
        size = (
            f"{buckets} (n={report.sized}; {100 * small:.0f}% ≤ {SMALL} lines)"
            if small is not None
            else f"— ({report.size_note or 'no sizes known'})"
        )
        table.add_row("PR size (lines changed)", size, DEFINITIONS["size"])
        table.add_row(
            "time to first review", _hours(report.first_review()), DEFINITIONS["time_to_first_review"]
        )
        table.add_row("time to merge", _hours(report.to_merge()), DEFINITIONS["time_to_merge"])
        share = report.share_unreviewed or 0.0
        listed = ", ".join(report.unreviewed[:8]) + (" …" if len(report.unreviewed) > 8 else "")
        unreviewed = f"{100 * share:.0f}% ({len(report.unreviewed)} of {len(report.changes)})"
        table.add_row(
            "merged without review", unreviewed + (f": {listed}" if listed else ""), DEFINITIONS["unreviewed"]
        )
        parts.append(table)
    console.print(Panel(Group(*parts), title="Review flow", title_align="left"))


def churn_document(result: Churn, target: str, top: int, revision: str, since: str | None) -> dict[str, Any]:
    files = sorted(result.files.values(), key=lambda f: (-f.churn, f.path))
    return {
        "schema": CHURN_SCHEMA,
        "tool": {"name": "secloop", "version": __version__},
        "target": target,
        "revision": revision,
        "since": since,
        "definition": (
            "Lines added and removed per commit against its first parent (renames followed); merge "
            "commits count 0, their lines are counted in the commits they merged."
        ),
        "totals": {
            "commits": len(result.commits),
            "files": len(result.files),
            "added": result.added,
            "removed": result.removed,
        },
        "files": [
            {"path": f.path, "added": f.added, "removed": f.removed, "commits": f.commits}
            for f in (files[:top] if top else files)
        ],
        "commits": [
            {
                "sha": c.sha,
                "author": c.author,
                "time": _iso(datetime.fromtimestamp(c.time, tz=UTC)),
                "added": c.added,
                "removed": c.removed,
                "files": c.files,
            }
            for c in result.commits
        ],
    }


def render_churn_json(result: Churn, target: str, top: int, revision: str, since: str | None) -> str:
    document = churn_document(result, target, top, revision, since)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_churn_terminal(result: Churn, target: str, top: int, console: Console) -> None:
    head = Text.assemble(
        ("secloop churn ", "bold"),
        (target, "bold cyan"),
        f"   {len(result.commits)} commits, {len(result.files)} files, +{result.added} −{result.removed}",
    )
    table = Table(title=f"files by churn (top {top})", expand=True, show_edge=False)
    for col in ("file", "added", "removed", "commits"):
        table.add_column(col, overflow="fold")
    for entry in sorted(result.files.values(), key=lambda f: (-f.churn, f.path))[:top]:
        table.add_row(entry.path, str(entry.added), str(entry.removed), str(entry.commits))
    console.print(Panel(Group(head, table), title="Churn", title_align="left"))
