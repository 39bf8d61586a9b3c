"""DORA tier tables (data in tiers.toml, each cell with its source) and the classification of a value."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

TIERS = ("elite", "high", "medium", "low")
BUCKETS = (
    "multiple-per-day",
    "daily-to-weekly",
    "weekly-to-monthly",
    "monthly-to-six-monthly",
    "fewer-than-six-monthly",
)
BUCKET_TEXT = {
    "multiple-per-day": "on demand (multiple deploys per day)",
    "daily-to-weekly": "between once per day and once per week",
    "weekly-to-monthly": "between once per week and once per month",
    "monthly-to-six-monthly": "between once per month and once every six months",
    "fewer-than-six-monthly": "fewer than once every six months",
}
# The fourth key was "time to restore service" until 2021 and "failed deployment recovery time" after.
_RESTORE = ("time-to-restore", "failed-deployment-recovery-time")


@dataclass(frozen=True, slots=True)
class Cell:
    tier: str
    text: str
    source: str
    bound: float | None  # hours, percent, or the bucket's rank; None: not used to classify


@dataclass(frozen=True, slots=True)
class Row:
    metric: str
    title: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True, slots=True)
class Report:
    id: str
    title: str
    publisher: str
    url: str
    note: str
    rows: tuple[Row, ...]

    def row(self, metric: str) -> Row | None:
        for candidate in (metric, *(m for m in _RESTORE if metric in _RESTORE and m != metric)):
            for row in self.rows:
                if row.metric == candidate:
                    return row
        return None


@dataclass(frozen=True, slots=True)
class Classified:
    tier: str | None
    note: str  # which cell decided, or why no tier is given


def _cell(tier: str, raw: dict[str, object]) -> Cell:
    bound: float | None = None
    if "max_bucket" in raw:
        bound = float(BUCKETS.index(str(raw["max_bucket"])))
    elif "max_hours" in raw:
        bound = float(str(raw["max_hours"]))
    elif "max_percent" in raw:
        bound = float(str(raw["max_percent"]))
    return Cell(tier, str(raw["text"]), str(raw["source"]), bound)


@cache
def reports() -> dict[str, Report]:
    text = resources.files("secloop.delivery").joinpath("tiers.toml").read_text("utf-8")
    loaded: dict[str, Report] = {}
    for raw in tomllib.loads(text)["report"]:
        rows = tuple(
            Row(str(r["metric"]), str(r["title"]), tuple(_cell(t, r[t]) for t in TIERS)) for r in raw["row"]
        )
        loaded[str(raw["id"])] = Report(
            str(raw["id"]), str(raw["title"]), str(raw["publisher"]), str(raw["url"]), str(raw["note"]), rows
        )
    return loaded


def classify(report_id: str, metric: str, value: float) -> Classified:
    """The tier of ``value`` (hours, percent or bucket rank) in one report's table."""
    report = reports()[report_id]
    row = report.row(metric)
    if row is None:
        return Classified(None, f"the {report.id} report has no tier for this metric")
    ranged = [c for c in row.cells if c.bound is not None]
    if not ranged:
        typical = ", ".join(f"{c.tier} {c.text}" for c in row.cells)
        return Classified(
            None,
            f"the {report.id} report gives typical values per tier ({typical}), not ranges; no tier is given",
        )
    for cell in ranged:
        if cell.bound is not None and value <= cell.bound:
            return Classified(cell.tier, f"{report.id} '{row.title}' {cell.tier}: {cell.text}")
    worst = row.cells[-1]
    if worst.bound is None or math.isinf(worst.bound):
        return Classified(worst.tier, f"{report.id} '{row.title}' {worst.tier}: {worst.text}")
    return Classified(
        worst.tier, f"{report.id} '{row.title}' {worst.tier}: {worst.text} (beyond the table's range)"
    )
