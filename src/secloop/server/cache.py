"""A small LRU of answers that hold until the data changes, keyed by a version read from the database.

The version is (newest assessment id, triage rows, newest triage change): every write that can change
an answer moves it, and reading it costs two index look-ups and a count of the triage rows. Each
server process keeps its own cache; since the key holds the version, a change made through another
process is seen at the next request. A page reads the version once and passes it to every part it
shows; answers that depend on assessments only (the heat map, a repository's page, the rule list)
are keyed by the newest assessment id alone, so a triage decision does not rebuild them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from secloop.store.models import AssessmentRow, TriageRow

T = TypeVar("T")
Version = tuple[int | None, int, datetime | None]


def data_version(session: Session) -> Version:
    row = session.execute(
        select(
            select(func.max(AssessmentRow.id)).scalar_subquery(),
            select(func.count()).select_from(TriageRow).scalar_subquery(),
            select(func.max(TriageRow.updated_at)).scalar_subquery(),
        )
    ).one()
    return (row[0], int(row[1] or 0), row[2])


class VersionedCache:
    """Thread-safe LRU. Concurrent misses of one key compute it once: after a new assessment, every
    request arriving at once would otherwise run the same whole-table count side by side."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Lock] = {}

    def _lookup(self, key: Hashable) -> tuple[bool, object]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return True, self._items[key]
            return False, None

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        found, value = self._lookup(key)
        if found:
            return value  # type: ignore[return-value]
        with self._lock:
            computing = self._pending.setdefault(key, threading.Lock())
        with computing:
            found, value = self._lookup(key)
            if found:
                return value  # type: ignore[return-value]
            try:
                value = compute()
                with self._lock:
                    self._items[key] = value
                    while len(self._items) > self._size:
                        self._items.popitem(last=False)
            finally:
                with self._lock:
                    self._pending.pop(key, None)
        return value
