"""Which production deployments failed, and why: incidents, rollbacks and reverts; and which were rework.

Definitions (also in docs/commands/dora.md):

- An incident is linked to a deployment *explicitly* when it names the deployment's sha
  (`deployment_sha`: the latest production deployment of that sha at or before the incident opened) or
  a root-cause commit (`root_cause_sha`: the first production deployment that contains the commit).
  Explicit links are facts and hold whatever the window.
- Otherwise it is linked by *inference* to the latest production deployment at or before it opened,
  when that deployment is at most W before; with none inside W it is *unlinked* and reported, never
  charged to an older deployment.
- A deployment is *rolled back* when the next production deployment ships a different, earlier sha
  (one an earlier deployment already contained) within W.
- A deployment is *reverted* when a commit it shipped first is reverted ("This reverts commit X.") by
  a commit made after the deployment and within W of it.
- A deployment is *rework* when it is unplanned (a rollback, a patch release x.y.Z with Z > 0, or a
  version naming a hotfix) and follows an incident: opened before it and at most W before it, or named
  by one of the commits it shipped first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from secloop.delivery.git import History
from secloop.delivery.graph import Attribution
from secloop.delivery.model import Deployment, Incident

_PATCH = re.compile(r"(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class Link:
    incident: Incident
    deployment: int | None  # index into the production deployments
    kind: str  # "explicit" | "inferred" | "unlinked"
    note: str


@dataclass(frozen=True)
class Timeline:
    """Successful production deployments (all history, oldest first) and what each shipped first."""

    deployments: list[Deployment]
    tips: list[int | None]
    attribution: Attribution
    history: History
    reverts: dict[int, int]

    def rollback_of(self, number: int) -> bool:
        """Deployment ``number`` ships a different sha that an earlier deployment already contained."""
        if number == 0:
            return False
        current, previous = self.deployments[number], self.deployments[number - 1]
        if current.sha == previous.sha:
            return False
        tip = self.tips[number]
        if tip is not None:
            return 0 <= self.attribution.owner[tip] < number
        return any(d.sha == current.sha for d in self.deployments[:number])


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def link_incident(incident: Incident, timeline: Timeline, window: timedelta) -> Link:
    deployments = timeline.deployments
    before = [n for n, d in enumerate(deployments) if d.time <= incident.opened]
    if incident.deployment_sha:
        named = [n for n in before if deployments[n].sha == incident.deployment_sha]
        if named:
            return Link(
                incident, named[-1], "explicit", f"names the deployment of {deployments[named[-1]].label}"
            )
        return Link(
            incident,
            None,
            "unlinked",
            f"deployment_sha {incident.deployment_sha[:12]} was not deployed "
            "to production before the incident opened",
        )
    if incident.root_cause_sha:
        commit = timeline.history.find(incident.root_cause_sha)
        number = timeline.attribution.owner[commit] if commit is not None else -1
        if number >= 0 and deployments[number].time <= incident.opened:
            return Link(
                incident,
                number,
                "explicit",
                f"root cause {incident.root_cause_sha[:12]} first shipped in {deployments[number].label}",
            )
        return Link(
            incident,
            None,
            "unlinked",
            f"root cause {incident.root_cause_sha[:12]} was not shipped to "
            "production before the incident opened",
        )
    if before and incident.opened - deployments[before[-1]].time <= window:
        latest = deployments[before[-1]]
        gap = _hours(incident.opened - latest.time)
        return Link(incident, before[-1], "inferred", f"opened {gap:g} h after {latest.label}")
    days = window.days
    return Link(incident, None, "unlinked", f"no production deployment in the {days} days before it opened")


def failure_causes(timeline: Timeline, incidents: list[Incident], window: timedelta) -> dict[int, list[str]]:
    """Per production deployment index, why it counts as failed with window ``window``."""
    causes: dict[int, list[str]] = {}
    for incident in incidents:
        link = link_incident(incident, timeline, window)
        if link.deployment is not None:
            causes.setdefault(link.deployment, []).append(f"incident {incident.id} ({link.kind})")
    deployments = timeline.deployments
    for number in range(1, len(deployments)):
        previous, current = deployments[number - 1], deployments[number]
        if timeline.rollback_of(number) and current.time - previous.time <= window:
            causes.setdefault(number - 1, []).append(f"rolled back by {current.label}")
    history, owner = timeline.history, timeline.attribution.owner
    for revert, target in sorted(timeline.reverts.items()):
        number = owner[target]
        if number < 0:
            continue
        made = datetime.fromtimestamp(history.committed[revert], tz=deployments[number].time.tzinfo)
        if deployments[number].time < made <= deployments[number].time + window:
            causes.setdefault(number, []).append(
                f"{history.shas[target][:12]} reverted by {history.shas[revert][:12]}"
            )
    return causes


def recovered_at(number: int, timeline: Timeline, links: list[Link], window: timedelta) -> datetime | None:
    """When failed deployment ``number`` recovered: incident resolved, rolled back or revert shipped."""
    moments: list[datetime] = []
    moments += [
        link.incident.resolved for link in links if link.deployment == number and link.incident.resolved
    ]
    deployments = timeline.deployments
    if (
        number + 1 < len(deployments)
        and timeline.rollback_of(number + 1)
        and deployments[number + 1].time - deployments[number].time <= window
    ):
        moments.append(deployments[number + 1].time)
    owner = timeline.attribution.owner
    for revert, target in timeline.reverts.items():
        if owner[target] == number and owner[revert] > number:
            moments.append(deployments[owner[revert]].time)
    return min(moments) if moments else None


def is_patch(version: str | None) -> bool:
    match = _PATCH.search(version or "")
    return match is not None and int(match.group(3)) > 0


def unplanned(number: int, timeline: Timeline) -> str | None:
    """Why deployment ``number`` was unplanned, or None."""
    deployment = timeline.deployments[number]
    if timeline.rollback_of(number):
        return "a rollback"
    if "hotfix" in (deployment.version or "").lower():
        return "a hotfix release"
    if is_patch(deployment.version):
        return "a patch release"
    return None


def rework_cause(number: int, timeline: Timeline, incidents: list[Incident], window: timedelta) -> str | None:
    """Why deployment ``number`` is rework (unplanned and following an incident), or None."""
    kind = unplanned(number, timeline)
    if kind is None:
        return None
    deployment = timeline.deployments[number]
    subjects = [timeline.history.subjects[c] for c in timeline.attribution.shipped[number]]
    for incident in sorted(incidents, key=lambda i: (i.opened, i.id), reverse=True):
        if incident.opened > deployment.time:
            continue
        named = re.compile(rf"(?<![\w-]){re.escape(incident.id)}(?![\w-])")
        if deployment.time - incident.opened <= window:
            return (
                f"{kind} {_hours(deployment.time - incident.opened):g} h after incident {incident.id} opened"
            )
        if any(named.search(s) for s in subjects):
            return f"{kind} shipping a fix that names incident {incident.id}"
    return None
