"""The API's request and response bodies (pydantic): the published contract of /api/v1."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from secloop.server.accounts import TokenInfo, UserInfo
from secloop.server.data import AssessmentSummary, EventView, RepositorySummary
from secloop.server.findings import FindingView, Triage

Sha = Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{4,64}$")]
# No surrounding white space (refused, not stripped: a stripped value could break the published limits).
TRIMMED = r"^\S(?:[\s\S]*\S)?$"
Text = Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=TRIMMED)]


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("the time needs a time zone (end it with Z or an offset such as +02:00)")
    return moment.astimezone(UTC)


Moment = Annotated[datetime, AfterValidator(_aware)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Problem(Strict):
    """Every refusal but a validation error: what went wrong, in one sentence (never a stack trace)."""

    detail: str


def problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description}


# Answers every authenticated route may give besides its own (documented so the schema is complete).
SECURED: dict[int | str, dict[str, Any]] = {
    401: problem("No API token, or a bad, revoked or expired one"),
    403: problem("The token lacks the scope this operation needs"),
    429: problem("Too many requests from this client; see Retry-After"),
}
BODY: dict[int | str, dict[str, Any]] = {
    400: problem("Bad Content-Length"),
    413: problem("Body over the size limit"),
}
# A rule the schema cannot express (an expiry relative to today) answers 422 with a sentence.
SEMANTIC_422: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "Invalid body: field errors, or a rule over several fields",
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        {"$ref": "#/components/schemas/HTTPValidationError"},
                        {"$ref": "#/components/schemas/Problem"},
                    ]
                }
            }
        },
    }
}


class CountsOut(Strict):
    passed: int
    partial: int
    failed: int
    unknown: int
    not_applicable: int
    findings: int
    active_findings: int


class AssessmentOut(Strict):
    id: int
    repository_id: int
    commit: str | None
    as_of: datetime
    recorded_at: datetime
    tool_version: str
    gate_passed: bool | None
    counts: CountsOut

    @classmethod
    def of(cls, a: AssessmentSummary) -> AssessmentOut:
        c = a.counts
        return cls(
            id=a.id,
            repository_id=a.repository_id,
            commit=a.commit,
            as_of=a.as_of,
            recorded_at=a.recorded_at,
            tool_version=a.tool_version,
            gate_passed=a.gate_passed,
            counts=CountsOut(
                passed=c.passed,
                partial=c.partial,
                failed=c.failed,
                unknown=c.unknown,
                not_applicable=c.not_applicable,
                findings=c.findings,
                active_findings=c.active_findings,
            ),
        )


class RepositoryOut(Strict):
    id: int
    name: str
    root: str
    latest: AssessmentOut | None

    @classmethod
    def of(cls, r: RepositorySummary) -> RepositoryOut:
        return cls(
            id=r.id, name=r.name, root=r.root, latest=None if r.latest is None else AssessmentOut.of(r.latest)
        )


class TriageOut(Strict):
    state: str
    reason: str
    expires: date | None
    actor: str
    updated_at: datetime

    @classmethod
    def of(cls, t: Triage) -> TriageOut:
        return cls(state=t.state, reason=t.reason, expires=t.expires, actor=t.actor, updated_at=t.updated_at)


class FindingOut(Strict):
    id: int
    repository_id: int
    repository: str
    assessment_id: int
    practice: str
    rule: str
    fingerprint: str
    severity: str
    path: str | None
    line: int | None
    active: bool
    suppressed: bool
    status: str
    triage: TriageOut | None

    @classmethod
    def of(cls, f: FindingView) -> FindingOut:
        return cls(
            id=f.id,
            repository_id=f.repository_id,
            repository=f.repository,
            assessment_id=f.assessment_id,
            practice=f.practice_id,
            rule=f.rule_id,
            fingerprint=f.fingerprint,
            severity=f.severity,
            path=f.path,
            line=f.line,
            active=f.active,
            suppressed=f.suppressed,
            status=f.status,
            triage=None if f.triage is None else TriageOut.of(f.triage),
        )


class FindingPage(Strict):
    total: int
    limit: int
    offset: int
    items: list[FindingOut]


class TriageIn(Strict):
    repository_id: int = Field(ge=1)
    fingerprint: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    state: Literal["accepted-risk", "false-positive", "fixed", "open"]
    reason: Annotated[str, StringConstraints(min_length=3, max_length=2000, pattern=TRIMMED)]
    expires: date | None = Field(
        default=None,
        description=(
            "Required when accepting a risk, and only then: the day the acceptance lapses, after today "
            "and at most 366 days ahead."
        ),
    )


class DeploymentIn(Strict):
    """A deployment, as a line of the delivery engine's events file."""

    type: Literal["deployment"]
    environment: Text = "production"
    sha: Sha
    time: Moment
    version: Text | None = None
    status: Literal["success", "failure", "error", "cancelled", "in_progress"] = "success"


