"""What every request handler reaches through `app.state`: settings, database access, limits, metrics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy import Engine

from secloop.server.accounts import Accounts
from secloop.server.crypto import Signer
from secloop.server.data import Data
from secloop.server.findings import Findings
from secloop.server.metrics import Metrics
from secloop.server.queue import QueueDepth
from secloop.server.ratelimit import Limiter
from secloop.server.scans import Scans
from secloop.server.settings import Settings
from secloop.store import Store


@dataclass
class ServerState:
    settings: Settings
    engine: Engine
    store: Store
    signer: Signer
    accounts: Accounts
    data: Data
    findings: Findings
    metrics: Metrics
    login_limit: Limiter
    api_limit: Limiter
    scans: Scans
    queue_depth: QueueDepth
    redis: Any = None  # the shared rate limits' client, when SECLOOP_REDIS_URL is set

    def close(self) -> None:
        self.store.close()
        self.scans.close()
        self.queue_depth.close()
        if self.redis is not None:
            self.redis.close()


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.secloop
    return state


def client_of(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit(request: Request, limiter: Limiter, name: str, key: str) -> None:
    """Raise 429 with Retry-After when `key` is over `limiter`'s budget."""
    wait = limiter.hit(key)
    if wait is not None:
        state_of(request).metrics.rate_limited.labels(name).inc()
        raise HTTPException(429, "too many requests", headers={"Retry-After": str(wait)})
