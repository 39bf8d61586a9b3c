"""The DevOps loop as an inline SVG: eight stages on an infinity loop, framed by the pipeline.

Each stage is coloured by its worst practice status and also labelled with that status in words, so
the picture reads without colour and without JavaScript. Coordinates are computed, then rounded, so
the same statuses always give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from html import escape

from secloop.core.enums import Stage, Status
from secloop.core.model import PracticeResult

LOOP_STAGES: tuple[Stage, ...] = tuple(s for s in Stage if s is not Stage.PIPELINE)

# Worst first: a failing practice outweighs a gap, a gap outweighs an undecided check.
WORST_FIRST: tuple[Status, ...] = (
    Status.FAIL,
    Status.PARTIAL,
    Status.UNKNOWN,
    Status.PASS,
    Status.NOT_APPLICABLE,
)

COLOURS: dict[Status | None, str] = {
    Status.FAIL: "#c62828",
    Status.PARTIAL: "#ef8f00",
    Status.UNKNOWN: "#6d6d6d",
    Status.PASS: "#2e7d32",
    Status.NOT_APPLICABLE: "#a8a8a8",
    None: "#d9d9d9",
}

WIDTH, HEIGHT = 720, 380
_CX, _CY = WIDTH / 2, HEIGHT / 2 + 10
_HALF_WIDTH = 290.0
_Y_STRETCH = 1.3
_STROKE = 34
_GAP = 0.03
_SAMPLES = 24
_LABEL_INSET = 58.0


def worst_status(statuses: Iterable[Status]) -> Status | None:
    present = set(statuses)
    return next((s for s in WORST_FIRST if s in present), None)


def stage_statuses(results: Sequence[PracticeResult]) -> dict[Stage, Status | None]:
    return {stage: worst_status(r.status for r in results if r.stage is stage) for stage in Stage}


def status_word(status: Status | None) -> str:
    return status.value if status is not None else "no practices"


def _point(t: float) -> tuple[float, float]:
    """Lemniscate of Bernoulli, stretched vertically so the lobes have room for labels."""
    s, c = math.sin(t), math.cos(t)
    d = 1 + s * s
    return _CX + _HALF_WIDTH * c / d, _CY + _Y_STRETCH * _HALF_WIDTH * s * c / d


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _segment(index: int) -> tuple[str, tuple[float, float]]:
    # Left lobe (plan..test) spans t in [pi/2, 3pi/2], right lobe (deploy..monitor) [3pi/2, 5pi/2];
    # both start at the crossing, so the path flows like the familiar figure of eight.
    start = math.pi / 2 + index * math.pi / 4
    t0, t1 = start + _GAP, start + math.pi / 4 - _GAP
    points = [_point(t0 + (t1 - t0) * k / _SAMPLES) for k in range(_SAMPLES + 1)]
    path = "M" + " L".join(f"{_fmt(x)},{_fmt(y)}" for x, y in points)
    mx, my = _point(start + math.pi / 8)
    lobe_x = _CX - _HALF_WIDTH * 0.55 if index < 4 else _CX + _HALF_WIDTH * 0.55
    dx, dy = lobe_x - mx, _CY - my
    norm = math.hypot(dx, dy) or 1.0
    return path, (mx + dx / norm * _LABEL_INSET, my + dy / norm * _LABEL_INSET)


def _stage_group(stage: Stage, status: Status | None, index: int) -> str:
    path, (lx, ly) = _segment(index)
    word = status_word(status)
    return (
        f'<g class="loop-stage" data-stage="{stage.value}" data-status="{escape(word)}">'
        f"<title>{stage.value}: {escape(word)}</title>"
        f'<path d="{path}" fill="none" stroke="{COLOURS[status]}" stroke-width="{_STROKE}"/>'
        f'<text x="{_fmt(lx)}" y="{_fmt(ly - 2)}" class="loop-name">{stage.value}</text>'
        f'<text x="{_fmt(lx)}" y="{_fmt(ly + 13)}" class="loop-status">{escape(word)}</text>'
        "</g>"
    )


def render_loop(statuses: Mapping[Stage, Status | None]) -> str:
    pipeline = statuses.get(Stage.PIPELINE)
    pipeline_word = status_word(pipeline)
    groups = "".join(_stage_group(stage, statuses.get(stage), n) for n, stage in enumerate(LOOP_STAGES))
    summary = ", ".join(f"{s.value} {status_word(statuses.get(s))}" for s in (*LOOP_STAGES, Stage.PIPELINE))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="loop-title" class="loop">'
        f'<title id="loop-title">The DevOps loop: {escape(summary)}</title>'
        "<style>"
        ".loop text{font-family:sans-serif;text-anchor:middle;fill:#1f1f1f}"
        ".loop-name{font-size:14px;font-weight:bold}.loop-status{font-size:12px}"
        "</style>"
        f'<g class="loop-stage" data-stage="pipeline" data-status="{escape(pipeline_word)}">'
        f"<title>pipeline: {escape(pipeline_word)}</title>"
        f'<rect x="8" y="8" width="{WIDTH - 16}" height="{HEIGHT - 16}" rx="28" fill="none" '
        f'stroke="{COLOURS[pipeline]}" stroke-width="10"/>'
        f'<text x="{_fmt(_CX)}" y="34" class="loop-name">pipeline: {escape(pipeline_word)}</text>'
        "</g>"
        f"{groups}"
        "</svg>"
    )