class IncidentIn(Strict):
    """An incident, as a line of the delivery engine's events file."""

    type: Literal["incident"]
    id: Text
    opened: Moment
    resolved: Moment | None = None
    deployment_sha: Sha | None = None
    root_cause_sha: Sha | None = None
    severity: Text | None = None
    title: Annotated[str, StringConstraints(min_length=1, max_length=500)] | None = None
    environment: Text | None = None


class EventIn(Strict):
    repository: Text = Field(description="The repository the event belongs to, e.g. owner/name.")
    event: Annotated[DeploymentIn | IncidentIn, Field(discriminator="type")]


class EventOut(Strict):
    id: int
    repository: str
    kind: str
    occurred_at: datetime
    record: dict[str, Any]
    source: str
    received_at: datetime

    @classmethod
    def of(cls, e: EventView) -> EventOut:
        return cls(
            id=e.id,
            repository=e.repository,
            kind=e.kind,
            occurred_at=e.occurred_at,
            record=e.record,
            source=e.source,
            received_at=e.received_at,
        )


class AuditOut(Strict):
    id: int
    at: datetime
    actor: str
    action: str
    outcome: str
    target: str | None
    detail: dict[str, Any]
    client: str | None


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_record(
    repository: str, event: DeploymentIn | IncidentIn
) -> tuple[str, datetime, dict[str, str], str | None]:
    """(kind, time, events-file record, external id) of an incoming event.

    An incident is keyed by repository and id, so sending it again (now resolved) updates it.
    """
    if isinstance(event, DeploymentIn):
        record = {
            "type": "deployment",
            "environment": event.environment,
            "sha": event.sha.lower(),
            "time": iso(event.time),
            "status": event.status,
        }
        if event.version:
            record["version"] = event.version
        return "deployment", event.time, record, None
    record = {"type": "incident", "id": event.id, "opened": iso(event.opened)}
    if event.resolved is not None:
        record["resolved"] = iso(event.resolved)
    for key in ("deployment_sha", "root_cause_sha"):
        value = getattr(event, key)
        if value:
            record[key] = value.lower()
    for key in ("severity", "title", "environment"):
        value = getattr(event, key)
        if value:
            record[key] = value
    return "incident", event.opened, record, f"incident:{repository}:{event.id}"[:255]


class UserIn(Strict):
    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")]
    password: Annotated[str, StringConstraints(min_length=12, max_length=1024)] = Field(
        description="At least 12 characters; only its argon2 hash is kept."
    )
    is_admin: bool = False


class UserOut(Strict):
    id: int
    username: str
    is_admin: bool
    created_at: datetime
    last_logon_at: datetime | None
    locked_until: datetime | None
    disabled_at: datetime | None

    @classmethod
    def of(cls, u: UserInfo) -> UserOut:
        return cls(
            id=u.id,
            username=u.username,
            is_admin=u.is_admin,
            created_at=u.created_at,
            last_logon_at=u.last_logon_at,
            locked_until=u.locked_until,
            disabled_at=u.disabled_at,
        )


class TokenOut(Strict):
    """A token's record: never its value, which was shown once when it was made."""

    id: int
    name: str
    prefix: str
    scopes: list[Literal["read", "write", "admin"]]
    username: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, t: TokenInfo) -> TokenOut:
        return cls(
            id=t.id,
            name=t.name,
            prefix=t.prefix,
            scopes=[s.value for s in t.scopes],
            username=t.username,
            created_at=t.created_at,
            expires_at=t.expires_at,
            revoked_at=t.revoked_at,
        )


class DoraMetricOut(Strict):
    id: str
    title: str
    value: float | None
    unit: str
    tier: str | None
    samples: int
    reason: str | None


class DoraRowOut(Strict):
    repository: str
    deployments: int = Field(description="Production deployments in the window")
    incidents: int = Field(description="Incidents opened in the window")
    reason: str | None = Field(description="Why there are no metrics, when there are none")
    window_start: datetime | None
    window_end: datetime | None
    metrics: list[DoraMetricOut]
    weekly_deployments: list[int]


class DoraOut(Strict):
    environment: str
    window_days: int
    organisation: DoraRowOut
    repositories: list[DoraRowOut]
