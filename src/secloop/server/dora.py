"""The organisation's DORA metrics from the delivery events the server stored (webhooks and the API).

Each repository's deployments and incidents become secloop.delivery's model objects and go through
the delivery engine's own `analyse`, so the server and `secloop dora` define every metric the same
way. The server holds no git history, so lead time (which needs commit times) is unknown here, and
says so. The organisation row pools every repository's events.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from secloop.delivery.events import parse_record
from secloop.delivery.git import GitInfo, History
from secloop.delivery.metrics import DoraReport, Options, analyse
from secloop.delivery.model import Deployment, Incident
from secloop.delivery.sources import Sources
from secloop.store.models import DeliveryEventRow

LOG = logging.getLogger("secloop.server.dora")
ORGANISATION = "(organisation)"
SHOWN = "the server's delivery events"
MAX_EVENTS = 200_000


@dataclass(frozen=True)
class RepositoryDora:
    repository: str
    report: DoraReport
    deployments: int
    incidents: int


def _sources(name: str, deployments: list[Deployment], incidents: list[Incident]) -> Sources:
    return Sources(
        root=Path(name),
        git=GitInfo(False),
        history=History(),
        deployments=tuple(sorted(deployments, key=lambda d: (d.time, d.environment, d.origin))),
        incidents=tuple(sorted(incidents, key=lambda i: (i.opened, i.id))),
        work_items=(),
        events_path=SHOWN,
        events_found=bool(deployments or incidents),
    )


def load(engine: Engine) -> dict[str, tuple[list[Deployment], list[Incident]]]:
    """Every stored deployment and incident, as the delivery engine's objects, by repository."""
    query = (
        select(
            DeliveryEventRow.id,
            DeliveryEventRow.repository,
            DeliveryEventRow.record,
            DeliveryEventRow.source,
        )
        .where(DeliveryEventRow.kind.in_(("deployment", "incident")))
        .order_by(DeliveryEventRow.occurred_at.desc())
        .limit(MAX_EVENTS)
    )
    found: dict[str, tuple[list[Deployment], list[Incident]]] = defaultdict(lambda: ([], []))
    with Session(engine) as session:
        for event_id, repository, record, source in session.execute(query):
            try:
                event = parse_record(json.loads(record), f"{source} event {event_id}")
            except Exception as exc:  # a row written by an older version: skip it, never fail the page
                LOG.warning("delivery event %s is not a valid event (%s); left out of DORA", event_id, exc)
                continue
            if isinstance(event, Deployment):
                found[repository][0].append(event)
            elif isinstance(event, Incident):
                found[repository][1].append(event)
    return dict(found)


def organisation_dora(engine: Engine, options: Options) -> tuple[RepositoryDora, list[RepositoryDora]]:
    """(the organisation's pooled metrics, each repository's), repositories by name."""
    events = load(engine)
    rows = []
    every_deployment: list[Deployment] = []
    every_incident: list[Incident] = []
    for name in sorted(events):
        deployments, incidents = events[name]
        every_deployment += deployments
        every_incident += incidents
        report = analyse(_sources(name, deployments, incidents), options)
        rows.append(RepositoryDora(name, report, len(report.deployments), len(report.incidents)))
    pooled = analyse(_sources(ORGANISATION, every_deployment, every_incident), options)
    return RepositoryDora(ORGANISATION, pooled, len(pooled.deployments), len(pooled.incidents)), rows
