"""DEP-ARCHIVED: the GitHub repository a package names, asked through the opt-in cached client."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from secloop.core.enums import Severity, Status
from secloop.core.model import Skipped
from secloop.deps.forge import (
    GITHUB_API_URL,
    ForgeClient,
    ForgeSettings,
    RepoLookup,
    RepoState,
    github_repo,
)
from secloop.deps.health import assess_health, package_repo
from secloop.deps.model import NPM, PYPI, package
from secloop.deps.registry import Lookup, Missing, parse_pypi
from secloop.deps.settings import Policy
from tests.deps.conftest import RegistryServer, run_cli, write
from tests.deps.test_health import info

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def forge(server: RegistryServer, cache: Path, *, online: bool = True, now: datetime = NOW) -> ForgeClient:
    return ForgeClient(ForgeSettings.resolve(online=online, cache_dir=cache, api_url=server.github), now=now)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/yaml/pyyaml", "yaml/pyyaml"),
        ("https://github.com/Yaml/PyYAML/", "yaml/pyyaml"),
        ("git+https://github.com/example/left-pad.git", "example/left-pad"),
        ("git://github.com/example/lib.git", "example/lib"),
        ("git+ssh://git@github.com/example/lib.git", "example/lib"),
        ("git@github.com:example/lib.git", "example/lib"),
        ("github:example/lib", "example/lib"),
        ("https://www.github.com/example/lib/tree/main/packages/core", "example/lib"),
        ("https://github.com/example/lib#readme", "example/lib"),
        ("https://gitlab.com/example/lib", None),
        ("https://github.com/example", None),
        ("https://example.github.io/lib", None),
        ("https://notgithub.com/example/lib", None),
        ("example/lib", None),  # the bare shorthand is npm's only
        ("", None),
        (None, None),
    ],
)
def test_github_repo_from_the_url_forms_registries_carry(url: str | None, expected: str | None) -> None:
    assert github_repo(url) == expected


def test_npm_shorthand_and_pypi_home_page_name_the_repository() -> None:
    assert github_repo("example/lib", shorthand=True) == "example/lib"
    data = {
        "info": {
            "version": "1.0",
            "home_page": "https://github.com/example/fromhome",
            "project_urls": {"Documentation": "https://docs.example.invalid", "Issues": None},
        },
        "releases": {},
    }
    assert parse_pypi("x", data, "fixture", NOW).repository == "https://github.com/example/fromhome"
    data["info"]["project_urls"] = {"Bug Tracker": "https://github.com/example/tracked/issues"}
    assert parse_pypi("x", data, "fixture", NOW).repository == "https://github.com/example/tracked/issues"
    data["info"]["project_urls"] = {"Source Code": "https://gitlab.com/example/src"}
    assert parse_pypi("x", data, "fixture", NOW).repository == "https://gitlab.com/example/src"
    assert package_repo(info(PYPI, "pyyaml")) == "yaml/pyyaml"
    assert package_repo(info(PYPI, "examplepkg")) is None


def test_client_reads_archived_and_pushed_at_and_sends_the_token(
    registry_server: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "ghp_" + "t" * 8  # built at run time: no token-shaped literal in the repository
    monkeypatch.setenv("GITHUB_TOKEN", secret)
    states = forge(registry_server, tmp_path).lookup_many(["example/left-pad", "yaml/pyyaml"])
    assert states == {
        "example/left-pad": RepoState(
            "example/left-pad",
            True,
            datetime(2018, 4, 9, 18, 5, tzinfo=UTC),
            f"{registry_server.github}/repos/example/left-pad",
            NOW,
        ),
        "yaml/pyyaml": RepoState(
            "yaml/pyyaml",
            False,
            datetime(2026, 5, 20, 10, 11, 12, tzinfo=UTC),
            f"{registry_server.github}/repos/yaml/pyyaml",
            NOW,
        ),
    }
    assert sorted(registry_server.requests) == [
        "/github/repos/example/left-pad",
        "/github/repos/yaml/pyyaml",
    ]
    assert registry_server.authorizations == [f"Bearer {secret}"] * 2


def test_the_token_never_goes_over_plain_http_to_another_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "abc")
    monkeypatch.delenv("SECLOOP_GITHUB_API_URL", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    client = ForgeClient(ForgeSettings.resolve(online=True, cache_dir=tmp_path))
    assert client.settings.api_url == GITHUB_API_URL
    assert client._headers(f"{GITHUB_API_URL}/repos/a/b")["Authorization"] == "Bearer abc"
    assert "Authorization" not in client._headers("http://ghe.example.internal/api/v3/repos/a/b")
    # GitHub Actions sets GITHUB_API_URL (an Enterprise Server's API on GHES); configuration wins.
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.internal/api/v3/")
    assert ForgeSettings.resolve(online=False, cache_dir=tmp_path).api_url == (
        "https://ghe.example.internal/api/v3"
    )
    configured = ForgeSettings.resolve(online=False, cache_dir=tmp_path, api_url="https://u:pw@cfg.example/")
    assert configured.api_url == "https://cfg.example"  # credentials in a URL are dropped


def test_errors_offline_and_cache(registry_server: RegistryServer, tmp_path: Path) -> None:
    online = forge(registry_server, tmp_path)
    base = registry_server.github
    assert online.lookup("example/tiny-lib") == Missing(
        "GitHub", "example/tiny-lib", f"{base}/repos/example/tiny-lib: no such repository (or a private one)"
    )
    assert online.lookup("example/ratelimited") == Missing(
        "GitHub",
        "example/ratelimited",
        f"{base}/repos/example/ratelimited: HTTP 403, rate limited (set GITHUB_TOKEN)",
    )
    assert isinstance(online.lookup("example/lodash"), RepoState)
    asked = list(registry_server.requests)
    offline = forge(registry_server, tmp_path, online=False, now=NOW + timedelta(days=60))
    cached = offline.lookup("example/lodash")
    assert isinstance(cached, RepoState)
    assert (cached.archived, cached.fetched_at) == (False, NOW)
    assert offline.lookup("yaml/pyyaml") == Missing(
        "GitHub",
        "yaml/pyyaml",
        "no cached GitHub repository state and registry access is off "
        "(`--online` or SECLOOP_REGISTRY_ONLINE=1)",
    )
    assert registry_server.requests == asked
    within = forge(registry_server, tmp_path, now=NOW + timedelta(hours=23)).lookup("example/lodash")
    assert within == cached
    assert registry_server.requests == asked


def test_assess_health_raises_dep_archived_and_lists_the_unknown_part() -> None:
    pins = [
        package(NPM, "left-pad", "1.3.0", "package-lock.json", 4, direct=True),
        package(NPM, "lodash", "4.17.21", "package-lock.json", 2, direct=True),
        package(PYPI, "PyYAML", "6.0.2", "requirements.txt", 1, direct=True),
        package(PYPI, "examplepkg", "1.9.0", "requirements.txt", 2, direct=True),
    ]
    lookups: dict[tuple[str, str], Lookup] = {
        (NPM, "left-pad"): info(NPM, "left-pad", 2_500_000),
        (NPM, "lodash"): info(NPM, "lodash", 50_000_000),
        (PYPI, "pyyaml"): info(PYPI, "pyyaml"),
        (PYPI, "examplepkg"): info(PYPI, "examplepkg"),
    }
    repos: dict[str, RepoLookup] = {
        "example/left-pad": RepoState(
            "example/left-pad", True, datetime(2018, 4, 9, 18, 5, tzinfo=UTC), "fixture", NOW
        ),
        "example/lodash": RepoState("example/lodash", False, None, "fixture", NOW),
        "yaml/pyyaml": Missing("GitHub", "yaml/pyyaml", "no cached GitHub repository state"),
    }
    policy = Policy(unmaintained_days=3650)
    report = assess_health(pins, lookups, {}, NOW, policy, None, repos)
    archived = [f for f in report.health if f.rule_id == "DEP-ARCHIVED"]
    assert [(str(f.locations[0]), f.message, f.severity) for f in archived] == [
        (
            "package-lock.json:4",
            "left-pad's source repository github.com/example/left-pad is archived (GitHub API); "
            "last push 2018-04-09",
            Severity.MEDIUM,
        )
    ]
    assert dict(archived[0].properties)["repository"] == "github.com/example/left-pad"
    assert (report.archive_checked, report.archive_unknown, report.no_repository) == (2, 1, 1)
    assert report.archive_missing == (
        Skipped(
            "requirements.txt",
            "1 package(s) with a GitHub repository of unknown archived state: "
            "no cached GitHub repository state",
        ),
    )
    # Without repository states (the archived part not asked) nothing is said about it.
    plain = assess_health(pins, lookups, {}, NOW, policy)
    assert [f.rule_id for f in plain.health if f.rule_id == "DEP-ARCHIVED"] == []
    assert (plain.archive_checked, plain.archive_missing) == (0, ())


def _repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: RegistryServer, osv_dir: Path) -> Path:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780272000")
    monkeypatch.setenv("SECLOOP_OSV_DIR", str(osv_dir))
    monkeypatch.setenv("SECLOOP_REGISTRY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("SECLOOP_PYPI_URL", server.pypi)
    monkeypatch.delenv("SECLOOP_REGISTRY_ONLINE", raising=False)
    return write(tmp_path / "r", {"requirements.txt": "archivedpkg==2.1\nPyYAML==6.0.2\n"})


def test_scan_deps_online_reports_dep_archived_in_component_health(
    registry_server: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, osv_dir: Path
) -> None:
    root = _repo(tmp_path, monkeypatch, registry_server, osv_dir)
    out = run_cli(["scan", "deps", str(root), "--online", "--format", "json", "--fail-on", "critical"])
    assert out.code == 0, out.stderr
    health = next(p for p in json.loads(out.stdout)["practices"] if p["id"] == "build.component-health")
    assert health["status"] == "fail"
    assert [(f["rule"], f["severity"], f["message"]) for f in health["findings"]] == [
        (
            "DEP-ARCHIVED",
            "medium",
            "archivedpkg's source repository github.com/example/archivedpkg is archived (GitHub API); "
            "last push 2025-09-02",
        )
    ]
    assert (
        "archived: 2 GitHub repositor(ies) read from the GitHub API (cached), 0 unknown (listed as not "
        "checked), 0 package(s) name no GitHub repository in their registry metadata"
    ) in health["evidence"]
    assert "/github/repos/example/archivedpkg" in registry_server.requests


def test_offline_without_a_cached_repository_state_the_archived_part_is_unknown(
    registry_server: RegistryServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, osv_dir: Path
) -> None:
    from secloop.deps.forge import ForgeClient as Client

    root = _repo(tmp_path, monkeypatch, registry_server, osv_dir)
    # Registry metadata cached, GitHub state not: the health rules decide, the archived part is unknown.
    assert run_cli(["scan", "deps", str(root), "--online", "--fail-on", "none"]).code == 0
    (github,) = (tmp_path / "cache").glob("github-127.0.0.1-*.json")  # one file per API base URL
    github.unlink()
    asked = len(registry_server.requests)
    monkeypatch.setattr(Client, "_fetch", lambda self, repo: pytest.fail("offline must not fetch"))
    out = run_cli(["scan", "deps", str(root), "--registry", "--format", "json", "--fail-on", "none"])
    assert out.code == 0, out.stderr
    health = next(p for p in json.loads(out.stdout)["practices"] if p["id"] == "build.component-health")
    assert health["status"] == Status.PASS.value
    assert health["summary"] == (
        "2 package(s) with registry metadata are maintained, not withdrawn and not little used; whether 2 "
        "package(s)' GitHub repositories are archived is unknown: no cached GitHub repository state and "
        "registry access is off (`--online` or SECLOOP_REGISTRY_ONLINE=1)"
    )
    assert {
        "path": "requirements.txt",
        "reason": (
            "2 package(s) with a GitHub repository of unknown archived state: no cached GitHub repository "
            "state and registry access is off (`--online` or SECLOOP_REGISTRY_ONLINE=1)"
        ),
    } in [{k: s[k] for k in ("path", "reason")} for s in health["skipped"]]
    assert len(registry_server.requests) == asked
