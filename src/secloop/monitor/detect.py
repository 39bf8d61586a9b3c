"""Detections over normalised events, with hysteresis so that one incident is one alert.

An incident opens when a key's count in the sliding window reaches the threshold, collects every
further event of that key while open, and closes only once the key has been quiet for `quiet`
seconds and its count has fallen below `reset`. Time is event time, so a replayed log gives the
same incidents as the live one.

Memory is bounded: each window keeps at most `_CAP` entries per key, keys live in an LRU of
`max_keys` per detection (the least recently seen key is forgotten first) and keys with nothing left
in their window are dropped at every sweep.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from secloop.monitor import events as ev
from secloop.monitor.config import Detection, MonitorConfig
from secloop.monitor.events import Event
from secloop.monitor.geo import Locations

_CAP = 512  # entries per key window; counts beyond it are not needed to cross any sane threshold
_TOP = 20  # accounts / sources listed in an incident's evidence
_SAMPLES = 5


@dataclass(slots=True)
class Incident:
    detection: str
    key: str
    severity: str
    window: int
    threshold: int
    first: float
    last: float
    opened: float
    count: int = 0
    accounts: dict[str, int] = field(default_factory=dict)
    sources: dict[str, int] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)
    note: str = ""
    trigger: str = ""  # file:line of the event that opened it
    closed: float | None = None

    def add(self, event: Event) -> None:
        self.last = max(self.last, event.time)
        self.count += event.count
        for table, value in ((self.accounts, event.account), (self.sources, event.where)):
            if value is not None and (value in table or len(table) < _TOP):
                table[value] = table.get(value, 0) + event.count
        if len(self.samples) < _SAMPLES:
            self.samples.append(event.sample())


class Track:
    """One key's sliding window: (time, other dimension, count) entries and their running total."""

    __slots__ = ("items", "per_other", "samples", "total")

    def __init__(self) -> None:
        self.items: deque[tuple[float, str | None, int]] = deque()
        self.total = 0
        self.per_other: dict[str | None, int] = {}
        self.samples: deque[Event] = deque(maxlen=_SAMPLES)

    def add(self, time: float, other: str | None, n: int) -> None:
        if len(self.items) >= _CAP:
            self._drop()
        self.items.append((time, other, n))
        self.total += n
        self.per_other[other] = self.per_other.get(other, 0) + n

    def _drop(self) -> None:
        _, other, n = self.items.popleft()
        self.total -= n
        left = self.per_other[other] - n
        if left:
            self.per_other[other] = left
        else:
            del self.per_other[other]

    def prune(self, now: float, window: int) -> int:
        horizon = now - window
        while self.items and self.items[0][0] < horizon:
            self._drop()
        return self.total


def _named(track: Track) -> int:
    """Distinct accounts in the window (a failure without an account name is none)."""
    return len(track.per_other) - (None in track.per_other)


