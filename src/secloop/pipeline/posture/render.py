"""Render a posture outcome: terminal (rich) or JSON (`secloop.posture-report/v1`)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.markup import escape

from secloop.core.enums import Severity, Status
from secloop.pipeline.posture.model import Check
from secloop.pipeline.posture.run import Outcome

REPORT_SCHEMA = "secloop.posture-report/v1"
_ORDER = {Status.FAIL: 0, Status.PARTIAL: 0, Status.UNKNOWN: 1, Status.PASS: 2, Status.NOT_APPLICABLE: 3}
_STYLE = {
    Status.FAIL: "bold red",
    Status.UNKNOWN: "yellow",
    Status.PASS: "green",
    Status.NOT_APPLICABLE: "dim",
    Status.PARTIAL: "yellow",
}


def ordered(checks: tuple[Check, ...]) -> list[Check]:
    return sorted(checks, key=lambda c: (_ORDER[c.status], -c.rule.severity.rank, c.rule.id, c.subject))


def failing(outcome: Outcome, threshold: Severity | None) -> list[Check]:
    if threshold is None:
        return []
    return [c for c in outcome.checks if c.status is Status.FAIL and c.rule.severity.at_least(threshold)]


def render_json(outcome: Outcome) -> str:
    posture = outcome.posture
    doc: dict[str, Any] = {
        "schema": REPORT_SCHEMA,
        "platform": outcome.platform,
        "repo": outcome.repo,
        "fetched": posture is not None,
    }
    if posture is not None:
        snap = posture.snapshot
        doc["branch"] = snap.branch
        doc["fetched_at"] = snap.fetched_at.isoformat().replace("+00:00", "Z")
        doc["api_url"] = snap.api_url
        doc["scorecard_branch_protection"] = (
            None
            if posture.score is None
            else {
                "score": posture.score,
                "tiers": [
                    {"name": t.name, "weight": t.weight, "points": t.points, "max": t.maximum}
                    for t in posture.tiers
                ],
            }
        )
    doc["checks"] = [
        {
            "rule": c.rule.id,
            "title": c.rule.title,
            "status": c.status.value,
            "severity": c.rule.severity.value,
            "reason": c.reason,
            "api_path": c.path,
            **({"subject": c.subject} if c.subject else {}),
        }
        for c in ordered(outcome.checks)
    ]
    landing, activity = outcome.local.landing, outcome.local.activity
    doc["local"] = {
        "review": None
        if landing is None
        else {
            "window": landing.window,
            "changes": landing.total,
            "reviewed": landing.reviewed,
            "via_request": landing.via_request,
            "via_trailer": landing.via_trailer,
            "ratio": round(landing.ratio, 4),
        },
        "maintenance": None
        if activity is None
        else {
            "commits_90d": activity.commits,
            "authors_90d": activity.authors,
            "last_commit": activity.last.isoformat().replace("+00:00", "Z") if activity.last else None,
        },
    }
    doc["saved"] = str(outcome.saved) if outcome.saved else None
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def render_terminal(outcome: Outcome, console: Console) -> None:
    posture = outcome.posture
    head = f"[bold]secloop posture[/bold] {escape(outcome.platform)} {escape(outcome.repo)}"
    if posture is not None:
        snap = posture.snapshot
        stamp = snap.fetched_at.isoformat().replace("+00:00", "Z")
        head += f" (branch {escape(snap.branch or '?')}, fetched {stamp} from {escape(snap.api_url)})"
    console.print(head)
    if posture is not None and posture.score is not None:
        console.print(f"  OpenSSF Scorecard Branch-Protection score: [bold]{posture.score}/10[/bold]")
    for c in ordered(outcome.checks):
        where = f"{c.path}: " if c.path else ""
        console.print(
            f"  [{_STYLE[c.status]}]{c.status.value:<7}[/] {c.rule.id:<35} {c.rule.severity.value:<6} "
            f"{escape(where + c.reason)}",
            soft_wrap=True,
        )
    console.print("[bold]Offline, from local git[/bold]")
    if outcome.local.landing is not None:
        console.print(f"  {escape(outcome.local.landing.describe())}", soft_wrap=True)
    if outcome.local.activity is not None:
        console.print(f"  {escape(outcome.local.activity.describe())}", soft_wrap=True)
    if outcome.local.landing is None and outcome.local.activity is None:
        console.print("  not a git repository, or no commits")
    if outcome.saved is not None:
        console.print(f"Saved to {escape(str(outcome.saved))}; `secloop assess` reads it offline.")
    elif posture is None:
        console.print("Nothing fetched: no token. `secloop assess` keeps these practices unknown.")
