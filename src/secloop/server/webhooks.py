"""Webhooks: GitHub (HMAC-SHA256 signature, delivery ids never accepted twice) and Alertmanager (bearer).

What they carry becomes delivery events: a GitHub deployment_status is a deployment, an Alertmanager
alert an incident (sent again when resolved, it updates the same incident), a push is recorded as a
push. Every refusal is counted in secloop_webhooks_rejected by provider and reason.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from secloop.server.crypto import github_signature_valid, same_secret
from secloop.server.data import Replayed
from secloop.server.state import ServerState, state_of

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
Event = tuple[str, str, datetime, dict[str, Any], str | None]
_FRACTION = re.compile(r"\.(\d{6})\d+")
_VERSION = re.compile(r"^v?\d+(\.\d+)*")
GITHUB_STATES = {
    "success": "success",
    "failure": "failure",
    "error": "error",
    "in_progress": "in_progress",
    "queued": "in_progress",
    "pending": "in_progress",
}
ACCEPTED: dict[int | str, dict[str, Any]] = {202: {"description": "Accepted"}}
REFUSED: dict[int | str, dict[str, Any]] = {
    400: {"description": "Malformed delivery"},
    401: {"description": "Bad or missing signature or token"},
    409: {"description": "Delivery seen before"},
    413: {"description": "Body over the size limit"},
}


class Malformed(Exception):
    pass


def _reject(state: ServerState, provider: str, reason: str, status: int, message: str) -> HTTPException:
    state.metrics.rejected_webhooks.labels(provider, reason).inc()
    return HTTPException(status, message)


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Malformed(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Malformed("the body must be a JSON object")
    return data


def _field(data: dict[str, Any], *path: str, kind: type = str) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, dict) or key not in value:
            raise Malformed(f"missing '{'.'.join(path)}'")
        value = value[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Malformed(f"'{'.'.join(path)}' must be {'text' if kind is str else kind.__name__}")
    return value


def _time(value: str, key: str) -> datetime:
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r".\1", value))
    except ValueError:
        raise Malformed(f"'{key}' is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise Malformed(f"'{key}' has no time zone")
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def github_events(event: str, data: dict[str, Any]) -> list[Event]:
    """The delivery events one GitHub delivery carries (none for events secloop does not use)."""
    if event == "deployment_status":
        repository = _field(data, "repository", "full_name")
        status = _field(data, "deployment_status", "state")
        if status not in GITHUB_STATES:
            return []  # "inactive": a newer deployment superseded this one, nothing to count
        sha = _field(data, "deployment", "sha")
        moment = _time(_field(data, "deployment_status", "created_at"), "deployment_status.created_at")
        environment = data["deployment_status"].get("environment") or _field(
            data, "deployment", "environment"
        )
        record: dict[str, Any] = {
            "type": "deployment",
            "environment": str(environment),
            "sha": sha.lower(),
            "time": _iso(moment),
            "status": GITHUB_STATES[status],
        }
        ref = data["deployment"].get("ref")
        if isinstance(ref, str) and _VERSION.match(ref):
            record["version"] = ref
        status_id = _field(data, "deployment_status", "id", kind=int)
        return [(repository, "deployment", moment, record, f"deployment_status:{status_id}")]
    if event == "push":
        repository = _field(data, "repository", "full_name")
        head = data.get("head_commit")
        stamp = head.get("timestamp") if isinstance(head, dict) else None
        moment = _time(stamp, "head_commit.timestamp") if isinstance(stamp, str) else datetime.now(tz=UTC)
        record = {
            "type": "push",
            "ref": _field(data, "ref"),
            "sha": _field(data, "after").lower(),
            "time": _iso(moment),
        }
        return [(repository, "push", moment, record, None)]
    return []


@router.post("/github", status_code=202, responses={**ACCEPTED, **REFUSED}, summary="GitHub webhook")
async def github(
    request: Request,
    x_hub_signature_256: str | None = Header(None),
    x_github_event: str | None = Header(None, max_length=64),
    x_github_delivery: str | None = Header(None, max_length=128),
) -> dict[str, Any]:
    state = state_of(request)
    secret = state.settings.github_webhook_secret
    body = await request.body()
    if secret is None:
        raise _reject(state, "github", "not-configured", 401, "no GitHub webhook secret is configured")
    if not github_signature_valid(secret, body, x_hub_signature_256):
        raise _reject(
            state, "github", "signature", 401, "the X-Hub-Signature-256 signature is missing or wrong"
        )
    if not x_github_event or not x_github_delivery:
        raise _reject(state, "github", "headers", 400, "X-GitHub-Event and X-GitHub-Delivery are required")
    try:
        events = github_events(x_github_event, _json(body))
    except Malformed as exc:
        raise _reject(state, "github", "malformed", 400, str(exc)) from None
    try:
        ids = await run_in_threadpool(
            state.data.add_events, events, "github", delivery=("github", x_github_delivery, x_github_event)
        )
    except Replayed:
        raise _reject(state, "github", "replay", 409, "this delivery was received before") from None
    state.metrics.webhooks.labels("github", x_github_event).inc()
    return {"delivery": x_github_delivery, "event": x_github_event, "events": ids}


def alertmanager_events(data: dict[str, Any]) -> list[Event]:
    alerts = _field(data, "alerts", kind=list)
    events: list[Event] = []
    for number, alert in enumerate(alerts):
        if not isinstance(alert, dict):
            raise Malformed(f"alerts[{number}] must be an object")
        labels = alert.get("labels") or {}
        notes = alert.get("annotations") or {}
        if not isinstance(labels, dict) or not isinstance(notes, dict):
            raise Malformed(f"alerts[{number}]: labels and annotations must be objects")
        fingerprint = _field(alert, "fingerprint")
        opened = _time(_field(alert, "startsAt"), f"alerts[{number}].startsAt")
        record: dict[str, Any] = {
            "type": "incident",
            "id": f"am-{fingerprint[:32]}-{int(opened.timestamp())}",
            "opened": _iso(opened),
        }
        if alert.get("status") == "resolved":
            resolved = _time(_field(alert, "endsAt"), f"alerts[{number}].endsAt")
            if resolved >= opened:
                record["resolved"] = _iso(resolved)
        title = notes.get("summary") or labels.get("alertname")
        for key, value in (
            ("title", title),
            ("severity", labels.get("severity")),
            ("environment", labels.get("environment") or labels.get("env")),
        ):
            if isinstance(value, str) and value.strip():
                record[key] = value.strip()[:255]
        repository = labels.get("repository") or labels.get("service") or labels.get("job") or "unknown"
        external = f"alertmanager:{fingerprint[:64]}:{_iso(opened)}"
        events.append((str(repository)[:255], "incident", opened, record, external))
    return events


@router.post(
    "/alertmanager", status_code=202, responses={**ACCEPTED, **REFUSED}, summary="Alertmanager webhook"
)
async def alertmanager(request: Request, authorization: str | None = Header(None)) -> dict[str, Any]:
    state = state_of(request)
    token = state.settings.alertmanager_token
    body = await request.body()
    if token is None:
        raise _reject(state, "alertmanager", "not-configured", 401, "no Alertmanager token is configured")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not same_secret(token, given.strip()):
        raise _reject(state, "alertmanager", "token", 401, "the bearer token is missing or wrong")
    try:
        events = alertmanager_events(_json(body))
    except Malformed as exc:
        raise _reject(state, "alertmanager", "malformed", 400, str(exc)) from None
    ids = await run_in_threadpool(state.data.add_events, events, "alertmanager")
    state.metrics.webhooks.labels("alertmanager", "alerts").inc()
    return {"events": ids}
