"""Replay reports: plain text for the terminal and the versioned JSON `secloop.alerts-replay/v1`."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence

from secloop.alerts.replay import AlertScore, Incident, Replay
from secloop.alerts.webhook import rfc3339

SCHEMA = "secloop.alerts-replay/v1"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _seconds(values: Sequence[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not values:
        return "n/a"
    text = f"median {statistics.median(known):.0f}s, max {max(known):.0f}s" if known else ""
    still = len(values) - len(known)
    if still:
        text += f"{', ' if text else ''}{still} still firing at the end"
    return text


def _interval(start: float, end: float | None) -> str:
    return f"{rfc3339(start)} .. {rfc3339(end) if end is not None else 'still firing'}"


def render_text(result: Replay, scores: list[AlertScore], incidents: list[Incident]) -> str:
    lines = [
        f"replayed {result.evaluations} evaluations every {result.step:g}s "
        f"from {rfc3339(result.start)} to {rfc3339(result.end)}; {len(incidents)} labelled incident(s)",
        "",
    ]
    for item in scores:
        head = f"{item.alert} [{item.severity or 'no severity'}]: fired {len(item.intervals)} time(s)"
        lines.append(head)
        for start, end in item.intervals[:20]:
            lines.append(f"  fired {_interval(start, end)}")
        if incidents:
            fired = f"{item.true_intervals}/{len(item.intervals)} intervals during an incident"
            caught = f"{item.detected}/{item.incidents} incidents"
            lines.append(
                f"  precision {_ratio(item.precision)} ({fired}); recall {_ratio(item.recall)} ({caught})"
            )
            lines.append(
                f"  detection time {_seconds(item.detection_s)}; reset time {_seconds(item.reset_s)}"
            )
    return "\n".join(lines) + "\n"


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def render_json(result: Replay, scores: list[AlertScore], incidents: list[Incident]) -> str:
    data = {
        "schema": SCHEMA,
        "start": rfc3339(result.start),
        "end": rfc3339(result.end),
        "step_seconds": result.step,
        "evaluations": result.evaluations,
        "incidents": [
            {"name": i.name, "start": rfc3339(i.start), "end": rfc3339(i.end), "alerts": list(i.alerts)}
            for i in incidents
        ],
        "alerts": [
            {
                "alert": s.alert,
                "severity": s.severity,
                "fired": [
                    {"start": rfc3339(a), "end": None if b is None else rfc3339(b)} for a, b in s.intervals
                ],
                "incidents": s.incidents,
                "detected": s.detected,
                "precision": _round(s.precision),
                "recall": _round(s.recall),
                "detection_seconds": list(s.detection_s),
                "reset_seconds": list(s.reset_s),
            }
            for s in scores
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
