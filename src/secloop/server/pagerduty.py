"""PagerDuty v3 webhooks: incident events become incidents of the delivery metrics.

The body is signed with the subscription's secret (SECLOOP_PAGERDUTY_SECRET) in
X-PagerDuty-Signature: v1=<hex HMAC-SHA256>, checked in constant time. Each event has a unique id
(event.id): one seen before is a replay (409). An incident is keyed by its PagerDuty id, so
"incident.resolved" completes the incident that "incident.triggered" opened. The repository is the
incident's service name.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request

from secloop.delivery.webhooks import parse_pagerduty
from secloop.server.crypto import pagerduty_signature_valid
from secloop.server.state import state_of
from secloop.server.webhooks import (
    ACCEPTED,
    REFUSED,
    Event,
    Malformed,
    _field,
    _json,
    _reject,
    accept,
    as_event,
    parsed,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


def pagerduty_events(data: dict[str, Any]) -> tuple[str, str, list[Event]]:
    """(event id, event type, the incident it opens or resolves, if any)."""
    event = _field(data, "event", kind=dict)
    event_id = _field(event, "id")[:128]
    event_type = _field(event, "event_type")[:64]
    if _field(event, "resource_type") != "incident":
        return event_id, event_type, []
    with parsed():
        incidents = parse_pagerduty(data, f"webhook pagerduty {event_id}")
    service = event.get("data", {}).get("service") if isinstance(event.get("data"), dict) else None
    name = service.get("summary") if isinstance(service, dict) else None
    repository = name.strip() if isinstance(name, str) and name.strip() else "unknown"
    return event_id, event_type, [as_event(repository, i, f"pagerduty:{i.id}") for i in incidents]


@router.post("/pagerduty", status_code=202, responses={**ACCEPTED, **REFUSED}, summary="PagerDuty v3 webhook")
async def pagerduty(
    request: Request, x_pagerduty_signature: str | None = Header(None, max_length=4096)
) -> dict[str, Any]:
    state = state_of(request)
    secret = state.settings.pagerduty_webhook_secret
    body = await request.body()
    if secret is None:
        raise _reject(state, "pagerduty", "not-configured", 401, "no PagerDuty webhook secret is configured")
    if not pagerduty_signature_valid(secret, body, x_pagerduty_signature):
        raise _reject(
            state, "pagerduty", "signature", 401, "the X-PagerDuty-Signature signature is missing or wrong"
        )
    try:
        event_id, event_type, events = pagerduty_events(_json(body))
    except Malformed as exc:
        raise _reject(state, "pagerduty", "malformed", 400, str(exc)) from None
    return await accept(state, "pagerduty", event_id, event_type, events, None)