class Detector:
    """A per-key threshold over one kind of event. Subclasses say which events and which key."""

    name = ""
    by = "account"  # what the key is: "account" or "ip"
    types: frozenset[str] = frozenset({ev.LOGIN_FAIL})  # the only event types it looks at

    def __init__(self, spec: Detection, max_keys: int) -> None:
        self.spec = spec
        self.max_keys = max_keys
        self.tracks: OrderedDict[str, Track] = OrderedDict()
        self.open: dict[str, Incident] = {}
        self.evicted: list[Incident] = []  # closed early by the cap; reported at the next sweep

    def key(self, event: Event) -> tuple[str, str | None] | None:
        raise NotImplementedError

    def crossed(self, track: Track) -> bool:
        return track.total >= self.spec.threshold

    def note(self, track: Track) -> str:
        return ""

    def track(self, key: str) -> Track:
        track = self.tracks.get(key)
        if track is None:
            track = self.tracks[key] = Track()
            if len(self.tracks) > self.max_keys:
                self.tracks.popitem(last=False)
        else:
            self.tracks.move_to_end(key)
        return track

    def feed(self, event: Event) -> Incident | None:
        """The incident this event opened, if any."""
        keyed = self.key(event)
        if keyed is None:
            return None
        key, other = keyed
        track = self.track(key)
        track.add(event.time, other, event.count)
        track.samples.append(event)
        incident = self.open.get(key)
        if incident is not None:
            incident.add(event)
            return None
        track.prune(event.time, self.spec.window)
        if not self.crossed(track):
            return None
        return self._open(key, track, event)

    def _open(self, key: str, track: Track, event: Event) -> Incident:
        spec = self.spec
        first = track.items[0][0] if track.items else event.time
        incident = Incident(
            self.name, key, spec.severity, spec.window, spec.threshold, first, event.time, event.time
        )
        incident.samples = [sample.sample() for sample in track.samples]
        incident.count = track.total
        keys, others = (
            (incident.accounts, incident.sources)
            if self.by == "account"
            else (incident.sources, incident.accounts)
        )
        if not key.startswith("account:"):
            keys[key] = track.total
        top = sorted(((v, k) for k, v in track.per_other.items() if k is not None), reverse=True)[:_TOP]
        others.update((k, v) for v, k in top)
        incident.note = self.note(track)
        incident.trigger = event.origin
        return self.admit(incident)

    def admit(self, incident: Incident) -> Incident:
        if len(self.open) >= self.max_keys:  # bounded like the tracks: the stalest incident closes early
            stale = min(self.open.values(), key=lambda i: i.last)
            stale.closed = stale.last
            del self.open[stale.key]
            self.evicted.append(stale)
        self.open[incident.key] = incident
        return incident

    def sweep(self, now: float) -> Iterator[Incident]:
        """Close quiet incidents (yielded) and forget keys whose window is empty."""
        spec = self.spec
        for key, incident in list(self.open.items()):
            if now - incident.last < spec.quiet_for:
                continue
            track = self.tracks.get(key)
            if track is None or track.prune(now, spec.window) < spec.reset_below:
                incident.closed = incident.last + spec.quiet_for
                del self.open[key]
                yield incident
        horizon = now - spec.window
        while self.tracks:
            key, track = next(iter(self.tracks.items()))
            if (track.items and track.items[-1][0] >= horizon) or key in self.open:
                break
            self.tracks.popitem(last=False)


class BruteForce(Detector):
    name = "brute-force"

    def key(self, event: Event) -> tuple[str, str | None] | None:
        return (event.account, event.where) if event.type == ev.LOGIN_FAIL and event.account else None


class CredentialStuffing(Detector):
    name = "credential-stuffing"
    by = "ip"

    def key(self, event: Event) -> tuple[str, str | None] | None:
        return (event.ip, event.account) if event.type == ev.LOGIN_FAIL and event.ip else None

    def note(self, track: Track) -> str:
        return f"{track.total} failed logons for {_named(track)} account(s)"


class PasswordSpraying(CredentialStuffing):
    name = "password-spraying"

    def crossed(self, track: Track) -> bool:
        accounts = _named(track)
        return accounts >= self.spec.threshold and track.total <= accounts * self.spec.max_per_account


class Lockout(Detector):
    name = "account-lockout"
    types = frozenset({ev.LOGIN_LOCK, ev.LOGIN_FAIL_MAX})

    def key(self, event: Event) -> tuple[str, str | None] | None:
        locked = event.type in (ev.LOGIN_LOCK, ev.LOGIN_FAIL_MAX)
        return (event.account, event.where) if locked and event.account else None


class AuthzBurst(Detector):
    name = "authz-failure-burst"
    types = frozenset({ev.AUTHZ_FAIL})
    by = "ip"

    def key(self, event: Event) -> tuple[str, str | None] | None:
        if event.type != ev.AUTHZ_FAIL:
            return None
        if event.ip:
            return event.ip, event.account
        return (f"account:{event.account}", None) if event.account else None


