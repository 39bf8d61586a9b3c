"""Release dates and health metadata from the package registries, through an opt-in cached client.

PyPI: the JSON API (`<base>/<name>/json`): each release's files with their upload time and yanked
flag, the classifiers (``Development Status :: 7 - Inactive``) and the project URLs. npm: the full
packument (`<base>/<name>`): the `time` map, each version's `deprecated` message, `maintainers`,
`repository`; the packument has no download count, so popularity comes from the separate downloads
API (`<downloads>/point/last-week/<name>`).

The client never touches the network unless asked (`online=True`); it then keeps a trimmed copy of
each answer on disk and reuses it for `ttl`. Offline, a cached copy of any age is used and its age
said; without one the answer is `Missing` with the reason.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit, urlunsplit

from secloop.core.cachedir import cache_root
from secloop.core.timestamps import parse_timestamp
from secloop.deps.cache import HostCache, cache_file, paused_gc
from secloop.deps.model import NPM, PYPI

PYPI_URL = "https://pypi.org/pypi"
NPM_URL = "https://registry.npmjs.org"
NPM_DOWNLOADS_URL = "https://api.npmjs.org/downloads"
CACHE_ENV = "SECLOOP_REGISTRY_CACHE"
ONLINE_ENV = "SECLOOP_REGISTRY_ONLINE"
CACHE_FORMAT = 1
_INACTIVE = "Development Status :: 7 - Inactive"
_USER_AGENT = "secloop-deps (+https://github.com/secloop/secloop)"


class Release(NamedTuple):  # a tuple, not a frozen dataclass: thousands are built per cached lockfile
    version: str
    published: datetime | None  # earliest upload; None when the registry does not say
    yanked: bool = False
    deprecated: str | None = None  # npm: the version's deprecation message


@dataclass(frozen=True, slots=True)
class PackageInfo:
    ecosystem: str
    name: str
    releases: tuple[Release, ...]
    latest: str | None
    inactive: str | None  # why the project says it is no longer maintained
    maintainers: int | None
    repository: str | None
    weekly_downloads: int | None
    source: str
    fetched_at: datetime

    def release(self, version: str) -> Release | None:
        return next((r for r in self.releases if r.version == version), None)


@dataclass(frozen=True, slots=True)
class Missing:
    ecosystem: str
    name: str
    reason: str


Lookup = PackageInfo | Missing


def parse_pypi(name: str, data: Mapping[str, Any], source: str, fetched_at: datetime) -> PackageInfo:
    info = data.get("info") or {}
    releases: list[Release] = []
    for version, files in (data.get("releases") or {}).items():
        files = [f for f in files or [] if isinstance(f, dict)]
        times = [
            t
            for t in (parse_timestamp(f.get("upload_time_iso_8601") or f.get("upload_time")) for f in files)
            if t
        ]
        yanked = bool(files) and all(f.get("yanked") for f in files)
        releases.append(Release(version, min(times) if times else None, yanked))
    classifiers = info.get("classifiers") or []
    urls = {k: u for k, u in (info.get("project_urls") or {}).items() if isinstance(u, str) and u}
    # A source-ish label first, then any GitHub link among the project URLs, then `home_page`.
    labels = ("source", "source code", "repository", "code", "github")
    repo = next((u for k, u in urls.items() if k.lower() in labels), None)
    repo = repo or next((u for u in urls.values() if "github.com/" in u.lower()), None)
    home = info.get("home_page")
    if repo is None and isinstance(home, str) and home:
        repo = home
    return PackageInfo(
        PYPI,
        name,
        tuple(releases),
        info.get("version"),
        f"classifier {_INACTIVE!r}" if _INACTIVE in classifiers else None,
        None,  # the JSON API names no maintainer accounts
        repo,
        None,  # `info.downloads` has been -1 since PyPI stopped counting
        source,
        fetched_at,
    )


def parse_npm(name: str, data: Mapping[str, Any], source: str, fetched_at: datetime) -> PackageInfo:
    times = data.get("time") or {}
    versions = data.get("versions") or {}
    releases = [
        Release(
            v,
            parse_timestamp(times.get(v)),
            False,
            meta.get("deprecated") if isinstance(meta, dict) and meta.get("deprecated") else None,
        )
        for v, meta in versions.items()
    ]
    # npm unpublishes rather than yanks: a version in `time` but not in `versions` is gone.
    releases += [
        Release(v, parse_timestamp(t), True)
        for v, t in times.items()
        if v not in versions and v not in ("created", "modified")
    ]
    latest = (data.get("dist-tags") or {}).get("latest")
    latest_release = next((r for r in releases if r.version == latest), None)
    repo = data.get("repository")
    repo_url = repo.get("url") if isinstance(repo, dict) else repo if isinstance(repo, str) else None
    maintainers = data.get("maintainers")
    return PackageInfo(
        NPM,
        name,
        tuple(releases),
        latest,
        f"deprecated: {latest_release.deprecated}" if latest_release and latest_release.deprecated else None,
        len(maintainers) if isinstance(maintainers, list) else None,
        repo_url,
        None,
        source,
        fetched_at,
    )


def _stored_time(text: str | None) -> datetime | None:
    """A time `_to_json` wrote (`isoformat()` of an aware datetime): the fast path of `_time`."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _to_json(info: PackageInfo) -> dict[str, Any]:
    data = asdict(info)
    data["format"] = CACHE_FORMAT
    data["fetched_at"] = info.fetched_at.isoformat()
    data["releases"] = [
        [r.version, r.published.isoformat() if r.published else None, r.yanked, r.deprecated]
        for r in info.releases
    ]
    return data


