"""Webhooks: GitHub (HMAC-SHA256 signature, delivery ids never accepted twice) and Alertmanager (bearer).

What they carry becomes delivery events: a GitHub deployment_status is a deployment, an Alertmanager
alert an incident (sent again when resolved, it updates the same incident), a pull request or an
issue is stored by its id (each delivery updates it), a push is recorded and, when it moves the
default branch, its commit is sent to the workers for a scan. Every refusal is counted in
secloop_webhooks_rejected by provider and reason. GitLab and PagerDuty live in gitlab.py and
pagerduty.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Header, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from secloop.delivery.events import to_record
from secloop.delivery.model import Deployment, Incident
from secloop.delivery.webhooks import (
    WebhookPayloadError,
    parse_alertmanager,
    parse_github_deployment_status,
)
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


@contextmanager
def parsed() -> Iterator[None]:
    """secloop.delivery's payload errors are malformed deliveries (400, counted)."""
    try:
        yield
    except WebhookPayloadError as exc:
        raise Malformed(str(exc)) from None


def as_event(repository: str, event: Deployment | Incident, external_id: str) -> Event:
    """A delivery engine event as a stored row: one line of the events-file format."""
    if isinstance(event, Deployment):
        return (repository[:255], "deployment", event.time, to_record(event), external_id[:255])
    return (repository[:255], "incident", event.opened, to_record(event), external_id[:255])


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


def _optional_time(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    return _iso(_time(value, f"{where}.{key}")) if isinstance(value, str) and value else None


def _title(data: dict[str, Any]) -> str | None:
    value = data.get("title")
    return value.strip()[:500] if isinstance(value, str) and value.strip() else None


def _labels(data: dict[str, Any]) -> list[str]:
    found = data.get("labels")
    if not isinstance(found, list):
        return []
    names = [label.get("name") or label.get("title") for label in found if isinstance(label, dict)]
    return sorted({n[:100] for n in names if isinstance(n, str) and n})[:50]


def github_work(event: str, data: dict[str, Any]) -> list[Event]:
    """A pull request or an issue, as it stands after this delivery."""
    repository = _field(data, "repository", "full_name")
    key = "pull_request" if event == "pull_request" else "issue"
    item = _field(data, key, kind=dict)
    created = _time(_field(item, "created_at"), f"{key}.created_at")
    closed = _optional_time(item, "closed_at", key)
    record: dict[str, Any] = {
        "type": key,
        "number": _field(item, "number", kind=int),
        "state": _field(item, "state"),
        "title": _title(item),
        "created": _iso(created),
        "closed": closed,
        "labels": _labels(item),
    }
    if key == "pull_request":
        merged = _optional_time(item, "merged_at", key)
        record["merged"] = merged
        if merged:
            record["state"] = "merged"
        head, base = item.get("head"), item.get("base")
        record["sha"] = head.get("sha") if isinstance(head, dict) else None
        record["base"] = base.get("ref") if isinstance(base, dict) else None
        record["merge_sha"] = item.get("merge_commit_sha") if merged else None
    moment = datetime.fromisoformat((record.get("merged") or closed or _iso(created)).replace("Z", "+00:00"))
    item_id = _field(item, "id", kind=int)
    return [(repository, key, moment, record, f"{key}:{item_id}")]


def github_scan(data: dict[str, Any]) -> tuple[str, str] | None:
    """(clone URL, commit) of a push that moved the default branch to a new commit, else None."""
    repo = data.get("repository")
    after = data.get("after")
    if not isinstance(repo, dict) or not isinstance(after, str) or data.get("deleted") is True:
        return None
    url, default = repo.get("clone_url"), repo.get("default_branch")
    if not isinstance(url, str) or not isinstance(default, str) or set(after) == {"0"}:
        return None
    return (url, after) if data.get("ref") == f"refs/heads/{default}" else None


def github_events(event: str, data: dict[str, Any]) -> list[Event]:
    """The delivery events one GitHub delivery carries (none for events secloop does not use)."""
    if event == "deployment_status":
        repository = _field(data, "repository", "full_name")
        status_id = _field(data, "deployment_status", "id", kind=int)
        with parsed():
            found = parse_github_deployment_status(data, f"webhook github deployment_status {status_id}")
        if found is None:
            return []  # not final yet (queued, in progress) or superseded (inactive)
        return [as_event(repository, found, f"deployment_status:{status_id}")]
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
    if event in ("pull_request", "issues"):
        return github_work(event, data)
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
        data = _json(body)
        events = github_events(x_github_event, data)
    except Malformed as exc:
        raise _reject(state, "github", "malformed", 400, str(exc)) from None
    return await accept(
        state,
        "github",
        x_github_delivery,
        x_github_event,
        events,
        github_scan(data) if x_github_event == "push" else None,
    )


async def accept(
    state: ServerState,
    provider: str,
    delivery: str,
    event: str,
    events: list[Event],
    scan: tuple[str, str] | None,
) -> dict[str, Any]:
    """Store a verified delivery's events once (409 when seen before), then ask for its scan."""
    try:
        ids = await run_in_threadpool(
            state.data.add_events, events, provider, delivery=(provider, delivery, event)
        )
    except Replayed:
        raise _reject(state, provider, "replay", 409, "this delivery was received before") from None
    state.metrics.webhooks.labels(provider, event[:64]).inc()
    answer: dict[str, Any] = {"delivery": delivery, "event": event, "events": ids}
    if scan is not None:
        answer["scan"] = await run_in_threadpool(state.scans.request, *scan)
    return answer


def alertmanager_events(data: dict[str, Any]) -> list[Event]:
    """One incident per alert, in the repository its labels name (repository, service or job)."""
    with parsed():
        incidents = parse_alertmanager(data, "webhook alertmanager")
    events: list[Event] = []
    for incident, alert in zip(incidents, data["alerts"], strict=True):
        labels = alert.get("labels") or {}
        repository = labels.get("repository") or labels.get("service") or labels.get("job") or "unknown"
        events.append(as_event(str(repository), incident, f"alertmanager:{incident.id}"))
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
