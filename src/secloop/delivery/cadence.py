"""Release timing and monthly trends of production deployments.

Release timing (the talk: release during the day, when everybody is at work to help): the share of
successful production deployments inside the configured working hours and days, in the team's time
zone, with the ones outside listed, and the deployments whose events report downtime.
Monthly trends: deployments and failed deployments (those an incident was linked to) per calendar
month of the window, oldest first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from secloop.core.errors import UsageError
from secloop.delivery.model import Deployment

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class WorkingHours:
    start: time = time(9, 0)
    end: time = time(17, 0)
    days: frozenset[int] = frozenset(range(5))  # Monday = 0
    zone: str = "UTC"

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(ZoneInfo(self.zone))
        return local.weekday() in self.days and self.start <= local.time().replace(tzinfo=None) < self.end

    def describe(self) -> str:
        days = ", ".join(DAY_NAMES[d].capitalize() for d in sorted(self.days))
        return f"{self.start:%H:%M}–{self.end:%H:%M} {self.zone} on {days}"


OFFICE_HOURS = WorkingHours()


def parse_working_hours(hours: str, days: str, zone: str) -> WorkingHours:
    """`hours` like "09:00-17:00", `days` like "mon-fri" or "mon,tue,thu", `zone` an IANA name."""
    match = _HOURS.match(hours)
    if match is None:
        raise UsageError(f"working_hours: {hours!r} is not HH:MM-HH:MM", hint='e.g. "09:00-17:00"')
    try:
        start = time(int(match[1]), int(match[2]))
        end = time(int(match[3]), int(match[4]))
    except ValueError:
        raise UsageError(f"working_hours: {hours!r} is not a valid time range") from None
    if end <= start:
        raise UsageError(f"working_hours: {hours!r} ends before it starts")
    chosen: set[int] = set()
    for part in days.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise UsageError(f"working_days: {days!r} is not days like mon-fri or mon,wed,fri")
        a, b = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        chosen.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"timezone: unknown time zone {zone!r}", hint='an IANA name, e.g. "Europe/Amsterdam"'
        ) from None
    return WorkingHours(start, end, frozenset(chosen), zone)


@dataclass(frozen=True, slots=True)
class Timing:
    hours: WorkingHours
    inside: int
    outside: tuple[Deployment, ...]
    with_downtime: tuple[Deployment, ...]

    @property
    def total(self) -> int:
        return self.inside + len(self.outside)

    @property
    def share_inside(self) -> float | None:
        return round(self.inside / self.total, 4) if self.total else None


@dataclass(frozen=True, slots=True)
class Month:
    month: str  # YYYY-MM
    deployments: int
    failed: int


def release_timing(deployments: Sequence[Deployment], hours: WorkingHours) -> Timing:
    inside = [d for d in deployments if hours.contains(d.time)]
    outside = tuple(d for d in deployments if not hours.contains(d.time))
    downtime = tuple(d for d in deployments if d.downtime_minutes)
    return Timing(hours, len(inside), outside, downtime)


def monthly(rows: Sequence[tuple[Deployment, bool]]) -> tuple[Month, ...]:
    """(deployment, failed) rows -> per calendar month (UTC), oldest first, months without any left out."""
    counts: dict[str, list[int]] = {}
    for deployment, failed in rows:
        bucket = counts.setdefault(f"{deployment.time:%Y-%m}", [0, 0])
        bucket[0] += 1
        bucket[1] += int(failed)
    return tuple(Month(month, n, f) for month, (n, f) in sorted(counts.items()))
