"""Fetching a whole posture from the fake API: which paths are asked, what is kept."""

from __future__ import annotations

import json

import pytest

from secloop.core.enums import Status
from secloop.pipeline.posture.checks import judge
from secloop.pipeline.posture.client import ApiClient, ApiError
from secloop.pipeline.posture.github import fetch_github
from secloop.pipeline.posture.gitlab import fetch_gitlab
from secloop.pipeline.posture.model import Snapshot

from .conftest import GITLAB_ANSWERS, NOW, TOKEN_VALUE, FakeApi, github_routes, gitlab_routes, payload


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
    gitlab_routes(fake_api)
    snapshot = fetch_gitlab(ApiClient("gitlab", fake_api.url, TOKEN_VALUE), "acme/widget", None, NOW)
    assert snapshot.branch == "main"
    assert sorted(snapshot.answers) == [
        "approval_rules",
        "approvals",
        "deploy_keys",
        "hooks",
        "project",
        "protected_branches",
        "protected_tags",
        "tags",
        "variables",
    ]
    assert sorted(p for p in fake_api.paths()) == sorted(path for path, _ in GITLAB_ANSWERS.values())
    assert snapshot.answers["hooks"].body[1] == {
        "id": 2,
        "url": "http://chat.example.net/…",
        "enable_ssl_verification": True,
    }
    failing = sorted(c.rule.id for c in judge(snapshot, True).checks if c.status is Status.FAIL)
    assert failing == ["POSTURE-WEBHOOK-INSECURE"]
    again = Snapshot.from_json(snapshot.to_json())
    assert again == snapshot


def test_fetch_gitlab_keeps_no_variable_value_or_key_material(fake_api: FakeApi) -> None:
    gitlab_routes(fake_api, variables=(200, "variables_exposed.json"))
    snapshot = fetch_gitlab(ApiClient("gitlab", fake_api.url, TOKEN_VALUE), "acme/widget", None, NOW)
    assert snapshot.answers["variables"].body[1] == {
        "key": "SSH_PRIVATE_KEY",
        "masked": False,
        "hidden": False,
        "protected": False,
        "environment_scope": "production",
        "variable_type": "file",
    }
    assert snapshot.answers["deploy_keys"].body == [
        {
            "id": 11,
            "title": "ci read",
            "can_push": False,
            "created_at": "2026-06-01T10:00:00.000Z",
            "expires_at": None,
            "last_used_at": "2026-11-20T08:00:00.000Z",
        }
    ]
    assert snapshot.answers["tags"].body == [
        {"name": "v1.2.0"},
        {"name": "v1.1.0"},
        {"name": "nightly-20261126"},
    ]
    saved = json.dumps(snapshot.to_json())
    assert "fixture-value" not in saved and "ssh-ed25519" not in saved and "target" not in saved


def test_fetch_gitlab_without_maintainer(fake_api: FakeApi) -> None:
    gitlab_routes(
        fake_api,
        variables=(403, "forbidden.json"),
        deploy_keys=(403, "forbidden.json"),
        protected_tags=(404, "forbidden.json"),
    )
    snapshot = fetch_gitlab(ApiClient("gitlab", fake_api.url, TOKEN_VALUE), "acme/widget", None, NOW)
    checks = judge(snapshot, True).checks
    unknown = [(c.rule.id, c.path, c.reason) for c in checks if c.status is Status.UNKNOWN]
    keys = "/projects/acme%2Fwidget/deploy_keys?per_page=100"
    variables = "/projects/acme%2Fwidget/variables?per_page=100"
    tags = "/projects/acme%2Fwidget/protected_tags?per_page=100"
    need_keys = f"the token may not read {keys}: it needs the read_api scope and Maintainer role"
    need_vars = f"the token may not read {variables}: it needs the read_api scope and Maintainer role"
    assert unknown == [
        (
            "POSTURE-WEBHOOK-NO-SECRET",
            "/projects/acme%2Fwidget/hooks?per_page=100",
            "GitLab's API does not show whether a hook has a secret token",
        ),
        ("POSTURE-DEPLOY-KEY-WRITE", keys, need_keys),
        ("POSTURE-DEPLOY-KEY-STALE", keys, need_keys),
        (
            "POSTURE-TAGS-UNPROTECTED",
            tags,
            f"{tags} not found, or hidden from this token (GitHub answers 404 when access is missing)",
        ),
        ("POSTURE-CI-VARIABLE-EXPOSED", variables, need_vars),
    ]
