"""The events file: deployments, incidents and work items as JSON lines, read and appended.

One JSON object a line, each with a "type":

    {"type": "deployment", "environment": "production", "sha": "…", "version": "v1.2.0",
     "time": "2026-09-23T10:25:00Z", "status": "success"}
    {"type": "incident", "id": "INC-1", "opened": "…", "resolved": "…", "deployment_sha": "…",
     "severity": "high", "title": "…"}
    {"type": "work_item", "id": "PROJ-7", "work_type": "risk", "created": "…", "started": "…", "done": "…"}
    {"type": "pull_request", "number": 12, "created": "…", "first_review": "…", "merged": "…",
     "additions": 40, "deletions": 8, "author": "alice", "reviewers": ["bob"], "merge_sha": "…",
     "first_commit": "…"}

A malformed line costs only that line: met while assessing it is a Skipped (file:line:column); in a
file given explicitly it is an InputError (exit 2) with the place and a hint.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secloop.core.errors import InputError, Place, UsageError
from secloop.core.model import Skipped
from secloop.delivery.model import (
    DEPLOYMENT_STATUSES,
    PRODUCTION,
    SUCCESS,
    Deployment,
    DeploymentSource,
    Incident,
    PullRequest,
    WorkItem,
    WorkType,
)

Event = Deployment | Incident | WorkItem | PullRequest

_SHA = re.compile(r"^[0-9a-fA-F]{4,64}$")
_FIELDS: Mapping[str, tuple[set[str], set[str]]] = {  # type: (required, optional)
    "deployment": ({"environment", "sha", "time"}, {"version", "status", "downtime_minutes"}),
    "incident": (
        {"id", "opened"},
        {"resolved", "deployment_sha", "root_cause_sha", "severity", "title", "environment"},
    ),
    "work_item": ({"id", "work_type", "created"}, {"started", "done", "title"}),
    "pull_request": (
        {"number", "created"},
        {
            "merged",
            "first_review",
            "first_commit",
            "additions",
            "deletions",
            "author",
            "reviewers",
            "merge_sha",
            "title",
        },
    ),
}
_EXAMPLE = {
    "deployment": '{"type": "deployment", "environment": "production", "sha": "<commit>", '
    '"time": "2026-09-23T10:25:00Z"}',
    "incident": '{"type": "incident", "id": "INC-1", "opened": "2026-09-23T13:40:00Z"}',
    "work_item": '{"type": "work_item", "id": "PROJ-7", "work_type": "risk", '
    '"created": "2026-09-01T09:00:00Z"}',
    "pull_request": '{"type": "pull_request", "number": 12, "created": "2026-09-01T09:00:00Z", '
    '"merged": "2026-09-01T15:00:00Z"}',
}


@dataclass(frozen=True, slots=True)
class Events:
    deployments: tuple[Deployment, ...] = ()
    incidents: tuple[Incident, ...] = ()
    work_items: tuple[WorkItem, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    path: str | None = None  # the file read, as shown to the user; None when there was none
    pull_requests: tuple[PullRequest, ...] = ()


class _Bad(Exception):
    def __init__(self, message: str, key: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.key = key
        self.hint = hint


def parse_time(value: Any, key: str) -> datetime:
    if not isinstance(value, str):
        raise _Bad(f"'{key}' must be an ISO 8601 time string", key, 'e.g. "2026-09-23T10:25:00Z"')
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(
            f"'{key}' is not an ISO 8601 time: {value!r}", key, 'e.g. "2026-09-23T10:25:00Z"'
        ) from None
    if moment.tzinfo is None:
        raise _Bad(
            f"'{key}' has no time zone: {value!r}", key, "end it with Z (UTC) or an offset such as +02:00"
        )
    return moment.astimezone(UTC)


def _text(data: Mapping[str, Any], key: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise _Bad(f"'{key}' is required", key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"'{key}' must be a non-empty string", key)
    return value.strip()


def _sha(data: Mapping[str, Any], key: str, required: bool = False) -> str | None:
    value = _text(data, key, required)
    if value is not None and not _SHA.match(value):
        raise _Bad(f"'{key}' is not a commit id: {value!r}", key, "give the commit's hexadecimal id")
    return value.lower() if value else None


def _optional_time(data: Mapping[str, Any], key: str) -> datetime | None:
    return None if data.get(key) is None else parse_time(data[key], key)


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def parse_record(data: Any, origin: str) -> Event:
    """One event from its decoded JSON; raises _Bad naming the offending key."""
    if not isinstance(data, dict):
        raise _Bad("each line must be a JSON object", None, _EXAMPLE["deployment"])
    kind = data.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise _Bad(
            f"unknown event type {kind!r}",
            "type",
            "type is one of: deployment, incident, work_item, pull_request",
        )
    required, optional = _FIELDS[kind]
    unknown = sorted(set(data) - required - optional - {"type"})
    if unknown:
        known = ", ".join(sorted(required | optional))
        raise _Bad(
            f"unknown key '{unknown[0]}' in {_a(kind)} event", unknown[0], f"known keys: type, {known}"
        )
    missing = sorted(required - set(data))
    if missing:
        raise _Bad(f"{_a(kind)} event needs '{missing[0]}'", None, _EXAMPLE[kind])
    if kind == "deployment":
        status = _text(data, "status") or SUCCESS
        if status not in DEPLOYMENT_STATUSES:
            raise _Bad(
                f"unknown status {status!r}", "status", f"status is one of: {', '.join(DEPLOYMENT_STATUSES)}"
            )
        return Deployment(
            environment=_text(data, "environment", True) or PRODUCTION,
            sha=_sha(data, "sha", True) or "",
            version=_text(data, "version"),
            time=parse_time(data["time"], "time"),
            status=status,
            source=DeploymentSource.EVENTS,
            origin=origin,
            downtime_minutes=_minutes(data, "downtime_minutes"),
        )
    if kind == "incident":
        opened = parse_time(data["opened"], "opened")
        resolved = _optional_time(data, "resolved")
        if resolved is not None and resolved < opened:
            raise _Bad("'resolved' is before 'opened'", "resolved")
        return Incident(
            id=_text(data, "id", True) or "",
            opened=opened,
            resolved=resolved,
            deployment_sha=_sha(data, "deployment_sha"),
            root_cause_sha=_sha(data, "root_cause_sha"),
            severity=_text(data, "severity"),
            title=_text(data, "title"),
            environment=_text(data, "environment") or PRODUCTION,
            origin=origin,
        )
    if kind == "pull_request":
        return _pull_request(data, origin)
    work_type = data["work_type"]
    if work_type not in {t.value for t in WorkType}:
        raise _Bad(
            f"unknown work_type {work_type!r}",
            "work_type",
            "work_type is one of: feature, defect, risk, debt",
        )
    return WorkItem(
        id=_text(data, "id", True) or "",
        type=WorkType(work_type),
        created=parse_time(data["created"], "created"),
        started=_optional_time(data, "started"),
        done=_optional_time(data, "done"),
        title=_text(data, "title"),
        origin=origin,
    )


def _count(data: Mapping[str, Any], key: str) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Bad(f"'{key}' must be a whole number (0 or more)", key)
    return value


def _pull_request(data: Mapping[str, Any], origin: str) -> PullRequest:
    number = data["number"]
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        raise _Bad("'number' must be a positive whole number", "number", '"number": 12')
    created = parse_time(data["created"], "created")
    merged = _optional_time(data, "merged")
    review = _optional_time(data, "first_review")
    for key, moment in (("merged", merged), ("first_review", review)):
        if moment is not None and moment < created:
            raise _Bad(f"'{key}' is before 'created'", key)
    first = _optional_time(data, "first_commit")
    if first is not None and merged is not None and merged < first:
        raise _Bad("'merged' is before 'first_commit'", "merged")
    reviewers = data.get("reviewers", [])
    if not isinstance(reviewers, list) or not all(isinstance(r, str) and r.strip() for r in reviewers):
        raise _Bad("'reviewers' must be a list of names", "reviewers", '"reviewers": ["bob"]')
    return PullRequest(
        number=number,
        created=created,
        merged=merged,
        first_review=review,
        additions=_count(data, "additions"),
        deletions=_count(data, "deletions"),
        author=_text(data, "author"),
        reviewers=tuple(r.strip() for r in reviewers),
        merge_sha=_sha(data, "merge_sha"),
        origin=origin,
        title=_text(data, "title"),
        first_commit=first,
    )


def _column(line: str, key: str | None) -> int:
    if key is None:
        return 1
    at = line.find(f'"{key}"')
    return at + 1 if at >= 0 else 1


def parse_events(text: str, shown: str, *, strict: bool) -> Events:
    """Parse the text; ``shown`` is the path used in places. Strict: raise on the first bad line."""
    deployments: list[Deployment] = []
    incidents: list[Incident] = []
    items: list[WorkItem] = []
    pulls: list[PullRequest] = []
    skipped: list[Skipped] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _Bad(f"not valid JSON: {exc.msg}", None, "one JSON object a line") from exc
            record = parse_record(data, f"{shown}:{number}")
        except _Bad as bad:
            column = _column(line, bad.key)
            if isinstance(bad.__cause__, json.JSONDecodeError):
                column = bad.__cause__.colno
            if strict:
                raise InputError(bad.message, place=Place(shown, number, column), hint=bad.hint) from None
            skipped.append(Skipped(shown, f"events file: {bad.message}", number, column))
            continue
        if isinstance(record, Deployment):
            deployments.append(record)
        elif isinstance(record, Incident):
            incidents.append(record)
        elif isinstance(record, PullRequest):
            pulls.append(record)
        else:
            items.append(record)
    return Events(tuple(deployments), tuple(incidents), tuple(items), tuple(skipped), shown, tuple(pulls))


def load_events(path: Path, shown: str, *, strict: bool) -> Events:
    """Read the events file; a missing implicit file is simply no events."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if strict:
            raise InputError(
                "events file not found", place=Place(shown), hint="check the path given to --events"
            ) from None
        return Events()
    except OSError as exc:
        if strict:
            raise InputError(f"cannot read the events file: {exc.strerror}", place=Place(shown)) from exc
        return Events(skipped=(Skipped(shown, f"events file unreadable: {exc.strerror}"),), path=shown)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if strict:
            raise InputError(
                "the events file is not UTF-8", place=Place(shown), hint="save it as UTF-8"
            ) from exc
        return Events(skipped=(Skipped(shown, "events file is not UTF-8"),), path=shown)
    return parse_events(text, shown, strict=strict)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(data: Mapping[str, Any], key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _Bad(f"'{key}' must be a number of minutes (0 or more)", key)
    return float(value)


def to_record(event: Event) -> dict[str, Any]:
    """The JSON object of one event, as the events file stores it (None fields are left out)."""
    if isinstance(event, Deployment):
        data: dict[str, Any] = {
            "type": "deployment",
            "environment": event.environment,
            "sha": event.sha,
            "version": event.version,
            "time": _iso(event.time),
            "status": event.status,
            "downtime_minutes": event.downtime_minutes,
        }
    elif isinstance(event, Incident):
        data = {
            "type": "incident",
            "id": event.id,
            "opened": _iso(event.opened),
            "resolved": _iso(event.resolved) if event.resolved else None,
            "deployment_sha": event.deployment_sha,
            "root_cause_sha": event.root_cause_sha,
            "severity": event.severity,
            "title": event.title,
            "environment": None if event.environment == PRODUCTION else event.environment,
        }
    elif isinstance(event, PullRequest):
        data = {
            "type": "pull_request",
            "number": event.number,
            "created": _iso(event.created),
            "merged": _iso(event.merged) if event.merged else None,
            "first_review": _iso(event.first_review) if event.first_review else None,
            "additions": event.additions,
            "deletions": event.deletions,
            "author": event.author,
            "reviewers": list(event.reviewers) or None,
            "merge_sha": event.merge_sha,
            "title": event.title,
            "first_commit": _iso(event.first_commit) if event.first_commit else None,
        }
    else:
        data = {
            "type": "work_item",
            "id": event.id,
            "work_type": event.type.value,
            "created": _iso(event.created),
            "started": _iso(event.started) if event.started else None,
            "done": _iso(event.done) if event.done else None,
            "title": event.title,
        }
    return {k: v for k, v in data.items() if v is not None}


def append_event(path: Path, event: Event) -> str:
    """Append one event as a line; the line is written with a single O_APPEND write. Returns the line."""
    return append_events(path, [event])[0]


def append_events(path: Path, events: Sequence[Event]) -> list[str]:
    """Append events as lines with one O_APPEND write (all or nothing); returns the lines."""
    lines = []
    for event in events:
        line = json.dumps(to_record(event), ensure_ascii=False)
        try:
            parse_record(json.loads(line), str(path))  # what we write must read back
        except _Bad as bad:
            raise UsageError(bad.message, hint=bad.hint) from None
        lines.append(line)
    if not lines:
        return lines
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        size = os.fstat(fd).st_size
        lead = ""
        if size:
            last = os.pread(fd, 1, size - 1)
            lead = "" if last == b"\n" else "\n"
        os.write(fd, (lead + "".join(line + "\n" for line in lines)).encode("utf-8"))
    finally:
        os.close(fd)
    return lines
