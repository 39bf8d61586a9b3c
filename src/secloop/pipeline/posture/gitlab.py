"""Fetch a GitLab project's posture through REST v4: project, protected branches and tags, approvals,
hooks, deploy keys and CI/CD variables (names and flags only: a variable's value is never kept)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from secloop.pipeline.posture.client import ApiClient, ApiError
from secloop.pipeline.posture.github import answer_of, redact_url
from secloop.pipeline.posture.model import Answer, Snapshot

_PROJECT_KEYS = (
    "path_with_namespace",
    "default_branch",
    "visibility",
    "archived",
    "only_allow_merge_if_pipeline_succeeds",
    "only_allow_merge_if_all_discussions_are_resolved",
    "merge_requests_enabled",
)
_KEY_FIELDS = ("id", "title", "can_push", "created_at", "expires_at", "last_used_at")
_VARIABLE_FIELDS = ("key", "masked", "hidden", "protected", "environment_scope", "variable_type")
# The most recent tags (the API's default order) tell whether tag protection matters and which
# names a protected-tag pattern should cover; a project's whole tag history is not needed.
TAGS_PAGE = "100"


def _slim_project(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    return {k: body[k] for k in _PROJECT_KEYS if k in body}


def _slim_hooks(body: Any) -> Any:
    if not isinstance(body, list):
        return body
    return [
        {
            "id": h.get("id"),
            "url": redact_url(h.get("url")),
            "enable_ssl_verification": h.get("enable_ssl_verification"),
        }
        for h in body
        if isinstance(h, dict)
    ]


def _fields(fields: tuple[str, ...]) -> Any:
    def transform(body: Any) -> Any:
        if not isinstance(body, list):
            return body
        return [{f: item[f] for f in fields if f in item} for item in body if isinstance(item, dict)]

    return transform


def _slim_protected_tags(body: Any) -> Any:
    if not isinstance(body, list):
        return body
    return [
        {
            "name": t.get("name"),
            "create_access_levels": [
                {"access_level": a.get("access_level")}
                for a in t.get("create_access_levels") or ()
                if isinstance(a, dict)
            ],
        }
        for t in body
        if isinstance(t, dict)
    ]


def fetch_gitlab(client: ApiClient, project: str, branch: str | None, now: datetime) -> Snapshot:
    base = f"/projects/{quote(project, safe='')}"
    first = client.get(base, transform=_slim_project)
    if not first.ok:
        hint = "check --repo (group/project) and that the token has the read_api scope"
        raise ApiError(f"cannot read {project}: {first.error}", hint=hint)
    info = first.body if isinstance(first.body, dict) else {}
    target = branch or str(info.get("default_branch") or "") or None
    answers: dict[str, Answer] = {"project": answer_of(first)}
    answers["protected_branches"] = answer_of(client.get_all(f"{base}/protected_branches"))
    answers["approval_rules"] = answer_of(client.get_all(f"{base}/approval_rules"))
    answers["approvals"] = answer_of(client.get(f"{base}/approvals"))
    answers["hooks"] = answer_of(client.get_all(f"{base}/hooks", transform=_slim_hooks))
    answers["deploy_keys"] = answer_of(client.get_all(f"{base}/deploy_keys", transform=_fields(_KEY_FIELDS)))
    answers["protected_tags"] = answer_of(
        client.get_all(f"{base}/protected_tags", transform=_slim_protected_tags)
    )
    answers["tags"] = answer_of(
        client.get(f"{base}/repository/tags", {"per_page": TAGS_PAGE}, _fields(("name",)))
    )
    answers["variables"] = answer_of(client.get_all(f"{base}/variables", transform=_fields(_VARIABLE_FIELDS)))
    return Snapshot("gitlab", client.api_url, project, target, now, answers)
