"""/api/v1 with real databases: exact answers for each endpoint, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from secloop.delivery.events import parse_record
from tests.server.conftest import NOW, Server, loop_results

SHA_A = "a" * 40
SHA_B = "b" * 40


def seed_two(server: Server) -> tuple[int, int]:
    old = server.seed(
        "/r/alpha", "alpha", as_of=NOW - timedelta(days=7), commit=SHA_B, results=loop_results()
    )
    new = server.seed("/r/alpha", "alpha", as_of=NOW, commit=SHA_A, results=loop_results())
    server.seed("/r/beta", "beta", as_of=NOW, commit=SHA_B, results=loop_results("GHA-PPE-CHECKOUT"))
    assert old < new
    return old, new


def repo_ids(server: Server) -> dict[str, int]:
    """Repository ids by name (PostgreSQL's sequences skip numbers on conflicting inserts)."""
    listed = server.client.get("/api/v1/repositories", headers=server.auth("read")).json()
    return {r["name"]: r["id"] for r in listed}


def test_repositories_list_each_with_its_latest_assessment(any_server: Server) -> None:
    _, new = seed_two(any_server)
    response = any_server.client.get("/api/v1/repositories", headers=any_server.auth("read"))
    assert response.status_code == 200
    body = response.json()
    assert [r["name"] for r in body] == ["alpha", "beta"]
    ids = repo_ids(any_server)
    assert body[0] == {
        "id": ids["alpha"],
        "name": "alpha",
        "root": "/r/alpha",
        "latest": {
            "id": new,
            "repository_id": ids["alpha"],
            "commit": SHA_A,
            "as_of": "2025-03-01T12:00:00Z",
            "recorded_at": body[0]["latest"]["recorded_at"],
            "tool_version": "0.1.0",
            "gate_passed": True,
            "counts": {
                "passed": 1,
                "partial": 1,
                "failed": 1,
                "unknown": 1,
                "not_applicable": 0,
                "findings": 2,
                "active_findings": 1,
            },
        },
    }
    one = any_server.client.get(f"/api/v1/repositories/{ids['beta']}", headers=any_server.auth("read")).json()
    assert (one["name"], one["latest"]["commit"]) == ("beta", SHA_B)
    missing = any_server.client.get("/api/v1/repositories/99", headers=any_server.auth("read"))
    assert (missing.status_code, missing.json()) == (404, {"detail": "no repository 99"})


def test_assessments_newest_first_and_the_document_verbatim(any_server: Server) -> None:
    old, new = seed_two(any_server)
    alpha = repo_ids(any_server)["alpha"]
    listed = any_server.client.get(
        f"/api/v1/assessments?repository={alpha}", headers=any_server.auth("read")
    ).json()
    assert [(a["id"], a["commit"]) for a in listed] == [(new, SHA_A), (old, SHA_B)]
    document = any_server.client.get(f"/api/v1/assessments/{new}", headers=any_server.auth("read"))
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/json"
    assert document.text == any_server.state.store.document(new)
    assert json.loads(document.text)["commit"] == SHA_A
    gone = any_server.client.get("/api/v1/assessments/999", headers=any_server.auth("read"))
    assert (gone.status_code, gone.json()) == (404, {"detail": "no assessment 999"})


def test_findings_come_from_the_latest_assessments_most_severe_then_newest_first(any_server: Server) -> None:
    _, new = seed_two(any_server)
    page = any_server.client.get("/api/v1/findings", headers=any_server.auth("read")).json()
    assert page["total"] == 4
    assert [(f["repository"], f["rule"], f["severity"], f["status"]) for f in page["items"]] == [
        ("beta", "GHA-PPE-CHECKOUT", "high", "open"),
        ("alpha", "SECRET-AWS-ACCESS-KEY", "high", "open"),
        ("beta", "DEP-VULN", "low", "suppressed"),
        ("alpha", "DEP-VULN", "low", "suppressed"),
    ]
    first = page["items"][1]
    assert first == {
        "id": first["id"],
        "repository_id": repo_ids(any_server)["alpha"],
        "repository": "alpha",
        "assessment_id": new,
        "practice": "code.secrets",
        "rule": "SECRET-AWS-ACCESS-KEY",
        "fingerprint": "fp-secret-aws-access-key",
        "severity": "high",
        "path": "app/settings.py",
        "line": 12,
        "active": True,
        "suppressed": False,
        "status": "open",
        "triage": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("rule=DEP-VULN", [("beta", "DEP-VULN"), ("alpha", "DEP-VULN")]),
        ("severity=high", [("beta", "GHA-PPE-CHECKOUT"), ("alpha", "SECRET-AWS-ACCESS-KEY")]),
        ("repository=2", [("beta", "GHA-PPE-CHECKOUT"), ("beta", "DEP-VULN")]),
        ("status=suppressed&repository=1", [("alpha", "DEP-VULN")]),
        ("status=open&severity=low", []),
        ("limit=1&offset=1", [("alpha", "SECRET-AWS-ACCESS-KEY")]),
        ("limit=2&offset=1", [("alpha", "SECRET-AWS-ACCESS-KEY"), ("beta", "DEP-VULN")]),
        ("limit=5&offset=3", [("alpha", "DEP-VULN")]),
        ("offset=4", []),
    ],
)
def test_finding_filters(server: Server, query: str, expected: list[tuple[str, str]]) -> None:
    seed_two(server)
    page = server.client.get(f"/api/v1/findings?{query}", headers=server.auth("read")).json()
    assert [(f["repository"], f["rule"]) for f in page["items"]] == expected


