"""/api/v1: repositories, assessments, findings, triage, delivery events and the audit log."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response

from secloop.server.accounts import Principal
from secloop.server.api.auth import ADMIN, READ, WRITE
from secloop.server.api.schemas import (
    BODY,
    SECURED,
    SEMANTIC_422,
    AssessmentOut,
    AuditOut,
    EventIn,
    EventOut,
    FindingOut,
    FindingPage,
    RepositoryOut,
    TriageIn,
    TriageOut,
    event_record,
    problem,
)
from secloop.server.api.strict import strict_query
from secloop.server.findings import FINDING_STATUSES, FindingFilter, NotFound
from secloop.server.state import client_of, state_of

router = APIRouter(prefix="/api/v1", tags=["api"], responses=SECURED, dependencies=[Depends(strict_query)])
MAX_ID = 2**31 - 1
ResourceId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
SeverityName = Literal["critical", "high", "medium", "low", "info"]
StatusName = Literal["open", "suppressed", "baseline", "accepted-risk", "false-positive", "fixed"]
MAX_ACCEPTANCE_DAYS = 366
assert set(FINDING_STATUSES) == set(StatusName.__args__)  # type: ignore[attr-defined]


@router.get("/repositories", summary="Repositories with their latest assessment")
def list_repositories(request: Request, _who: Principal = Depends(READ)) -> list[RepositoryOut]:
    return [RepositoryOut.of(r) for r in state_of(request).data.repositories()]


@router.get("/repositories/{repository_id}", summary="One repository", responses={404: problem("Not found")})
def get_repository(
    request: Request, repository_id: ResourceId, _who: Principal = Depends(READ)
) -> RepositoryOut:
    found = state_of(request).data.repository(repository_id)
    if found is None:
        raise HTTPException(404, f"no repository {repository_id}")
    return RepositoryOut.of(found)


@router.get("/assessments", summary="Assessments, newest first")
def list_assessments(
    request: Request,
    repository: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    _who: Principal = Depends(READ),
) -> list[AssessmentOut]:
    return [AssessmentOut.of(a) for a in state_of(request).data.assessments(repository, limit, offset)]


@router.get(
    "/assessments/{assessment_id}",
    summary="One assessment: the stored secloop.assessment/v1 document, verbatim",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}}},
        404: problem("Not found"),
    },
)
def get_assessment(request: Request, assessment_id: ResourceId, _who: Principal = Depends(READ)) -> Response:
    document = state_of(request).store.document(assessment_id)
    if document is None:
        raise HTTPException(404, f"no assessment {assessment_id}")
    return Response(document, media_type="application/json")


@router.get("/findings", summary="Findings of the latest assessments, most severe, then newest first")
def list_findings(
    request: Request,
    rule: Annotated[str | None, Query(max_length=128)] = None,
    severity: SeverityName | None = None,
    repository: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: StatusName | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    _who: Principal = Depends(READ),
) -> FindingPage:
    wanted = FindingFilter(rule, severity, repository, status, limit, offset)
    total, items = state_of(request).findings.findings(wanted, date.today())
    return FindingPage(total=total, limit=limit, offset=offset, items=[FindingOut.of(f) for f in items])


def check_triage(state: str, expires: date | None, today: date) -> None:
    """Accepting a risk needs an expiry within a year; the other decisions take none."""
    if state == "accepted-risk":
        if expires is None:
            raise HTTPException(422, "accepting a risk needs an expiry date")
        if expires <= today:
            raise HTTPException(422, "the expiry must be in the future")
        if (expires - today).days > MAX_ACCEPTANCE_DAYS:
            raise HTTPException(422, f"a risk is accepted for at most {MAX_ACCEPTANCE_DAYS} days")
    elif expires is not None:
        raise HTTPException(422, f"only an accepted risk has an expiry, not '{state}'")


@router.post(
    "/triage",
    summary="Triage a finding: accept the risk (reason, expiry), false positive, fixed, or open again",
    responses={404: problem("No such current finding"), **BODY, **SEMANTIC_422},
)
def triage(request: Request, body: TriageIn, who: Principal = Depends(WRITE)) -> TriageOut | None:
    check_triage(body.state, body.expires, date.today())
    try:
        result = state_of(request).findings.set_triage(
            body.repository_id,
            body.fingerprint,
            body.state,
            body.reason,
            body.expires,
            actor=who.actor,
            client=client_of(request),
        )
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from None
    return None if result is None else TriageOut.of(result)


@router.post(
    "/events",
    status_code=201,
    summary="Record a deployment or an incident for the delivery metrics",
    responses=BODY,
)
def post_event(request: Request, body: EventIn, who: Principal = Depends(WRITE)) -> EventOut:
    kind, moment, record, external = event_record(body.repository, body.event)
    data = state_of(request).data
    (event_id,) = data.add_events(
        [(body.repository, kind, moment, record, external)], "api", audit=(who.actor, client_of(request))
    )
    stored = data.event(event_id)
    assert stored is not None  # written in the transaction that just committed
    return EventOut.of(stored)


@router.get("/events", summary="Delivery events, newest first")
def list_events(
    request: Request,
    repository: Annotated[str | None, Query(max_length=255)] = None,
    kind: Literal["deployment", "incident", "push", "pull_request", "issue"] | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
    _who: Principal = Depends(READ),
) -> list[EventOut]:
    return [EventOut.of(e) for e in state_of(request).data.events(repository, kind, limit, offset)]


@router.get("/audit", summary="The audit log, newest first (admin)")
def list_audit(
    request: Request,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
    _who: Principal = Depends(ADMIN),
) -> list[AuditOut]:
    entries = state_of(request).accounts.audit_entries(limit, offset, action)
    return [
        AuditOut(
            id=e.id,
            at=e.at,
            actor=e.actor,
            action=e.action,
            outcome=e.outcome,
            target=e.target,
            detail=e.detail,
            client=e.client,
        )
        for e in entries
    ]
