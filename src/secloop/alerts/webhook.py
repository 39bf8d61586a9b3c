"""Alertmanager webhook payloads (version "4") for the notifications a replay would have sent.

One payload per state change of an alert instance: `firing` when it fires, `resolved` when it ends.
Fingerprints are Prometheus' label-set fingerprints (FNV-1a 64 over sorted names and values), so a
receiver deduplicates replayed alerts exactly as it would live ones.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.request
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from secloop.alerts.replay import Episode, Replay
from secloop.core.errors import UsageError

ZERO_TIME = "0001-01-01T00:00:00Z"
RECEIVER = "secloop-replay"
_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_SEP = 0xFF


def fingerprint(labels: dict[str, str]) -> str:
    value = _FNV_OFFSET
    for name in sorted(labels):
        for chunk in (name.encode(), bytes([_SEP]), labels[name].encode(), bytes([_SEP])):
            for byte in chunk:
                value ^= byte
                value = (value * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{value:016x}"


def rfc3339(stamp: float) -> str:
    return datetime.fromtimestamp(stamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _alert(episode: Episode, resolved: bool) -> dict[str, Any]:
    labels = dict(episode.labels)
    return {
        "status": "resolved" if resolved else "firing",
        "labels": labels,
        "annotations": dict(episode.annotations),
        "startsAt": rfc3339(episode.fired_at),
        "endsAt": rfc3339(episode.end) if resolved and episode.end is not None else ZERO_TIME,
        "generatorURL": "",
        "fingerprint": fingerprint(labels),
    }


def _payload(episode: Episode, resolved: bool) -> dict[str, Any]:
    labels = dict(episode.labels)
    name = labels["alertname"]
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "status": "resolved" if resolved else "firing",
        "receiver": RECEIVER,
        "groupLabels": {"alertname": name},
        "commonLabels": labels,
        "commonAnnotations": dict(episode.annotations),
        "externalURL": "",
        "alerts": [_alert(episode, resolved)],
    }


def notifications(result: Replay) -> list[dict[str, Any]]:
    """Every payload in the order a receiver would have got them."""
    events: list[tuple[float, int, dict[str, Any]]] = []
    for episode in result.episodes:
        events.append((episode.fired_at, 0, _payload(episode, False)))
        if episode.end is not None:
            events.append((episode.end, 1, _payload(episode, True)))
    events.sort(key=lambda e: (e[0], e[1], e[2]["groupKey"], e[2]["alerts"][0]["fingerprint"]))
    return [payload for _, _, payload in events]


def dumps(payloads: list[dict[str, Any]]) -> str:
    return json.dumps(payloads, indent=2, sort_keys=True) + "\n"


def check_target(url: str, allowed: tuple[str, ...]) -> str:
    """The URL when it is http(s) to a loopback host or an explicitly allowed one; else a usage error."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise UsageError(f"--post: not an http(s) URL: {url!r}")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and host not in allowed:
        raise UsageError(
            f"--post: {host} is neither loopback nor allowed",
            hint=f"pass --allow-host {host} to send replayed alerts there",
        )
    return url


def post(url: str, payloads: list[dict[str, Any]], timeout: float = 5.0) -> int:
    """POST each payload; the number delivered with a 2xx answer."""
    delivered = 0
    for payload in payloads:
        body = json.dumps(payload, sort_keys=True).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked by check_target
            url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310  # nosec B310
                delivered += 200 <= answer.status < 300
        except OSError as exc:
            raise UsageError(f"--post: {url} did not accept the alerts: {exc}") from None
    return delivered
