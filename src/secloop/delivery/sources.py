"""Gather the delivery events of one repository: git (history, release tags) and the events file."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from secloop.core.model import Skipped
from secloop.delivery.events import Events, load_events
from secloop.delivery.git import GitInfo, History, inspect, read_history, release_tags, resolve, reverted
from secloop.delivery.model import PRODUCTION, Deployment, Incident, PullRequest, WorkItem

_CACHE_SIZE = 4


@dataclass(frozen=True)
class Sources:
    root: Path
    git: GitInfo
    history: History
    deployments: tuple[Deployment, ...]  # every environment and status, tags and events merged, by time
    incidents: tuple[Incident, ...]
    work_items: tuple[WorkItem, ...]
    reverts: dict[int, int] = field(default_factory=dict)  # revert commit -> reverted commit
    skipped: tuple[Skipped, ...] = ()
    tag_pattern: str = "v*"
    tag_count: int = 0
    events_path: str | None = None
    events_found: bool = False
    pull_requests: tuple[PullRequest, ...] = ()
    api: tuple[str, ...] = ()  # what each API source read, for the report's sources lines

    def newest(self) -> datetime | None:
        """The newest event: a deployment, an incident, a work item or HEAD's commit."""
        moments: list[datetime] = [d.time for d in self.deployments]
        for incident in self.incidents:
            moments += [incident.opened] + ([incident.resolved] if incident.resolved else [])
        for item in self.work_items:
            moments += [t for t in (item.created, item.started, item.done) if t is not None]
        head = self.history.find(self.git.head) if self.git.head else None
        if head is not None:
            moments.append(datetime.fromtimestamp(self.history.committed[head], tz=UTC))
        return max(moments) if moments else None


_history_cache: dict[tuple[str, tuple[str, ...]], tuple[History, dict[int, int]]] = {}


def _history(root: Path, tips: list[str]) -> tuple[History, dict[int, int]]:
    """The commit graph, cached per (repository, tips) so assess's panel and practices read git once."""
    key = (str(root), tuple(sorted(set(tips))))
    if key not in _history_cache:
        history = read_history(root, tips)
        while len(_history_cache) >= _CACHE_SIZE:
            _history_cache.pop(next(iter(_history_cache)))
        _history_cache[key] = (history, reverted(root, history))
    return _history_cache[key]


def _full_shas(root: Path, history: History, shas: set[str]) -> dict[str, str]:
    resolved = {s: s for s in shas if s in history.index}
    pending = shas - resolved.keys()
    if pending:
        resolved.update(resolve(root, pending))
    return resolved


def gather(
    root: Path,
    *,
    in_worktree: bool,
    tag_pattern: str,
    events_file: Path,
    events_shown: str,
    strict: bool,
    extra: Events | None = None,
    api: tuple[str, ...] = (),
) -> Sources:
    """Read git and the events file. ``strict``: the events file was given explicitly (bad line: exit 2).

    ``extra``: events read elsewhere (an API source), merged with the file's.
    """
    info = inspect(root, in_worktree)
    events = load_events(events_file, events_shown, strict=strict)
    if extra is not None:
        events = merge_events(events, extra)
    tags = release_tags(root, tag_pattern) if info.is_git else []
    named = {d.sha for d in events.deployments}
    named |= {s for i in events.incidents for s in (i.deployment_sha, i.root_cause_sha) if s}
    tips = [d.sha for d in tags] + sorted(named) + ([info.head] if info.head else [])
    history, reverts = _history(root, tips) if info.is_git else (History(), {})
    full = _full_shas(root, history, named) if info.is_git else {}
    deployments = [replace(d, sha=full.get(d.sha, d.sha)) for d in events.deployments]
    incidents = [
        replace(
            i,
            deployment_sha=full.get(i.deployment_sha, i.deployment_sha) if i.deployment_sha else None,
            root_cause_sha=full.get(i.root_cause_sha, i.root_cause_sha) if i.root_cause_sha else None,
        )
        for i in events.incidents
    ]
    # A deployment recorded in the events file is the better witness of the same sha and environment.
    recorded = {(d.sha, d.environment) for d in deployments}
    merged = deployments + [t for t in tags if (t.sha, t.environment) not in recorded]
    skipped = list(events.skipped)
    for d in deployments:
        if info.is_git and d.sha not in history.index:
            skipped.append(
                Skipped(
                    d.origin.rsplit(":", 1)[0],
                    f"deployment sha {d.sha} is not in the repository",
                    _line(d.origin),
                )
            )
    return Sources(
        root=root,
        git=info,
        history=history,
        deployments=tuple(sorted(merged, key=lambda d: (d.time, d.environment, d.origin))),
        incidents=tuple(sorted(incidents, key=lambda i: (i.opened, i.id))),
        work_items=tuple(sorted(events.work_items, key=lambda w: (w.created, w.id))),
        reverts=reverts,
        skipped=tuple(skipped),
        tag_pattern=tag_pattern,
        tag_count=len(tags),
        events_path=events_shown,
        events_found=_found(events),
        pull_requests=_pulls(events.pull_requests, full if info.is_git else {}),
        api=api,
    )


def merge_events(first: Events, second: Events) -> Events:
    return Events(
        first.deployments + second.deployments,
        first.incidents + second.incidents,
        first.work_items + second.work_items,
        first.skipped + second.skipped,
        first.path,
        first.pull_requests + second.pull_requests,
    )


def _pulls(pulls: tuple[PullRequest, ...], full: dict[str, str]) -> tuple[PullRequest, ...]:
    """One per number (the last read wins: the API after the file), oldest first."""
    chosen = {p.number: p for p in pulls}
    resolved = [
        replace(p, merge_sha=full.get(p.merge_sha, p.merge_sha)) if p.merge_sha else p
        for p in chosen.values()
    ]
    return tuple(sorted(resolved, key=lambda p: (p.created, p.number)))


def _found(events: Events) -> bool:
    return bool(
        events.deployments or events.incidents or events.work_items or events.skipped or events.pull_requests
    )


def _line(origin: str) -> int | None:
    tail = origin.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None


def production(sources: Sources, environment: str = PRODUCTION) -> list[Deployment]:
    """Successful deployments to ``environment``, oldest first."""
    return [d for d in sources.deployments if d.environment == environment and d.succeeded]
