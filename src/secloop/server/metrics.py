"""Prometheus metrics of one app (own registry, so several apps in one process do not clash)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
UNMATCHED = "<unmatched>"
SCAN_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


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

        self.queue_depth = Gauge(
            "secloop_queue_depth",
            "Scan tasks waiting in the broker's queue (-1: the broker could not be asked)",
            ["queue"],
            registry=r,
        )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class ScanDurations(Collector):
    """secloop_scan_duration_seconds, read from the scan jobs at each scrape.

    The workers run on other machines, so the durations they record in the database are the one
    place every scan is seen; one grouped query per scrape turns them into histogram buckets.
    """

    def __init__(self, read: Callable[[tuple[float, ...]], tuple[list[int], int, float]]) -> None:
        self._read = read

    def describe(self) -> list[HistogramMetricFamily]:
        return [HistogramMetricFamily("secloop_scan_duration_seconds", "Duration of finished scans")]

    def collect(self) -> list[HistogramMetricFamily]:
        cumulative, count, total = self._read(SCAN_BUCKETS)
        buckets = [(str(b), float(n)) for b, n in zip(SCAN_BUCKETS, cumulative, strict=True)]
        buckets.append(("+Inf", float(count)))
        family = HistogramMetricFamily("secloop_scan_duration_seconds", "Duration of finished scans")
        family.add_metric([], buckets, total)
        return [family]


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
