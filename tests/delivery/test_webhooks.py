"""Webhook payload parsers against recorded-shape payloads of each sender."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from secloop.delivery.events import parse_record, to_record
from secloop.delivery.model import Deployment, DeploymentSource, Incident
from secloop.delivery.webhooks import (
    WebhookPayloadError,
    parse_alertmanager,
    parse_github_deployment_status,
    parse_gitlab_deployment,
    parse_pagerduty,
)
from tests.delivery.conftest import at

FIXTURES = Path(__file__).parent.parent / "fixtures" / "delivery" / "webhooks"
SHA = "3f2a9c1d4e5b6a7980c1d2e3f4a5b6c7d8e9f012"
GITLAB_SHA = "279484c09fbe69ededfced8c1bb6e6d24616b468"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def test_github_success_is_a_production_deployment() -> None:
    got = parse_github_deployment_status(load("github-deployment-status-success.json"), "webhook github 1")
    assert got == Deployment(
        environment="production",
        sha=SHA,
        version="v1.4.0",
        time=at("2026-09-23 10:25"),
        status="success",
        source=DeploymentSource.WEBHOOK,
        origin="webhook github 1",
    )


def test_github_failure_uses_created_at_and_drops_a_sha_ref() -> None:
    got = parse_github_deployment_status(load("github-deployment-status-failure.json"), "o")
    assert got is not None
    assert (got.environment, got.status, got.version) == ("staging", "failure", None)
    assert got.time == at("2026-09-23 10:24").replace(second=51)


def test_github_non_final_state_is_none() -> None:
    assert parse_github_deployment_status(load("github-deployment-status-in-progress.json"), "o") is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.pop("deployment"), "deployment is missing"),
        (lambda d: d["deployment_status"].update(state="exploded"), "deployment_status.state: unknown state"),
        (lambda d: d["deployment"].update(sha="main"), "deployment.sha: not a commit id: 'main'"),
        (
            lambda d: d["deployment_status"].update(updated_at="yesterday"),
            "deployment_status.updated_at: not a time: 'yesterday'",
        ),
        (
            lambda d: d["deployment_status"].update(updated_at="2026-09-23T10:25:00"),
            "deployment_status.updated_at: the time has no zone",
        ),
        (lambda d: d.update(deployment_status=[]), "deployment_status: expected a JSON object, got an array"),
        (
            lambda d: d["deployment"].update(sha=7),
            "deployment.sha: expected a non-empty string, got a number",
        ),
    ],
)
def test_github_malformed(edit: Any, message: str) -> None:
    payload = copy.deepcopy(load("github-deployment-status-success.json"))
    edit(payload)
    with pytest.raises(WebhookPayloadError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        parse_github_deployment_status(payload, "o")


def test_gitlab_success_takes_the_full_sha_from_commit_url_and_converts_the_zone() -> None:
    got = parse_gitlab_deployment(load("gitlab-deployment-success.json"), "webhook gitlab 15")
    assert got == Deployment(
        environment="production",
        sha=GITLAB_SHA,
        version="v2.0.1",
        time=at("2026-09-23 10:25"),
        status="success",
        source=DeploymentSource.WEBHOOK,
        origin="webhook gitlab 15",
    )


def test_gitlab_failed_falls_back_to_short_sha() -> None:
    got = parse_gitlab_deployment(load("gitlab-deployment-failed.json"), "o")
    assert got is not None
    assert (got.sha, got.environment, got.status, got.version) == ("279484c0", "staging", "failure", None)


def test_gitlab_running_is_none() -> None:
    assert parse_gitlab_deployment(load("gitlab-deployment-running.json"), "o") is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(object_kind="pipeline"), "object_kind: expected 'deployment', got 'pipeline'"),
        (lambda d: d.pop("status_changed_at"), "status_changed_at is missing"),
        (lambda d: d.update(status="exploded"), "status: unknown status 'exploded'"),
        (lambda d: (d.pop("commit_url"), d.update(short_sha="zz")), "short_sha: not a commit id: 'zz'"),
    ],
)
def test_gitlab_malformed(edit: Any, message: str) -> None:
    payload = copy.deepcopy(load("gitlab-deployment-success.json"))
    edit(payload)
    with pytest.raises(WebhookPayloadError, match="^" + message.replace("(", r"\(")):
        parse_gitlab_deployment(payload, "o")


def test_alertmanager_firing_opens_one_incident_per_alert() -> None:
    got = parse_alertmanager(load("alertmanager-firing.json"), "webhook alertmanager")
    assert got == [
        Incident(
            id="alertmanager-c0ffee1234abcd56-20260923T134000Z",
            opened=at("2026-09-23 13:40").replace(microsecond=123000),
            resolved=None,
            deployment_sha=None,
            root_cause_sha=None,
            severity="critical",
            title="Checkout error rate above 5%",
            environment="production",
            origin="webhook alertmanager alerts[0]",
        ),
        Incident(
            id="alertmanager-0a1b2c3d4e5f6071-20260923T134110Z",
            opened=at("2026-09-23 13:41").replace(second=10),
            resolved=None,
            deployment_sha=None,
            root_cause_sha=None,
            severity=None,
            title="DiskFilling",
            environment="staging",
            origin="webhook alertmanager alerts[1]",
        ),
    ]


def test_alertmanager_resolved_names_the_same_incident() -> None:
    (opened, _), (resolved,) = (
        parse_alertmanager(load("alertmanager-firing.json"), "o"),
        parse_alertmanager(load("alertmanager-resolved.json"), "o"),
    )
    assert resolved.id == opened.id
    assert resolved.resolved == at("2026-09-23 14:10")
    assert resolved.duration is not None and resolved.duration.total_seconds() == 30 * 60 - 0.123


def test_alertmanager_without_fingerprint_derives_a_stable_id() -> None:
    payload = load("alertmanager-resolved.json")
    del payload["alerts"][0]["fingerprint"]
    first = parse_alertmanager(payload, "o")[0].id
    assert first == parse_alertmanager(copy.deepcopy(payload), "o")[0].id
    assert first.startswith("alertmanager-") and first.endswith("-20260923T134000Z")
    assert len(first) == len("alertmanager-") + 16 + len("-20260923T134000Z")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(alerts={}), "alerts: expected an array, got an object"),
        (
            lambda d: d["alerts"][0].update(status="pending"),
            "alerts[0].status: expected 'firing' or 'resolved'",
        ),
        (
            lambda d: d["alerts"][0].update(endsAt="0001-01-01T00:00:00Z"),
            "alerts[0].endsAt: a resolved alert needs its end time",
        ),
        (
            lambda d: d["alerts"][0].update(endsAt="2026-09-23T13:00:00Z"),
            "alerts[0].endsAt is before startsAt",
        ),
        (lambda d: d["alerts"][0].pop("startsAt"), "alerts[0].startsAt is missing"),
        (
            lambda d: d["alerts"][0].update(labels="x"),
            "alerts[0].labels: expected a JSON object, got a string",
        ),
    ],
)
def test_alertmanager_malformed(edit: Any, message: str) -> None:
    payload = copy.deepcopy(load("alertmanager-resolved.json"))
    edit(payload)
    with pytest.raises(WebhookPayloadError) as caught:
        parse_alertmanager(payload, "o")
    assert str(caught.value).startswith(message)


def test_pagerduty_triggered_then_resolved() -> None:
    (opened,) = parse_pagerduty(load("pagerduty-triggered.json"), "webhook pagerduty")
    assert opened == Incident(
        id="pagerduty-PGR0VU2",
        opened=at("2026-09-23 13:42"),
        resolved=None,
        deployment_sha=None,
        root_cause_sha=None,
        severity="P1",
        title="Checkout is failing",
        environment="production",
        origin="webhook pagerduty",
    )
    (resolved,) = parse_pagerduty(load("pagerduty-resolved.json"), "webhook pagerduty")
    assert resolved.id == opened.id
    assert resolved.resolved == at("2026-09-23 15:12").replace(second=30)
    assert resolved.severity == "high"  # no priority: the urgency


def test_pagerduty_other_events_are_not_incidents() -> None:
    assert parse_pagerduty(load("pagerduty-acknowledged.json"), "o") == []
    assert parse_pagerduty({"event": {"event_type": "service.updated", "data": {}}}, "o") == []


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "event is missing"),
        ({"event": {"event_type": "incident.triggered"}}, "event.data is missing"),
        (
            {"event": {"event_type": "incident.triggered", "data": {"id": "P1"}}},
            "event.data.created_at is missing",
        ),
        ({"event": {"data": {}}}, "event.event_type is missing"),
        ([], "payload: expected a JSON object, got an array"),
    ],
)
def test_pagerduty_malformed(payload: Any, message: str) -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_pagerduty(payload, "o")
    assert str(caught.value) == message


def test_pagerduty_resolved_before_created_is_rejected() -> None:
    payload = load("pagerduty-resolved.json")
    payload["event"]["occurred_at"] = "2026-09-23T12:00:00Z"
    with pytest.raises(WebhookPayloadError, match="occurred_at is before"):
        parse_pagerduty(payload, "o")


@pytest.mark.parametrize(
    "name",
    [
        "github-deployment-status-success.json",
        "github-deployment-status-failure.json",
        "gitlab-deployment-success.json",
        "gitlab-deployment-failed.json",
        "alertmanager-firing.json",
        "alertmanager-resolved.json",
        "pagerduty-triggered.json",
        "pagerduty-resolved.json",
    ],
)
def test_every_parsed_event_is_a_valid_events_file_line(name: str) -> None:
    """The server stores what the parsers give as events-file lines: they must read back the same."""
    payload = load(name)
    if name.startswith("github"):
        found: list[Deployment | Incident] = [p for p in [parse_github_deployment_status(payload, "o")] if p]
    elif name.startswith("gitlab"):
        found = [p for p in [parse_gitlab_deployment(payload, "o")] if p]
    elif name.startswith("alertmanager"):
        found = list(parse_alertmanager(payload, "o"))
    else:
        found = list(parse_pagerduty(payload, "o"))
    assert found
    for event in found:
        back = parse_record(to_record(event), event.origin)
        expected = replace(event, source=DeploymentSource.EVENTS) if isinstance(event, Deployment) else event
        if isinstance(expected, Incident):
            # whole seconds: the events file keeps times to the second
            expected = replace(expected, opened=expected.opened.replace(microsecond=0))
            if expected.resolved is not None:
                expected = replace(expected, resolved=expected.resolved.replace(microsecond=0))
        assert back == expected
