"""A fake GitHub/GitLab API on 127.0.0.1 serving recorded payloads, and git repositories to point at it."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "posture"
TOKEN_VALUE = "fixture-" + "token-" + "0000"  # built at runtime: no literal token in the repository
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def payload(platform: str, name: str) -> Any:
    return json.loads((FIXTURES / platform / name).read_text("utf-8"))


@dataclass
class Route:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


class FakeApi:
    """Routes keyed by request path with query (e.g. /repos/acme/widget/hooks?per_page=100)."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.seen: list[Seen] = []
        self.url = ""

    def add(self, path: str, status: int, body: Any, etag: str | None = None, **headers: str) -> None:
        self.routes[path] = Route(status, body, {k.replace("_", "-"): v for k, v in headers.items()}, etag)

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _reply(self) -> None:
            api.seen.append(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = api.routes.get(self.path)
            if self.command != "GET":
                self.send_response(405)
                self.end_headers()
                return
            if route is None:
                route = Route(404, {"message": "Not Found"})
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            data = json.dumps(route.body).encode()
            self.send_response(route.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if route.etag:
                self.send_header("ETag", route.etag)
            for key, value in route.headers.items():
                self.send_header(key, value.replace("{base}", api.url))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _reply
        do_POST = _reply

    return Handler


@pytest.fixture
def fake_api() -> Iterator[FakeApi]:
    api = FakeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()


def recent_deploy_keys() -> Any:
    """deploy_keys_read.json, last used yesterday: `secloop posture` and saved facts judge a key's age
    by the wall clock, and the default answers must stay fresh whatever day the tests run."""
    keys = payload("github", "deploy_keys_read.json")
    yesterday = (datetime.now(tz=UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for key in keys:
        key["last_used"] = yesterday
    return keys


REPO = "/repos/acme/widget"
PAGE = "?per_page=100"


def github_routes(api: FakeApi, **override: tuple[int, str] | tuple[int, Any]) -> None:
    """A complete, well-configured organisation repository; `override` replaces one answer by key."""
    table: dict[str, tuple[str, int, Any]] = {
        "repo": (REPO, 200, "repo.json"),
        "protection": (f"{REPO}/branches/main/protection", 200, "protection_admins.json"),
        "rules": (f"{REPO}/rules/branches/main{PAGE}", 200, "rules_none.json"),
        "rulesets": (f"{REPO}/rulesets{PAGE}", 200, "rulesets.json"),
        "ruleset/7001": (f"{REPO}/rulesets/7001", 200, "ruleset_detail.json"),
        "deploy_keys": (f"{REPO}/keys{PAGE}", 200, recent_deploy_keys()),
        "actions": (f"{REPO}/actions/permissions", 200, "actions_permissions.json"),
        "workflow": (f"{REPO}/actions/permissions/workflow", 200, "workflow_read.json"),
        "collaborators": (
            f"{REPO}/collaborators?affiliation=outside&per_page=100",
            200,
            "collaborators_read.json",
        ),
        "hooks": (f"{REPO}/hooks{PAGE}", 200, "hooks_secure.json"),
        "runners": (f"{REPO}/actions/runners{PAGE}", 200, "runners_none.json"),
        "org": ("/orgs/acme", 200, "org.json"),
        "runner_groups": (f"/orgs/acme/actions/runner-groups{PAGE}", 200, "runner_groups_default.json"),
        "audit_log": ("/orgs/acme/audit-log?per_page=1", 200, "audit_log.json"),
    }
    for key, (path, status, name) in table.items():
        if key in override:
            status, name = override[key]
        body = payload("github", name) if isinstance(name, str) else name
        api.add(path, status, body)


def git(root: Path, *args: str, when: datetime | None = None) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    if when is not None:
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = stamp
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, env=env)


def make_repo(root: Path, remote: str | None = "https://github.com/acme/widget.git") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    if remote is not None:
        git(root, "remote", "add", "origin", remote)
    return root


def commit(
    root: Path, message: str, when: datetime, author: str = "dev@example.com", file: str = "log.txt"
) -> None:
    target = root / file
    target.write_text((target.read_text() if target.exists() else "") + message + "\n")
    git(root, "add", file)
    git(root, "commit", "-q", "--author", f"Dev <{author}>", "-m", message, when=when)


def github_snapshot(branch: str | None = "main", **override: tuple[int, str] | tuple[int, Any]) -> Any:
    """A Snapshot as fetch_github would build it from the default routes, without a server."""
    from secloop.pipeline.posture.github import (
        _slim_collaborators,
        _slim_hooks,
        _slim_keys,
        _slim_org,
        _slim_repo,
        _slim_ruleset,
        _unwrap,
    )
    from secloop.pipeline.posture.model import Answer, Snapshot

    table: dict[str, tuple[str, int, Any, Any]] = {
        "repo": (REPO, 200, "repo.json", _slim_repo),
        "protection": (f"{REPO}/branches/main/protection", 200, "protection_admins.json", None),
        "rules": (f"{REPO}/rules/branches/main{PAGE}", 200, "rules_none.json", None),
        "rulesets": (f"{REPO}/rulesets{PAGE}", 200, "rulesets.json", None),
        "ruleset/7001": (f"{REPO}/rulesets/7001", 200, "ruleset_detail.json", _slim_ruleset),
        "deploy_keys": (f"{REPO}/keys{PAGE}", 200, recent_deploy_keys(), _slim_keys),
        "actions": (f"{REPO}/actions/permissions", 200, "actions_permissions.json", None),
        "workflow": (f"{REPO}/actions/permissions/workflow", 200, "workflow_read.json", None),
        "collaborators": (
            f"{REPO}/collaborators?affiliation=outside&per_page=100",
            200,
            "collaborators_read.json",
            _slim_collaborators,
        ),
        "hooks": (f"{REPO}/hooks{PAGE}", 200, "hooks_secure.json", _slim_hooks),
        "runners": (
            f"{REPO}/actions/runners{PAGE}",
            200,
            "runners_none.json",
            _unwrap("runners", ("id", "name")),
        ),
        "org": ("/orgs/acme", 200, "org.json", _slim_org),
        "runner_groups": (
            f"/orgs/acme/actions/runner-groups{PAGE}",
            200,
            "runner_groups_default.json",
            _unwrap("runner_groups", ("id", "name", "visibility", "allows_public_repositories")),
        ),
        "audit_log": ("/orgs/acme/audit-log?per_page=1", 200, "audit_log.json", None),
    }
    answers = {}
    for key, (path, status, name, slim) in table.items():
        if key in override:
            if override[key] is None:
                continue
            status, name = override[key]
        body = payload("github", name) if isinstance(name, str) else name
        if status == 200:
            answers[key] = Answer(path, 200, slim(body) if slim else body)
        else:
            answers[key] = Answer(path, status, error=f"{path} answered HTTP {status}")
    return Snapshot("github", "https://api.github.com", "acme/widget", branch, NOW, answers)


PROJECT = "/projects/acme%2Fwidget"
GITLAB_ANSWERS: dict[str, tuple[str, str]] = {
    "project": (PROJECT, "project.json"),
    "protected_branches": (f"{PROJECT}/protected_branches{PAGE}", "protected_strict.json"),
    "approval_rules": (f"{PROJECT}/approval_rules{PAGE}", "approval_rules.json"),
    "approvals": (f"{PROJECT}/approvals", "approvals.json"),
    "hooks": (f"{PROJECT}/hooks{PAGE}", "hooks.json"),
    "deploy_keys": (f"{PROJECT}/deploy_keys{PAGE}", "deploy_keys_read.json"),
    "protected_tags": (f"{PROJECT}/protected_tags{PAGE}", "protected_tags.json"),
    "tags": (f"{PROJECT}/repository/tags{PAGE}", "tags.json"),
    "variables": (f"{PROJECT}/variables{PAGE}", "variables.json"),
}


def gitlab_routes(api: FakeApi, **override: tuple[int, str]) -> None:
    """A well-configured GitLab project (its webhook 2 delivers over http); `override` replaces one
    answer by key."""
    for key, (path, name) in GITLAB_ANSWERS.items():
        status, name = override.get(key, (200, name))
        api.add(path, status, payload("gitlab", name))


def gitlab_snapshot(**override: tuple[int, str] | None) -> Any:
    """A Snapshot as fetch_gitlab would build it from the default routes, without a server; an
    override of None leaves the answer out, as in facts saved by an older secloop."""
    from secloop.pipeline.posture import gitlab as G
    from secloop.pipeline.posture.model import Answer, Snapshot

    slims: dict[str, Any] = {
        "project": G._slim_project,
        "hooks": G._slim_hooks,
        "deploy_keys": G._fields(G._KEY_FIELDS),
        "protected_tags": G._slim_protected_tags,
        "tags": G._fields(("name",)),
        "variables": G._fields(G._VARIABLE_FIELDS),
    }
    answers = {}
    for key, (path, name) in GITLAB_ANSWERS.items():
        chosen = override.get(key, (200, name))
        if chosen is None:
            continue
        status, name = chosen
        if status == 200:
            body = payload("gitlab", name)
            answers[key] = Answer(path, 200, slims[key](body) if key in slims else body)
        else:
            answers[key] = Answer(path, status, error=f"{path} answered HTTP {status}")
    return Snapshot("gitlab", "https://gitlab.com/api/v4", "acme/widget", "main", NOW, answers)
