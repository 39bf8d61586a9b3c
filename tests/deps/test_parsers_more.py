"""pylock.toml, gradle.lockfile, pom.xml, NuGet packages.lock.json and SBOMs (CycloneDX, SPDX) as input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.deps.parsers.sbom_input import from_purl
from tests.deps.conftest import parse_file, reasons, rows, run_cli, write

PYLOCK = """\
lock-version = "1.0"
created-by = "uv"
requires-python = ">=3.11"

[[packages]]
name = "PyYAML"
version = "5.3.1"
index = "https://pypi.org/simple"
sdist = {url = "https://files.pythonhosted.org/pyyaml-5.3.1.tar.gz", hashes = {sha256 = "ab"}}

[[packages]]
name = "idna"
version = "3.7"
wheels = [{url = "https://files.pythonhosted.org/idna-3.7-py3-none-any.whl", hashes = {sha256 = "cd"}}]

[[packages]]
name = "mylib"
directory = {path = "libs/mylib"}

[[packages]]
name = "forked"
vcs = {type = "git", url = "https://example.invalid/forked.git", commit-id = "0123456789abcdef"}
"""


def test_pylock_index_releases_direct_from_pyproject_and_sources_skipped(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {"pylock.toml": PYLOCK, "pyproject.toml": '[project]\nname = "x"\ndependencies = ["pyyaml>=5"]\n'},
    )
    result = parse_file(root, "pylock.toml")
    assert rows(result) == [("PyPI", "pyyaml", "5.3.1", 5, True), ("PyPI", "idna", "3.7", 11, False)]
    assert reasons(result) == [
        ("pylock.toml", 16, "pylock.toml: `mylib` is from a directory source: not an index release"),
        ("pylock.toml", 20, "pylock.toml: `forked` is from a vcs source: not an index release"),
    ]
    named = write(tmp_path / "n", {"pylock.dev.toml": PYLOCK})
    assert rows(parse_file(named, "pylock.dev.toml"))[0] == ("PyPI", "pyyaml", "5.3.1", 5, None)


GRADLE = """\
# This is a Gradle generated file for dependency locking.
# Manual edits can break the build and are not advised.
# This file is expected to be part of source control.
com.fasterxml.jackson.core:jackson-databind:2.9.10.1=compileClasspath,runtimeClasspath
junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath
org.apache.logging.log4j:log4j-core:2.14.1=runtimeClasspath
empty=annotationProcessor
"""


def test_gradle_lockfile_modules_with_test_only_as_dev(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/gradle.lockfile": GRADLE})
    result = parse_file(root, "app/gradle.lockfile")
    assert [(p.name, p.version, p.line, p.dev) for p in result.packages] == [
        ("com.fasterxml.jackson.core:jackson-databind", "2.9.10.1", 4, None),
        ("junit:junit", "4.13.2", 5, True),
        ("org.apache.logging.log4j:log4j-core", "2.14.1", 6, None),
    ]
    assert {p.ecosystem for p in result.packages} == {"Maven"}
    assert result.skipped == ()


POM = """\
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.example</groupId>
  <artifactId>app</artifactId>
  <version>1.2.0</version>
  <properties>
    <jackson.version>2.9.10.1</jackson.version>
    <log4j.major>2</log4j.major>
    <log4j.version>${log4j.major}.14.1</log4j.version>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>com.google.guava</groupId>
        <artifactId>guava</artifactId>
        <version>31.1-jre</version>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>${log4j.version}</version>
    </dependency>
    <dependency>
      <groupId>com.google.guava</groupId>
      <artifactId>guava</artifactId>
    </dependency>
    <dependency>
      <groupId>org.example</groupId>
      <artifactId>sibling</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.13.2</version>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-api</artifactId>
    </dependency>
    <dependency>
      <groupId>org.yaml</groupId>
      <artifactId>snakeyaml</artifactId>
      <version>[1.0,2.0)</version>
    </dependency>
    <dependency>
      <groupId>org.other</groupId>
      <artifactId>lib</artifactId>
      <version>${undefined.version}</version>
    </dependency>
  </dependencies>
