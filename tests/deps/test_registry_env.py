"""Registry base URLs from the standard environment variables (pip, uv, npm); configuration wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.deps.registry import (
    NPM_URL,
    PYPI_URL,
    ClientSettings,
    Missing,
    PackageInfo,
    RegistryClient,
    pypi_base_from_index,
)
from tests.deps.conftest import RegistryServer, run_cli, write

VARIABLES = (
    "SECLOOP_PYPI_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX_URL",
    "PIP_INDEX_URL",
    "SECLOOP_NPM_REGISTRY",
    "npm_config_registry",
    "NPM_CONFIG_REGISTRY",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://pypi.org/simple", "https://pypi.org/pypi"),
        ("https://pypi.org/simple/", "https://pypi.org/pypi"),
        ("https://test.pypi.org/simple/", "https://test.pypi.org/pypi"),
        (
            "https://nexus.example/repository/pypi-proxy/simple",
            "https://nexus.example/repository/pypi-proxy/pypi",
        ),
        ("https://user:secret@mirror.example:8443/simple/", "https://mirror.example:8443/pypi"),
        ("http://127.0.0.1:3141/simple", "http://127.0.0.1:3141/pypi"),
    ],
)
def test_a_simple_index_implies_its_json_api(url: str, base: str) -> None:
    assert pypi_base_from_index("PIP_INDEX_URL", url) == (
        base,
        f"PyPI JSON API {base} derived from PIP_INDEX_URL",
    )


@pytest.mark.parametrize(
    ("url", "why"),
    [
        (
            "https://devpi.example/root/pypi/+simple/",
            "PIP_INDEX_URL=https://devpi.example/root/pypi/+simple/ is not a PyPI-style simple index",
        ),
        ("https://files.example/wheels/", "PIP_INDEX_URL=https://files.example/wheels/ is not a PyPI-style"),
        (
            "https://u:pw@files.example/wheels",
            "PIP_INDEX_URL=https://files.example/wheels is not a PyPI-style",
        ),
        ("file:///opt/wheels/simple", "PIP_INDEX_URL='file:///opt/wheels/simple' is not an http(s) URL"),
        ("/opt/wheels", "PIP_INDEX_URL='/opt/wheels' is not an http(s) URL"),
    ],
)
def test_other_indexes_are_refused_and_credentials_never_repeated(url: str, why: str) -> None:
    base, note = pypi_base_from_index("PIP_INDEX_URL", url)
    assert base is None
    assert note.startswith(why)
    assert "pw@" not in note


def test_precedence_configuration_then_secloop_then_uv_then_pip(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def resolved(pypi_url: str | None = None) -> tuple[str, str | None, tuple[str, ...]]:
        s = ClientSettings.resolve(online=False, cache_dir=tmp_path, pypi_url=pypi_url)
        return s.pypi_url, s.pypi_refused, s.origins

    assert resolved() == (PYPI_URL, None, ())
    monkeypatch.setenv("PIP_INDEX_URL", "https://pip.example/simple/")
    assert resolved() == (
        "https://pip.example/pypi",
        None,
        ("PyPI JSON API https://pip.example/pypi derived from PIP_INDEX_URL",),
    )
    monkeypatch.setenv("UV_INDEX_URL", "https://uv-old.example/simple")
    assert resolved()[0] == "https://uv-old.example/pypi"
    monkeypatch.setenv("UV_DEFAULT_INDEX", "https://uv.example/wheels")
    url, refused, origins = resolved()
    assert (url, refused) == (
        PYPI_URL,
        "UV_DEFAULT_INDEX=https://uv.example/wheels is not a PyPI-style simple index (a path ending in "
        "/simple), so its JSON API cannot be derived; set `[registry] pypi_url` in .secloop/deps.toml or "
        "SECLOOP_PYPI_URL",
    )
    assert origins == (f"PyPI not asked: {refused}",)
    monkeypatch.setenv("SECLOOP_PYPI_URL", "https://secloop.example/pypi/")
    assert resolved() == (
        "https://secloop.example/pypi",
        None,
        ("PyPI JSON API https://secloop.example/pypi/ from SECLOOP_PYPI_URL",),
    )
    assert resolved("https://cfg.example/pypi") == (
        "https://cfg.example/pypi",
        None,
        ("PyPI JSON API https://cfg.example/pypi from the configuration",),
    )


def test_npm_registry_from_npm_config_registry_in_either_spelling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def npm(npm_url: str | None = None) -> tuple[str, tuple[str, ...]]:
        s = ClientSettings.resolve(online=False, cache_dir=tmp_path, npm_url=npm_url)
        return s.npm_url, s.origins

    assert npm() == (NPM_URL, ())
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", "https://npm-upper.example/")
    assert npm() == (
        "https://npm-upper.example",
        ("npm registry https://npm-upper.example/ from NPM_CONFIG_REGISTRY",),
    )
    monkeypatch.setenv("npm_config_registry", "https://user:tok@npm.example/")
    assert npm() == ("https://npm.example", ("npm registry https://npm.example/ from npm_config_registry",))
    monkeypatch.setenv("SECLOOP_NPM_REGISTRY", "https://secloop-npm.example")
    assert npm()[0] == "https://secloop-npm.example"
    assert npm("https://cfg-npm.example") == (
        "https://cfg-npm.example",
        ("npm registry https://cfg-npm.example from the configuration",),
    )


def test_a_derived_index_is_asked_and_a_refused_one_asks_nobody(
    registry_server: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_INDEX_URL", f"{registry_server.base}/simple/")
    monkeypatch.setenv("npm_config_registry", registry_server.npm)
    monkeypatch.setenv("SECLOOP_NPM_DOWNLOADS_URL", registry_server.downloads)
    settings = ClientSettings.resolve(online=True, cache_dir=tmp_path / "a")
    found = RegistryClient(settings).lookup_many([("PyPI", "examplepkg"), ("npm", "lodash")])
    assert all(isinstance(v, PackageInfo) for v in found.values())
    assert sorted(registry_server.requests) == [
        "/downloads/point/last-week/lodash",
        "/npm/lodash",
        "/pypi/examplepkg/json",
    ]
    # A private index whose JSON API cannot be derived: PyPI is not asked, pypi.org least of all.
    monkeypatch.setenv("PIP_INDEX_URL", f"{registry_server.base}/wheels/")
    refused = ClientSettings.resolve(online=True, cache_dir=tmp_path / "b")
    lookup = RegistryClient(refused).lookup("PyPI", "examplepkg")
    assert isinstance(lookup, Missing)
    assert lookup.reason.startswith(f"PIP_INDEX_URL={registry_server.base}/wheels/ is not a PyPI-style")
    assert len(registry_server.requests) == 3


def test_configuration_wins_over_the_environment_end_to_end(
    registry_server: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, osv_dir: Path
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780272000")
    monkeypatch.setenv("SECLOOP_OSV_DIR", str(osv_dir))
    monkeypatch.setenv("SECLOOP_REGISTRY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("UV_DEFAULT_INDEX", "https://private.example/wheels/")  # refused if it decided
    root = write(
        tmp_path / "r",
        {
            "requirements.txt": "examplepkg==1.9.0\n",
            ".secloop/deps.toml": f'[registry]\npypi_url = "{registry_server.pypi}"\n',
        },
    )
    out = run_cli(["scan", "deps", str(root), "--online", "--format", "json", "--fail-on", "none"])
    assert out.code == 0, out.stderr
    health = next(p for p in json.loads(out.stdout)["practices"] if p["id"] == "build.component-health")
    assert health["evidence"][0].endswith(f"; PyPI JSON API {registry_server.pypi} from the configuration")
    assert registry_server.requests == ["/pypi/examplepkg/json"]


def test_the_registry_cache_lives_under_the_shared_cache_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secloop.deps.registry import default_cache_dir

    monkeypatch.delenv("SECLOOP_REGISTRY_CACHE", raising=False)
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(tmp_path / "caches"))
    assert default_cache_dir() == tmp_path / "caches" / "registry"
    monkeypatch.setenv("SECLOOP_REGISTRY_CACHE", str(tmp_path / "own"))
    assert default_cache_dir() == tmp_path / "own"