def test_triage_accepts_a_risk_until_its_expiry_and_is_audit_logged(any_server: Server) -> None:
    seed_two(any_server)
    alpha = repo_ids(any_server)["alpha"]
    until = date.today() + timedelta(days=30)
    body = {
        "repository_id": alpha,
        "fingerprint": "fp-secret-aws-access-key",
        "state": "accepted-risk",
        "reason": "test fixture key, rotated",
        "expires": until.isoformat(),
    }
    response = any_server.client.post("/api/v1/triage", json=body, headers=any_server.auth("write"))
    assert response.status_code == 200
    assert {k: v for k, v in response.json().items() if k != "updated_at"} == {
        "state": "accepted-risk",
        "reason": "test fixture key, rotated",
        "expires": until.isoformat(),
        "actor": "token:write-token",
    }
    page = any_server.client.get(
        f"/api/v1/findings?repository={alpha}", headers=any_server.auth("read")
    ).json()
    assert [(f["rule"], f["status"]) for f in page["items"]] == [
        ("SECRET-AWS-ACCESS-KEY", "accepted-risk"),
        ("DEP-VULN", "suppressed"),
    ]
    entry = any_server.state.accounts.audit_entries(action="triage.set")[0]
    assert (entry.actor, entry.outcome, entry.target, entry.client) == (
        "token:write-token",
        "success",
        "fp-secret-aws-access-key",
        "testclient",
    )
    assert entry.detail == {
        "repository_id": alpha,
        "state": "accepted-risk",
        "previous": None,
        "reason": "test fixture key, rotated",
        "expires": until.isoformat(),
    }
    reopened = any_server.client.post(
        "/api/v1/triage",
        json={**body, "state": "open", "expires": None, "reason": "rotation failed"},
        headers=any_server.auth("write"),
    )
    assert (reopened.status_code, reopened.json()) == (200, None)
    assert (
        any_server.state.accounts.audit_entries(action="triage.set")[0].detail["previous"] == "accepted-risk"
    )
    again = any_server.client.get(
        "/api/v1/findings?rule=SECRET-AWS-ACCESS-KEY", headers=any_server.auth("read")
    )
    assert again.json()["items"][0]["status"] == "open"


