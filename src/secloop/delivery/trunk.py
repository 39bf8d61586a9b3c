"""Trunk-based development from git: integrations to the trunk per weekday and branch lifetimes.

The trunk is HEAD's first-parent history. Every first-parent commit in the window is one integration
(a merge, a squash merge or a direct commit). A merge commit's branch lived from the earliest author
date of the commits it brought in to the merge's commit date. Squash merges keep no branch commits,
so their lifetimes need pull-request data and are only counted.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from secloop.delivery.git import History, pr_number
from secloop.delivery.graph import first_parent_chain, merged_in
from secloop.delivery.model import Window

WINDOW_DAYS = 90


@dataclass(frozen=True, slots=True)
class Branch:
    merge: str
    subject: str
    hours: float
    commits: int


@dataclass(frozen=True)
class TrunkStats:
    window: Window
    integrations: int
    weekdays: int
    branches: tuple[Branch, ...]  # merged in the window, longest first
    squashes: int
    direct: int

    @property
    def per_weekday(self) -> float:
        return self.integrations / self.weekdays if self.weekdays else 0.0

    @property
    def median_hours(self) -> float | None:
        return statistics.median(b.hours for b in self.branches) if self.branches else None


def weekdays(window: Window) -> int:
    """Monday-to-Friday dates among the window's calendar days (the day after start through end's day)."""
    first = window.start.date() + timedelta(days=1)
    days = (window.end.date() - first).days + 1
    return sum(1 for n in range(days) if (first + timedelta(days=n)).weekday() < 5)


def trunk_stats(history: History, head: str, window_days: int = WINDOW_DAYS) -> TrunkStats | None:
    start = history.find(head)
    if start is None:
        return None
    chain = first_parent_chain(history, start)
    end = datetime.fromtimestamp(history.committed[start], tz=UTC)
    window = Window.ending(end, window_days)
    lower = int(window.start.timestamp())
    recent = [c for c in chain if history.committed[c] > lower]
    brought = merged_in(history, chain)
    branches: list[Branch] = []
    squashes = direct = 0
    for commit in recent:
        if history.is_merge(commit):
            inside = brought.get(commit, [])
            if inside:
                born = min(history.author[c] for c in inside)
                life = max(0, history.committed[commit] - born) / 3600
                branches.append(
                    Branch(history.shas[commit], history.subjects[commit], round(life, 2), len(inside))
                )
        elif pr_number(history.subjects[commit]) is not None:
            squashes += 1
        else:
            direct += 1
    branches.sort(key=lambda b: (-b.hours, b.merge))
    return TrunkStats(window, len(recent), weekdays(window), tuple(branches), squashes, direct)
