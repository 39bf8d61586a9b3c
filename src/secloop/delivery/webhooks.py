"""Webhook payloads as delivery events: GitHub deployment_status, GitLab deployment, Alertmanager, PagerDuty.

The server calls these on each delivery; they only read the decoded JSON body and never touch the
network or the clock. ``origin`` is what the caller wants recorded as the event's witness (e.g.
"webhook github 3f2a…"). A payload that is not of the documented shape raises WebhookPayloadError
naming the key; a well-formed payload that is not (yet) an event returns None or an empty list.

Shapes followed:
- GitHub `deployment_status` event: `deployment_status.state` (final states success, failure, error;
  pending, queued, in_progress and inactive are not final), `deployment.sha`, `deployment.ref`,
  `deployment_status.environment` (else `deployment.environment`), `deployment_status.updated_at`
  (else `created_at`).
- GitLab deployment event (`object_kind` "deployment"): `status` (final: success, failed, canceled),
  `status_changed_at` ("2021-04-28 21:50:00 +0200"), `environment`, the full sha as the last path
  segment of `commit_url` (else `short_sha`), `ref` when present.
- Alertmanager webhook (version 4): every alert of `alerts` is one incident; firing gives an open
  incident, resolved one with `endsAt` as its resolution. Its id is `fingerprint` plus `startsAt`, so
  the resolved notification names the same incident and a later re-fire is a new one.
- PagerDuty v3 webhook: `event.event_type` incident.triggered / incident.reopened give an open
  incident, incident.resolved a resolved one (at `event.occurred_at`); other events are not events here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from secloop.delivery.model import PRODUCTION, SUCCESS, Deployment, DeploymentSource, Incident

__all__ = [
    "WebhookPayloadError",
    "parse_alertmanager",
    "parse_github_deployment_status",
    "parse_gitlab_deployment",
    "parse_pagerduty",
]

_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
_GITHUB_FINAL = {"success": SUCCESS, "failure": "failure", "error": "error"}
_GITHUB_PENDING = {"pending", "queued", "in_progress", "inactive", "waiting"}
GITLAB_FINAL = {"success": SUCCESS, "failed": "failure", "canceled": "cancelled"}
_GITLAB_PENDING = {"created", "running", "blocked"}
_ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's endsAt of an alert still firing


class WebhookPayloadError(ValueError):
    """The payload is not of the documented shape; the message names the key and what was expected."""


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise WebhookPayloadError(f"{where}: expected a JSON object, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )


def _get(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] is None:
        raise WebhookPayloadError(f"{where}.{key} is missing" if where else f"{key} is missing")
    return data[key]


def _string(data: Mapping[str, Any], key: str, where: str, required: bool = True) -> str | None:
    name = f"{where}.{key}" if where else key
    value = data.get(key)
    if value is None:
        if required:
            raise WebhookPayloadError(f"{name} is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise WebhookPayloadError(f"{name}: expected a non-empty string, got {_kind(value)}")
    return value.strip()


def parse_time(value: str, name: str) -> datetime:
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")  # GitLab's webhook format
        except ValueError:
            raise WebhookPayloadError(f"{name}: not a time: {value!r}") from None
    if moment.tzinfo is None:
        raise WebhookPayloadError(f"{name}: the time has no zone: {value!r}")
    return moment.astimezone(UTC)


def _required_time(data: Mapping[str, Any], key: str, where: str) -> datetime:
    return parse_time(_string(data, key, where) or "", f"{where}.{key}" if where else key)


def _sha(value: str, name: str) -> str:
    if not _SHA.match(value):
        raise WebhookPayloadError(f"{name}: not a commit id: {value!r}")
    return value.lower()


def parse_github_deployment_status(payload: Mapping[str, Any], origin: str) -> Deployment | None:
    """A GitHub `deployment_status` event as a deployment; None while the deployment is not final."""
    body = _object(payload, "payload")
    status = _object(_get(body, "deployment_status", ""), "deployment_status")
    deployment = _object(_get(body, "deployment", ""), "deployment")
    state = (_string(status, "state", "deployment_status") or "").lower()
    if state in _GITHUB_PENDING:
        return None
    if state not in _GITHUB_FINAL:
        raise WebhookPayloadError(
            f"deployment_status.state: unknown state {state!r} "
            f"(expected one of {', '.join(sorted(_GITHUB_FINAL.keys() | _GITHUB_PENDING))})"
        )
    sha = _sha(_string(deployment, "sha", "deployment") or "", "deployment.sha")
    environment = _string(status, "environment", "deployment_status", required=False) or _string(
        deployment, "environment", "deployment"
    )
    key = "updated_at" if status.get("updated_at") is not None else "created_at"
    ref = _string(deployment, "ref", "deployment", required=False)
    return Deployment(
        environment=(environment or PRODUCTION).lower(),
        sha=sha,
        version=ref if ref and ref.lower() != sha else None,
        time=_required_time(status, key, "deployment_status"),
        status=_GITHUB_FINAL[state],
        source=DeploymentSource.WEBHOOK,
        origin=origin,
    )


def parse_gitlab_deployment(payload: Mapping[str, Any], origin: str) -> Deployment | None:
    """A GitLab deployment event as a deployment; None while it is created, running or blocked."""
    body = _object(payload, "payload")
    kind = body.get("object_kind")
    if kind != "deployment":
        raise WebhookPayloadError(f"object_kind: expected 'deployment', got {kind!r}")
    state = (_string(body, "status", "") or "").lower()
    if state in _GITLAB_PENDING:
        return None
    if state not in GITLAB_FINAL:
        raise WebhookPayloadError(
            f"status: unknown status {state!r} "
            f"(expected one of {', '.join(sorted(GITLAB_FINAL.keys() | _GITLAB_PENDING))})"
        )
    commit_url = _string(body, "commit_url", "", required=False)
    tail = commit_url.rstrip("/").rsplit("/", 1)[-1] if commit_url else ""
    full = _SHA.match(tail) is not None
    sha = tail.lower() if full else _sha(_string(body, "short_sha", "") or "", "short_sha")
    ref = _string(body, "ref", "", required=False)
    return Deployment(
        environment=(_string(body, "environment", "") or PRODUCTION).lower(),
        sha=sha,
        version=ref,
        time=_required_time(body, "status_changed_at", ""),
        status=GITLAB_FINAL[state],
        source=DeploymentSource.WEBHOOK,
        origin=origin,
    )


def _labels(alert: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = alert.get(key)
    return {} if value is None else _object(value, f"{where}.{key}")


def _alert_id(alert: Mapping[str, Any], group_key: str | None, labels: Mapping[str, Any], start: str) -> str:
    fingerprint = alert.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        # Before Alertmanager 0.19 alerts carried no fingerprint: derive a stable one.
        seed = (group_key or "") + "|" + ",".join(f"{k}={labels[k]}" for k in sorted(labels))
        fingerprint = hashlib.sha256(seed.encode()).hexdigest()[:16]
    return f"alertmanager-{fingerprint}-{start}"


def parse_alertmanager(payload: Mapping[str, Any], origin: str) -> list[Incident]:
    """An Alertmanager webhook: one incident per alert, open while firing, resolved at its endsAt."""
    body = _object(payload, "payload")
    alerts = _get(body, "alerts", "")
    if not isinstance(alerts, list):
        raise WebhookPayloadError(f"alerts: expected an array, got {_kind(alerts)}")
    group_key = body.get("groupKey") if isinstance(body.get("groupKey"), str) else None
    incidents: list[Incident] = []
    for index, raw in enumerate(alerts):
        where = f"alerts[{index}]"
        alert = _object(raw, where)
        state = _string(alert, "status", where)
        if state not in ("firing", "resolved"):
            raise WebhookPayloadError(f"{where}.status: expected 'firing' or 'resolved', got {state!r}")
        labels = _labels(alert, "labels", where)
        annotations = _labels(alert, "annotations", where)
        opened = _required_time(alert, "startsAt", where)
        resolved = None
        if state == "resolved":
            ends = _string(alert, "endsAt", where) or ""
            if ends == _ZERO_TIME:
                raise WebhookPayloadError(f"{where}.endsAt: a resolved alert needs its end time")
            resolved = parse_time(ends, f"{where}.endsAt")
            if resolved < opened:
                raise WebhookPayloadError(f"{where}.endsAt is before startsAt")
        title = annotations.get("summary") or labels.get("alertname")
        severity = labels.get("severity")
        environment = labels.get("environment") or labels.get("env") or PRODUCTION
        incidents.append(
            Incident(
                id=_alert_id(alert, group_key, labels, f"{opened:%Y%m%dT%H%M%SZ}"),
                opened=opened,
                resolved=resolved,
                deployment_sha=None,
                root_cause_sha=None,
                severity=str(severity) if severity else None,
                title=str(title) if title else None,
                environment=str(environment).lower(),
                origin=f"{origin} {where}",
            )
        )
    return incidents


_PD_OPEN = {"incident.triggered", "incident.reopened"}


def parse_pagerduty(payload: Mapping[str, Any], origin: str) -> list[Incident]:
    """A PagerDuty v3 webhook: incident.triggered/reopened open an incident, incident.resolved resolves it."""
    body = _object(payload, "payload")
    event = _object(_get(body, "event", ""), "event")
    event_type = _string(event, "event_type", "event") or ""
    if not event_type.startswith("incident.") or event_type not in (*_PD_OPEN, "incident.resolved"):
        return []
    data = _object(_get(event, "data", "event"), "event.data")
    ident = _string(data, "id", "event.data") or ""
    opened = _required_time(data, "created_at", "event.data")
    resolved = None
    if event_type == "incident.resolved":
        resolved = _required_time(event, "occurred_at", "event")
        if resolved < opened:
            raise WebhookPayloadError("event.occurred_at is before event.data.created_at")
    priority = data.get("priority")
    severity = priority.get("summary") if isinstance(priority, Mapping) else None
    severity = severity or data.get("urgency")
    title = data.get("title")
    return [
        Incident(
            id=f"pagerduty-{ident}",
            opened=opened,
            resolved=resolved,
            deployment_sha=None,
            root_cause_sha=None,
            severity=str(severity) if severity else None,
            title=str(title) if title else None,
            environment=PRODUCTION,
            origin=origin,
        )
    ]
