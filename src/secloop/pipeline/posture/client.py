"""A read-only REST client for the GitHub and GitLab APIs: GET only, ETag cache, pagination, rate limits.

Responses are cached on disk by URL and by a hash of the token (never the token itself), so a
second run revalidates with `If-None-Match` and GitHub answers 304 without charging the rate limit.
Only 200 responses are cached. HTTP statuses are returned, not raised: a 403 on one endpoint (a
token without admin rights) makes that check unknown, not the whole run fail.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from secloop.core.baseline import write_atomic
from secloop.core.errors import EXIT_USAGE, SecloopError

GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"
USER_AGENT = "secloop-posture"
MAX_PAGES = 20
MAX_REDIRECTS = 3
MAX_RATE_WAIT = 60.0
_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

Transform = Callable[[Any], Any]


class ApiError(SecloopError):
    """The API could not be used at all: unreachable, bad token, rate limit exhausted (exit 2)."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True, slots=True)
class Response:
    path: str
    status: int  # 0: the request did not complete (see `error`)
    body: Any = None
    error: str | None = None
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200


def need(platform: str, status: int, path: str) -> str:
    """What a non-200 answer means, in terms of the permission or plan it implies."""
    if status == 401:
        return f"the token was rejected at {path} (expired or revoked); create a new read-only token"
    if status == 403:
        if platform == "gitlab":
            return f"the token may not read {path}: it needs the read_api scope and Maintainer role"
        return (
            f"the token may not read {path}: it needs read access to repository administration "
            "(fine-grained 'Administration: read', or a classic token of a repository admin)"
        )
    if status == 404:
        return f"{path} not found, or hidden from this token (GitHub answers 404 when access is missing)"
    if status == 0:
        return f"{path} could not be fetched"
    return f"{path} answered HTTP {status}"


