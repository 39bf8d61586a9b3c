"""The registry cache: one JSON file per registry base URL, batched and merged writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from secloop.deps.cache import FORMAT, HostCache, cache_file
from secloop.deps.registry import ClientSettings, PackageInfo, RegistryClient
from tests.deps.conftest import RegistryServer

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def client(server: RegistryServer, cache: Path, *, online: bool = True) -> RegistryClient:
    settings = ClientSettings.resolve(
        online=online,
        cache_dir=cache,
        pypi_url=server.pypi,
        npm_url=server.npm,
        npm_downloads_url=server.downloads,
    )
    return RegistryClient(settings, now=NOW)


def test_cache_file_names_the_kind_and_host_and_tells_paths_apart(tmp_path: Path) -> None:
    a = cache_file(tmp_path, "pypi", "https://nexus.example:8443/repository/a/pypi")
    b = cache_file(tmp_path, "pypi", "https://nexus.example:8443/repository/b/pypi")
    assert a.parent == tmp_path
    assert a.name.startswith("pypi-nexus.example-") and a.name.endswith(".json")
    assert a != b


def test_one_file_per_registry_holds_every_package(registry_server: RegistryServer, tmp_path: Path) -> None:
    found = client(registry_server, tmp_path).lookup_many(
        [("PyPI", "oldpkg"), ("PyPI", "pyyaml"), ("npm", "lodash"), ("npm", "left-pad")]
    )
    assert all(isinstance(v, PackageInfo) for v in found.values())
    files = sorted(p.name for p in tmp_path.iterdir())
    assert [name.split("-")[:2] for name in files] == [["npm", "127.0.0.1"], ["pypi", "127.0.0.1"]]
    pypi = json.loads((tmp_path / files[1]).read_text())
    assert (pypi["format"], pypi["base"], sorted(pypi["entries"])) == (
        FORMAT,
        registry_server.pypi,
        ["oldpkg", "pyyaml"],
    )
    # Offline, a new client answers every package from the two files.
    asked = len(registry_server.requests)
    again = client(registry_server, tmp_path, online=False).lookup_many(found)
    assert again == found
    assert len(registry_server.requests) == asked


def test_writers_merge_and_a_damaged_or_foreign_file_is_ignored(
    registry_server: RegistryServer, tmp_path: Path
) -> None:
    first, second = client(registry_server, tmp_path), client(registry_server, tmp_path)
    first.cached("PyPI", "oldpkg")  # both have read the (empty) file before either writes
    second.cached("PyPI", "pyyaml")
    first.lookup("PyPI", "oldpkg")
    second.lookup("PyPI", "pyyaml")
    (path,) = tmp_path.glob("pypi-*.json")
    assert sorted(json.loads(path.read_text())["entries"]) == ["oldpkg", "pyyaml"]
    path.write_text("{not json")
    assert client(registry_server, tmp_path, online=False).cached("PyPI", "oldpkg") is None
    path.write_text(
        json.dumps({"format": FORMAT, "base": "https://elsewhere.example/pypi", "entries": {"oldpkg": {}}})
    )
    assert HostCache(path, registry_server.pypi).get("oldpkg") is None
    path.write_text(json.dumps({"format": 1, "base": registry_server.pypi, "entries": {"oldpkg": {"x": 1}}}))
    assert HostCache(path, registry_server.pypi).get("oldpkg") is None


def test_an_unwritable_cache_costs_a_refetch_only(registry_server: RegistryServer, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the cache directory should be
    c = client(registry_server, blocked / "cache")
    assert isinstance(c.lookup("PyPI", "oldpkg"), PackageInfo)
    assert isinstance(c.lookup("PyPI", "oldpkg"), PackageInfo)  # kept in memory for this client
    assert registry_server.requests == ["/pypi/oldpkg/json"]
