"""Fixed-window rate limits per client key, in this process's memory.

Each server process counts on its own: behind N processes a client may make up to N times the limit.
That bounds password guessing well enough with the per-account lockout, which lives in the database.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_KEYS = 100_000


class RateLimiter:
    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        """Count one request; None when allowed, else the seconds to wait (for Retry-After)."""
        moment = self._clock()
        with self._lock:
            start, count = self._counts.get(key, (moment, 0))
            if moment - start >= self.window:
                start, count = moment, 0
            if count >= self.limit:
                return max(1, math.ceil(start + self.window - moment))
            if len(self._counts) >= MAX_KEYS:
                # Forgetting everyone is safer than growing without bound under a spray of addresses.
                self._counts.clear()
            self._counts[key] = (start, count + 1)
            return None
