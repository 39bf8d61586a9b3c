"""Fixed-window rate limits per client key: in this process's memory, or shared through Redis.

With a Redis URL (SECLOOP_REDIS_URL) every server process counts in the same Redis keys, so N
processes together allow the limit, not N times it. When Redis cannot be reached the limiter falls
back to counting in memory (and logs it once) rather than refusing or admitting everyone.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

LOG = logging.getLogger("secloop.server.ratelimit")
MAX_KEYS = 100_000


class Limiter(Protocol):
    limit: int

    def hit(self, key: str) -> int | None: ...


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


class RedisRateLimiter:
    """The window is aligned to the wall clock (all processes agree on it); one INCR per request."""

    def __init__(
        self,
        client: Any,
        name: str,
        limit: int,
        window: int = 60,
        clock: Callable[[], float] = time.time,
        prefix: str = "secloop:ratelimit",
    ) -> None:
        self.limit = limit
        self.window = window
        self._client = client
        self._name = name
        self._clock = clock
        self._prefix = prefix
        self._fallback = RateLimiter(limit, float(window))
        self._failed = False

    def hit(self, key: str) -> int | None:
        import redis

        moment = self._clock()
        slot = int(moment // self.window)
        name = f"{self._prefix}:{self._name}:{slot}:{key[:128]}"
        try:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, self.window * 2)
                count, _ = pipe.execute()
        except redis.exceptions.RedisError as exc:
            if not self._failed:
                LOG.warning("rate limits count in this process only: Redis failed (%s)", exc)
                self._failed = True
            return self._fallback.hit(key)
        self._failed = False
        if int(count) > self.limit:
            return max(1, math.ceil((slot + 1) * self.window - moment))
        return None


def limiter(redis_client: Any | None, name: str, limit: int) -> Limiter:
    return RateLimiter(limit) if redis_client is None else RedisRateLimiter(redis_client, name, limit)


def redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
