"""`secloop posture`: resolve the repository, fetch its settings (only with a token), judge, save."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from secloop.core.enums import Status
from secloop.core.errors import UsageError
from secloop.pipeline.posture.checks import Posture, judge
from secloop.pipeline.posture.client import GITHUB_API, GITLAB_API, ApiClient
from secloop.pipeline.posture.github import fetch_github
from secloop.pipeline.posture.gitlab import fetch_gitlab
from secloop.pipeline.posture.localgit import LocalFacts, local_facts
from secloop.pipeline.posture.model import PLATFORMS, Check
from secloop.pipeline.posture.rules import RULES
from secloop.pipeline.posture.store import http_cache_dir, repo_remote, save, web_host
from secloop.practices.evaluators.code import codeowners
from secloop.sources.repo import Repo

DEFAULT_TOKEN_ENV = {"github": "GITHUB_TOKEN", "gitlab": "GITLAB_TOKEN"}
DEFAULT_API = {"github": GITHUB_API, "gitlab": GITLAB_API}
GITLAB_ONLY_SKIPPED = frozenset(
    {
        "POSTURE-ACTIONS-CAN-APPROVE",
        "POSTURE-DEFAULT-TOKEN-WRITE",
        "POSTURE-OUTSIDE-COLLABORATOR-WRITE",
        "POSTURE-ORG-2FA-OFF",
        "POSTURE-SECRET-SCANNING-OFF",
        "POSTURE-PUSH-PROTECTION-OFF",
        "POSTURE-SELF-HOSTED-RUNNER-PUBLIC",
        "POSTURE-RUNNER-GROUP-OPEN",
        "POSTURE-RULESET-BYPASS",
    }
)
GITHUB_ONLY_SKIPPED = frozenset(
    {
        "POSTURE-TAGS-UNPROTECTED",
        "POSTURE-CI-VARIABLE-EXPOSED",
        "POSTURE-MR-DISCUSSIONS-UNRESOLVED",
    }
)


@dataclass(frozen=True)
class Request:
    path: Path
    repo: str | None = None
    platform: str | None = None
    api_url: str | None = None
    token_env: str | None = None
    branch: str | None = None
    cache: Path | None = None
    save: bool = True


@dataclass(frozen=True)
class Outcome:
    platform: str
    repo: str
    posture: Posture | None  # None without a token
    checks: tuple[Check, ...]
    local: LocalFacts
    saved: Path | None
    requests: int = 0
    revalidated: int = 0


def _platform(request: Request, host: str | None) -> str:
    if request.platform is not None:
        if request.platform not in PLATFORMS:
            raise UsageError(f"--platform must be github or gitlab (got {request.platform!r})")
        return request.platform
    if host is not None and (host == "github.com" or host.startswith("github.")):
        return "github"
    if host is not None and "gitlab" in host:
        return "gitlab"
    if host is None:
        return "github"
    raise UsageError(
        f"cannot tell the platform of {host}", hint="give --platform github or --platform gitlab"
    )


def _api_url(request: Request, platform: str, host: str | None) -> str:
    if request.api_url:
        return request.api_url
    if host is None or host in ("github.com", "gitlab.com"):
        return DEFAULT_API[platform]
    # A self-hosted instance: GitHub Enterprise Server serves /api/v3, GitLab /api/v4.
    return f"https://{host}/api/v3" if platform == "github" else f"https://{host}/api/v4"


def no_token_checks(platform: str, variable: str) -> tuple[Check, ...]:
    reason = f"set {variable} (read-only) to check this"
    skipped = GITLAB_ONLY_SKIPPED if platform == "gitlab" else GITHUB_ONLY_SKIPPED
    return tuple(Check(rule, Status.UNKNOWN, reason) for rule in RULES if rule.id not in skipped)


def run_posture(request: Request, now: datetime | None = None) -> Outcome:
    repo = Repo(request.path)
    remote = repo_remote(repo)
    name = request.repo or (remote.path if remote else None)
    if not name or "/" not in name:
        raise UsageError(
            "cannot tell which repository to check: no --repo and no git remote",
            hint="give --repo OWNER/NAME (GitLab: GROUP/PROJECT)",
        )
    host = remote.host if remote is not None and request.repo in (None, remote.path) else None
    platform = _platform(request, host or (web_host(request.api_url) if request.api_url else None))
    variable = request.token_env or DEFAULT_TOKEN_ENV[platform]
    token = os.environ.get(variable, "").strip()
    local = local_facts(repo, now)
    if not token:
        return Outcome(platform, name, None, no_token_checks(platform, variable), local, None)
    client = ApiClient(platform, _api_url(request, platform, host), token, request.cache or http_cache_dir())
    moment = (now or datetime.now(tz=UTC)).replace(microsecond=0)
    fetch = fetch_github if platform == "github" else fetch_gitlab
    snapshot = fetch(client, name, request.branch, moment)
    posture = judge(snapshot, codeowners(repo) is not None)
    saved = save(snapshot, host or web_host(client.api_url)) if request.save else None
    return Outcome(platform, name, posture, posture.checks, local, saved, client.requests, client.revalidated)
