"""Prometheus metrics of one app (own registry, so several apps in one process do not clash)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
UNMATCHED = "<unmatched>"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "secloop_http_requests",
            "HTTP requests by route and status",
            ["method", "route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "secloop_http_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
            registry=r,
        )
        self.logons = Counter("secloop_logons", "Dashboard logons by outcome", ["outcome"], registry=r)
        self.failed_logons = Counter(
            "secloop_failed_logons", "Failed dashboard logons by reason", ["reason"], registry=r
        )
        self.webhooks = Counter(
            "secloop_webhooks_accepted", "Webhook deliveries accepted", ["provider", "event"], registry=r
        )
        self.rejected_webhooks = Counter(
            "secloop_webhooks_rejected", "Webhook deliveries rejected", ["provider", "reason"], registry=r
        )
        self.rate_limited = Counter(
            "secloop_rate_limit_hits", "Requests refused by a rate limit", ["limit"], registry=r
        )
        self.auth_failures = Counter(
            "secloop_api_auth_failures", "API requests refused for credentials", ["reason"], registry=r
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every request by its route template (never the raw path: bounded labels)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or UNMATCHED
            method = str(scope.get("method", "GET"))
            self.metrics.requests.labels(method, label, str(status[0])).inc()
            self.metrics.latency.labels(method, label).observe(time.perf_counter() - start)