def _from_json(data: Mapping[str, Any]) -> PackageInfo | None:
    if data.get("format") != CACHE_FORMAT:
        return None
    fetched = parse_timestamp(data.get("fetched_at"))
    if fetched is None:
        return None
    return PackageInfo(
        data["ecosystem"],
        data["name"],
        tuple(Release(v, _stored_time(t), bool(y), d) for v, t, y, d in data["releases"]),
        data.get("latest"),
        data.get("inactive"),
        data.get("maintainers"),
        data.get("repository"),
        data.get("weekly_downloads"),
        data["source"],
        fetched,
    )


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else cache_root() / "registry"


# uv's own variables first (UV_DEFAULT_INDEX supersedes UV_INDEX_URL), then pip's.
INDEX_ENV = ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL")
NPM_ENV = ("SECLOOP_NPM_REGISTRY", "npm_config_registry", "NPM_CONFIG_REGISTRY")


def without_credentials(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def pypi_base_from_index(variable: str, url: str) -> tuple[str | None, str]:
    """The PyPI JSON API base an index URL implies, or None and why it is refused.

    A PEP 503 simple index whose path ends in `/simple` (pypi.org/simple, test.pypi.org/simple, a
    Warehouse-compatible mirror) serves the JSON API next to it: `…/simple` becomes `…/pypi`. Anything
    else (a devpi `+simple` index, a flat file server, a non-http scheme) has no JSON API to derive."""
    clean = without_credentials(url.strip())
    parts = urlsplit(clean)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return None, f"{variable}={clean!r} is not an http(s) URL"
    path = parts.path.rstrip("/")
    if not path.endswith("/simple") or path.endswith("/+simple"):
        return None, (
            f"{variable}={clean} is not a PyPI-style simple index (a path ending in /simple), so its JSON "
            "API cannot be derived; set `[registry] pypi_url` in .secloop/deps.toml or SECLOOP_PYPI_URL"
        )
    base = urlunsplit((parts.scheme, parts.netloc, path.removesuffix("/simple") + "/pypi", "", ""))
    return base, f"PyPI JSON API {base} derived from {variable}"


@dataclass(frozen=True)
class ClientSettings:
    cache_dir: Path = field(default_factory=default_cache_dir)
    online: bool = False
    ttl: timedelta = timedelta(hours=24)
    pypi_url: str = PYPI_URL
    npm_url: str = NPM_URL
    npm_downloads_url: str = NPM_DOWNLOADS_URL
    timeout: float = 10.0
    # Why PyPI is not asked at all: an index is configured whose JSON API cannot be derived. Asking
    # pypi.org instead would tell the public registry the names of private packages.
    pypi_refused: str | None = None
    origins: tuple[str, ...] = ()  # where non-default base URLs came from, said as evidence

    @classmethod
    def resolve(
        cls,
        *,
        online: bool,
        cache_dir: Path | None = None,
        ttl_hours: float = 24.0,
        pypi_url: str | None = None,
        npm_url: str | None = None,
        npm_downloads_url: str | None = None,
    ) -> ClientSettings:
        """Explicit values (configuration) first, then the environment, then the public registries.

        PyPI: SECLOOP_PYPI_URL (the JSON API base itself), else the first of UV_DEFAULT_INDEX,
        UV_INDEX_URL, PIP_INDEX_URL through `pypi_base_from_index`. npm: SECLOOP_NPM_REGISTRY, else
        npm's own npm_config_registry / NPM_CONFIG_REGISTRY. Credentials in a URL are dropped."""
        env = os.environ
        origins: list[str] = []
        refused = None
        pypi = pypi_url
        if pypi:
            origins.append(f"PyPI JSON API {without_credentials(pypi)} from the configuration")
        elif env.get("SECLOOP_PYPI_URL"):
            pypi = env["SECLOOP_PYPI_URL"]
            origins.append(f"PyPI JSON API {without_credentials(pypi)} from SECLOOP_PYPI_URL")
        else:
            variable = next((v for v in INDEX_ENV if env.get(v, "").strip()), None)
            if variable is not None:
                derived, note = pypi_base_from_index(variable, env[variable])
                pypi, refused = (derived, None) if derived else (None, note)
                origins.append(note if derived else f"PyPI not asked: {note}")
        npm = npm_url
        if npm:
            origins.append(f"npm registry {without_credentials(npm)} from the configuration")
        else:
            variable = next((v for v in NPM_ENV if env.get(v, "").strip()), None)
            if variable is not None:
                npm = env[variable]
                origins.append(f"npm registry {without_credentials(npm)} from {variable}")
        return cls(
            cache_dir or default_cache_dir(),
            online,
            timedelta(hours=ttl_hours),
            without_credentials(pypi or PYPI_URL).rstrip("/"),
            without_credentials(npm or NPM_URL).rstrip("/"),
            without_credentials(
                npm_downloads_url or env.get("SECLOOP_NPM_DOWNLOADS_URL") or NPM_DOWNLOADS_URL
            ).rstrip("/"),
            pypi_refused=refused,
            origins=tuple(origins),
        )


class RegistryClient:
    SUPPORTED = (PYPI, NPM)

    def __init__(self, settings: ClientSettings, *, now: datetime | None = None) -> None:
        self.settings = settings
        self.now = now or datetime.now(tz=UTC)
        self._caches: dict[str, HostCache] = {}

    def _cache(self, ecosystem: str) -> HostCache:
        cache = self._caches.get(ecosystem)
        if cache is None:
            base = self.settings.pypi_url if ecosystem == PYPI else self.settings.npm_url
            path = cache_file(self.settings.cache_dir, ecosystem.lower(), base)
            cache = self._caches.setdefault(ecosystem, HostCache(path, base))
        return cache

    def cached(self, ecosystem: str, name: str) -> PackageInfo | None:
        data = self._cache(ecosystem).get(name)
        info = _from_json(data) if isinstance(data, dict) else None
        return info if info is not None and info.name == name and info.ecosystem == ecosystem else None

    def _store(self, info: PackageInfo) -> None:
        self._cache(info.ecosystem).put(info.name, _to_json(info))

    def flush(self) -> None:
        """Write what was fetched since the last flush (one file per registry)."""
        for cache in list(self._caches.values()):
            cache.flush()

    def _get(self, url: str) -> Any:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"not an http(s) URL: {url}")
        headers = {"Accept": "application/json", "User-Agent": _USER_AGENT}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked above
        with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:  # noqa: S310  # nosec B310
            return json.loads(response.read())

    def _fetch(self, ecosystem: str, name: str) -> Lookup:
        s = self.settings
        if ecosystem == PYPI:
            url = f"{s.pypi_url}/{quote(name, safe='')}/json"
        else:
            url = f"{s.npm_url}/{quote(name, safe='@')}"  # a scope's slash is encoded: @scope%2Fname
        try:
            data = self._get(url)
        except urllib.error.HTTPError as exc:
            why = "not on the registry" if exc.code == 404 else f"HTTP {exc.code}"
            return Missing(ecosystem, name, f"{url}: {why}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            return Missing(ecosystem, name, f"{url}: {reason}")
        if not isinstance(data, dict):
            return Missing(ecosystem, name, f"{url}: not a JSON object")
        if ecosystem == PYPI:
            return parse_pypi(name, data, url, self.now)
        info = parse_npm(name, data, url, self.now)
        return _with_downloads(info, self._downloads(name))

    def _downloads(self, name: str) -> int | None:
        url = f"{self.settings.npm_downloads_url}/point/last-week/{name}"
        try:
            data = self._get(url)
        except (urllib.error.URLError, OSError, ValueError):
            return None
        value = data.get("downloads") if isinstance(data, dict) else None
        return value if isinstance(value, int) else None

    def lookup(self, ecosystem: str, name: str) -> Lookup:
        found = self._lookup(ecosystem, name)
        self.flush()
        return found

    def _lookup(self, ecosystem: str, name: str) -> Lookup:
        if ecosystem not in self.SUPPORTED:
            return Missing(ecosystem, name, f"no registry client for {ecosystem} (PyPI and npm only)")
        if ecosystem == PYPI and self.settings.pypi_refused:
            return Missing(ecosystem, name, self.settings.pypi_refused)
        self._cache(ecosystem)  # created here, before any thread needs it
        cached = self.cached(ecosystem, name)
        if cached is not None and (
            not self.settings.online or self.now - cached.fetched_at < self.settings.ttl
        ):
            return cached
        if not self.settings.online:
            return Missing(
                ecosystem,
                name,
                f"no cached {ecosystem} metadata and registry access is off (`--online` or {ONLINE_ENV}=1)",
            )
        fetched = self._fetch(ecosystem, name)
        if isinstance(fetched, PackageInfo):
            self._store(fetched)
            return fetched
        return cached if cached is not None else fetched  # a stale copy beats none

    def lookup_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Lookup]:
        unique = sorted(set(keys))
        for ecosystem in {e for e, _ in unique if e in self.SUPPORTED}:
            self._cache(ecosystem)
        if not self.settings.online or len(unique) < 2:
            with paused_gc():
                found = {k: self._lookup(*k) for k in unique}
        else:
            with ThreadPoolExecutor(max_workers=8) as pool:
                found = dict(zip(unique, pool.map(lambda k: self._lookup(*k), unique), strict=True))
        self.flush()
        return found


def _with_downloads(info: PackageInfo, downloads: int | None) -> PackageInfo:
    return info if downloads is None else replace(info, weekly_downloads=downloads)


def age_label(info: PackageInfo, now: datetime) -> str:
    hours = (now - info.fetched_at).total_seconds() / 3600
    return f"fetched {hours:.0f} h ago" if hours < 48 else f"fetched {hours / 24:.0f} days ago"
