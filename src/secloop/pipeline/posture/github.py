"""Fetch a GitHub repository's posture: the REST endpoints the checks read, reduced to what they need."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from secloop.pipeline.posture.client import ApiClient, ApiError, Response
from secloop.pipeline.posture.model import Answer, Snapshot

_REPO_KEYS = (
    "full_name",
    "default_branch",
    "private",
    "visibility",
    "archived",
    "fork",
    "owner",
    "permissions",
    "security_and_analysis",
)


def redact_url(url: object) -> str:
    """scheme://host/… : webhook URLs often carry a token in their path or query."""
    parts = urlsplit(str(url or ""))
    if not parts.scheme:
        return ""
    tail = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{parts.hostname or ''}{tail}"


def _slim_repo(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    out = {k: body[k] for k in _REPO_KEYS if k in body}
    owner = body.get("owner")
    if isinstance(owner, dict):
        out["owner"] = {"login": owner.get("login"), "type": owner.get("type")}
    return out


def _slim_hooks(body: Any) -> Any:
    if not isinstance(body, list):
        return body
    hooks = []
    for hook in body:
        if not isinstance(hook, dict):
            continue
        config = hook.get("config") if isinstance(hook.get("config"), dict) else {}
        assert isinstance(config, dict)
        hooks.append(
            {
                "id": hook.get("id"),
                "name": hook.get("name"),
                "active": hook.get("active"),
                "events": hook.get("events"),
                "config": {
                    "url": redact_url(config.get("url")),
                    "insecure_ssl": str(config.get("insecure_ssl", "0")),
                    "content_type": config.get("content_type"),
                    # GitHub masks a set secret as "********"; only whether it is set is kept.
                    "secret_set": bool(config.get("secret")),
                },
            }
        )
    return hooks


def _slim_collaborators(body: Any) -> Any:
    if not isinstance(body, list):
        return body
    return [
        {"login": c.get("login"), "role_name": c.get("role_name"), "permissions": c.get("permissions")}
        for c in body
        if isinstance(c, dict)
    ]


def _unwrap(key: str, fields: tuple[str, ...]) -> Any:
    def transform(body: Any) -> Any:
        items = body.get(key) if isinstance(body, dict) else body
        if not isinstance(items, list):
            return []
        return [{f: item.get(f) for f in fields if f in item} for item in items if isinstance(item, dict)]

    return transform


def _slim_ruleset(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    out = {
        k: body[k]
        for k in ("id", "name", "target", "source_type", "source", "enforcement", "conditions")
        if k in body
    }
    # Absent, not empty, when the token may not edit the ruleset: the checks must tell the two apart.
    if isinstance(body.get("bypass_actors"), list):
        out["bypass_actors"] = [
            {k: a.get(k) for k in ("actor_id", "actor_type", "bypass_mode")}
            for a in body["bypass_actors"]
            if isinstance(a, dict)
        ]
    rules = body.get("rules")
    if isinstance(rules, list):
        out["rules"] = [{"type": r.get("type")} for r in rules if isinstance(r, dict)]
    return out


def _slim_keys(body: Any) -> Any:
    if not isinstance(body, list):
        return body
    fields = ("id", "title", "read_only", "created_at", "last_used", "added_by", "enabled")
    return [{f: k.get(f) for f in fields if f in k} for k in body if isinstance(k, dict)]


def ruleset_key(ruleset_id: object) -> str:
    return f"ruleset/{ruleset_id}"


def _ruleset_details(client: ApiClient, base: str, listed: Response) -> dict[str, Answer]:
    """The detail of every active branch ruleset: the list answer has no conditions or bypass list."""
    if not listed.ok or not isinstance(listed.body, list):
        return {}
    out: dict[str, Answer] = {}
    for item in listed.body:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            continue
        if item.get("enforcement") != "active" or item.get("target", "branch") != "branch":
            continue
        detail = client.get(f"{base}/rulesets/{item['id']}", transform=_slim_ruleset)
        out[ruleset_key(item["id"])] = answer_of(detail)
    return out


def _slim_org(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    return {k: body.get(k) for k in ("login", "two_factor_requirement_enabled", "plan") if k in body}


def _audit_count(body: Any) -> Any:
    # Audit events are not stored, only whether the log could be read.
    return {"entries": len(body) if isinstance(body, list) else 0}


def answer_of(response: Response) -> Answer:
    return Answer(response.path, response.status, response.body if response.ok else None, response.error)


def fetch_github(client: ApiClient, repo: str, branch: str | None, now: datetime) -> Snapshot:
    """Every answer the GitHub checks read. Only a failure to read the repository itself aborts."""
    base = f"/repos/{repo}"
    first = client.get(base, transform=_slim_repo)
    if not first.ok:
        hint = "check --repo and that the token can read the repository"
        if first.status == 401:
            hint = "set a valid read-only token in the variable named by --token-env"
        raise ApiError(f"cannot read {repo}: {first.error}", hint=hint)
    info = first.body if isinstance(first.body, dict) else {}
    target = branch or str(info.get("default_branch") or "") or None
    answers: dict[str, Answer] = {"repo": answer_of(first)}
    if target is not None:
        quoted = quote(target, safe="")
        answers["protection"] = answer_of(client.get(f"{base}/branches/{quoted}/protection"))
        answers["rules"] = answer_of(client.get_all(f"{base}/rules/branches/{quoted}"))
    listed = client.get_all(f"{base}/rulesets")
    answers["rulesets"] = answer_of(listed)
    answers.update(_ruleset_details(client, base, listed))
    answers["deploy_keys"] = answer_of(client.get_all(f"{base}/keys", transform=_slim_keys))
    answers["actions"] = answer_of(client.get(f"{base}/actions/permissions"))
    answers["workflow"] = answer_of(client.get(f"{base}/actions/permissions/workflow"))
    answers["collaborators"] = answer_of(
        client.get_all(f"{base}/collaborators", {"affiliation": "outside"}, _slim_collaborators)
    )
    answers["hooks"] = answer_of(client.get_all(f"{base}/hooks", transform=_slim_hooks))
    answers["runners"] = answer_of(
        client.get_all(
            f"{base}/actions/runners", transform=_unwrap("runners", ("id", "name", "os", "status"))
        )
    )
    owner = info.get("owner") if isinstance(info.get("owner"), dict) else {}
    assert isinstance(owner, dict)
    if owner.get("type") == "Organization":
        org = str(owner.get("login") or repo.split("/", 1)[0])
        answers["org"] = answer_of(client.get(f"/orgs/{org}", transform=_slim_org))
        answers["runner_groups"] = answer_of(
            client.get_all(
                f"/orgs/{org}/actions/runner-groups",
                transform=_unwrap(
                    "runner_groups", ("id", "name", "visibility", "allows_public_repositories", "default")
                ),
            )
        )
        answers["audit_log"] = answer_of(
            client.get(f"/orgs/{org}/audit-log", {"per_page": "1"}, transform=_audit_count)
        )
    return Snapshot("github", client.api_url, repo, target, now, answers)
