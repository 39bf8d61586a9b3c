"""SPDX 2.3 JSON output: exact packages and relationships, deterministic, valid for spdx-tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from spdx_tools.spdx.parser.json.json_parser import parse_from_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from secloop.deps.scan import inventory
from secloop.deps.spdx import build_spdx, spdx_id
from secloop.sources.repo import Repo
from tests.deps.conftest import run_cli, write
from tests.deps.test_sbom import FILES, WHEN, committed


def document(root: Path) -> dict[str, Any]:
    repo = Repo(root)
    loaded: dict[str, Any] = json.loads(build_spdx(inventory(repo), repo.root.name, WHEN).text)
    return loaded


def assert_valid(path: Path) -> None:
    parsed = parse_from_file(str(path))
    messages = validate_full_spdx_document(parsed)
    assert [m.validation_message for m in messages] == []


def test_packages_purls_and_direct_relationships(tmp_path: Path) -> None:
    doc = document(write(tmp_path / "repo", FILES))
    assert (doc["spdxVersion"], doc["dataLicense"], doc["SPDXID"], doc["name"]) == (
        "SPDX-2.3",
        "CC0-1.0",
        "SPDXRef-DOCUMENT",
        "repo",
    )
    assert doc["creationInfo"]["created"] == "2026-09-01T10:00:00Z"
    packages = {p["externalRefs"][0]["referenceLocator"]: p for p in doc["packages"][1:]}
    login = packages["pkg:pypi/flask-login@0.6.3"]
    assert (login["name"], login["versionInfo"], login["primaryPackagePurpose"]) == (
        "flask-login",
        "0.6.3",
        "LIBRARY",
    )
    assert login["comment"] == "secloop: direct PyPI dependency (runtime), pinned in requirements.txt"
    assert doc["packages"][0]["SPDXID"] == "SPDXRef-repository"
    assert doc["relationships"][0] == {
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-repository",
    }
    depends = {r["relatedSpdxElement"] for r in doc["relationships"][1:]}
    assert spdx_id("pkg:pypi/flask-login@0.6.3") in depends
    assert all(r["relationshipType"] == "DEPENDS_ON" for r in doc["relationships"][1:])
    assert sorted(packages) == sorted(p["externalRefs"][0]["referenceLocator"] for p in doc["packages"][1:])


def test_cli_spdx_is_byte_identical_for_a_commit_and_valid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    root = committed(tmp_path / "repo", FILES)
    first = run_cli(["sbom", str(root), "--format", "spdx-json", "-o", str(tmp_path / "a.spdx.json")])
    second = run_cli(["sbom", str(root), "--format", "spdx-json", "-o", str(tmp_path / "b.spdx.json")])
    assert first.code == second.code == 0
    a = (tmp_path / "a.spdx.json").read_bytes()
    assert a == (tmp_path / "b.spdx.json").read_bytes()
    doc = json.loads(a)
    assert doc["creationInfo"]["created"] == "2026-09-01T10:00:00Z"
    assert doc["documentNamespace"].startswith("https://spdx.org/spdxdocs/secloop/repo-")
    assert_valid(tmp_path / "a.spdx.json")


def test_an_empty_repository_gives_a_valid_document(tmp_path: Path) -> None:
    root = write(tmp_path / "empty", {"README.md": "nothing\n"})
    out = tmp_path / "e.spdx.json"
    result = run_cli(["sbom", str(root), "--format", "spdx-json", "-o", str(out)])
    assert result.code == 0
    assert [p["SPDXID"] for p in json.loads(out.read_text())["packages"]] == ["SPDXRef-repository"]
    assert_valid(out)


def test_spdx_output_reads_back_as_sbom_input(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", FILES)
    out = tmp_path / "in" / "app.spdx.json"
    assert run_cli(["sbom", str(root), "--format", "spdx-json", "-o", str(out)]).code == 0
    again = inventory(Repo(out.parent), only="app.spdx.json")
    original = inventory(Repo(root))
    assert sorted({(p.ecosystem, p.name, p.version) for p in again.packages}) == sorted(
        {(p.ecosystem, p.name, p.version) for p in original.packages}
    )
