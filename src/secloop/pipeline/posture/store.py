"""Where fetched posture facts are kept, so `secloop assess` can read them offline.

The facts describe the hosted repository, not one checkout, so they live in the user's cache
directory keyed by host and repository path (``<cache>/posture/<host>/<owner>/<name>.json``), not in
the work tree: every clone of the same repository shares them, nothing appears in `git status`, and
the organisation's settings (collaborator logins, webhook hosts) cannot be committed by accident.
`SECLOOP_CACHE_DIR` moves the cache (CI runners, tests). Writes are atomic (temporary file + rename).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from secloop.core.baseline import write_atomic
from secloop.core.cachedir import cache_root as _cache_root
from secloop.delivery.git import git
from secloop.pipeline.posture.model import Snapshot
from secloop.sources.repo import Repo

_SCP = re.compile(r"^(?:[\w.-]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$")
_SAFE_PART = re.compile(r"[^A-Za-z0-9._-]")


def cache_root() -> Path:
    return _cache_root()


def http_cache_dir() -> Path:
    return cache_root() / "posture" / "http"


@dataclass(frozen=True, slots=True)
class Remote:
    host: str
    path: str  # owner/name, or group/subgroup/project

    @property
    def platform(self) -> str | None:
        if self.host == "github.com" or self.host.startswith("github."):
            return "github"
        if "gitlab" in self.host:
            return "gitlab"
        return None


def parse_remote(url: str) -> Remote | None:
    """host and repository path of a git remote URL (https, ssh:// or scp-like git@host:path)."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        host, path = parts.hostname or "", parts.path
    elif match := _SCP.match(url):
        host, path = match.group("host"), match.group("path")
    else:
        return None
    path = path.strip("/").removesuffix(".git").strip("/")
    if not host or path.count("/") < 1:
        return None
    return Remote(host.lower(), path)


def repo_remote(repo: Repo) -> Remote | None:
    """The repository's `origin` remote (or its only remote)."""
    if not repo.is_git:
        return None
    url = git(repo.root, "config", "--get", "remote.origin.url")
    if not url:
        names = (git(repo.root, "remote") or "").split()
        if len(names) != 1:
            return None
        url = git(repo.root, "config", "--get", f"remote.{names[0]}.url")
    return parse_remote(url) if url else None


def web_host(api_url: str) -> str:
    """The host a repository's clone URL uses, from its API URL (api.github.com is github.com)."""
    host = (urlsplit(api_url).hostname or "").lower()
    return "github.com" if host == "api.github.com" else host


def facts_file(host: str, path: str) -> Path:
    parts = [_SAFE_PART.sub("_", p) for p in path.split("/") if p not in ("", ".", "..")]
    return cache_root() / "posture" / _SAFE_PART.sub("_", host) / Path(*parts[:-1]) / f"{parts[-1]}.json"


def save(snapshot: Snapshot, host: str) -> Path:
    """Write the facts where `load_for` finds them: keyed by the clone host and repository path."""
    target = facts_file(host, snapshot.repo)
    write_atomic(target, json.dumps(snapshot.to_json(), indent=2, sort_keys=True) + "\n")
    return target


@dataclass(frozen=True, slots=True)
class Stored:
    snapshot: Snapshot | None
    file: Path | None
    problem: str | None = None  # why a file that exists could not be used

    def age(self, now: datetime) -> str:
        if self.snapshot is None:
            return ""
        seconds = max(0, int((now - self.snapshot.fetched_at).total_seconds()))
        if seconds < 3600:
            ago = f"{seconds // 60} min"
        elif seconds < 172800:
            ago = f"{seconds // 3600} h"
        else:
            ago = f"{seconds // 86400} days"
        stamp = self.snapshot.fetched_at.strftime("%Y-%m-%dT%H:%MZ")
        return f"{ago} ago ({stamp})"


def load_for(repo: Repo) -> Stored:
    """The stored posture of the repository's remote, if `secloop posture` saved one."""
    remote = repo_remote(repo)
    if remote is None:
        return Stored(None, None)
    file = facts_file(remote.host, remote.path)
    if not file.is_file():
        return Stored(None, file)
    try:
        snapshot = Snapshot.from_json(json.loads(file.read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Stored(None, file, f"{file}: unreadable posture facts ({exc}); run secloop posture again")
    return Stored(snapshot, file)
