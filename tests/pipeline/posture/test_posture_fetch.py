"""Fetching a whole posture from the fake API: which paths are asked, what is kept."""

from __future__ import annotations

import pytest

from secloop.core.enums import Status
from secloop.pipeline.posture.checks import judge
from secloop.pipeline.posture.client import ApiClient, ApiError
from secloop.pipeline.posture.github import fetch_github
from secloop.pipeline.posture.gitlab import fetch_gitlab
from secloop.pipeline.posture.model import Snapshot

from .conftest import NOW, TOKEN_VALUE, FakeApi, github_routes, payload


def test_fetch_github_asks_every_endpoint(fake_api: FakeApi) -> None:
    github_routes(fake_api)
    snapshot = fetch_github(ApiClient("github", fake_api.url, TOKEN_VALUE), "acme/widget", None, NOW)
    assert snapshot.branch == "main"
    assert sorted(snapshot.answers) == [
        "actions",
        "audit_log",
        "collaborators",
        "deploy_keys",
        "hooks",
        "org",
        "protection",
        "repo",
        "rules",
        "ruleset/7001",
        "rulesets",
        "runner_groups",
        "runners",
        "workflow",
    ]
    assert all(a.ok for a in snapshot.answers.values())
    assert {s.method for s in fake_api.seen} == {"GET"}
    assert snapshot.answers["audit_log"].body == {"entries": 1}
    assert snapshot.answers["repo"].body["owner"] == {"login": "acme", "type": "Organization"}
    # round trip through the saved JSON
    again = Snapshot.from_json(snapshot.to_json())
    assert again == snapshot
    assert judge(again, True).score == 10


def test_fetch_github_user_repository_skips_org_endpoints(fake_api: FakeApi) -> None:
    github_routes(fake_api, repo=(200, "repo_user_nosecrets.json"))
    snapshot = fetch_github(ApiClient("github", fake_api.url, TOKEN_VALUE), "acme/widget", "main", NOW)
    assert "org" not in snapshot.answers and "runner_groups" not in snapshot.answers
    assert not any(p.startswith("/orgs/") for p in fake_api.paths())


def test_fetch_github_partial_permissions(fake_api: FakeApi) -> None:
    github_routes(fake_api, hooks=(403, "forbidden.json"), protection=(403, "forbidden.json"))
    snapshot = fetch_github(ApiClient("github", fake_api.url, TOKEN_VALUE), "acme/widget", None, NOW)
    posture = judge(snapshot, True)
    hooks = [c for c in posture.checks if c.rule.id == "POSTURE-WEBHOOK-NO-SECRET"]
    assert [(c.status, c.path) for c in hooks] == [(Status.UNKNOWN, "/repos/acme/widget/hooks?per_page=100")]
    assert "Administration: read" in hooks[0].reason


def test_fetch_github_bad_token_aborts(fake_api: FakeApi) -> None:
    fake_api.add("/repos/acme/widget", 401, payload("github", "bad_credentials.json"))
    with pytest.raises(ApiError) as caught:
        fetch_github(ApiClient("github", fake_api.url, TOKEN_VALUE), "acme/widget", None, NOW)
    assert "cannot read acme/widget: the token was rejected" in caught.value.message
    assert caught.value.hint == "set a valid read-only token in the variable named by --token-env"


def test_fetch_github_missing_repository(fake_api: FakeApi) -> None:
    with pytest.raises(ApiError, match="cannot read acme/nothing: /repos/acme/nothing not found"):
        fetch_github(ApiClient("github", fake_api.url, TOKEN_VALUE), "acme/nothing", None, NOW)


def test_fetch_gitlab(fake_api: FakeApi) -> None:
    base = "/projects/acme%2Fwidget"
    fake_api.add(base, 200, payload("gitlab", "project.json"))
    for key, name in (
        ("protected_branches", "protected_strict.json"),
        ("approval_rules", "approval_rules.json"),
    ):
        fake_api.add(f"{base}/{key}?per_page=100", 200, payload("gitlab", name))
    fake_api.add(f"{base}/approvals", 200, payload("gitlab", "approvals.json"))
    fake_api.add(f"{base}/hooks?per_page=100", 200, payload("gitlab", "hooks.json"))
    snapshot = fetch_gitlab(ApiClient("gitlab", fake_api.url, TOKEN_VALUE), "acme/widget", None, NOW)
    assert snapshot.branch == "main"
    assert snapshot.answers["hooks"].body[1] == {
        "id": 2,
        "url": "http://chat.example.net/…",
        "enable_ssl_verification": True,
    }
    failing = sorted(c.rule.id for c in judge(snapshot, True).checks if c.status is Status.FAIL)
    assert failing == ["POSTURE-WEBHOOK-INSECURE"]
