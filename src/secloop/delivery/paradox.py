"""Speed against stability per month (the DORA "paradox": elite teams are both faster and more stable).

`month_points` derives, from a finished DoraReport only, one point per calendar month (UTC) with a
production deployment in the window: deployments, change failure rate, median lead time of the
changes shipped that month, and median time to restore of the incidents opened that month.
`render_html` writes one self-contained page: two inline SVG scatter charts (deployments per month
against change failure rate; median lead time against median time to restore), each point a month,
joined in time order, and the table of values. No JavaScript, no external asset, no clock: the same
report gives the same bytes.
"""

from __future__ import annotations

import html
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from secloop import __version__
from secloop.delivery.metrics import DoraReport

WIDTH, HEIGHT = 520, 380
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 24, 52


@dataclass(frozen=True, slots=True)
class MonthPoint:
    month: str
    deployments: int
    failed: int
    lead_hours: float | None  # median over the changes shipped first in the month
    restore_hours: float | None  # median over the incidents opened in the month and resolved

    @property
    def failure_rate(self) -> float:
        return round(100 * self.failed / self.deployments, 2) if self.deployments else 0.0


def month_points(report: DoraReport) -> tuple[MonthPoint, ...]:
    deployments: dict[str, list[int]] = {}
    leads: dict[str, list[float]] = {}
    for row in report.deployments:
        month = f"{row.deployment.time:%Y-%m}"
        counts = deployments.setdefault(month, [0, 0])
        counts[0] += 1
        counts[1] += int(bool(row.failed))
        leads.setdefault(month, []).extend(row.leads)
    restores: dict[str, list[float]] = {}
    for seen in report.incidents:
        duration = seen.incident.duration
        if duration is not None:
            restores.setdefault(f"{seen.incident.opened:%Y-%m}", []).append(duration.total_seconds() / 3600)
    return tuple(
        MonthPoint(
            month,
            n,
            failed,
            _median(leads.get(month, [])),
            _median(restores.get(month, [])),
        )
        for month, (n, failed) in sorted(deployments.items())
    )


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten at or above ``value`` (at least 1)."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Chart:
    title: str
    x_label: str
    y_label: str
    points: tuple[tuple[str, float, float], ...]  # (month, x, y), oldest first
    left_out: int  # months without both values

    @property
    def x_max(self) -> float:
        return nice_max(max((x for _, x, _ in self.points), default=0.0))

    @property
    def y_max(self) -> float:
        return nice_max(max((y for _, _, y in self.points), default=0.0))

    def place(self, x: float, y: float) -> tuple[float, float]:
        """SVG coordinates of a value pair."""
        inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
        return (
            round(LEFT + inner_w * x / self.x_max, 2),
            round(TOP + inner_h * (1 - y / self.y_max), 2),
        )


def charts(points: Sequence[MonthPoint]) -> tuple[Chart, Chart]:
    speed = Chart(
        "Deployment frequency against change failure rate",
        "production deployments in the month",
        "change failure rate (%)",
        tuple((p.month, float(p.deployments), p.failure_rate) for p in points),
        0,
    )
    both = [p for p in points if p.lead_hours is not None and p.restore_hours is not None]
    recovery = Chart(
        "Lead time against time to restore",
        "median lead time for changes (hours)",
        "median time to restore (hours)",
        tuple((p.month, p.lead_hours or 0.0, p.restore_hours or 0.0) for p in both),
        len(points) - len(both),
    )
    return speed, recovery