class SuccessAfterFailures(Detector):
    """A success from a source, or for an account, that failed `threshold` times within the window."""

    name = "success-after-failures"
    types = frozenset({ev.LOGIN_FAIL, ev.LOGIN_SUCCESS})

    def __init__(self, spec: Detection, max_keys: int) -> None:
        super().__init__(spec, max_keys)
        self.by_ip: OrderedDict[str, Track] = OrderedDict()
        self.by_account: OrderedDict[str, Track] = OrderedDict()

    def _failures(self, table: OrderedDict[str, Track], key: str | None, now: float) -> int:
        track = table.get(key) if key else None
        return track.prune(now, self.spec.window) if track is not None else 0

    def _remember(self, table: OrderedDict[str, Track], key: str | None, event: Event) -> None:
        if not key:
            return
        track = table.get(key)
        if track is None:
            track = table[key] = Track()
            if len(table) > self.max_keys:
                table.popitem(last=False)
        else:
            table.move_to_end(key)
        track.add(event.time, None, event.count)
        track.samples.append(event)

    def feed(self, event: Event) -> Incident | None:
        if event.type == ev.LOGIN_FAIL:
            self._remember(self.by_ip, event.ip, event)
            self._remember(self.by_account, event.account, event)
            return None
        if event.type != ev.LOGIN_SUCCESS:
            return None
        key = f"{event.account or '?'}@{event.ip or '?'}"
        incident = self.open.get(key)
        if incident is not None:
            incident.add(event)
            return None
        from_ip = self._failures(self.by_ip, event.ip, event.time)
        for_account = self._failures(self.by_account, event.account, event.time)
        if max(from_ip, for_account) < self.spec.threshold:
            return None
        spec = self.spec
        incident = Incident(
            self.name, key, spec.severity, spec.window, spec.threshold, event.time, event.time, event.time
        )
        evidence = [
            t.samples for t in (self.by_ip.get(event.ip or ""), self.by_account.get(event.account or "")) if t
        ]
        for sample in sorted({id(e): e for group in evidence for e in group}.values(), key=lambda e: e.time)[
            -4:
        ]:
            incident.samples.append(sample.sample())
        incident.add(event)
        incident.count = 1
        incident.trigger = event.origin
        incident.note = f"after {from_ip} failure(s) from the source and {for_account} for the account"
        return self.admit(incident)

    def sweep(self, now: float) -> Iterator[Incident]:
        for key, incident in list(self.open.items()):
            if now - incident.last >= self.spec.quiet_for:
                incident.closed = incident.last + self.spec.quiet_for
                del self.open[key]
                yield incident
        for table in (self.by_ip, self.by_account):
            while table:
                key, track = next(iter(table.items()))
                if track.items and track.items[-1][0] >= now - self.spec.window:
                    break
                table.popitem(last=False)


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


class ImpossibleTravel(Detector):
    """Two successful logons of one account further apart than `max_speed_kmh` allows."""

    name = "impossible-travel"
    types = frozenset({ev.LOGIN_SUCCESS})

    def __init__(self, spec: Detection, max_keys: int, locations: Locations) -> None:
        super().__init__(spec, max_keys)
        self.locations = locations
        self.last_seen: OrderedDict[str, tuple[float, tuple[float, float], Event]] = OrderedDict()

    def feed(self, event: Event) -> Incident | None:
        if event.type != ev.LOGIN_SUCCESS or not event.account:
            return None
        where = (event.lat, event.lon) if event.lat is not None and event.lon is not None else None
        if where is None and event.ip:
            where = self.locations.find(event.ip)
        if where is None:
            return None
        previous = self.last_seen.pop(event.account, None)
        self.last_seen[event.account] = (event.time, where, event)
        if len(self.last_seen) > self.max_keys:
            self.last_seen.popitem(last=False)
        if previous is None:
            return None
        then, there, before = previous
        km = distance_km(there, where)
        hours = max(event.time - then, 1.0) / 3600.0
        if km < self.spec.min_distance_km or km / hours <= self.spec.max_speed_kmh:
            return None
        incident = self.open.get(event.account)
        if incident is not None:
            incident.add(event)
            return None
        spec = self.spec
        incident = Incident(
            self.name, event.account, spec.severity, spec.window, 1, then, event.time, event.time
        )
        incident.add(before)
        incident.add(event)
        incident.trigger = event.origin
        incident.note = (
            f"{km:,.0f} km in {hours:.2f} h ({km / hours:,.0f} km/h) from {before.ip} to {event.ip}"
        )
        return self.admit(incident)

    def sweep(self, now: float) -> Iterator[Incident]:
        for key, incident in list(self.open.items()):
            if now - incident.last >= self.spec.quiet_for:
                incident.closed = incident.last + self.spec.quiet_for
                del self.open[key]
                yield incident


def build(config: MonitorConfig, locations: Locations) -> list[Detector]:
    classes: tuple[type[Detector], ...] = (
        BruteForce,
        CredentialStuffing,
        PasswordSpraying,
        SuccessAfterFailures,
        Lockout,
        AuthzBurst,
    )
    detectors: list[Detector] = []
    for cls in classes:
        spec = config.detection(cls.name)
        if spec.enabled:
            detectors.append(cls(spec, config.max_keys))
    travel = config.detection(ImpossibleTravel.name)
    if travel.enabled:
        detectors.append(ImpossibleTravel(travel, config.max_keys, locations))
    return detectors


Listener = Callable[[Incident], None]
