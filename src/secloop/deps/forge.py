"""Whether a package's source repository is archived: the GitHub REST API, opt-in and cached.

A package names its repository in the registry metadata (PyPI `project_urls` or `home_page`, npm
`repository`); when that is a GitHub repository, `GET <api>/repos/OWNER/REPO` says `archived` and
`pushed_at`. Same contract as the registry client: the network only when asked (`online=True`), a
trimmed copy of each answer cached for `ttl`, offline a cached copy of any age, else `Missing` with
the reason. `GITHUB_TOKEN` is sent when set (60 requests an hour without one, 5,000 with).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from secloop.core.timestamps import parse_timestamp
from secloop.deps.cache import HostCache, cache_file
from secloop.deps.registry import ONLINE_ENV, Missing, default_cache_dir, without_credentials

GITHUB_API_URL = "https://api.github.com"
TOKEN_ENV = "GITHUB_TOKEN"  # noqa: S105  # nosec B105: the variable name, not a token
CACHE_FORMAT = 1
_USER_AGENT = "secloop-deps (+https://github.com/secloop/secloop)"
_NAME = r"[A-Za-z0-9_.-]+"
# https://github.com/o/r(.git)(/tree/...), git+https://, git://, ssh://git@, git@github.com:o/r, github:o/r
_URL = re.compile(
    rf"^(?:git\+)?(?:(?:https?|git|ssh)://(?:[^@/]+@)?(?:www\.)?github\.com/|git@github\.com:|github:)"
    rf"(?P<owner>{_NAME})/(?P<repo>{_NAME})(?:[/#?].*)?$",
    re.IGNORECASE,
)
_SHORTHAND = re.compile(rf"^(?P<owner>{_NAME})/(?P<repo>{_NAME})$")  # npm: "repository": "owner/repo"


def github_repo(url: str | None, *, shorthand: bool = False) -> str | None:
    """`owner/repo` of a GitHub repository URL (lower-cased: GitHub names are case-insensitive)."""
    if not url:
        return None
    text = url.strip()
    match = _URL.match(text) or (_SHORTHAND.match(text) if shorthand else None)
    if match is None:
        return None
    repo = match.group("repo").removesuffix(".git")
    if not repo or repo in (".", ".."):
        return None
    return f"{match.group('owner')}/{repo}".lower()


@dataclass(frozen=True, slots=True)
class RepoState:
    repo: str  # owner/repo as asked
    archived: bool
    pushed_at: datetime | None
    source: str
    fetched_at: datetime


RepoLookup = RepoState | Missing


def _loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ForgeSettings:
    cache_dir: Path
    online: bool = False
    ttl: timedelta = timedelta(hours=24)
    api_url: str = GITHUB_API_URL
    token: str | None = None
    timeout: float = 10.0

    @classmethod
    def resolve(
        cls,
        *,
        online: bool,
        cache_dir: Path | None = None,
        ttl_hours: float = 24.0,
        api_url: str | None = None,
    ) -> ForgeSettings:
        """Explicit base URL first, then SECLOOP_GITHUB_API_URL, then GITHUB_API_URL (set by GitHub
        Actions, the Enterprise Server's API on GHES), then api.github.com."""
        env = os.environ
        base = without_credentials(
            api_url or env.get("SECLOOP_GITHUB_API_URL") or env.get("GITHUB_API_URL") or GITHUB_API_URL
        ).rstrip("/")
        return cls(
            cache_dir or default_cache_dir(),
            online,
            timedelta(hours=ttl_hours),
            base,
            env.get(TOKEN_ENV) or None,
        )


class ForgeClient:
    def __init__(self, settings: ForgeSettings, *, now: datetime | None = None) -> None:
        self.settings = settings
        self.now = now or datetime.now(tz=UTC)
        self._cache = HostCache(cache_file(settings.cache_dir, "github", settings.api_url), settings.api_url)

    def cached(self, repo: str) -> RepoState | None:
        data = self._cache.get(repo)
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            return None
        fetched = parse_timestamp(data.get("fetched_at"))
        if fetched is None:
            return None
        return RepoState(
            repo,
            bool(data.get("archived")),
            parse_timestamp(data.get("pushed_at")),
            str(data.get("source")),
            fetched,
        )

    def _store(self, state: RepoState) -> None:
        self._cache.put(
            state.repo,
            {
                "format": CACHE_FORMAT,
                "archived": state.archived,
                "pushed_at": state.pushed_at.isoformat() if state.pushed_at else None,
                "source": state.source,
                "fetched_at": state.fetched_at.isoformat(),
            },
        )

    def _headers(self, url: str) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": _USER_AGENT,
        }
        # The token goes over TLS only (or to a loopback test server), never in clear over a network.
        if self.settings.token and (url.startswith("https://") or _loopback(url)):
            headers["Authorization"] = f"Bearer {self.settings.token}"
        return headers

    def _get(self, url: str) -> Any:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"not an http(s) URL: {url}")
        request = urllib.request.Request(url, headers=self._headers(url))  # noqa: S310 - scheme checked
        with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:  # noqa: S310  # nosec B310
            return json.loads(response.read())

    def _fetch(self, repo: str) -> RepoLookup:
        owner, name = repo.split("/", 1)
        url = f"{self.settings.api_url}/repos/{quote(owner, safe='')}/{quote(name, safe='')}"
        try:
            data = self._get(url)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                why = "no such repository (or a private one)"
            elif exc.code in (403, 429):
                hint = "" if self.settings.token else f" (set {TOKEN_ENV})"
                why = f"HTTP {exc.code}, rate limited{hint}"
            else:
                why = f"HTTP {exc.code}"
            return Missing("GitHub", repo, f"{url}: {why}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            return Missing("GitHub", repo, f"{url}: {getattr(exc, 'reason', exc)}")
        if not isinstance(data, dict) or not isinstance(data.get("archived"), bool):
            return Missing("GitHub", repo, f"{url}: no `archived` field in the answer")
        return RepoState(repo, data["archived"], parse_timestamp(data.get("pushed_at")), url, self.now)

    def lookup(self, repo: str) -> RepoLookup:
        found = self._lookup(repo)
        self._cache.flush()
        return found

    def _lookup(self, repo: str) -> RepoLookup:
        cached = self.cached(repo)
        if cached is not None and (
            not self.settings.online or self.now - cached.fetched_at < self.settings.ttl
        ):
            return cached
        if not self.settings.online:
            return Missing(
                "GitHub",
                repo,
                "no cached GitHub repository state and registry access is off "
                f"(`--online` or {ONLINE_ENV}=1)",
            )
        fetched = self._fetch(repo)
        if isinstance(fetched, RepoState):
            self._store(fetched)
            return fetched
        return cached if cached is not None else fetched

    def lookup_many(self, repos: Iterable[str]) -> dict[str, RepoLookup]:
        unique = sorted(set(repos))
        if not self.settings.online or len(unique) < 2:
            found = {r: self._lookup(r) for r in unique}
        else:
            with ThreadPoolExecutor(max_workers=8) as pool:
                found = dict(zip(unique, pool.map(self._lookup, unique), strict=True))
        self._cache.flush()
        return found
