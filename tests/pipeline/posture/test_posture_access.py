"""Ruleset bypass lists and deploy keys, fetched from the fake API and judged."""

from __future__ import annotations

from typing import Any

import pytest

from secloop.core.enums import Severity, Status
from secloop.pipeline.posture.access import STALE_DAYS, actor_name, protects
from secloop.pipeline.posture.checks import Posture, judge
from secloop.pipeline.posture.client import ApiClient
from secloop.pipeline.posture.github import fetch_github

from .conftest import NOW, PAGE, REPO, TOKEN_VALUE, FakeApi, github_routes, payload

RULESET = "ruleset/7001"
DETAIL = f"{REPO}/rulesets/7001"
KEYS = f"{REPO}/keys{PAGE}"
ADMIN_HINT = (
    "it needs read access to repository administration "
    "(fine-grained 'Administration: read', or a classic token of a repository admin)"
)


def fetched(api: FakeApi, **override: Any) -> Posture:
    github_routes(api, **override)
    snapshot = fetch_github(ApiClient("github", api.url, TOKEN_VALUE), "acme/widget", None, NOW)
    return judge(snapshot, True)


def checks(p: Posture, rule_id: str) -> list[tuple[Status, str, str | None]]:
    return [(c.status, c.reason, c.path) for c in p.checks if c.rule.id == rule_id]


def findings(p: Posture, rule_id: str) -> list[tuple[str, Severity, str | None]]:
    return [
        (f.message, f.severity, f.primary.path if f.primary else None)
        for f in p.findings
        if f.rule_id == rule_id
    ]