</project>
"""


def test_pom_declared_versions_with_properties_resolved(tmp_path: Path) -> None:
    root = write(tmp_path, {"pom.xml": POM})
    result = parse_file(root, "pom.xml")
    assert [(p.name, p.version, p.line, p.direct, p.dev) for p in result.packages] == [
        ("com.fasterxml.jackson.core:jackson-databind", "2.9.10.1", 22, True, False),
        ("org.apache.logging.log4j:log4j-core", "2.14.1", 27, True, False),
        ("com.google.guava:guava", "31.1-jre", 32, True, False),
        ("org.example:sibling", "1.2.0", 36, True, False),
        ("junit:junit", "4.13.2", 41, True, True),
    ]
    need = "transitive dependencies and inherited versions need Maven (`mvn dependency:tree`)"
    assert reasons(result) == [
        ("pom.xml", 47, f"pom.xml: `org.slf4j:slf4j-api` takes its version from a parent POM or BOM; {need}"),
        (
            "pom.xml",
            51,
            f"pom.xml: `org.yaml:snakeyaml` declares the version range [1.0,2.0): not pinned; {need}",
        ),
        (
            "pom.xml",
            56,
            f"pom.xml: `org.other:lib` version ${{undefined.version}} uses a property this POM does not "
            f"define; {need}",
        ),
        ("pom.xml", None, f"pom.xml: declared versions only; {need}"),
    ]


NUGET = """\
{
  "version": 1,
  "dependencies": {
    "net8.0": {
      "Newtonsoft.Json": {
        "type": "Direct",
        "requested": "[12.0.3, )",
        "resolved": "12.0.3",
        "contentHash": "abc"
      },
      "System.Text.Encodings.Web": {
        "type": "Transitive",
        "resolved": "4.5.0",
        "contentHash": "def"
      },
      "MyCompany.Shared": {
        "type": "Project"
      }
    }
  }
}
"""


def test_nuget_lock_direct_transitive_and_projects_left_out(tmp_path: Path) -> None:
    root = write(tmp_path, {"src/App/packages.lock.json": NUGET})
    result = parse_file(root, "src/App/packages.lock.json")
    assert rows(result) == [
        ("NuGet", "Newtonsoft.Json", "12.0.3", 5, True),
        ("NuGet", "System.Text.Encodings.Web", "4.5.0", 11, False),
    ]
    assert result.skipped == ()


CYCLONEDX = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.6",
    "metadata": {"component": {"type": "application", "name": "app", "bom-ref": "root"}},
    "components": [
        {
            "type": "library",
            "name": "PyYAML",
            "version": "5.3.1",
            "purl": "pkg:pypi/pyyaml@5.3.1",
            "bom-ref": "a",
        },
        {
            "type": "library",
            "name": "core",
            "version": "7.0.0",
            "purl": "pkg:npm/%40angular/core@7.0.0",
            "bom-ref": "b",
            "components": [
                {
                    "type": "library",
                    "name": "text",
                    "purl": "pkg:golang/golang.org/x/text@v0.3.7",
                    "bom-ref": "c",
                }
            ],
        },
        {
            "type": "library",
            "name": "log4j-core",
            "purl": "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        },
        {"type": "library", "name": "internal-thing"},
        {"type": "library", "name": "alpine-pkg", "purl": "pkg:apk/alpine/musl@1.2.3"},
        {"type": "file", "name": "README"},
    ],
    "dependencies": [{"ref": "root", "dependsOn": ["a", "b"]}, {"ref": "b", "dependsOn": ["c"]}],
}


def test_cyclonedx_input_purls_to_packages(tmp_path: Path) -> None:
    root = write(tmp_path, {"sbom/app.cdx.json": json.dumps(CYCLONEDX, indent=2) + "\n"})
    result = parse_file(root, "sbom/app.cdx.json")
    assert [(p.ecosystem, p.name, p.version, p.direct) for p in result.packages] == [
        ("PyPI", "pyyaml", "5.3.1", True),
        ("npm", "@angular/core", "7.0.0", True),
        ("Go", "golang.org/x/text", "0.3.7", False),
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", False),
    ]
    assert [p.line for p in result.packages] == [16, 23, 29, 37]  # the purl's line
    assert reasons(result) == [
        ("sbom/app.cdx.json", 41, "CycloneDX SBOM: `internal-thing` has no package URL (purl)"),
        (
            "sbom/app.cdx.json",
            46,
            "CycloneDX SBOM: purl type 'apk' is not checked (types: cargo, composer, gem, golang, maven, "
            "npm, nuget, pypi)",
        ),
    ]


SPDX = {
    "spdxVersion": "SPDX-2.3",
    "dataLicense": "CC0-1.0",
    "SPDXID": "SPDXRef-DOCUMENT",
    "name": "app",
    "documentNamespace": "https://example.invalid/app",
    "creationInfo": {"created": "2026-01-01T00:00:00Z", "creators": ["Tool: test"]},
    "packages": [
        {"SPDXID": "SPDXRef-root", "name": "app", "downloadLocation": "NOASSERTION"},
        {
            "SPDXID": "SPDXRef-pyyaml",
            "name": "PyYAML",
            "versionInfo": "5.3.1",
            "downloadLocation": "NOASSERTION",
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": "pkg:pypi/pyyaml@5.3.1",
                }
            ],
        },
        {
            "SPDXID": "SPDXRef-lodash",
            "name": "lodash",
            "versionInfo": "4.17.20",
            "downloadLocation": "NOASSERTION",
            "externalRefs": [
                {
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": "pkg:npm/lodash@4.17.20",
                }
            ],
        },
        {"SPDXID": "SPDXRef-blob", "name": "blob", "downloadLocation": "NOASSERTION"},
    ],
    "relationships": [
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-root",
        },
        {
            "spdxElementId": "SPDXRef-root",
            "relationshipType": "DEPENDS_ON",
            "relatedSpdxElement": "SPDXRef-pyyaml",
        },
    ],
}


def test_spdx_input_purls_to_packages(tmp_path: Path) -> None:
    root = write(tmp_path, {"app.spdx.json": json.dumps(SPDX, indent=2) + "\n"})
    result = parse_file(root, "app.spdx.json")
    assert rows(result) == [
        ("PyPI", "pyyaml", "5.3.1", 28, True),
        ("npm", "lodash", "4.17.20", 41, False),
    ]
    assert reasons(result) == [("app.spdx.json", 47, "SPDX SBOM: `blob` has no package URL (purl)")]


@pytest.mark.parametrize(
    ("purl", "expected"),
    [
        ("pkg:pypi/django@4.2.1", ("PyPI", "django", "4.2.1")),
        ("pkg:npm/%40types/node@20.1.0?foo=bar#sub", ("npm", "@types/node", "20.1.0")),
        ("pkg:composer/symfony/http-kernel@4.4.1", ("Packagist", "symfony/http-kernel", "4.4.1")),
        ("pkg:nuget/Newtonsoft.Json@12.0.3", ("NuGet", "Newtonsoft.Json", "12.0.3")),
        ("pkg:pypi/django", "pkg:pypi/django: no version: not pinned"),
        ("django@1", "'django@1' is not a package URL"),
    ],
)
def test_purls(purl: str, expected: tuple[str, str, str] | str) -> None:
    assert from_purl(purl) == expected


@pytest.mark.parametrize(
    ("name", "text", "where", "message"),
    [
        (
            "pylock.toml",
            'lock-version = "1.0"\n[[packages]\nname = "x"\n',
            "pylock.toml:2",
            "pylock.toml: not valid TOML",
        ),
        (
            "pylock.toml",
            '[[packages]]\nname = "x"\nversion = "1"\n',
            "pylock.toml:1",
            "pylock.toml: no `lock-version`",
        ),
        (
            "gradle.lockfile",
            "# comment\njunit:junit:4.13.2=test\nthis is not a lock line\n",
            "gradle.lockfile:3",
            "gradle.lockfile: line is not `group:artifact:version=configurations`",
        ),
        (
            "pom.xml",
            "<project>\n  <dependencies>\n  </project>\n",
            "pom.xml:3",
            "pom.xml: not well-formed XML: mismatched tag",
        ),
        (
            "pom.xml",
            '<!DOCTYPE project [<!ENTITY a "b">]>\n<project/>\n',
            "pom.xml:1",
            "pom.xml: a DOCTYPE declaration: not a POM",
        ),
        (
            "pom.xml",
            "<project>\n<dependencies>\n<dependency>\n<version>1</version>\n</dependency>\n</dependencies>\n</project>\n",
            "pom.xml:3",
            "pom.xml: a <dependency> without groupId or artifactId",
        ),
        (
            "packages.lock.json",
            '{\n  "version": 1,\n  "dependencies": {\n',
            "packages.lock.json:4",
            "packages.lock.json: not valid JSON",
        ),
        (
            "packages.lock.json",
            '{"version": 1}\n',
            "packages.lock.json:1",
            "packages.lock.json: no `version` and `dependencies` object: not a NuGet lock file",
        ),
        (
            "bom.json",
            '{"bomFormat": "SPDX"}\n',
            "bom.json:1",
            'CycloneDX SBOM: `bomFormat` is not "CycloneDX"',
        ),
        ("x.spdx.json", '{\n"spdxVersion": \n}\n', "x.spdx.json:3", "SPDX SBOM: not valid JSON"),
    ],
)
def test_malformed_explicit_input_exits_2_with_file_and_line(
    tmp_path: Path, osv_dir: Path, name: str, text: str, where: str, message: str
) -> None:
    root = write(tmp_path / "r", {name: text})
    out = run_cli(["scan", "deps", str(root / name), "--db-dir", str(osv_dir)])
    assert out.code == 2, out.stdout
    assert f"error: {where}: {message}" in out.stderr


def test_malformed_file_in_a_folder_is_listed_as_not_checked(tmp_path: Path, osv_dir: Path) -> None:
    root = write(tmp_path / "r", {"gradle.lockfile": "nonsense line\n", "requirements.txt": "idna==3.7\n"})
    out = run_cli(["scan", "deps", str(root), "--db-dir", str(osv_dir)])
    assert out.code == 0
    assert (
        "gradle.lockfile:1: gradle.lockfile: line is not `group:artifact:version=configurations`: "
        "'nonsense line'; its dependencies were not checked"
    ) in out.stdout


def test_pom_versions_are_looked_up_with_maven_ordering(tmp_path: Path, osv_dir: Path) -> None:
    pom = (
        "<project>\n  <dependencies>\n    <dependency>\n      <groupId>org.example</groupId>\n"
        "      <artifactId>lib</artifactId>\n      <version>1.5</version>\n    </dependency>\n"
        "  </dependencies>\n</project>\n"
    )
    root = write(tmp_path / "r", {"pom.xml": pom})
    out = run_cli(["scan", "deps", str(root), "--db-dir", str(osv_dir)])
    assert out.code == 1
    assert "lockfile: pom.xml (pom.xml, 1 pinned)" in out.stdout
    text = " ".join(out.stdout.split())
    assert "high DEP-VULN pom.xml:3 org.example:lib 1.5 is affected by TEST-MAVEN-1" in text
    assert "fix: upgrade org.example:lib to 2.0 or later" in text
    fixed = write(
        tmp_path / "fixed", {"pom.xml": pom.replace("<version>1.5</version>", "<version>2.0</version>")}
    )
    assert run_cli(["scan", "deps", str(fixed), "--db-dir", str(osv_dir)]).code == 0
