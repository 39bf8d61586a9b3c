"""The engine end to end: lockfiles of a repository -> DEP-VULN findings and what was not checked."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from secloop.core.enums import Severity
from secloop.core.errors import UsageError
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location
from secloop.deps.db import AdvisoryDB, import_osv
from secloop.deps.scan import scan_repo
from secloop.sources.repo import Repo
from tests.deps.conftest import OSV_FIXTURES, ROOT, pypi_all, write

PACKAGE_LOCK = """\
{
  "name": "web",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "web", "dependencies": {"lodash": "^4.17.0", "minimist": "^1.2.0"}},
    "node_modules/lodash": {"version": "4.17.19"},
    "node_modules/minimist": {"version": "1.2.6"},
    "node_modules/left-pad": {"version": "1.3.0"}
  }
}
"""
CARGO_LOCK = """\
version = 3

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
"""
GO_MOD = """\
module example.com/app

go 1.21

require golang.org/x/text v0.3.7
"""
GEMFILE_LOCK = """\
GEM
  remote: https://rubygems.org/
  specs:
    nokogiri (1.13.9)

DEPENDENCIES
  nokogiri
"""
COMPOSER_LOCK = """\
{
    "packages": [
        {"name": "symfony/http-kernel", "version": "v4.4.49"}
    ]
}
"""
REPO = {
    "requirements.txt": "PyYAML==5.3.1\nbadevent==1.0\nmkdocs==1.2.3\n",
    "web/package-lock.json": PACKAGE_LOCK,
    "Cargo.lock": CARGO_LOCK,
    "go.mod": GO_MOD,
    "Gemfile.lock": GEMFILE_LOCK,
    "composer.lock": COMPOSER_LOCK,
    "tests/fixtures/requirements.txt": "PyYAML==5.1\n",
    "ui/package.json": '{"dependencies": {"lodash": "^4"}}\n',
    "java/pom.xml": "<project/>\n",
}


def _summary(f: Finding) -> tuple[str, str, str, tuple[str, ...], str, str]:
    props = dict(f.properties)
    return (
        f.rule_id,
        f.severity.value,
        props["advisory"],
        tuple(str(loc) for loc in f.locations),
        props["severity_source"],
        props["fixed"],
    )


def test_every_ecosystem_is_checked_and_findings_are_exact(tmp_path: Path, db: AdvisoryDB) -> None:
    scan = scan_repo(Repo(write(tmp_path / "repo", REPO)), db)
    assert [_summary(f) for f in scan.findings] == [
        ("DEP-VULN", "critical", "TEST-CRATES-1", ("Cargo.lock:4",), "CVSS_V4 9.3", "1.6.1"),
        ("DEP-VULN", "high", "TEST-GEM-1", ("Gemfile.lock:4",), "database: HIGH", "1.13.10"),
        ("DEP-VULN", "high", "TEST-PHP-1", ("composer.lock:3",), "unscored (treated as high)", "4.4.50"),
        ("DEP-VULN", "high", "TEST-GO-1", ("go.mod:5",), "unscored (treated as high)", "0.3.8"),
        (
            "DEP-VULN",
            "high",
            "GHSA-8q59-q68h-6hv4",
            ("requirements.txt:1",),
            "unscored (treated as high)",
            "5.4",
        ),
        (
            "DEP-VULN",
            "critical",
            "GHSA-test-0000-0001",
            ("web/package-lock.json:6",),
            "CVSS_V3 9.8",
            "4.17.21",
        ),
    ]
    pyyaml = scan.findings[4]
    assert pyyaml.message.startswith(
        "pyyaml 5.3.1 is affected by GHSA-8q59-q68h-6hv4 (PYSEC-2021-142, CVE-2020-14343): "
        "A vulnerability was discovered in the PyYAML library in versions before 5.4"
    )
    assert pyyaml.fix == "upgrade pyyaml to 5.4 or later (it clears every known advisory of the package)"
    assert pyyaml.fingerprint == keyed_fingerprint(
        "DEP-VULN", "PyPI", "pyyaml", "5.3.1", "GHSA-8q59-q68h-6hv4"
    )
    assert dict(pyyaml.properties)["dependency"] == "direct"
    # Negative cases: minimist 1.2.6 is past `last_affected: 1.2.5`; left-pad 1.3.0 is at its `limit`;
    # mkdocs 1.2.3 is the fixed version of PYSEC-2021-878.
    assert {dict(f.properties)["package"] for f in scan.findings} == {
        "smallvec",
        "nokogiri",
        "symfony/http-kernel",
        "golang.org/x/text",
        "pyyaml",
        "lodash",
    }
    assert scan.checked == 10
    assert [(s.path, s.line, s.reason) for s in scan.skipped] == [
        (
            "java/pom.xml",
            None,
            "pom.xml: declared versions only; transitive dependencies and inherited versions need Maven "
            "(`mvn dependency:tree`)",
        ),
        (
            "tests/fixtures/requirements.txt",
            None,
            "under a test, example, docs or vendored folder: not the project's dependencies "
            "(`secloop scan deps FOLDER` checks that folder)",
        ),
        (
            "ui/package.json",
            None,
            "declares dependencies without a lockfile "
            "(package-lock.json or npm-shrinkwrap.json or yarn.lock): "
            "versions are not pinned, so they cannot be matched exactly",
        ),
        (
            "requirements.txt",
            2,
            "badevent 1.0: 1 advisory(ies) could not be decided: "
            "TEST-PYPI-BADEVENT: range event fixed 'not a version!' is not a PEP 440 version",
        ),
    ]


def test_the_same_package_version_in_two_lockfiles_is_one_finding(tmp_path: Path, db: AdvisoryDB) -> None:
    root = write(
        tmp_path / "repo", {"requirements.txt": "PyYAML==5.3.1\n", "api/requirements.txt": "pyyaml==5.3.1\n"}
    )
    (finding,) = scan_repo(Repo(root), db).findings
    assert finding.locations == (Location("api/requirements.txt", 1), Location("requirements.txt", 1))


def test_clean_lockfile_has_no_findings(tmp_path: Path, db: AdvisoryDB) -> None:
    scan = scan_repo(Repo(write(tmp_path / "repo", {"requirements.txt": "PyYAML==5.4\nmkdocs==1.2.3\n"})), db)
    assert scan.findings == ()
    assert scan.skipped == ()
    assert scan.checked == 2


def test_ecosystems_missing_from_the_database_are_listed_not_dropped(tmp_path: Path) -> None:
    import_osv(OSV_FIXTURES / "pypi", tmp_path / "db")
    db = AdvisoryDB.open(tmp_path / "db")
    scan = scan_repo(Repo(write(tmp_path / "repo", {"web/package-lock.json": PACKAGE_LOCK})), db)
    assert scan.findings == ()
    assert scan.checked == 0
    assert [(s.path, s.reason) for s in scan.skipped] == [
        (
            "web/package-lock.json",
            "3 npm package(s) not checked: the advisory database holds no npm advisories; run `secloop db "
            "import npm-all.zip` with the OSV export of each ecosystem you use "
            "(https://osv-vulnerabilities.storage.googleapis.com/<ecosystem>/all.zip); `--db-dir` or "
            "SECLOOP_OSV_DIR choose where it is stored",
        )
    ]


def test_fixture_folders_are_checked_when_asked(tmp_path: Path, db: AdvisoryDB) -> None:
    root = write(tmp_path / "repo", {"tests/fixtures/requirements.txt": "PyYAML==5.1\n"})
    assert scan_repo(Repo(root), db).findings == ()
    found = scan_repo(Repo(root), db, include_fixtures=True).findings
    findings = sorted(found, key=lambda f: dict(f.properties)["advisory"])
    assert [dict(f.properties)["advisory"] for f in findings] == [
        "GHSA-3pqx-4fqf-j49f",
        "GHSA-6757-jp84-gxfx",
        "GHSA-8q59-q68h-6hv4",
    ]
    assert [dict(f.properties)["fixed"] for f in findings] == ["5.2", "5.3.1", "5.4"]
    assert {dict(f.properties)["upgrade"] for f in findings} == {"5.4"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("demo") / "shop"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_demo.py"), str(dest)], check=True, capture_output=True
    )
    return dest


def test_demo_pins_pyyaml_5_3_1_and_the_scan_reports_it(demo: Path, db: AdvisoryDB) -> None:
    scan = scan_repo(Repo(demo), db)
    assert [(f.rule_id, f.severity, dict(f.properties)["advisory"]) for f in scan.findings] == [
        ("DEP-VULN", Severity.HIGH, "GHSA-8q59-q68h-6hv4")
    ]
    props = dict(scan.findings[0].properties)
    assert (props["records"], props["aliases"], props["package"], props["version"]) == (
        "PYSEC-2021-142",
        "CVE-2020-14343",
        "pyyaml",
        "5.3.1",
    )


def test_demo_with_the_real_pypi_database(demo: Path, tmp_path: Path) -> None:
    import_osv(pypi_all(), tmp_path / "db")
    scan = scan_repo(Repo(demo), AdvisoryDB.open(tmp_path / "db"))
    assert [
        (str(f.primary), dict(f.properties)["advisory"], dict(f.properties)["records"]) for f in scan.findings
    ] == [("requirements.txt:4", "GHSA-8q59-q68h-6hv4", "PYSEC-2021-142")]
    assert scan.checked == 4
    assert scan.skipped == ()


def test_unreadable_lockfile_is_skipped(tmp_path: Path, db: AdvisoryDB) -> None:
    root = write(tmp_path / "repo", {"poetry.lock": "x"})
    (root / "poetry.lock").write_bytes(b"\0binary")
    scan = scan_repo(Repo(root), db)
    assert [(s.path, s.reason) for s in scan.skipped] == [
        ("poetry.lock", "poetry.lock: not readable as text or larger than 64 MB")
    ]
    shutil.rmtree(root)


def test_lockfiles_over_the_tree_text_limit_are_read(tmp_path: Path, db: AdvisoryDB) -> None:
    # Real package-lock.json files of large projects weigh several MB: over Repo's 1 MB text limit.
    filler = "".join(f"    # padding line {i:07d} to make a large lockfile\n" for i in range(30_000))
    root = write(tmp_path / "repo", {"requirements.txt": filler + "PyYAML==5.3.1\n"})
    assert (root / "requirements.txt").stat().st_size > 1_000_000
    (finding,) = scan_repo(Repo(root), db).findings
    assert str(finding.primary) == "requirements.txt:30001"


def test_one_lockfile_can_be_scanned_alone(tmp_path: Path, db: AdvisoryDB) -> None:
    root = write(
        tmp_path / "repo", {"requirements.txt": "PyYAML==5.3.1\n", "tests/requirements.txt": "PyYAML==5.1\n"}
    )
    scan = scan_repo(Repo(root / "tests"), db, only="requirements.txt")
    assert {f.locations for f in scan.findings} == {(Location("requirements.txt", 1),)}
    assert len(scan.findings) == 3
    with pytest.raises(UsageError, match=r"README\.md: not a lockfile secloop reads"):
        scan_repo(Repo(root), db, only="README.md")
