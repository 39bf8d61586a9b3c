"""Server-side charts: the DORA trend lines as inline SVG (no script), and the metrics they plot.

The metrics come from each saved assessment's `delivery` block. Documents never change once saved,
so what was read from one is cached by assessment id.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape

from markupsafe import Markup

DORA = ("deployment-frequency", "lead-time", "change-failure-rate", "time-to-restore")
TITLES = {
    "deployment-frequency": "Deployment frequency",
    "lead-time": "Lead time for changes",
    "change-failure-rate": "Change failure rate",
    "time-to-restore": "Time to restore service",
}
# json_v1 writes with indent=2: a top-level key, and only a top-level key, starts a line with two spaces.
_DELIVERY_KEY = '\n  "delivery": '
WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 520, 180, 56, 16, 16, 40


@dataclass(frozen=True)
class Measured:
    value: float | None
    unit: str
    reason: str | None


@dataclass(frozen=True)
class Delivery:
    metrics: dict[str, Measured]
    reason: str | None


def delivery_of(document: str) -> Delivery:
    """The `delivery` block of a secloop.assessment/v1 document, parsing no more than that block."""
    block: object = None
    at = document.find(_DELIVERY_KEY)
    if at >= 0:
        try:
            block, _ = json.JSONDecoder().raw_decode(document, at + len(_DELIVERY_KEY))
        except json.JSONDecodeError:
            block = None
    if block is None:
        try:
            whole = json.loads(document)
        except json.JSONDecodeError:
            return Delivery({}, "the stored document is not JSON")
        block = whole.get("delivery") if isinstance(whole, dict) else None
    if not isinstance(block, dict):
        return Delivery({}, "the assessment has no delivery metrics")
    metrics: dict[str, Measured] = {}
    for item in block.get("metrics") or []:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            value = item.get("value")
            metrics[item["id"]] = Measured(
                float(value) if isinstance(value, int | float) else None,
                str(item.get("unit") or ""),
                item.get("reason") if isinstance(item.get("reason"), str) else None,
            )
    reason = block.get("reason")
    return Delivery(metrics, reason if isinstance(reason, str) else None)


class DeliveryCache:
    """A bounded, thread-safe LRU of Delivery by assessment id."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: OrderedDict[int, Delivery] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, assessment_id: int, load: Callable[[int], str | None]) -> Delivery:
        with self._lock:
            if assessment_id in self._items:
                self._items.move_to_end(assessment_id)
                return self._items[assessment_id]
        document = load(assessment_id)
        found = Delivery({}, "the assessment is gone") if document is None else delivery_of(document)
        with self._lock:
            self._items[assessment_id] = found
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return found


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"


def trend_svg(title: str, unit: str, points: list[tuple[datetime, float | None]]) -> Markup | None:
    """A line chart of the measured points, oldest to newest; None when nothing was measured."""
    measured = [(when, value) for when, value in points if value is not None]
    if not measured:
        return None
    peak = max(v for _, v in measured)
    top = peak * 1.1 if peak > 0 else 1.0
    ticks = (0.0, peak / 2, peak) if peak > 0 else (0.0, 0.5, 1.0)
    inner_w, inner_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    step = inner_w / max(1, len(points) - 1)

    def x(index: int) -> float:
        return PAD_LEFT + (index * step if len(points) > 1 else inner_w / 2)

    def y(value: float) -> float:
        return PAD_TOP + inner_h - (value / top) * inner_h

    label = f"{title} ({unit})" if unit else title
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{escape(label)}">',
        f"<title>{escape(label)}</title>",
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP + inner_h}" x2="{WIDTH - PAD_RIGHT}" '
        f'y2="{PAD_TOP + inner_h}"/>',
        f'<line class="axis" x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{PAD_TOP + inner_h}"/>',
    ]
    for value in ticks:
        parts.append(
            f'<text class="tick" x="{PAD_LEFT - 6}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{_fmt(value)}</text>'
        )
    path = [f"{x(i):.1f},{y(v):.1f}" for i, (_, v) in enumerate(points) if v is not None]
    if len(path) > 1:
        parts.append(f'<polyline class="line" points="{" ".join(path)}"/>')
    for index, (when, measure) in enumerate(points):
        day = when.strftime("%Y-%m-%d")
        if measure is not None:
            parts.append(
                f'<circle class="dot" cx="{x(index):.1f}" cy="{y(measure):.1f}" r="3.5">'
                f"<title>{escape(day)}: {_fmt(measure)} {escape(unit)}</title></circle>"
            )
        if index in (0, len(points) - 1) or len(points) <= 6:
            parts.append(
                f'<text class="tick" x="{x(index):.1f}" y="{HEIGHT - PAD_BOTTOM + 16}" '
                f'text-anchor="middle">{escape(when.strftime("%m-%d"))}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # nosec B704: every interpolated text above is escaped
