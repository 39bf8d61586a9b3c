"""GitLab and PagerDuty webhooks, and GitHub pull requests, issues and pushes that ask for scans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secloop.delivery.events import parse_record
from secloop.delivery.model import Deployment, Incident
from tests.server.conftest import Server, make_secret, pd_sign, start

PROJECT = {
    "path_with_namespace": "acme/billing",
    "git_http_url": "https://gitlab.example.org/acme/billing.git",
    "default_branch": "main",
}
SHA = "0123456789abcdef0123456789abcdef01234567"


def rejected(server: Server, provider: str, reason: str) -> float:
    return float(server.state.metrics.rejected_webhooks.labels(provider, reason)._value.get())


def merge_request(state: str = "opened", **extra: object) -> dict[str, Any]:
    return {
        "object_kind": "merge_request",
        "project": PROJECT,
        "labels": [{"title": "backend"}],
        "object_attributes": {
            "id": 9001,
            "iid": 17,
            "state": state,
            "title": "Add invoices",
            "created_at": "2025-03-01 09:00:00 UTC",
            "updated_at": "2025-03-02 10:30:00 +0100",
            "target_branch": "main",
            "last_commit": {"id": SHA},
            **extra,
        },
    }


def gl_deployment(status: str = "success", number: int = 77) -> dict[str, Any]:
    return {
        "object_kind": "deployment",
        "status": status,
        "status_changed_at": "2025-03-03 12:00:00 +0200",
        "deployment_id": number,
        "environment": "production",
        "project": PROJECT,
        "commit_url": f"https://gitlab.example.org/acme/billing/-/commit/{SHA}",
    }


def gl_push(ref: str = "refs/heads/main", after: str = SHA) -> dict[str, Any]:
    return {
        "object_kind": "push",
        "ref": ref,
        "after": after,
        "project": PROJECT,
        "commits": [{"id": after, "timestamp": "2025-03-01T08:00:00+01:00"}],
    }


def pd_event(event_type: str, event_id: str, occurred: str = "2025-03-04T10:30:00.123Z") -> dict[str, Any]:
    return {
        "event": {
            "id": event_id,
            "event_type": event_type,
            "resource_type": "incident",
            "occurred_at": occurred,
            "data": {
                "id": "PGR0VU2",
                "type": "incident",
                "status": "resolved" if event_type == "incident.resolved" else "triggered",
                "created_at": "2025-03-04T09:00:00Z",
                "title": "Checkout errors",
                "urgency": "high",
                "service": {"id": "PSVC1", "summary": "acme/shop", "type": "service_reference"},
            },
        }
    }


# -- GitLab ----------------------------------------------------------------------------------------


def test_a_merge_request_is_one_pull_request_updated_by_each_delivery(any_server: Server) -> None:
    assert any_server.gitlab("Merge Request Hook", merge_request())[0] == 202
    status, body = any_server.gitlab(
        "Merge Request Hook", merge_request("merged", merged_at="2025-03-02T11:00:00Z"), uuid="u-2"
    )
    assert status == 202
    assert body == {"delivery": "u-2", "event": "merge_request", "events": body["events"]}  # type: ignore[index]
    (stored,) = any_server.state.data.events("acme/billing", "pull_request")
    assert (stored.source, stored.occurred_at.isoformat()) == ("gitlab", "2025-03-02T11:00:00+00:00")
    assert stored.record == {
        "type": "pull_request",
        "number": 17,
        "state": "merged",
        "title": "Add invoices",
        "created": "2025-03-01T09:00:00Z",
        "closed": None,
        "merged": "2025-03-02T11:00:00Z",
        "labels": ["backend"],
        "sha": SHA,
        "base": "main",
        "merge_sha": None,
    }


def test_an_issue_and_a_deployment_are_stored_in_the_events_vocabulary(server: Server) -> None:
    issue = {
        "object_kind": "issue",
        "project": PROJECT,
        "labels": [{"title": "bug"}, {"title": "p1"}],
        "object_attributes": {
            "id": 301,
            "iid": 4,
            "state": "closed",
            "title": "Totals off by one",
            "created_at": "2025-02-01T08:00:00Z",
            "closed_at": "2025-02-03T08:00:00Z",
        },
    }
    assert server.gitlab("Issue Hook", issue)[0] == 202
    (stored_issue,) = server.state.data.events("acme/billing", "issue")
    assert stored_issue.record == {
        "type": "issue",
        "number": 4,
        "state": "closed",
        "title": "Totals off by one",
        "created": "2025-02-01T08:00:00Z",
        "closed": "2025-02-03T08:00:00Z",
        "labels": ["bug", "p1"],
    }
    assert server.gitlab("Deployment Hook", gl_deployment("created", 76))[0] == 202
    assert server.gitlab("Deployment Hook", gl_deployment())[0] == 202
    (deployment,) = server.state.data.events("acme/billing", "deployment")
    assert deployment.record == {
        "type": "deployment",
        "environment": "production",
        "sha": SHA,
        "time": "2025-03-03T10:00:00Z",
        "status": "success",
    }
    parsed = parse_record(deployment.record, "x")
    assert isinstance(parsed, Deployment) and parsed.succeeded


def test_a_push_to_the_default_branch_asks_for_a_scan_others_do_not(server: Server) -> None:
    status, body = server.gitlab("Push Hook", gl_push())
    assert (status, body["scan"]) == (202, "not-configured")  # type: ignore[index]
    status, body = server.gitlab("Push Hook", gl_push("refs/heads/feature"))
    assert status == 202 and "scan" not in body  # type: ignore[operator]
    pushes = server.state.data.events("acme/billing", "push")
    assert [p.record for p in pushes][-1] == {
        "type": "push",
        "ref": "refs/heads/main",
        "sha": SHA,
        "time": "2025-03-01T07:00:00Z",
    }


@pytest.mark.parametrize("token", ["", "wrong-token", "x" * 1000])
def test_gitlab_with_a_wrong_token_is_401_and_counted(server: Server, token: str) -> None:
    status, body = server.gitlab("Push Hook", gl_push(), token=token or " ")
    assert (status, body) == (401, {"detail": "the X-Gitlab-Token is missing or wrong"})
    assert rejected(server, "gitlab", "token") == 1.0
    assert server.state.data.events() == []


def test_gitlab_replay_of_an_event_uuid_is_409_and_counted(any_server: Server) -> None:
    assert any_server.gitlab("Note Hook", {"object_kind": "note"}, uuid="same")[0] == 202
    status, body = any_server.gitlab("Deployment Hook", gl_deployment(), uuid="same")
    assert (status, body) == (409, {"detail": "this delivery was received before"})
    assert rejected(any_server, "gitlab", "replay") == 1.0
    assert any_server.state.data.events() == []


@pytest.mark.parametrize(
    ("event", "payload", "detail"),
    [
        ("Push Hook", b"{not json", "the body is not JSON"),
        ("Push Hook", b"[1]", "the body must be a JSON object"),
        ("Merge Request Hook", json.dumps({"project": PROJECT}).encode(), "missing 'object_attributes'"),
        (
            "Deployment Hook",
            json.dumps({**gl_deployment(), "commit_url": "x"}).encode(),
            "short_sha is missing",
        ),
        (
            "Deployment Hook",
            json.dumps({**gl_deployment(), "status": "exploded"}).encode(),
            "status: unknown status 'exploded'",
        ),
        (
            "Issue Hook",
            json.dumps(merge_request(created_at="yesterday")).encode(),
            "'object_attributes.created_at' is not an ISO 8601 time",
        ),
    ],
)
def test_malformed_gitlab_events_are_400_without_a_stack_trace(
    server: Server, event: str, payload: bytes, detail: str
) -> None:
    response = server.client.post(
        "/webhooks/gitlab",
        content=payload,
        headers={
            "X-Gitlab-Token": server.settings.gitlab_webhook_token or "",
            "X-Gitlab-Event": event,
            "X-Gitlab-Event-UUID": make_secret(8),
        },
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(detail)
    assert "Traceback" not in response.text
    assert rejected(server, "gitlab", "malformed") == 1.0


def test_gitlab_needs_its_event_headers_and_a_configured_token(tmp_path: Path, server: Server) -> None:
    response = server.client.post(
        "/webhooks/gitlab",
        content=b"{}",
        headers={"X-Gitlab-Token": server.settings.gitlab_webhook_token or ""},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "X-Gitlab-Event and X-Gitlab-Event-UUID are required"}
    for bare in start(f"sqlite:///{tmp_path / 'bare.db'}", gitlab_webhook_token=None):
        status, body = bare.gitlab("Push Hook", gl_push(), token="anything")
        assert (status, body) == (401, {"detail": "no GitLab webhook token is configured"})
        assert rejected(bare, "gitlab", "not-configured") == 1.0


# -- PagerDuty -------------------------------------------------------------------------------------


def test_a_triggered_then_resolved_incident_is_one_incident(any_server: Server) -> None:
    assert any_server.pagerduty(pd_event("incident.triggered", "ev-1"))[0] == 202
    status, body = any_server.pagerduty(pd_event("incident.resolved", "ev-2"))
    assert (status, body) == (
        202,
        {"delivery": "ev-2", "event": "incident.resolved", "events": body["events"]},  # type: ignore[index]
    )
    (stored,) = any_server.state.data.events("acme/shop", "incident")
    assert (stored.source, stored.record) == (
        "pagerduty",
        {
            "type": "incident",
            "id": "pagerduty-PGR0VU2",
            "opened": "2025-03-04T09:00:00Z",
            "resolved": "2025-03-04T10:30:00Z",
            "title": "Checkout errors",
            "severity": "high",
        },
    )
    incident = parse_record(stored.record, "x")
    assert isinstance(incident, Incident) and incident.duration is not None
    assert incident.duration.total_seconds() == 5400


def test_pagerduty_accepts_any_signature_of_a_rotation_list(server: Server) -> None:
    payload = pd_event("incident.triggered", "ev-rot")
    body = json.dumps(payload).encode()
    secret = server.settings.pagerduty_webhook_secret or ""
    header = f"v1={'0' * 64}, {pd_sign(secret, body)}"
    assert server.pagerduty(payload, signature=header)[0] == 202


@pytest.mark.parametrize(
    "signature",
    ["v1=" + "0" * 64, "sha256=abc", "v1=", "garbage", "v2=" + "0" * 64],
)
def test_pagerduty_with_a_bad_signature_is_401_and_counted(server: Server, signature: str) -> None:
    status, body = server.pagerduty(pd_event("incident.triggered", "ev-bad"), signature=signature)
    assert (status, body) == (401, {"detail": "the X-PagerDuty-Signature signature is missing or wrong"})
    assert rejected(server, "pagerduty", "signature") == 1.0
    assert server.state.data.events() == []


def test_a_signature_made_with_another_secret_is_401(server: Server) -> None:
    payload = pd_event("incident.triggered", "ev-x")
    forged = pd_sign(make_secret(24), json.dumps(payload).encode())
    assert server.pagerduty(payload, signature=forged)[0] == 401


def test_pagerduty_replay_of_an_event_id_is_409_and_counted(server: Server) -> None:
    assert server.pagerduty(pd_event("incident.triggered", "ev-1"))[0] == 202
    status, body = server.pagerduty(pd_event("incident.triggered", "ev-1"))
    assert (status, body) == (409, {"detail": "this delivery was received before"})
    assert rejected(server, "pagerduty", "replay") == 1.0


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        ({"messages": []}, "missing 'event'"),
        ({"event": {"id": "e", "event_type": "incident.triggered"}}, "missing 'resource_type'"),
        (
            {
                "event": {
                    "id": "e",
                    "event_type": "incident.triggered",
                    "resource_type": "incident",
                    "data": {"id": "P"},
                }
            },
            "event.data.created_at is missing",
        ),
    ],
)
def test_malformed_pagerduty_events_are_400(server: Server, payload: dict[str, Any], detail: str) -> None:
    status, body = server.pagerduty(payload)
    assert (status, body) == (400, {"detail": detail})
    assert rejected(server, "pagerduty", "malformed") == 1.0


def test_pagerduty_events_about_other_resources_are_acknowledged_only(server: Server) -> None:
    payload = {"event": {"id": "e-svc", "event_type": "service.updated", "resource_type": "service"}}
    status, body = server.pagerduty(payload)
    assert (status, body) == (202, {"delivery": "e-svc", "event": "service.updated", "events": []})


# -- GitHub pull requests, issues and pushes --------------------------------------------------------


def pull_request(action: str, merged_at: str | None = None) -> dict[str, Any]:
    return {
        "action": action,
        "repository": {"full_name": "acme/shop"},
        "pull_request": {
            "id": 555,
            "number": 12,
            "state": "closed" if merged_at else "open",
            "title": "Faster checkout",
            "created_at": "2025-03-01T09:00:00Z",
            "closed_at": merged_at,
            "merged_at": merged_at,
            "labels": [{"name": "perf"}],
            "head": {"sha": SHA},
            "base": {"ref": "main"},
            "merge_commit_sha": "f" * 40,
        },
    }


def test_a_github_pull_request_is_stored_and_updated_when_merged(any_server: Server) -> None:
    assert any_server.github("pull_request", pull_request("opened"))[0] == 202
    assert any_server.github("pull_request", pull_request("closed", "2025-03-02T12:00:00Z"))[0] == 202
    (stored,) = any_server.state.data.events("acme/shop", "pull_request")
    assert stored.record == {
        "type": "pull_request",
        "number": 12,
        "state": "merged",
        "title": "Faster checkout",
        "created": "2025-03-01T09:00:00Z",
        "closed": "2025-03-02T12:00:00Z",
        "merged": "2025-03-02T12:00:00Z",
        "labels": ["perf"],
        "sha": SHA,
        "base": "main",
        "merge_sha": "f" * 40,
    }


def test_a_github_issue_is_stored(server: Server) -> None:
    issue = {
        "action": "opened",
        "repository": {"full_name": "acme/shop"},
        "issue": {
            "id": 42,
            "number": 3,
            "state": "open",
            "title": "Broken link",
            "created_at": "2025-03-01T09:00:00Z",
            "closed_at": None,
            "labels": [{"name": "bug"}],
        },
    }
    assert server.github("issues", issue)[0] == 202
    (stored,) = server.state.data.events("acme/shop", "issue")
    assert (stored.record["state"], stored.record["labels"], stored.record["closed"]) == (
        "open",
        ["bug"],
        None,
    )


def test_a_github_push_to_the_default_branch_asks_for_a_scan(server: Server) -> None:
    push = {
        "ref": "refs/heads/main",
        "after": SHA,
        "repository": {
            "full_name": "acme/shop",
            "clone_url": "https://github.com/acme/shop.git",
            "default_branch": "main",
        },
    }
    status, body = server.github("push", push)
    assert (status, body["scan"]) == (202, "not-configured")  # type: ignore[index]
    deleted = {**push, "deleted": True, "after": "0" * 40}
    status, body = server.github("push", deleted)
    assert status == 202 and "scan" not in body  # type: ignore[operator]
