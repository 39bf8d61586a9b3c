"""Webhooks: GitHub signatures and replays, Alertmanager tokens, and what each delivery stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.delivery.events import parse_record
from tests.server.conftest import Server, make_secret, sign, start


def deployment_status(state: str = "success", status_id: int = 501) -> dict[str, object]:
    return {
        "deployment_status": {
            "id": status_id,
            "state": state,
            "environment": "production",
            "created_at": "2025-03-01T10:15:30Z",
        },
        "deployment": {"sha": "ABC123DEF4567890", "environment": "production", "ref": "v2.3.1"},
        "repository": {"full_name": "acme/shop"},
    }


def rejected(server: Server, provider: str, reason: str) -> float:
    value = server.state.metrics.rejected_webhooks.labels(provider, reason)._value.get()
    return float(value)


def test_a_signed_deployment_status_becomes_a_deployment_event(any_server: Server) -> None:
    status, body = any_server.github("deployment_status", deployment_status(), delivery="d-1")
    assert status == 202
    assert body == {"delivery": "d-1", "event": "deployment_status", "events": body["events"]}  # type: ignore[index]
    (stored,) = any_server.state.data.events("acme/shop")
    assert (stored.kind, stored.source, stored.occurred_at.isoformat()) == (
        "deployment",
        "github",
        "2025-03-01T10:15:30+00:00",
    )
    assert stored.record == {
        "type": "deployment",
        "environment": "production",
        "sha": "abc123def4567890",
        "time": "2025-03-01T10:15:30Z",
        "status": "success",
        "version": "v2.3.1",
    }
    assert parse_record(stored.record, "x").status == "success"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("state", "stored"),
    # secloop.delivery counts final states only: queued and in progress are stored when they end.
    [("failure", "failure"), ("error", "error"), ("queued", None), ("inactive", None)],
)
def test_deployment_states_map_to_the_events_vocabulary(
    server: Server, state: str, stored: str | None
) -> None:
    assert server.github("deployment_status", deployment_status(state))[0] == 202
    events = server.state.data.events("acme/shop")
    assert [e.record["status"] for e in events] == ([] if stored is None else [stored])


def test_a_push_is_recorded_and_other_events_only_acknowledged(server: Server) -> None:
    push: dict[str, object] = {
        "ref": "refs/heads/main",
        "after": "FEED" * 10,
        "head_commit": {"timestamp": "2025-03-01T09:00:00+01:00"},
        "repository": {"full_name": "acme/shop"},
    }
    assert server.github("push", push)[0] == 202
    assert server.github("ping", {"zen": "Design for failure."}, delivery="p1") == (
        202,
        {"delivery": "p1", "event": "ping", "events": []},
    )
    assert server.github("watch", {"action": "started"}, delivery="p2")[0] == 202
    (event,) = server.state.data.events()
    assert (event.kind, event.record) == (
        "push",
        {"type": "push", "ref": "refs/heads/main", "sha": "feed" * 10, "time": "2025-03-01T08:00:00Z"},
    )
    assert server.state.metrics.webhooks.labels("github", "ping")._value.get() == 1.0


def test_a_replayed_delivery_is_409_and_stores_nothing_more(any_server: Server) -> None:
    assert any_server.github("deployment_status", deployment_status(), delivery="same")[0] == 202
    status, body = any_server.github("deployment_status", deployment_status(status_id=502), delivery="same")
    assert (status, body) == (409, {"detail": "this delivery was received before"})
    assert len(any_server.state.data.events("acme/shop")) == 1
    assert rejected(any_server, "github", "replay") == 1.0


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "signature"),
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, "signature"),
        ({"X-Hub-Signature-256": "sha1=abc"}, "signature"),
        ({"X-Hub-Signature-256": "sha256=ü".encode()}, "signature"),
    ],
)
def test_a_bad_signature_is_401_and_counted(
    server: Server, headers: dict[str, str | bytes], reason: str
) -> None:
    body = json.dumps(deployment_status()).encode()
    response = server.client.post(
        "/webhooks/github",
        content=body,
        headers={"X-GitHub-Event": "deployment_status", "X-GitHub-Delivery": "d", **headers},
    )
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "the X-Hub-Signature-256 signature is missing or wrong"},
    )
    assert rejected(server, "github", reason) == 1.0
    assert server.state.data.events() == []


def test_a_signature_made_with_another_secret_or_over_another_body_is_401(server: Server) -> None:
    body = json.dumps(deployment_status()).encode()
    secret = server.settings.github_webhook_secret
    assert secret is not None
    for signature in (sign(make_secret(), body), sign(secret, body + b" ")):
        response = server.client.post(
            "/webhooks/github",
            content=body,
            headers={"X-Hub-Signature-256": signature, "X-GitHub-Event": "push", "X-GitHub-Delivery": "d"},
        )
        assert response.status_code == 401
    assert rejected(server, "github", "signature") == 2.0


@pytest.mark.parametrize(
    ("event", "payload", "detail"),
    [
        ("deployment_status", b"{oops", "the body is not JSON"),
        ("deployment_status", b"[1]", "the body must be a JSON object"),
        ("deployment_status", b'{"repository": {"full_name": "a/b"}}', "missing 'deployment_status.id'"),
        (
            "deployment_status",
            b'{"repository": {"full_name": "a/b"}, "deployment_status": {"id": 1, "state": "done"}}',
            "deployment is missing",
        ),
        ("push", b'{"repository": {"full_name": "a/b"}, "ref": 5, "after": "ab"}', "'ref' must be text"),
    ],
)
def test_a_malformed_signed_delivery_is_400(server: Server, event: str, payload: bytes, detail: str) -> None:
    secret = server.settings.github_webhook_secret
    assert secret is not None
    response = server.client.post(
        "/webhooks/github",
        content=payload,
        headers={
            "X-Hub-Signature-256": sign(secret, payload),
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": "d",
        },
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert rejected(server, "github", "malformed") == 1.0


def test_missing_event_headers_are_400(server: Server) -> None:
    secret = server.settings.github_webhook_secret
    assert secret is not None
    response = server.client.post(
        "/webhooks/github", content=b"{}", headers={"X-Hub-Signature-256": sign(secret, b"{}")}
    )
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "X-GitHub-Event and X-GitHub-Delivery are required"},
    )


def test_webhooks_without_a_configured_secret_refuse_everything(tmp_path: Path) -> None:
    for server in start(
        f"sqlite:///{tmp_path / 's.db'}", github_webhook_secret=None, alertmanager_token=None
    ):
        github = server.client.post(
            "/webhooks/github", content=b"{}", headers={"X-Hub-Signature-256": "sha256=00"}
        )
        assert (github.status_code, github.json()) == (
            401,
            {"detail": "no GitHub webhook secret is configured"},
        )
        alert = server.client.post(
            "/webhooks/alertmanager", content=b"{}", headers={"Authorization": "Bearer x"}
        )
        assert (alert.status_code, alert.json()) == (401, {"detail": "no Alertmanager token is configured"})
        assert rejected(server, "github", "not-configured") == 1.0


def alerts(status: str = "firing") -> dict[str, object]:
    return {
        "version": "4",
        "status": status,
        "alerts": [
            {
                "status": status,
                "fingerprint": "c0ffee",
                "startsAt": "2025-03-01T11:00:00.123456789Z",
                "endsAt": "2025-03-01T11:45:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
                "labels": {"alertname": "HighErrorRate", "severity": "critical", "service": "acme/shop"},
                "annotations": {"summary": "5xx above 5%"},
            }
        ],
    }


def post_alerts(server: Server, payload: object, token: str | None = None) -> tuple[int, object]:
    response = server.client.post(
        "/webhooks/alertmanager",
        json=payload,
        headers={"Authorization": f"Bearer {token or server.settings.alertmanager_token}"},
    )
    return response.status_code, response.json()


def test_an_alert_opens_an_incident_and_its_resolution_closes_the_same_one(any_server: Server) -> None:
    status, first = post_alerts(any_server, alerts())
    assert status == 202
    status, second = post_alerts(any_server, alerts("resolved"))
    assert (status, second) == (202, first)
    (incident,) = any_server.state.data.events("acme/shop")
    assert incident.record == {
        "type": "incident",
        "id": "alertmanager-c0ffee-20250301T110000Z",
        "opened": "2025-03-01T11:00:00Z",
        "resolved": "2025-03-01T11:45:00Z",
        "severity": "critical",
        "title": "5xx above 5%",
    }
    assert parse_record(incident.record, "x").duration.total_seconds() == 2700  # type: ignore[union-attr]


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc", "Bearer"])
def test_alertmanager_without_the_token_is_401_and_counted(server: Server, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = server.client.post("/webhooks/alertmanager", json=alerts(), headers=headers)
    assert (response.status_code, response.json()) == (
        401,
        {"detail": "the bearer token is missing or wrong"},
    )
    assert rejected(server, "alertmanager", "token") == 1.0


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"alerts": "none"}, "alerts: expected an array, got a string"),
        ({"alerts": [5]}, "alerts[0]: expected a JSON object, got a number"),
        (
            {"alerts": [{"status": "firing", "fingerprint": "f", "startsAt": "yesterday"}]},
            "alerts[0].startsAt: not a time: 'yesterday'",
        ),
        ({"alerts": [{"fingerprint": "f"}]}, "alerts[0].status is missing"),
        ({"version": "4"}, "alerts is missing"),
    ],
)
def test_malformed_alerts_are_400(server: Server, payload: object, detail: str) -> None:
    assert post_alerts(server, payload) == (400, {"detail": detail})
