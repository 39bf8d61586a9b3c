"""The registry client against a loopback server: parsing, cache and TTL, offline mode, overrides."""

from __future__ import annotations

import urllib.error
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secloop.deps.registry import (
    NPM_URL,
    PYPI_URL,
    ClientSettings,
    Missing,
    PackageInfo,
    RegistryClient,
    Release,
)
from tests.deps.conftest import RegistryServer

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def client(
    server: RegistryServer, cache: Path, *, online: bool = True, now: datetime = NOW
) -> RegistryClient:
    settings = ClientSettings.resolve(
        online=online,
        cache_dir=cache,
        pypi_url=server.pypi,
        npm_url=server.npm,
        npm_downloads_url=server.downloads,
    )
    return RegistryClient(settings, now=now)


def test_pypi_json_api_release_times_yanked_and_classifiers(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    info = client(registry_server, tmp_path).lookup("PyPI", "examplepkg")
    assert isinstance(info, PackageInfo)
    assert info.releases == (
        Release("1.9.0", datetime(2026, 1, 10, 8, tzinfo=UTC), False),
        Release("1.9.1", datetime(2026, 2, 1, 8, tzinfo=UTC), True),
        Release("2.0.0", datetime(2026, 5, 25, 8, tzinfo=UTC), False),
    )
    assert info.latest == "2.0.0"
    assert info.inactive is None
    assert info.source == f"{registry_server.pypi}/examplepkg/json"
    assert info.weekly_downloads is None
    inactive = client(registry_server, tmp_path).lookup("PyPI", "inactivepkg")
    assert isinstance(inactive, PackageInfo)
    assert inactive.inactive == "classifier 'Development Status :: 7 - Inactive'"
    pyyaml = client(registry_server, tmp_path).lookup("PyPI", "pyyaml")
    assert isinstance(pyyaml, PackageInfo)
    assert pyyaml.repository == "https://github.com/yaml/pyyaml"


def test_npm_packument_time_deprecated_maintainers_and_downloads(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    info = client(registry_server, tmp_path).lookup("npm", "left-pad")
    assert isinstance(info, PackageInfo)
    assert info.release("1.3.0") == Release(
        "1.3.0",
        datetime(2018, 4, 9, 18, 3, 6, 63000, tzinfo=UTC),
        False,
        "use String.prototype.padStart()",
    )
    assert info.inactive == "deprecated: use String.prototype.padStart()"
    assert info.maintainers == 1
    assert info.weekly_downloads == 2_500_000
    assert info.repository == "git+https://github.com/example/left-pad.git"
    scoped = client(registry_server, tmp_path).lookup("npm", "@scope/tiny-lib")
    assert isinstance(scoped, PackageInfo)
    assert scoped.weekly_downloads == 12
    assert "/npm/@scope%2Ftiny-lib" in registry_server.requests
    assert "/downloads/point/last-week/@scope/tiny-lib" in registry_server.requests


def test_cache_is_reused_within_the_ttl_and_refreshed_after(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    first = client(registry_server, tmp_path).lookup("PyPI", "oldpkg")
    again = client(registry_server, tmp_path, now=NOW + timedelta(hours=23)).lookup("PyPI", "oldpkg")
    assert isinstance(first, PackageInfo)
    assert again == first
    assert registry_server.requests == ["/pypi/oldpkg/json"]
    later = client(registry_server, tmp_path, now=NOW + timedelta(hours=25)).lookup("PyPI", "oldpkg")
    assert isinstance(later, PackageInfo)
    assert later.fetched_at == NOW + timedelta(hours=25)
    assert registry_server.requests == ["/pypi/oldpkg/json", "/pypi/oldpkg/json"]


def test_offline_uses_a_cached_copy_of_any_age_and_never_the_network(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    client(registry_server, tmp_path).lookup("PyPI", "oldpkg")
    offline = client(registry_server, tmp_path, online=False, now=NOW + timedelta(days=90))
    cached = offline.lookup("PyPI", "oldpkg")
    assert isinstance(cached, PackageInfo)
    assert cached.fetched_at == NOW
    assert offline.lookup("PyPI", "pyyaml") == Missing(
        "PyPI",
        "pyyaml",
        "no cached PyPI metadata and registry access is off (`--online` or SECLOOP_REGISTRY_ONLINE=1)",
    )
    assert registry_server.requests == ["/pypi/oldpkg/json"]


def test_errors_are_missing_with_the_url_and_a_stale_copy_beats_none(
    registry_server: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    c = client(registry_server, tmp_path)
    assert c.lookup("PyPI", "nosuchpkg") == Missing(
        "PyPI", "nosuchpkg", f"{registry_server.pypi}/nosuchpkg/json: not on the registry"
    )
    assert c.lookup("PyPI", "broken") == Missing(
        "PyPI", "broken", f"{registry_server.pypi}/broken/json: HTTP 500"
    )
    assert c.lookup("Maven", "org.example:lib") == Missing(
        "Maven", "org.example:lib", "no registry client for Maven (PyPI and npm only)"
    )
    c.lookup("PyPI", "oldpkg")
    # The registry cannot be reached three days later: the copy past its TTL is used.
    down = client(registry_server, tmp_path, now=NOW + timedelta(days=3))

    def unreachable(url: str) -> object:
        raise urllib.error.URLError("connection refused")

    monkeypatch.setattr(down, "_get", unreachable)
    stale = down.lookup("PyPI", "oldpkg")
    assert isinstance(stale, PackageInfo)
    assert stale.fetched_at == NOW
    # A copy is reused only for the registry it came from: another base URL has its own cache file.
    other = RegistryClient(
        ClientSettings.resolve(online=False, cache_dir=tmp_path, pypi_url="http://127.0.0.1:9/pypi"), now=NOW
    )
    assert isinstance(other.lookup("PyPI", "oldpkg"), Missing)


def test_base_urls_from_configuration_then_environment_then_public(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("SECLOOP_PYPI_URL", "SECLOOP_NPM_REGISTRY", "npm_config_registry", "NPM_CONFIG_REGISTRY"):
        monkeypatch.delenv(name, raising=False)
    default = ClientSettings.resolve(online=False, cache_dir=tmp_path)
    assert (default.pypi_url, default.npm_url) == (PYPI_URL, NPM_URL)
    monkeypatch.setenv("SECLOOP_PYPI_URL", "https://mirror.example/pypi/")
    monkeypatch.setenv("npm_config_registry", "https://npm.example/")
    env = ClientSettings.resolve(online=False, cache_dir=tmp_path)
    assert (env.pypi_url, env.npm_url) == ("https://mirror.example/pypi", "https://npm.example")
    explicit = ClientSettings.resolve(online=False, cache_dir=tmp_path, pypi_url="https://cfg.example/pypi")
    assert explicit.pypi_url == "https://cfg.example/pypi"


def test_lookup_many_fetches_in_parallel_once_per_package(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    found = client(registry_server, tmp_path).lookup_many(
        [("PyPI", "oldpkg"), ("npm", "lodash"), ("PyPI", "oldpkg"), ("PyPI", "pyyaml")]
    )
    assert sorted(found) == [("PyPI", "oldpkg"), ("PyPI", "pyyaml"), ("npm", "lodash")]
    assert all(isinstance(v, PackageInfo) for v in found.values())
    assert sorted(registry_server.requests) == [
        "/downloads/point/last-week/lodash",
        "/npm/lodash",
        "/pypi/oldpkg/json",
        "/pypi/pyyaml/json",
    ]