def _check_base(api_url: str) -> tuple[str, str, str]:
    parts = urlsplit(api_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ApiError(
            f"--api-url: not an http(s) URL: {api_url!r}", hint="e.g. https://ghe.example.com/api/v3"
        )
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK:
        raise ApiError(
            f"--api-url: refusing to send a token over plain http to {parts.hostname}",
            hint="use https (plain http is accepted for 127.0.0.1 only, for tests)",
        )
    return parts.scheme, parts.netloc, parts.path.rstrip("/")


class ApiClient:
    def __init__(
        self,
        platform: str,
        api_url: str,
        token: str,
        cache_dir: Path | None = None,
        *,
        timeout: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.platform = platform
        self.api_url = api_url.rstrip("/")
        self._scheme, self._netloc, self._base_path = _check_base(self.api_url)
        self._token = token
        self._token_id = hashlib.sha256(token.encode()).hexdigest()[:16]
        self.cache_dir = cache_dir
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self.requests = 0
        self.revalidated = 0

    def _headers(self, etag: str | None) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.platform == "github":
            headers["Accept"] = "application/vnd.github+json"
            headers["X-GitHub-Api-Version"] = "2022-11-28"
            headers["Authorization"] = f"Bearer {self._token}"
        else:
            headers["PRIVATE-TOKEN"] = self._token
        if etag:
            headers["If-None-Match"] = etag
        return headers

    def _cache_file(self, target: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(f"{self._token_id}\n{self._netloc}{target}".encode()).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.json"

    def _load(self, file: Path | None) -> dict[str, Any] | None:
        if file is None or not file.is_file():
            return None
        try:
            entry = json.loads(file.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) and "etag" in entry else None

    def _request(self, target: str, etag: str | None) -> tuple[int, dict[str, str], bytes]:
        """One GET of `target` (path and query on the API host), following same-host redirects."""
        for _ in range(MAX_REDIRECTS + 1):
            conn_type = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            conn = conn_type(self._netloc, timeout=self.timeout)
            try:
                conn.request("GET", target, headers=self._headers(etag))
                resp = conn.getresponse()
                body = resp.read()
                headers = {k.lower(): v for k, v in resp.getheaders()}
            except (OSError, http.client.HTTPException) as exc:
                raise ApiError(
                    f"{self.api_url}: request failed: {exc}",
                    hint="check --api-url and the network; posture needs the API only when asked",
                ) from None
            finally:
                conn.close()
            self.requests += 1
            if resp.status in (301, 302, 307, 308) and "location" in headers:
                target = self._same_host(
                    urljoin(f"{self._scheme}://{self._netloc}{target}", headers["location"])
                )
                continue
            return resp.status, headers, body
        raise ApiError(f"{self.api_url}: too many redirects for {target}")

    def _same_host(self, url: str) -> str:
        """The path+query of `url` if it is on the API host; the token is never sent elsewhere."""
        parts = urlsplit(url)
        if parts.netloc != self._netloc or parts.scheme != self._scheme:
            raise ApiError(f"{self.api_url}: refusing to follow a link to another host: {parts.netloc}")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _rate_wait(self, status: int, headers: dict[str, str]) -> float | None:
        """Seconds to wait before retrying, when the answer is a rate-limit refusal."""
        if status not in (403, 429):
            return None
        if "retry-after" in headers:
            try:
                return float(headers["retry-after"])
            except ValueError:
                return MAX_RATE_WAIT
        remaining = headers.get("x-ratelimit-remaining", headers.get("ratelimit-remaining"))
        reset = headers.get("x-ratelimit-reset", headers.get("ratelimit-reset"))
        if remaining == "0" and reset is not None:
            try:
                return max(0.0, float(reset) - self._clock()) + 1.0
            except ValueError:
                return MAX_RATE_WAIT
        return None if status == 403 else MAX_RATE_WAIT

    def _page(self, target: str, transform: Transform | None) -> tuple[Response, str | None]:
        shown = self.display(target)
        file = self._cache_file(target)
        cached = self._load(file)
        etag = cached.get("etag") if cached else None
        for attempt in range(2):
            status, headers, raw = self._request(target, etag)
            wait = self._rate_wait(status, headers)
            if wait is None or attempt == 1:
                break
            if wait > MAX_RATE_WAIT:
                raise ApiError(
                    f"{self.api_url}: rate limit exhausted for {wait:.0f} s",
                    hint="run again later; cached answers (ETag) do not count against the limit",
                )
            self._sleep(wait)
        if status == 304 and cached is not None:
            self.revalidated += 1
            return Response(shown, 200, cached.get("body"), from_cache=True), cached.get("next")
        if status != 200:
            return Response(shown, status, error=need(self.platform, status, shown)), None
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            return Response(shown, 0, error=f"{shown}: the answer is not JSON"), None
        if transform is not None:
            body = transform(body)
        match = _LINK_NEXT.search(headers.get("link", ""))
        nxt = self._same_host(match.group(1)) if match else None
        if file is not None and headers.get("etag"):
            entry = {"etag": headers["etag"], "body": body, "next": nxt}
            write_atomic(file, json.dumps(entry, sort_keys=True))
        return Response(shown, 200, body), nxt

    def get(
        self, path: str, params: dict[str, str] | None = None, transform: Transform | None = None
    ) -> Response:
        """GET one resource (`path` relative to the API URL, e.g. /repos/o/r)."""
        target = self._target(path, params)
        response, _ = self._page(target, transform)
        return response

    def get_all(
        self, path: str, params: dict[str, str] | None = None, transform: Transform | None = None
    ) -> Response:
        """GET a list across pages (Link: rel="next"); GitHub's {total_count, <key>: [...]} shape is
        unwrapped by `transform` before pages are joined."""
        query = {"per_page": "100", **(params or {})}
        target: str | None = self._target(path, query)
        first = self.display(target or "")
        items: list[Any] = []
        cached = True
        for _ in range(MAX_PAGES):
            if target is None:
                break
            response, target = self._page(target, transform)
            if not response.ok:
                return Response(first, response.status, error=response.error)
            cached = cached and response.from_cache
            items.extend(response.body if isinstance(response.body, list) else [])
        return Response(first, 200, items, from_cache=cached)

    def _target(self, path: str, params: dict[str, str] | None) -> str:
        query = f"?{urlencode(sorted(params.items()))}" if params else ""
        return f"{self._base_path}{path}{query}"

    def display(self, target: str) -> str:
        """`target` without the API URL's own path prefix, as shown in evidence."""
        return target.removeprefix(self._base_path)
