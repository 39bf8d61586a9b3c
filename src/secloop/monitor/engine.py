"""The monitor: events in, counts and incidents out; the same object serves batch scans and follow."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from secloop.core.enums import Severity
from secloop.monitor import events as ev
from secloop.monitor.config import MonitorConfig
from secloop.monitor.detect import Detector, Incident, build
from secloop.monitor.events import Event
from secloop.monitor.geo import NOWHERE, Locations
from secloop.monitor.metrics import Metrics
from secloop.monitor.stream import Stats

SWEEP_EVERY = 60.0  # seconds of event time between sweeps for quiet incidents
MAX_INCIDENTS = 10_000  # kept for the report; beyond it only counted
MAX_SOURCES = 10_000  # distinct failing sources counted exactly; beyond it the smallest are dropped


@dataclass
class Summary:
    by_type: dict[tuple[str, str], int] = field(default_factory=dict)  # (event type, source) -> count
    failures_by_ip: dict[str, int] = field(default_factory=dict)
    approximate: bool = False
    first: float | None = None
    last: float | None = None

    def add(self, event: Event) -> None:
        key = (event.type, event.source)
        self.by_type[key] = self.by_type.get(key, 0) + event.count
        if self.first is None or event.time < self.first:
            self.first = event.time
        if self.last is None or event.time > self.last:
            self.last = event.time
        if event.type == ev.LOGIN_FAIL and event.ip:
            table = self.failures_by_ip
            table[event.ip] = table.get(event.ip, 0) + event.count
            if len(table) > MAX_SOURCES:
                self.approximate = True
                keep = sorted(table.items(), key=lambda item: -item[1])[: MAX_SOURCES // 2]
                self.failures_by_ip = dict(keep)

    def top_sources(self, n: int = 10) -> list[tuple[str, int]]:
        return sorted(self.failures_by_ip.items(), key=lambda item: (-item[1], item[0]))[:n]


@dataclass
class Report:
    stats: Stats
    summary: Summary
    incidents: list[Incident]
    dropped: int
    detections: tuple[str, ...]

    def at_or_above(self, threshold: Severity | None) -> list[Incident]:
        if threshold is None:
            return []
        return [i for i in self.incidents if Severity(i.severity).at_least(threshold)]


class Monitor:
    def __init__(
        self,
        config: MonitorConfig,
        locations: Locations = NOWHERE,
        *,
        metrics: Metrics | None = None,
        on_open: Callable[[Incident], None] | None = None,
        on_close: Callable[[Incident], None] | None = None,
    ) -> None:
        self.detectors: list[Detector] = build(config, locations)
        self.routes: dict[str, list[Detector]] = {}
        for detector in self.detectors:
            for type_ in detector.types:
                self.routes.setdefault(type_, []).append(detector)
        self.metrics = metrics
        self.on_open = on_open
        self.on_close = on_close
        self.summary = Summary()
        self.incidents: list[Incident] = []
        self.dropped = 0
        self.clock = float("-inf")
        self.next_sweep = float("-inf")
        if metrics is not None:
            metrics.declare([d.name for d in self.detectors])

    def feed(self, event: Event) -> None:
        self.summary.add(event)
        if self.metrics is not None:
            self.metrics.event(event)
        if event.time > self.clock:
            self.clock = event.time
        if self.clock >= self.next_sweep:  # before feeding: a quiet incident closes before a new one opens
            self.sweep(self.clock)
        for detector in self.routes.get(event.type, ()):
            opened = detector.feed(event)
            if opened is not None:
                self._opened(opened)

    def feed_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.feed(event)

    def _opened(self, incident: Incident) -> None:
        if len(self.incidents) < MAX_INCIDENTS:
            self.incidents.append(incident)
        else:
            self.dropped += 1
        if self.metrics is not None:
            self.metrics.opened(incident)
        if self.on_open is not None:
            self.on_open(incident)

    def sweep(self, now: float) -> None:
        self.next_sweep = now + SWEEP_EVERY
        for detector in self.detectors:
            evicted, detector.evicted = detector.evicted, []
            for closed in [*evicted, *detector.sweep(now)]:
                if self.metrics is not None:
                    self.metrics.closed(closed)
                if self.on_close is not None:
                    self.on_close(closed)

    def report(self, stats: Stats) -> Report:
        if self.clock > float("-inf"):
            self.sweep(self.clock)
        incidents = sorted(self.incidents, key=lambda i: (i.opened, i.detection, i.key))
        names = tuple(d.name for d in self.detectors)
        return Report(stats, self.summary, incidents, self.dropped, names)
