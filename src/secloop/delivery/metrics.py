"""The DORA metrics with named definitions, computed over a window of history ending at the newest event."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from secloop.core.model import Metric, Skipped
from secloop.delivery.cadence import OFFICE_HOURS, Month, Timing, WorkingHours, monthly, release_timing
from secloop.delivery.failures import (
    Link,
    Timeline,
    failure_causes,
    link_incident,
    recovered_at,
    rework_cause,
)
from secloop.delivery.git import History, touching
from secloop.delivery.graph import attribute
from secloop.delivery.model import PRODUCTION, Deployment, Incident, Window
from secloop.delivery.sources import Sources, production
from secloop.delivery.tiers import BUCKET_TEXT, BUCKETS, classify

SENSITIVITY = (7, 14, 30)
Detail = tuple[str, str | int | float | None]

TITLES = {
    "deployment-frequency": "Deployment frequency",
    "lead-time": "Lead time for changes",
    "change-failure-rate": "Change failure rate",
    "time-to-restore": "Time to restore service",
    "failed-deployment-recovery-time": "Failed deployment recovery time",
    "rework-rate": "Rework rate",
}
DEFINITIONS = {
    "deployment-frequency": (
        "Successful production deployments per week; DORA bucket from the median 7-day and 30-day counts."
    ),
    "lead-time": (
        "Median of deployment time minus commit time over the changes (non-merge commits) first shipped in "
        "the window; a commit ships with the first production deployment that contains it."
    ),
    "change-failure-rate": (
        "Share of production deployments that failed: an incident linked by sha or opened at most {w} days "
        "after, a rollback or a revert within {w} days."
    ),
    "time-to-restore": "Median of resolved minus opened over the incidents opened in the window.",
    "failed-deployment-recovery-time": (
        "Median time from a failed deployment to its recovery: incident resolved, rollback deployed or "
        "revert shipped, whichever first."
    ),
    "rework-rate": (
        "Share of production deployments that were unplanned (a rollback, a patch x.y.Z with Z > 0, a "
        "hotfix) and followed an incident by at most {w} days or shipped a commit naming it."
    ),
}


@dataclass(frozen=True, slots=True)
class Options:
    window_days: int = 90
    failure_window_days: int = 14
    environment: str = PRODUCTION
    tiers: str = "2021"
    until: datetime | None = None
    working: WorkingHours = OFFICE_HOURS
    path: str | None = None  # monorepo slice: only changes under this path and what shipped them


@dataclass(frozen=True, slots=True)
class Measure:
    metric: Metric
    details: tuple[Detail, ...] = ()


@dataclass(frozen=True, slots=True)
class DeploymentRow:
    deployment: Deployment
    changes: int
    failed: tuple[str, ...]
    rework: str | None
    leads: tuple[float, ...] = ()  # lead time in hours of each change it shipped first


@dataclass(frozen=True, slots=True)
class IncidentRow:
    incident: Incident
    link: str
    deployment: str | None
    note: str


@dataclass(frozen=True)
class DoraReport:
    window: Window | None
    options: Options
    measures: tuple[Measure, ...]
    deployments: tuple[DeploymentRow, ...] = ()
    incidents: tuple[IncidentRow, ...] = ()
    weekly: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    reason: str | None = None
    timing: Timing | None = None
    months: tuple[Month, ...] = ()

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return tuple(m.metric for m in self.measures)


def hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def p90(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def _r(value: float) -> float:
    return round(value, 2)


def bins(times: Sequence[datetime], window: Window, days: int) -> list[int]:
    """Counts per ``days``-long period back from the window's end, oldest first (partial periods dropped)."""
    count = max(1, int(window.days // days))
    counts = [0] * count
    period = timedelta(days=days)
    for moment in times:
        back = max(0, math.ceil((window.end - moment) / period) - 1)
        if moment in window and back < count:
            counts[count - 1 - back] += 1
    return counts


def frequency_bucket(times: Sequence[datetime], window: Window) -> str | None:
    weekly = statistics.median(bins(times, window, 7))
    if weekly > 7:
        return "multiple-per-day"
    if weekly >= 1:
        return "daily-to-weekly"
    if statistics.median(bins(times, window, 30)) >= 1:
        return "weekly-to-monthly"
    if times:
        return "monthly-to-six-monthly"
    return "fewer-than-six-monthly" if window.days >= 182 else None


def _metric(metric_id: str, value: float | None, unit: str, n: int, w: int, **extra: str | None) -> Metric:
    return Metric(
        id=metric_id,
        title=TITLES[metric_id],
        value=value,
        unit=unit,
        definition=DEFINITIONS[metric_id].format(w=w),
        reason=extra.get("reason"),
        tier=extra.get("tier"),
        samples=n,
    )


def _timeline(sources: Sources, environment: str) -> Timeline:
    deployments = production(sources, environment)
    tips = [sources.history.find(d.sha) for d in deployments]
    return Timeline(deployments, tips, attribute(sources.history, tips), sources.history, sources.reverts)


def _no_deployments(sources: Sources, environment: str) -> str:
    if not sources.git.is_git:
        tags = "not a git repository, so no release tags"
    elif environment != PRODUCTION:
        tags = "release tags count as production deployments only"
    else:
        tags = f"no release tags matching '{sources.tag_pattern}'"
    where = sources.events_path or "the events file"
    events = (
        f"no successful '{environment}' deployments in {where}" if sources.events_found else "no events file"
    )
    return f"no deployments: {tags} and {events}"


def describe_sources(sources: Sources) -> tuple[str, ...]:
    lines = []
    if sources.git.is_git:
        kind = "bare " if sources.git.bare else ""
        shallow = (
            ", shallow clone: history before the boundary is missing" if sources.history.truncated else ""
        )
        lines.append(
            f"git ({kind}repository): {len(sources.history)} commits, {sources.tag_count} release tags "
            f"matching '{sources.tag_pattern}'{shallow}"
        )
    else:
        lines.append("git: not a git repository")
    if sources.events_found:
        from_events = sum(1 for d in sources.deployments if d.source.value == "events")
        lines.append(
            f"events: {sources.events_path}: {from_events} deployment(s), "
            f"{len(sources.incidents)} incident(s), {len(sources.work_items)} work item(s)"
        )
    else:
        lines.append(f"events: no events file ({sources.events_path})")
    lines += sources.api
    return tuple(lines)


def analyse(sources: Sources, options: Options) -> DoraReport:
    env, w = options.environment, options.failure_window_days
    described = describe_sources(sources)
    timeline = _timeline(sources, env)
    if not timeline.deployments:
        return DoraReport(
            None,
            options,
            (),
            sources=described,
            skipped=sources.skipped,
            reason=_no_deployments(sources, env),
        )
    end = options.until or sources.newest()
    assert end is not None  # there are deployments, so there is a newest event
    window = Window.ending(end, options.window_days)
    everywhere = [i for i in sources.incidents if i.environment == env and i.opened <= window.end]
    in_window = [n for n, d in enumerate(timeline.deployments) if d.time in window]
    span = timedelta(days=w)
    scope = _slice(sources, timeline, options.path)
    if scope is not None:
        in_window = [n for n in in_window if n in scope.kept]
        described += (scope.describe(options.path or ""),)
    incidents = _scoped(everywhere, timeline, span, scope)
    causes = failure_causes(timeline, incidents, span)
    links = [link_incident(i, timeline, span) for i in incidents]
    rework = {n: rework_cause(n, timeline, incidents, span) for n in in_window}
    measures = (
        _frequency(timeline, in_window, window, options),
        _lead_time(timeline, in_window, sources, options, scope),
        _failure_rate(timeline, everywhere, in_window, window, options, scope),
        _restore(incidents, window, options),
        _recovery(timeline, causes, links, in_window, span, options),
        _rework(rework, in_window, w),
    )
    rows = tuple(
        DeploymentRow(
            timeline.deployments[n],
            sum(1 for c in timeline.attribution.shipped[n] if _counts(sources.history, c, scope)),
            tuple(causes.get(n, ())),
            rework[n],
            tuple(_leads(timeline, n, sources.history, scope)),
        )
        for n in in_window
    )
    incident_rows = tuple(
        IncidentRow(
            link.incident,
            link.kind,
            timeline.deployments[link.deployment].label if link.deployment is not None else None,
            link.note,
        )
        for link in links
        if link.incident.opened in window
    )
    weekly = bins([timeline.deployments[n].time for n in in_window], window, 7)
    shipped = [row.deployment for row in rows]
    return DoraReport(
        window,
        options,
        measures,
        rows,
        incident_rows,
        tuple(weekly),
        described,
        sources.skipped,
        timing=release_timing(shipped, options.working),
        months=monthly([(row.deployment, bool(row.failed)) for row in rows]),
    )


@dataclass(frozen=True)
class Slice:
    """A monorepo path: the commits that touch it and the deployments that shipped at least one."""

    commits: frozenset[int]
    kept: frozenset[int]
    total: int

    def describe(self, path: str) -> str:
        return (
            f"path {path}: {len(self.commits)} of {self.total} commits touch it; only deployments "
            "shipping one of them and incidents linked to those deployments count"
        )


def _slice(sources: Sources, timeline: Timeline, path: str | None) -> Slice | None:
    if not path:
        return None
    history = sources.history
    tips = [d.sha for d in timeline.deployments] + ([sources.git.head] if sources.git.head else [])
    found = touching(sources.root, tips, path) if sources.git.is_git else set()
    commits = frozenset(i for i in (history.find(sha) for sha in found) if i is not None)
    kept = frozenset(
        n for n, shipped in enumerate(timeline.attribution.shipped) if any(c in commits for c in shipped)
    )
    changes = sum(1 for i in range(len(history)) if not history.is_merge(i))
    return Slice(commits, kept, changes)


def _scoped(
    incidents: list[Incident], timeline: Timeline, span: timedelta, scope: Slice | None
) -> list[Incident]:
    """With a path, only the incidents linked to a deployment of the slice (at failure window ``span``)."""
    if scope is None:
        return incidents
    return [i for i in incidents if link_incident(i, timeline, span).deployment in scope.kept]


def _counts(history: History, commit: int, scope: Slice | None) -> bool:
    return not history.is_merge(commit) and (scope is None or commit in scope.commits)


def _leads(timeline: Timeline, n: int, history: History, scope: Slice | None) -> list[float]:
    """Lead times (hours) of the changes deployment ``n`` shipped first."""
    deployed = timeline.deployments[n].time
    return [
        max(0.0, hours(deployed - datetime.fromtimestamp(history.committed[commit], tz=deployed.tzinfo)))
        for commit in timeline.attribution.shipped[n]
        if _counts(history, commit, scope)
    ]


def _frequency(timeline: Timeline, in_window: list[int], window: Window, options: Options) -> Measure:
    times = [timeline.deployments[n].time for n in in_window]
    per_week = _r(len(times) / window.days * 7)
    bucket = frequency_bucket(times, window)
    w = options.failure_window_days
    if bucket is None:
        metric = _metric(
            "deployment-frequency",
            per_week,
            "per week",
            len(times),
            w,
            reason=f"no deployment in the {options.window_days}-day window; a DORA bucket needs "
            "a window of at least 182 days to say 'fewer than once every six months'",
        )
        return Measure(metric, (("bucket", None),))
    tier = classify(options.tiers, "deployment-frequency", BUCKETS.index(bucket))
    metric = _metric("deployment-frequency", per_week, "per week", len(times), w, tier=tier.tier)
    return Measure(
        metric, (("bucket", bucket), ("bucket_text", BUCKET_TEXT[bucket]), ("tier_basis", tier.note))
    )


def _lead_time(
    timeline: Timeline, in_window: list[int], sources: Sources, options: Options, scope: Slice | None
) -> Measure:
    history, w = sources.history, options.failure_window_days
    leads = [lead for n in in_window for lead in _leads(timeline, n, history, scope)]
    if not leads:
        reason = (
            "lead time needs git history: not a git repository"
            if not sources.git.is_git
            else "no change was first shipped by a production deployment in the window"
        )
        return Measure(_metric("lead-time", None, "hours", 0, w, reason=reason))
    median = _r(statistics.median(leads))
    tier = classify(options.tiers, "lead-time", median)
    metric = _metric("lead-time", median, "hours", len(leads), w, tier=tier.tier)
    return Measure(metric, (("p90_hours", _r(p90(leads))), ("tier_basis", tier.note)))


def _rate(failed: int, total: int) -> float:
    return _r(100 * failed / total)


def _failure_rate(
    timeline: Timeline,
    everywhere: list[Incident],
    in_window: list[int],
    window: Window,
    options: Options,
    scope: Slice | None,
) -> Measure:
    w = options.failure_window_days
    if not in_window:
        return Measure(
            _metric("change-failure-rate", None, "%", 0, w, reason="no production deployment in the window")
        )
    details: list[Detail] = []
    chosen: dict[int, list[str]] = {}
    for days in sorted({*SENSITIVITY, w}):
        band = timedelta(days=days)
        causes = failure_causes(timeline, _scoped(everywhere, timeline, band, scope), band)
        failed = [n for n in in_window if n in causes]
        details.append((f"rate_{days}d", _rate(len(failed), len(in_window))))
        if days == w:
            chosen = causes
    failed = [n for n in in_window if n in chosen]
    value = _rate(len(failed), len(in_window))
    incidents = _scoped(everywhere, timeline, timedelta(days=w), scope)
    unlinked = [
        i.id
        for i in incidents
        if i.opened in window and link_incident(i, timeline, timedelta(days=w)).deployment is None
    ]
    details += [("failed", len(failed)), ("unlinked_incidents", ", ".join(unlinked) or None)]
    tier = classify(options.tiers, "change-failure-rate", value)
    details.append(("tier_basis", tier.note))
    metric = _metric("change-failure-rate", value, "%", len(in_window), w, tier=tier.tier)
    return Measure(metric, tuple(details))


def _restore(incidents: list[Incident], window: Window, options: Options) -> Measure:
    w = options.failure_window_days
    opened = [i for i in incidents if i.opened in window]
    durations = [hours(i.duration) for i in opened if i.duration is not None]
    unresolved = len(opened) - len(durations)
    if not durations:
        reason = (
            f"{unresolved} incident(s) opened in the window, none resolved yet"
            if unresolved
            else "no incident opened in the window (incidents come from the events file)"
        )
        return Measure(
            _metric("time-to-restore", None, "hours", 0, w, reason=reason), (("unresolved", unresolved),)
        )
    median = _r(statistics.median(durations))
    tier = classify(options.tiers, "time-to-restore", median)
    metric = _metric("time-to-restore", median, "hours", len(durations), w, tier=tier.tier)
    return Measure(metric, (("unresolved", unresolved), ("tier_basis", tier.note)))


def _recovery(
    timeline: Timeline,
    causes: dict[int, list[str]],
    links: list[Link],
    in_window: list[int],
    span: timedelta,
    options: Options,
) -> Measure:
    w = options.failure_window_days
    failed = [n for n in in_window if n in causes]
    times: list[float] = []
    for n in failed:
        moment = recovered_at(n, timeline, links, span)
        if moment is not None:
            times.append(hours(moment - timeline.deployments[n].time))
    if not times:
        reason = (
            "no failed production deployment in the window"
            if not failed
            else f"{len(failed)} failed deployment(s) in the window, none with a known recovery yet"
        )
        return Measure(_metric("failed-deployment-recovery-time", None, "hours", 0, w, reason=reason))
    median = _r(statistics.median(times))
    tier = classify(options.tiers, "failed-deployment-recovery-time", median)
    metric = _metric("failed-deployment-recovery-time", median, "hours", len(times), w, tier=tier.tier)
    return Measure(metric, (("unrecovered", len(failed) - len(times)), ("tier_basis", tier.note)))


def _rework(rework: dict[int, str | None], in_window: list[int], w: int) -> Measure:
    if not in_window:
        return Measure(
            _metric("rework-rate", None, "%", 0, w, reason="no production deployment in the window")
        )
    count = sum(1 for n in in_window if rework.get(n))
    return Measure(
        _metric("rework-rate", _rate(count, len(in_window)), "%", len(in_window), w), (("rework", count),)
    )
