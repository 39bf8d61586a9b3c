"""Fetch a GitLab project's posture through REST v4: project, protected branches, approvals, hooks."""

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
    "merge_requests_enabled",
)


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
    return Snapshot("gitlab", client.api_url, project, target, now, answers)