def svg(chart: Chart) -> str:
    e = html.escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{e(chart.title)}">',
        f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" height="{HEIGHT - TOP - BOTTOM}" '
        'fill="#fafafa" stroke="#999"/>',
    ]
    for tick in range(5):
        xv, yv = chart.x_max * tick / 4, chart.y_max * tick / 4
        x, _ = chart.place(xv, 0)
        _, y = chart.place(0, yv)
        parts.append(f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{HEIGHT - BOTTOM}" stroke="#e2e2e2"/>')
        parts.append(f'<line x1="{LEFT}" y1="{y}" x2="{WIDTH - RIGHT}" y2="{y}" stroke="#e2e2e2"/>')
        parts.append(
            f'<text x="{x}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11">{_fmt(xv)}</text>'
        )
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" font-size="11">{_fmt(yv)}</text>')
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 12}" text-anchor="middle" '
        f'font-size="12">{e(chart.x_label)}</text>'
    )
    parts.append(
        f'<text x="14" y="{(TOP + HEIGHT - BOTTOM) / 2}" text-anchor="middle" font-size="12" '
        f'transform="rotate(-90 14 {(TOP + HEIGHT - BOTTOM) / 2})">{e(chart.y_label)}</text>'
    )
    placed = [(month, x, y, *chart.place(x, y)) for month, x, y in chart.points]
    if len(placed) > 1:
        line = " ".join(f"{cx},{cy}" for *_, cx, cy in placed)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#7a9cc6" stroke-width="1.5"/>')
    last = len(placed) - 1
    for number, (month, x, y, cx, cy) in enumerate(placed):
        fill = "#1f4e8c" if number == last else "#7a9cc6"
        parts.append(
            f'<circle cx="{cx}" cy="{cy}" r="5" fill="{fill}" data-month="{month}" '
            f'data-x="{_fmt(x)}" data-y="{_fmt(y)}"><title>{month}: {_fmt(x)}, {_fmt(y)}</title></circle>'
        )
        parts.append(f'<text x="{cx + 7}" y="{cy - 7}" font-size="10" fill="#555">{month}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:1120px}"
    "figure{display:inline-block;margin:0 1rem 1rem 0;vertical-align:top}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}"
    "th:first-child,td:first-child{text-align:left}p.note{color:#555;font-size:.9rem}"
)


def _cell(value: float | None) -> str:
    return "—" if value is None else _fmt(value)


def render_html(report: DoraReport, target: str) -> str:
    e = html.escape
    points = month_points(report)
    window = report.window
    span = "no window" if window is None else f"{window.start:%Y-%m-%d} to {window.end:%Y-%m-%d}"
    head = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>secloop dora: speed against stability, {e(target)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Speed against stability: {e(target)}</h1>",
        f"<p>{e(report.options.environment)}, {e(span)} ({report.options.window_days} days); "
        f"secloop {e(__version__)}. Each point is a calendar month (UTC), joined oldest to newest; "
        "the darkest is the latest. Elite teams sit low on both charts while moving right on the first: "
        "speed and stability go together.</p>",
    ]
    if report.reason:
        head.append(f'<p class="note">{e(report.reason)}</p>')
    body: list[str] = []
    if points:
        for chart in charts(points):
            note = (
                f"<figcaption>{chart.left_out} month(s) without both a lead time and a resolved incident "
                "are not plotted.</figcaption>"
                if chart.left_out
                else ""
            )
            body.append(f"<figure><h2>{e(chart.title)}</h2>\n{svg(chart)}\n{note}</figure>")
        rows = "\n".join(
            f"<tr><td>{p.month}</td><td>{p.deployments}</td><td>{p.failed}</td>"
            f"<td>{_fmt(p.failure_rate)}</td><td>{_cell(p.lead_hours)}</td><td>{_cell(p.restore_hours)}</td></tr>"
            for p in points
        )
        body.append(
            "<h2>Per month</h2><table><thead><tr><th>month</th><th>deployments</th><th>failed</th>"
            "<th>change failure rate (%)</th><th>median lead time (h)</th><th>median time to restore (h)</th>"
            f"</tr></thead><tbody>\n{rows}\n</tbody></table>"
        )
    definitions = "".join(
        f"<li><b>{e(m.metric.title)}</b>: {e(m.metric.definition)}</li>" for m in report.measures
    )
    tail = [
        f"<h2>Definitions</h2><ul>{definitions}</ul>" if definitions else "",
        "".join(f'<p class="note">{e(line)}</p>' for line in report.sources),
        "</body></html>",
    ]
    return "\n".join([*head, *body, *tail]) + "\n"
