"""`secloop sbom`: CycloneDX 1.6 JSON of the pinned dependencies, schema-valid, byte-identical per commit."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from secloop.deps.model import CRATES, GO, NPM, PACKAGIST, PYPI, RUBYGEMS
from secloop.deps.sbom import build, purl
from secloop.deps.scan import inventory
from secloop.sources.repo import Repo
from tests.deps.conftest import run_cli, write

WHEN = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)

REQUIREMENTS = """\
Flask_Login==0.6.3
zope.interface==6.2
-e ./local
requests>=2
"""
PACKAGE_LOCK = """\
{
  "name": "web",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "web",
      "dependencies": {"@babel/core": "^7.24.0"},
      "devDependencies": {"mocha": "^10.0.0"}
    },
    "node_modules/@babel/core": {"version": "7.24.0"},
    "node_modules/mocha": {"version": "10.2.0", "dev": true},
    "node_modules/minimist": {"version": "1.2.5"}
  }
}
"""
CARGO_LOCK = """\
version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["serde"]

[[package]]
name = "serde"
version = "1.0.197"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "itoa"
version = "1.0.10"
source = "registry+https://github.com/rust-lang/crates.io-index"
"""
GO_MOD = """\
module example.com/app

go 1.21

require (
	github.com/gin-gonic/gin v1.9.1
	golang.org/x/text v0.3.7 // indirect
)
"""
GEMFILE_LOCK = """\
GEM
  remote: https://rubygems.org/
  specs:
    racc (1.7.3)
    rails (7.1.3)
      racc (~> 1.4)

PLATFORMS
  ruby

DEPENDENCIES
  rails
