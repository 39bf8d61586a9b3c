"""A small read-only JSON client for the forge APIs: GET only, ETag-cached on disk, Link pagination.

Every response with an ETag is kept under the cache directory (SECLOOP_CACHE_DIR, else the user cache
directory of secloop) in `api/`, keyed by the URL and a digest of the token (two tokens may see
different data; the token itself is never written). The next request for the URL sends
If-None-Match; a 304 answers from the cache and, on GitHub, does not count against the rate limit.
A failed request raises `ApiError`, which says whether the forge's rate limit stopped it, so a caller
that can do without an answer stops asking instead of spending the rest of the quota on refusals.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secloop import __version__
from secloop.core.cachedir import cache_root as _cache_root
from secloop.core.errors import InputError, UsageError

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
TIMEOUT = 30.0
# GitHub sends X-RateLimit-*, GitLab RateLimit-*; both give the reset as Unix seconds.
_REMAINING = ("X-RateLimit-Remaining", "RateLimit-Remaining")
_RESET = ("X-RateLimit-Reset", "RateLimit-Reset")


class ApiError(InputError):
    """A request that got no usable answer: ``detail`` is the message without the URL."""

    def __init__(
        self,
        url: str,
        detail: str,
        *,
        status: int | None = None,
        rate_limited: bool = False,
        hint: str | None = None,
    ) -> None:
        super().__init__(f"{_redact(url)}: {detail}", hint=hint)
        self.detail = detail
        self.status = status
        self.rate_limited = rate_limited


def cache_root() -> Path:
    return _cache_root() / "api"


@dataclass
class Client:
    """GET JSON from ``base`` with ``headers`` (the token's); counts what the cache saved."""

    base: str
    headers: dict[str, str]
    cache: Path = field(default_factory=cache_root)
    requests: int = 0
    not_modified: int = 0

    def _key(self, url: str) -> Path:
        auth = "\n".join(f"{k}:{v}" for k, v in sorted(self.headers.items()))
        digest = hashlib.sha256(f"{url}\n{auth}".encode()).hexdigest()
        return self.cache / digest[:2] / f"{digest}.json"

    def _cached(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and "etag" in data and "body" in data else None

    def _store(self, path: Path, etag: str, body: Any, next_url: str | None) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps({"etag": etag, "next": next_url, "body": body}), "utf-8")
            os.replace(temporary, path)
        except OSError:
            pass  # a cache that cannot be written only costs the next run a full response

    def get(self, path: str, params: dict[str, str] | None = None) -> tuple[Any, str | None]:
        """The decoded body of one page and the URL of the next page (from the Link header), if any."""
        url = path if "://" in path else self.base.rstrip("/") + path
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise UsageError(f"{_redact(url)}: only http and https API URLs are read")
        key = self._key(url)
        cached = self._cached(key)
        headers = {
            "Accept": "application/json",
            "User-Agent": f"secloop/{__version__}",
            **self.headers,
        }
        if cached is not None:
            headers["If-None-Match"] = str(cached["etag"])
        request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 (scheme checked)
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310  # nosec B310: http(s) base only
                raw = response.read()
                etag = response.headers.get("ETag")
                link = response.headers.get("Link") or ""
        except urllib.error.HTTPError as exc:
            if exc.code == 304 and cached is not None:
                self.not_modified += 1
                return cached["body"], cached.get("next")
            limited = _rate_limited(exc.code, exc.headers)
            hint = _limit_hint(exc.headers) if limited else _hint(exc.code)
            detail = f"HTTP {exc.code} {exc.reason}"
            raise ApiError(url, detail, status=exc.code, rate_limited=limited, hint=hint) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ApiError(url, f"cannot connect: {reason}") from None
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(url, "the response is not JSON") from None
        found = _NEXT.search(link)
        next_url = found.group(1) if found else None
        if etag:
            self._store(key, etag, body, next_url)
        return body, next_url

    def pages(self, path: str, params: dict[str, str], limit: int) -> list[Any]:
        """Every item of a paginated list, following Link rel="next" for at most ``limit`` pages."""
        return self.walk(path, params, limit)[0]

    def walk(self, path: str, params: dict[str, str], limit: int) -> tuple[list[Any], bool]:
        """As `pages`, and whether pages were left unread after ``limit``."""
        items: list[Any] = []
        url: str | None = path
        first = True
        for _ in range(limit):
            if url is None:
                break
            body, url = self.get(url, params if first else None)
            first = False
            if not isinstance(body, list):
                raise ApiError(self.base + path, "expected a JSON array")
            items.extend(body)
        return items, url is not None


def _redact(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _rate_limited(code: int, headers: Any) -> bool:
    if code == 429:
        return True
    return code == 403 and any(headers is not None and headers.get(h) == "0" for h in _REMAINING)


def _limit_hint(headers: Any) -> str:
    reset = next((headers.get(h) for h in _RESET if headers is not None and headers.get(h)), None)
    when = ""
    if reset is not None and str(reset).isdigit():
        when = f" (it resets at {datetime.fromtimestamp(int(reset), tz=UTC):%Y-%m-%dT%H:%M:%SZ})"
    return f"the API rate limit is used up{when}; run again then: what is cached costs only 304s"


def _hint(code: int) -> str | None:
    if code in (401, 403):
        return "check the token (GITHUB_TOKEN / GITLAB_TOKEN) and that it may read the repository"
    if code == 404:
        return "check the OWNER/REPO (or GROUP/PROJECT) and the API base URL"
    return None
