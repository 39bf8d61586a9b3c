"""GitLab webhooks: push, merge request, deployment and issue events.

GitLab sends the secret token configured on the hook in X-Gitlab-Token (compared in constant time
with SECLOOP_GITLAB_TOKEN) and a unique X-Gitlab-Event-UUID per event: an event id seen before is a
replay (409). A merge request is stored as a pull request, an issue as an issue (each delivery
updates it), a deployment as a deployment, and a push to the default branch asks for a scan.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Header, Request

from secloop.delivery.webhooks import parse_gitlab_deployment
from secloop.server.crypto import same_secret
from secloop.server.state import state_of
from secloop.server.webhooks import (
    ACCEPTED,
    REFUSED,
    Event,
    Malformed,
    _field,
    _iso,
    _json,
    _labels,
    _reject,
    _time,
    _title,
    accept,
    as_event,
    parsed,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
_UTC = re.compile(r"\s+UTC$")
_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2})$")
KINDS = {
    "Push Hook": "push",
    "Merge Request Hook": "merge_request",
    "Deployment Hook": "deployment",
    "Issue Hook": "issue",
    "Confidential Issue Hook": "issue",
}


def gitlab_time(value: Any, key: str) -> datetime:
    """GitLab writes ISO 8601, "2021-04-28 21:50:00 +0200" or "2013-12-03 17:15:43 UTC"."""
    if not isinstance(value, str):
        raise Malformed(f"'{key}' must be text")
    return _time(_OFFSET.sub(r"\1", _UTC.sub("+00:00", value.strip())), key)


def _optional(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return _iso(gitlab_time(value, key)) if isinstance(value, str) and value else None


def _project(data: dict[str, Any]) -> str:
    return str(_field(data, "project", "path_with_namespace"))[:255]


def merge_request(data: dict[str, Any]) -> list[Event]:
    item = _field(data, "object_attributes", kind=dict)
    created = gitlab_time(_field(item, "created_at"), "object_attributes.created_at")
    state = _field(item, "state")
    merged = _optional(item, "merged_at") or (_optional(item, "updated_at") if state == "merged" else None)
    closed = _optional(item, "closed_at") or (_optional(item, "updated_at") if state == "closed" else None)
    last = item.get("last_commit")
    record: dict[str, Any] = {
        "type": "pull_request",
        "number": _field(item, "iid", kind=int),
        "state": {"opened": "open", "locked": "open"}.get(state, state),
        "title": _title(item),
        "created": _iso(created),
        "closed": closed,
        "merged": merged,
        "labels": _labels(data),
        "sha": last.get("id") if isinstance(last, dict) else None,
        "base": item.get("target_branch"),
        "merge_sha": item.get("merge_commit_sha") if merged else None,
    }
    moment = gitlab_time(merged or closed or _iso(created), "object_attributes")
    item_id = _field(item, "id", kind=int)
    return [(_project(data), "pull_request", moment, record, f"merge_request:{item_id}")]


def issue(data: dict[str, Any]) -> list[Event]:
    item = _field(data, "object_attributes", kind=dict)
    created = gitlab_time(_field(item, "created_at"), "object_attributes.created_at")
    state = _field(item, "state")
    closed = _optional(item, "closed_at") or (_optional(item, "updated_at") if state == "closed" else None)
    record: dict[str, Any] = {
        "type": "issue",
        "number": _field(item, "iid", kind=int),
        "state": {"opened": "open"}.get(state, state),
        "title": _title(item),
        "created": _iso(created),
        "closed": closed,
        "labels": _labels(data),
    }
    moment = gitlab_time(closed or _iso(created), "object_attributes")
    return [(_project(data), "issue", moment, record, f"issue:{_field(item, 'id', kind=int)}")]


def deployment(data: dict[str, Any]) -> list[Event]:
    project = _project(data)
    number = _field(data, "deployment_id", kind=int)
    with parsed():
        found = parse_gitlab_deployment(data, f"webhook gitlab deployment {number}")
    if found is None:
        return []  # created, running or blocked: not final yet
    return [as_event(project, found, f"deployment:{number}:{found.status}")]


def push(data: dict[str, Any]) -> tuple[list[Event], tuple[str, str] | None]:
    after = _field(data, "after").lower()
    ref = _field(data, "ref")
    commits = data.get("commits")
    stamp = None
    if isinstance(commits, list) and commits and isinstance(commits[-1], dict):
        stamp = commits[-1].get("timestamp")
    moment = gitlab_time(stamp, "commits[-1].timestamp") if isinstance(stamp, str) else None
    record: dict[str, Any] = {"type": "push", "ref": ref, "sha": after}
    if moment is not None:
        record["time"] = _iso(moment)
    project = data.get("project")
    url = project.get("git_http_url") if isinstance(project, dict) else None
    default = project.get("default_branch") if isinstance(project, dict) else None
    scan = None
    if isinstance(url, str) and isinstance(default, str) and set(after) != {"0"}:
        scan = (url, after) if ref == f"refs/heads/{default}" else None
    return [(_project(data), "push", moment or datetime.now(tz=UTC), record, None)], scan


def gitlab_events(kind: str, data: dict[str, Any]) -> tuple[list[Event], tuple[str, str] | None]:
    if kind == "push":
        return push(data)
    parse = {"merge_request": merge_request, "issue": issue, "deployment": deployment}.get(kind)
    return (parse(data) if parse else []), None


@router.post("/gitlab", status_code=202, responses={**ACCEPTED, **REFUSED}, summary="GitLab webhook")
async def gitlab(
    request: Request,
    x_gitlab_token: str | None = Header(None, max_length=1024),
    x_gitlab_event: str | None = Header(None, max_length=64),
    x_gitlab_event_uuid: str | None = Header(None, max_length=128),
) -> dict[str, Any]:
    state = state_of(request)
    token = state.settings.gitlab_webhook_token
    body = await request.body()
    if token is None:
        raise _reject(state, "gitlab", "not-configured", 401, "no GitLab webhook token is configured")
    if x_gitlab_token is None or not same_secret(token, x_gitlab_token):
        raise _reject(state, "gitlab", "token", 401, "the X-Gitlab-Token is missing or wrong")
    if not x_gitlab_event or not x_gitlab_event_uuid:
        raise _reject(state, "gitlab", "headers", 400, "X-Gitlab-Event and X-Gitlab-Event-UUID are required")
    kind = KINDS.get(x_gitlab_event, x_gitlab_event.lower().replace(" ", "_"))
    try:
        events, scan = gitlab_events(kind, _json(body))
    except Malformed as exc:
        raise _reject(state, "gitlab", "malformed", 400, str(exc)) from None
    return await accept(state, "gitlab", x_gitlab_event_uuid, kind, events, scan)
