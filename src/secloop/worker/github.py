"""An organisation's repositories through the GitHub REST API (`GET /orgs/{org}/repos`, every page).

The token comes from the environment (GITHUB_TOKEN), never from an option, so it stays out of shell
history and process lists. The base URL can point at GitHub Enterprise; plain http is accepted only
for a loopback address (a local fake in tests), so a token never crosses a network unencrypted.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import quote, urlsplit

from secloop.core.errors import UsageError

DEFAULT_API = "https://api.github.com"
PER_PAGE = 100
MAX_PAGES = 100
TIMEOUT = 30.0
_ORG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")


@dataclass(frozen=True)
class OrgRepository:
    full_name: str
    clone_url: str
    archived: bool


def _loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_url(base: str) -> str:
    parts = urlsplit(base)
    if parts.scheme == "https" and parts.hostname:
        return base.rstrip("/")
    if parts.scheme == "http" and _loopback(parts.hostname):
        return base.rstrip("/")
    raise UsageError(
        f"refusing the GitHub API URL {base[:200]!r}",
        hint="use https:// (plain http only to a loopback address)",
    )


def _get(url: str, token: str | None) -> list[dict[str, object]]:
    request = urllib.request.Request(url, headers={"Accept": "application/vnd.github+json"})  # noqa: S310
    request.add_header("X-GitHub-Api-Version", "2022-11-28")
    request.add_header("User-Agent", "secloop")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310  # nosec B310: scheme checked
            data = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        hint = (
            "set GITHUB_TOKEN to a token that may read the organisation" if exc.code in (401, 403) else None
        )
        raise UsageError(f"the GitHub API answered {exc.code} for {url}", hint=hint) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise UsageError(f"cannot reach the GitHub API at {url}: {exc}") from None
    except json.JSONDecodeError:
        raise UsageError(f"the GitHub API sent something that is not JSON for {url}") from None
    if not isinstance(data, list):
        raise UsageError(f"the GitHub API did not answer a list of repositories for {url}")
    return [item for item in data if isinstance(item, dict)]


def org_repositories(org: str, token: str | None, base: str = DEFAULT_API) -> list[OrgRepository]:
    """Every repository of `org` the token may see, by name."""
    if not _ORG.match(org):
        raise UsageError(f"not a GitHub organisation name: {org[:80]!r}")
    api = check_api_url(base)
    found: list[OrgRepository] = []
    for page in range(1, MAX_PAGES + 1):
        items = _get(f"{api}/orgs/{quote(org)}/repos?type=all&per_page={PER_PAGE}&page={page}", token)
        for item in items:
            name, url = item.get("full_name"), item.get("clone_url")
            if isinstance(name, str) and isinstance(url, str):
                found.append(OrgRepository(name, url, item.get("archived") is True))
        if len(items) < PER_PAGE:
            break
    return sorted(found, key=lambda r: r.full_name)