def test_a_lapsed_acceptance_counts_as_open_again(server: Server) -> None:
    seed_two(server)
    server.state.findings.set_triage(
        1, "fp-dep-vuln", "accepted-risk", "waiting for upstream", date(2020, 1, 1), actor="t", client=None
    )
    found = server.client.get(
        "/api/v1/findings?rule=DEP-VULN&repository=1", headers=server.auth("read")
    ).json()
    item = found["items"][0]
    assert (item["status"], item["triage"]["state"], item["triage"]["expires"]) == (
        "suppressed",
        "accepted-risk",
        "2020-01-01",
    )


@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        ({"expires": None}, 422, "accepting a risk needs an expiry date"),
        ({"expires": "2000-01-01"}, 422, "the expiry must be in the future"),
        (
            {"expires": (date.today() + timedelta(days=400)).isoformat()},
            422,
            "a risk is accepted for at most 366 days",
        ),
        ({"state": "fixed"}, 422, "only an accepted risk has an expiry, not 'fixed'"),
        ({"fingerprint": "fp-nothing"}, 404, "repository 1 has no current finding 'fp-nothing'"),
    ],
)
def test_triage_refuses_what_makes_no_sense(
    server: Server, change: dict[str, object], status: int, detail: str
) -> None:
    seed_two(server)
    body = {
        "repository_id": 1,
        "fingerprint": "fp-dep-vuln",
        "state": "accepted-risk",
        "reason": "because",
        "expires": (date.today() + timedelta(days=10)).isoformat(),
        **change,
    }
    response = server.client.post("/api/v1/triage", json=body, headers=server.auth("write"))
    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert server.state.accounts.audit_entries(action="triage.set") == []


def test_events_are_stored_as_lines_of_the_delivery_events_file(any_server: Server) -> None:
    deployment = {
        "type": "deployment",
        "environment": "production",
        "sha": "ABCDEF1234",
        "time": "2025-03-01T10:00:00+02:00",
        "version": "v1.4.0",
    }
    created = any_server.client.post(
        "/api/v1/events",
        json={"repository": "acme/shop", "event": deployment},
        headers=any_server.auth("write"),
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["repository"], body["kind"], body["source"], body["occurred_at"]) == (
        "acme/shop",
        "deployment",
        "api",
        "2025-03-01T08:00:00Z",
    )
    assert body["record"] == {
        "type": "deployment",
        "environment": "production",
        "sha": "abcdef1234",
        "time": "2025-03-01T08:00:00Z",
        "status": "success",
        "version": "v1.4.0",
    }
    parsed = parse_record(body["record"], "server")
    assert (parsed.sha, parsed.time) == ("abcdef1234", datetime(2025, 3, 1, 8, 0, tzinfo=UTC))  # type: ignore[union-attr]
    incident = {"type": "incident", "id": "INC-7", "opened": "2025-03-01T11:00:00Z", "severity": "high"}
    first = any_server.client.post(
        "/api/v1/events",
        json={"repository": "acme/shop", "event": incident},
        headers=any_server.auth("write"),
    ).json()
    resolved = any_server.client.post(
        "/api/v1/events",
        json={"repository": "acme/shop", "event": {**incident, "resolved": "2025-03-01T12:30:00Z"}},
        headers=any_server.auth("write"),
    ).json()
    assert resolved["id"] == first["id"]
    assert resolved["record"] == {
        "type": "incident",
        "id": "INC-7",
        "opened": "2025-03-01T11:00:00Z",
        "resolved": "2025-03-01T12:30:00Z",
        "severity": "high",
    }
    listed = any_server.client.get(
        "/api/v1/events?repository=acme/shop", headers=any_server.auth("read")
    ).json()
    assert [(e["kind"], e["id"]) for e in listed] == [("incident", first["id"]), ("deployment", body["id"])]
    audit = any_server.state.accounts.audit_entries(action="event.create")
    assert [(a.actor, a.detail["ids"]) for a in audit] == [
        ("token:write-token", [first["id"]]),
        ("token:write-token", [first["id"]]),
        ("token:write-token", [body["id"]]),
    ]


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (
            {"type": "deployment", "sha": "xyz", "time": "2025-03-01T10:00:00Z"},
            ["body", "event", "deployment", "sha"],
        ),
        (
            {"type": "deployment", "sha": "abcd", "time": "2025-03-01T10:00:00"},
            ["body", "event", "deployment", "time"],
        ),
        (
            {"type": "deployment", "sha": "abcd", "time": "2025-03-01T10:00:00Z", "extra": 1},
            ["body", "event", "deployment", "extra"],
        ),
        ({"type": "rollout"}, ["body", "event"]),
    ],
)
def test_a_malformed_event_names_the_field(
    server: Server, event: dict[str, object], field: list[str]
) -> None:
    response = server.client.post(
        "/api/v1/events", json={"repository": "acme/shop", "event": event}, headers=server.auth("write")
    )
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [field]
    assert all(set(e) == {"loc", "msg", "type"} for e in response.json()["detail"])  # values not echoed


