"""Flow metrics of the Flow Framework from work items: distribution, time, load and velocity.

Distribution counts the items completed (``done``) in the window by type, over the whole window and per
4-week period back from its end; the practice check is "risk + debt >= 20%". Flow time is done minus
created, flow load the items started and not done at the window's end, flow velocity the items done
per week, flow efficiency the active share (started → done) of each item's flow time. The window ends
at the newest event, never at the wall clock. Shared by `secloop flow` and the
`plan.work-item-mix` practice.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from secloop.delivery.metrics import p90
from secloop.delivery.model import Window, WorkItem, WorkType

RISK_DEBT_SHARE = 0.20
PERIOD_DAYS = 28


@dataclass(frozen=True, slots=True)
class Mix:
    """Completed items per type, in WorkType order."""

    counts: tuple[int, int, int, int]

    @classmethod
    def of(cls, items: Sequence[WorkItem]) -> Mix:
        counted = Counter(item.type for item in items)
        feature, defect, risk, debt = (counted[t] for t in WorkType)
        return cls((feature, defect, risk, debt))

    @property
    def total(self) -> int:
        return sum(self.counts)

    def count(self, work_type: WorkType) -> int:
        return self.counts[list(WorkType).index(work_type)]

    @property
    def share(self) -> float | None:
        """Share of risk and debt among the completed items; None when none was completed."""
        if not self.total:
            return None
        return (self.count(WorkType.RISK) + self.count(WorkType.DEBT)) / self.total

    @property
    def passes(self) -> bool | None:
        share = self.share
        return None if share is None else share >= RISK_DEBT_SHARE

    def describe(self) -> str:
        return ", ".join(f"{n} {t.value}" for n, t in zip(self.counts, WorkType, strict=True))


@dataclass(frozen=True, slots=True)
class Period:
    window: Window
    mix: Mix


@dataclass(frozen=True)
class FlowReport:
    window: Window
    items: int  # work items read, whatever their dates
    done: tuple[WorkItem, ...]  # completed in the window, by completion time
    mix: Mix
    periods: tuple[Period, ...]  # whole 4-week periods back from the window's end, oldest first
    flow_time_days: tuple[float, ...]  # created -> done of each completed item, in ``done`` order
    load: tuple[WorkItem, ...]  # started, not done at the window's end
    # active share of each completed item that has a start: (done - started) / (done - created)
    efficiency: tuple[float, ...] = ()

    @property
    def efficiency_median(self) -> float | None:
        return round(statistics.median(self.efficiency), 3) if self.efficiency else None

    @property
    def flow_time_median(self) -> float | None:
        times = self.flow_time_days
        return round(statistics.median(times), 2) if times else None

    @property
    def flow_time_p90(self) -> float | None:
        return round(p90(self.flow_time_days), 2) if self.flow_time_days else None

    @property
    def velocity(self) -> float:
        """Items done per week of the window."""
        return round(len(self.done) / self.window.days * 7, 2)


def flow(items: Sequence[WorkItem], end: datetime, window_days: int) -> FlowReport:
    window = Window.ending(end, window_days)
    done = sorted((i for i in items if i.done is not None and i.done in window), key=lambda i: (i.done, i.id))
    periods: list[Period] = []
    length = timedelta(days=PERIOD_DAYS)
    for back in range(int(window.days // PERIOD_DAYS) - 1, -1, -1):
        span = Window(end - length * (back + 1), end - length * back)
        periods.append(Period(span, Mix.of([i for i in done if i.done is not None and i.done in span])))
    times = tuple(
        round(max(0.0, (i.done - i.created).total_seconds() / 86400), 2) for i in done if i.done is not None
    )
    load = tuple(
        i for i in items if i.started is not None and i.started <= end and (i.done is None or i.done > end)
    )
    return FlowReport(
        window, len(items), tuple(done), Mix.of(done), tuple(periods), times, load, _efficiency(done)
    )


def _efficiency(done: Sequence[WorkItem]) -> tuple[float, ...]:
    """Flow efficiency per item: the active part of its flow time. Without status history the active
    part is started -> done (waiting inside it is not visible), so this is an upper bound."""
    shares: list[float] = []
    for item in done:
        if item.started is None or item.done is None:
            continue
        total = (item.done - item.created).total_seconds()
        active = (item.done - max(item.started, item.created)).total_seconds()
        if total > 0:
            shares.append(round(min(1.0, max(0.0, active / total)), 4))
    return tuple(shares)