def ruleset(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = payload("github", "ruleset_detail.json")
    body.update(changes)
    return body


# -- POSTURE-RULESET-BYPASS ------------------------------------------------------------------------


def test_ruleset_bypassed_always(fake_api: FakeApi) -> None:
    p = fetched(fake_api, **{RULESET: (200, "ruleset_bypass_always.json")})
    host = fake_api.url.removeprefix("http://")
    assert findings(p, "POSTURE-RULESET-BYPASS") == [
        (
            "acme/widget: ruleset 'main' (7001) protects main, but repository role admin, "
            "organisation admins, GitHub App 15368 (exempt) may bypass it always",
            Severity.MEDIUM,
            f"{host}{DETAIL}",
        )
    ]
    assert DETAIL in fake_api.paths()
    detail = p.snapshot.answers[RULESET].body
    assert sorted(detail) == ["bypass_actors", "conditions", "enforcement", "id", "name", "rules", "source",
                              "source_type", "target"]  # fmt: skip
    assert detail["rules"][2] == {"type": "pull_request"}


def test_ruleset_bypass_through_pull_requests_only_passes(fake_api: FakeApi) -> None:
    p = fetched(fake_api)
    assert checks(p, "POSTURE-RULESET-BYPASS") == [
        (
            Status.PASS,
            "1 active ruleset(s) protect main; no actor may bypass them always "
            "(repository role admin: through pull requests only)",
            f"{REPO}/rulesets{PAGE}",
        )
    ]
    assert findings(p, "POSTURE-RULESET-BYPASS") == []


def test_bypass_mode_missing_counts_as_always(fake_api: FakeApi) -> None:
    body = ruleset(bypass_actors=[{"actor_id": 42, "actor_type": "Team"}])
    p = fetched(fake_api, **{RULESET: (200, body)})
    assert checks(p, "POSTURE-RULESET-BYPASS") == [
        (Status.FAIL, "ruleset 'main' (7001) protects main, but Team 42 may bypass it always", DETAIL)
    ]


def test_ruleset_on_other_branches_is_not_judged(fake_api: FakeApi) -> None:
    other = {"ref_name": {"include": ["refs/heads/release/*"], "exclude": []}}
    body = ruleset(conditions=other, bypass_actors=[{"actor_id": 5, "actor_type": "RepositoryRole"}])
    p = fetched(fake_api, **{RULESET: (200, body)})
    assert checks(p, "POSTURE-RULESET-BYPASS") == [
        (Status.NOT_APPLICABLE, "no active ruleset protects main", f"{REPO}/rulesets{PAGE}")
    ]


def test_inactive_rulesets_are_not_fetched(fake_api: FakeApi) -> None:
    listed = payload("github", "rulesets.json")
    listed[0]["enforcement"] = "evaluate"
    p = fetched(fake_api, rulesets=(200, listed))
    assert DETAIL not in fake_api.paths()
    assert checks(p, "POSTURE-RULESET-BYPASS")[0][:2] == (
        Status.NOT_APPLICABLE,
        "no active ruleset protects main",
    )


@pytest.mark.parametrize("status", [403, 404])
def test_unreadable_ruleset_detail_is_unknown(fake_api: FakeApi, status: int) -> None:
    p = fetched(fake_api, **{RULESET: (status, "forbidden.json")})
    ((state, reason, path),) = checks(p, "POSTURE-RULESET-BYPASS")
    assert (state, path) == (Status.UNKNOWN, DETAIL)
    if status == 403:
        assert reason == f"ruleset 'main' (7001): the token may not read {DETAIL}: {ADMIN_HINT}"
    else:
        assert reason == (
            f"ruleset 'main' (7001): {DETAIL} not found, or hidden from this token "
            "(GitHub answers 404 when access is missing)"
        )
    assert findings(p, "POSTURE-RULESET-BYPASS") == []


def test_hidden_bypass_list_is_unknown(fake_api: FakeApi) -> None:
    p = fetched(fake_api, **{RULESET: (200, "ruleset_no_bypass_list.json")})
    assert checks(p, "POSTURE-RULESET-BYPASS") == [
        (
            Status.UNKNOWN,
            "ruleset 'main' (7001): its bypass list is shown only to a token that may edit the ruleset "
            "(repository admin)",
            DETAIL,
        )
    ]


def test_unreadable_ruleset_list_is_unknown(fake_api: FakeApi) -> None:
    p = fetched(fake_api, rulesets=(403, "forbidden.json"))
    assert checks(p, "POSTURE-RULESET-BYPASS") == [
        (
            Status.UNKNOWN,
            f"the token may not read {REPO}/rulesets{PAGE}: {ADMIN_HINT}",
            f"{REPO}/rulesets{PAGE}",
        )
    ]
    assert DETAIL not in fake_api.paths()


def test_rulesets_only_bypass_lists_stand_in_for_enforce_admins(fake_api: FakeApi) -> None:
    p = fetched(
        fake_api,
        protection=(404, "protection_not_protected.json"),
        rules=(200, "rules_ruleset.json"),
        **{RULESET: (200, ruleset(bypass_actors=[]))},
    )
    assert p.branch is not None and p.branch.enforce_admins is True
    assert checks(p, "POSTURE-ADMINS-BYPASS")[0][:2] == (
        Status.NOT_APPLICABLE,
        "no classic protection rule; the rulesets' bypass lists are judged by POSTURE-RULESET-BYPASS",
    )


@pytest.mark.parametrize(
    ("include", "exclude", "branch", "default", "expected"),
    [
        (["~DEFAULT_BRANCH"], [], "main", "main", True),
        (["~DEFAULT_BRANCH"], [], "develop", "main", False),
        (["~ALL"], [], "develop", "main", True),
        (["~ALL"], ["refs/heads/main"], "main", "main", False),
        (["refs/heads/ma*"], [], "main", "main", True),
        (["refs/heads/main"], [], "main", None, True),
        ([], [], "main", "main", False),
    ],
)
def test_protects(
    include: list[str], exclude: list[str], branch: str, default: str | None, expected: bool
) -> None:
    body = ruleset(conditions={"ref_name": {"include": include, "exclude": exclude}})
    assert protects(body, branch, default) is expected
    assert protects({**body, "enforcement": "disabled"}, branch, default) is False
    assert protects({**body, "target": "tag"}, branch, default) is False


def test_actor_names() -> None:
    assert [
        actor_name(a)
        for a in (
            {"actor_id": 2, "actor_type": "RepositoryRole"},
            {"actor_id": 4, "actor_type": "RepositoryRole"},
            {"actor_id": 9, "actor_type": "RepositoryRole"},
            {"actor_id": None, "actor_type": "DeployKey"},
            {"actor_id": 77, "actor_type": "User"},
        )
    ] == ["repository role maintain", "repository role write", "repository role #9", "deploy keys", "User 77"]


# -- POSTURE-DEPLOY-KEY-WRITE and POSTURE-DEPLOY-KEY-STALE ----------------------------------------


def test_write_and_stale_deploy_keys(fake_api: FakeApi) -> None:
    p = fetched(fake_api, deploy_keys=(200, "deploy_keys_write.json"))
    where = f"{fake_api.url.removeprefix('http://')}{REPO}/keys"
    assert findings(p, "POSTURE-DEPLOY-KEY-WRITE") == [
        (
            "acme/widget: deploy key 12 ('release bot') has write access (added by hubot)",
            Severity.MEDIUM,
            where,
        )
    ]
    assert findings(p, "POSTURE-DEPLOY-KEY-STALE") == [
        (
            "acme/widget: deploy key 12 ('release bot') was last used on 2025-09-01 (451 days ago)",
            Severity.LOW,
            where,
        ),
        (
            "acme/widget: deploy key 13 ('old server') was created on 2023-06-01 and has no recorded use "
            "(1275 days ago)",
            Severity.LOW,
            where,
        ),
    ]
    assert [c.subject for c in p.checks if c.rule.id.startswith("POSTURE-DEPLOY-KEY")] == ["12", "12", "13"]
    # the public key itself is not kept
    assert all("key" not in k for k in p.snapshot.answers["deploy_keys"].body)
    assert STALE_DAYS == 365


def test_read_only_recent_deploy_keys_pass(fake_api: FakeApi) -> None:
    p = fetched(fake_api, deploy_keys=(200, "deploy_keys_read.json"))
    assert checks(p, "POSTURE-DEPLOY-KEY-WRITE") == [(Status.PASS, "1 deploy key(s), all read-only", KEYS)]
    assert checks(p, "POSTURE-DEPLOY-KEY-STALE") == [
        (Status.PASS, "1 deploy key(s), each used or created in the last 365 days", KEYS)
    ]
    assert findings(p, "POSTURE-DEPLOY-KEY-WRITE") == findings(p, "POSTURE-DEPLOY-KEY-STALE") == []
    none = fetched(fake_api, deploy_keys=(200, []))
    assert [c[1] for c in checks(none, "POSTURE-DEPLOY-KEY-WRITE")] == ["no deploy key"]
    assert [c[1] for c in checks(none, "POSTURE-DEPLOY-KEY-STALE")] == ["no deploy key"]


@pytest.mark.parametrize("status", [403, 404])
def test_deploy_keys_without_admin_token_are_unknown(fake_api: FakeApi, status: int) -> None:
    p = fetched(fake_api, deploy_keys=(status, "forbidden.json"))
    for rule_id in ("POSTURE-DEPLOY-KEY-WRITE", "POSTURE-DEPLOY-KEY-STALE"):
        ((state, reason, path),) = checks(p, rule_id)
        assert (state, path) == (Status.UNKNOWN, KEYS)
        assert reason.startswith(f"the token may not read {KEYS}" if status == 403 else f"{KEYS} not found")


def test_deploy_key_without_dates_is_unknown(fake_api: FakeApi) -> None:
    keys = [{"id": 5, "title": "odd", "read_only": True, "created_at": "yesterday", "last_used": None}]
    p = fetched(fake_api, deploy_keys=(200, keys))
    assert checks(p, "POSTURE-DEPLOY-KEY-STALE") == [
        (Status.UNKNOWN, "deploy key 5 ('odd'): neither last_used nor created_at is a date", KEYS)
    ]
