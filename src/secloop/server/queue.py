"""The depth of the workers' queue: the length of the Celery queue's Redis lists, read at each scrape."""

from __future__ import annotations

from typing import Any

# Kombu's Redis transport keeps one list per priority step: the queue's name, then name + "\x06\x16" + step.
PRIORITY_SEPARATOR = "\x06\x16"
PRIORITY_STEPS = (3, 6, 9)


class QueueDepth:
    def __init__(self, broker_url: str | None, queue: str) -> None:
        self.queue = queue
        self._client: Any = None
        if broker_url is not None and broker_url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            self._client = redis.Redis.from_url(broker_url, socket_connect_timeout=1, socket_timeout=1)

    @property
    def known(self) -> bool:
        return self._client is not None

    def read(self) -> int:
        """Tasks waiting; -1 when Redis does not answer."""
        import redis

        keys = [self.queue] + [f"{self.queue}{PRIORITY_SEPARATOR}{step}" for step in PRIORITY_STEPS]
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.llen(key)
                return sum(int(n) for n in pipe.execute())
        except redis.exceptions.RedisError:
            return -1

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