"""
COMPOSER_LOCK = """\
{
    "packages": [{"name": "Psr/Log", "version": "1.1.4"}],
    "packages-dev": []
}
"""
FILES = {
    "requirements.txt": REQUIREMENTS,
    "web/package-lock.json": PACKAGE_LOCK,
    "Cargo.lock": CARGO_LOCK,
    "go.mod": GO_MOD,
    "Gemfile.lock": GEMFILE_LOCK,
    "composer.lock": COMPOSER_LOCK,
}


def git(root: Path, *args: str) -> None:
    date = "2026-09-01T10:00:00Z"
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.invalid",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.invalid",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
        },
    )


def committed(root: Path, files: dict[str, str]) -> Path:
    write(root, files)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "lockfiles")
    return root


def document(root: Path) -> dict[str, Any]:
    repo = Repo(root)
    loaded: dict[str, Any] = json.loads(build(inventory(repo), repo.root.name, WHEN).text)
    return loaded


def components(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["purl"]: c for c in doc["components"]}


def props(component: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["name"], p["value"]) for p in component["properties"]]


def assert_valid(text: str) -> None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    assert error is None, str(error)


@pytest.mark.parametrize(
    ("ecosystem", "name", "version", "expected"),
    [
        (PYPI, "flask-login", "0.6.3", "pkg:pypi/flask-login@0.6.3"),
        (NPM, "@babel/core", "7.24.0", "pkg:npm/%40babel/core@7.24.0"),
        (NPM, "lodash", "4.17.20", "pkg:npm/lodash@4.17.20"),
        (CRATES, "serde", "1.0.197+build.1", "pkg:cargo/serde@1.0.197%2Bbuild.1"),
        (GO, "github.com/gin-gonic/gin", "1.9.1", "pkg:golang/github.com/gin-gonic/gin@v1.9.1"),
        (RUBYGEMS, "rails", "7.1.3", "pkg:gem/rails@7.1.3"),
        (PACKAGIST, "psr/log", "1.1.4", "pkg:composer/psr/log@1.1.4"),
        ("Maven", "org.example:lib", "1.0", "pkg:maven/org.example/lib@1.0"),
        ("NuGet", "Newtonsoft.Json", "12.0.3", "pkg:nuget/Newtonsoft.Json@12.0.3"),
        ("Hex", "phoenix", "1.7.0", None),
    ],
)
def test_purl_per_ecosystem(ecosystem: str, name: str, version: str, expected: str | None) -> None:
    assert purl(ecosystem, name, version) == expected


def test_components_have_exact_purls_and_direct_or_transitive(tmp_path: Path) -> None:
    doc = document(write(tmp_path / "repo", FILES))
    found = components(doc)
    assert list(found) == [
        "pkg:cargo/itoa@1.0.10",
        "pkg:cargo/serde@1.0.197",
        "pkg:composer/psr/log@1.1.4",
        "pkg:gem/racc@1.7.3",
        "pkg:gem/rails@7.1.3",
        "pkg:golang/github.com/gin-gonic/gin@v1.9.1",
        "pkg:golang/golang.org/x/text@v0.3.7",
        "pkg:npm/%40babel/core@7.24.0",
        "pkg:npm/minimist@1.2.5",
        "pkg:npm/mocha@10.2.0",
        "pkg:pypi/flask-login@0.6.3",
        "pkg:pypi/zope-interface@6.2",
    ]
    for ref, component in found.items():
        assert component["bom-ref"] == ref
    babel = found["pkg:npm/%40babel/core@7.24.0"]
    assert (babel["name"], babel["version"], babel["scope"]) == ("@babel/core", "7.24.0", "required")
    assert props(babel) == [
        ("secloop:dependency", "direct"),
        ("secloop:ecosystem", "npm"),
        ("secloop:lockfile", "web/package-lock.json"),
    ]
    assert props(found["pkg:npm/minimist@1.2.5"])[0] == ("secloop:dependency", "transitive")
    assert found["pkg:npm/mocha@10.2.0"]["scope"] == "excluded"  # a dev-only pin
    assert props(found["pkg:cargo/itoa@1.0.10"])[0] == ("secloop:dependency", "transitive")
    assert props(found["pkg:golang/golang.org/x/text@v0.3.7"])[0] == ("secloop:dependency", "transitive")
    assert props(found["pkg:pypi/flask-login@0.6.3"]) == [
        ("secloop:dependency", "direct"),
        ("secloop:ecosystem", "PyPI"),
        ("secloop:lockfile", "requirements.txt"),
    ]
    assert doc["dependencies"] == [
        {
            "ref": "repository",
            "dependsOn": [
                "pkg:cargo/serde@1.0.197",
                "pkg:gem/rails@7.1.3",
                "pkg:golang/github.com/gin-gonic/gin@v1.9.1",
                "pkg:npm/%40babel/core@7.24.0",
                "pkg:npm/mocha@10.2.0",
                "pkg:pypi/flask-login@0.6.3",
                "pkg:pypi/zope-interface@6.2",
            ],
        }
    ]


def test_one_component_per_package_version_lists_every_lockfile(tmp_path: Path) -> None:
    root = write(
        tmp_path / "repo",
        {"a/requirements.txt": "six==1.16.0\n", "b/requirements.txt": "six==1.16.0\nsix==1.16.0\n"},
    )
    doc = document(root)
    assert [c["purl"] for c in doc["components"]] == ["pkg:pypi/six@1.16.0"]
    assert props(doc["components"][0])[2:] == [
        ("secloop:lockfile", "a/requirements.txt"),
        ("secloop:lockfile", "b/requirements.txt"),
    ]


def test_metadata_names_the_tool_the_repository_and_the_time(tmp_path: Path) -> None:
    doc = document(write(tmp_path / "shop", FILES))
    assert doc["bomFormat"] == "CycloneDX"
    assert doc["specVersion"] == "1.6"
    assert doc["serialNumber"].startswith("urn:uuid:")
    assert doc["metadata"]["timestamp"] == "2026-09-01T10:00:00Z"
    assert doc["metadata"]["tools"] == {
        "components": [{"type": "application", "name": "secloop", "version": "0.1.0"}]
    }
    assert doc["metadata"]["component"] == {"type": "application", "bom-ref": "repository", "name": "shop"}


def test_skipped_dependencies_are_not_components(tmp_path: Path) -> None:
    repo = Repo(write(tmp_path / "repo", {"requirements.txt": REQUIREMENTS}))
    sbom = build(inventory(repo), "repo", WHEN)
    assert sbom.components == 2
    assert [(s.path, s.line, s.reason) for s in sbom.skipped] == [
        ("requirements.txt", 3, "editable requirement `./local`: not a registry release"),
        ("requirements.txt", 4, "`requests>=2` not pinned: cannot match exactly"),
    ]


def test_output_is_schema_valid(tmp_path: Path) -> None:
    repo = Repo(write(tmp_path / "repo", FILES))
    assert_valid(build(inventory(repo), "repo", WHEN).text)
    assert_valid(build(inventory(Repo(write(tmp_path / "empty", {"README.md": "x\n"}))), "empty", WHEN).text)


def test_the_serial_number_follows_the_content(tmp_path: Path) -> None:
    one = document(write(tmp_path / "one", {"requirements.txt": "six==1.16.0\n"}))
    two = document(write(tmp_path / "two", {"requirements.txt": "six==1.15.0\n"}))
    assert one["serialNumber"] != two["serialNumber"]


def test_cli_same_commit_gives_byte_identical_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = committed(tmp_path / "repo", FILES)
    first = run_cli(["sbom", str(root)])
    second = run_cli(["sbom", str(root)])
    assert first.code == second.code == 0
    assert first.stdout == second.stdout
    doc = json.loads(first.stdout)
    assert doc["metadata"]["timestamp"] == "2026-09-01T10:00:00Z"  # HEAD's commit time
    assert_valid(first.stdout)


def test_cli_writes_the_file_and_lists_the_skipped(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", {"requirements.txt": REQUIREMENTS})
    out = tmp_path / "out" / "bom.json"
    out.parent.mkdir()
    outcome = run_cli(["sbom", str(root), "--output", str(out)])
    assert outcome.code == 0
    assert outcome.stdout == ""
    text = out.read_text("utf-8")
    assert_valid(text)
    assert [c["purl"] for c in json.loads(text)["components"]] == [
        "pkg:pypi/flask-login@0.6.3",
        "pkg:pypi/zope-interface@6.2",
    ]
    assert outcome.stderr.splitlines() == [
        "not in the SBOM: requirements.txt:3: editable requirement `./local`: not a registry release",
        "not in the SBOM: requirements.txt:4: `requests>=2` not pinned: cannot match exactly",
        f"wrote {out}: 2 component(s)",
    ]


def test_cli_fixture_lockfiles_only_with_include_fixtures(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", {"tests/data/requirements.txt": "six==1.16.0\n"})
    plain = run_cli(["sbom", str(root)])
    assert json.loads(plain.stdout)["components"] == []
    assert "not in the SBOM: tests/data/requirements.txt: under a test, example" in plain.stderr
    included = run_cli(["sbom", str(root), "--include-fixtures"])
    assert [c["purl"] for c in json.loads(included.stdout)["components"]] == ["pkg:pypi/six@1.16.0"]


def test_cli_without_a_lockfile_gives_an_empty_sbom_and_a_note(tmp_path: Path) -> None:
    root = write(tmp_path / "plain", {"README.md": "nothing pinned\n"})
    outcome = run_cli(["sbom", str(root)])
    assert outcome.code == 0
    doc = json.loads(outcome.stdout)
    assert doc["components"] == []
    assert doc["dependencies"] == [{"ref": "repository", "dependsOn": []}]
    assert outcome.stderr == f"note: no lockfile found in {root.resolve()}: the SBOM lists no components\n"
    assert_valid(outcome.stdout)


def test_cli_one_lockfile_as_the_path(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", FILES)
    outcome = run_cli(["sbom", str(root / "Cargo.lock")])
    assert outcome.code == 0
    assert [c["purl"] for c in json.loads(outcome.stdout)["components"]] == [
        "pkg:cargo/itoa@1.0.10",
        "pkg:cargo/serde@1.0.197",
    ]


def test_cli_nonexistent_path_exits_2(tmp_path: Path) -> None:
    outcome = run_cli(["sbom", str(tmp_path / "missing")])
    assert outcome.code == 2
    assert outcome.stdout == ""
    assert f"error: path does not exist: {tmp_path / 'missing'}" in outcome.stderr


def test_cli_unknown_format_exits_2(tmp_path: Path) -> None:
    outcome = run_cli(["sbom", str(tmp_path), "--format", "spdx-tv"])
    assert outcome.code == 2
    assert "error: unknown SBOM format 'spdx-tv'" in outcome.stderr
    assert "use one of: cyclonedx-json, spdx-json" in outcome.stderr