def test_the_audit_log_lists_changes_newest_first_for_admins(server: Server) -> None:
    server.user("ann", admin=True)
    entries = server.client.get("/api/v1/audit?limit=2", headers=server.auth("admin")).json()
    assert [(e["actor"], e["action"], e["target"]) for e in entries] == [
        ("test", "user.create", "ann"),
        ("test", "token.create", "admin-token"),
    ]
    assert entries[1]["detail"]["scopes"] == ["admin"]
    assert server.client.get("/api/v1/audit?action=user.create", headers=server.auth("admin")).json()[0][
        "detail"
    ] == {"admin": True}


def test_the_openapi_schema_is_published_and_lists_only_the_api(server: Server) -> None:
    schema = server.client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "secloop server"
    assert sorted(schema["paths"]) == [
        "/api/v1/assessments",
        "/api/v1/assessments/{assessment_id}",
        "/api/v1/audit",
        "/api/v1/dora",
        "/api/v1/events",
        "/api/v1/findings",
        "/api/v1/repositories",
        "/api/v1/repositories/{repository_id}",
        "/api/v1/tokens",
        "/api/v1/tokens/{prefix}/revoke",
        "/api/v1/triage",
        "/api/v1/users",
        "/api/v1/users/{user_id}/disable",
        "/healthz",
        "/metrics",
        "/webhooks/alertmanager",
        "/webhooks/github",
        "/webhooks/gitlab",
        "/webhooks/pagerduty",
    ]
    assert schema["components"]["securitySchemes"] == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token made by `secloop admin create-token`.",
        }
    }
    assert server.client.get("/docs").status_code == 404  # no docs UI: it would load scripts from a CDN


def test_cached_counts_follow_every_change_of_the_data(any_server: Server) -> None:
    seed_two(any_server)
    alpha = repo_ids(any_server)["alpha"]

    def open_count() -> int:
        page = any_server.client.get("/api/v1/findings?status=open", headers=any_server.auth("read")).json()
        return int(page["total"])

    assert open_count() == 2
    any_server.state.findings.set_triage(
        alpha, "fp-secret-aws-access-key", "fixed", "rotated", None, actor="t", client=None
    )
    assert open_count() == 1
    any_server.state.findings.set_triage(
        alpha, "fp-secret-aws-access-key", "open", "not really", None, actor="t", client=None
    )
    assert open_count() == 2
    any_server.seed("/r/gamma", "gamma", as_of=NOW, commit=SHA_A, results=loop_results("GHA-PPE-CHECKOUT"))
    assert open_count() == 3
    assert any_server.state.findings.rules() == ["DEP-VULN", "GHA-PPE-CHECKOUT", "SECRET-AWS-ACCESS-KEY"]
