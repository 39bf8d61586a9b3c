"""`secloop scan deps` and `secloop db import|status`: output, formats and the exit-code contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.deps.db import read_snapshot
from tests.deps.conftest import OSV_FIXTURES, run_cli, write

VULNERABLE = {"requirements.txt": "flask==3.1.1\nPyYAML==5.3.1\n"}


def test_scan_without_database_exits_2_with_the_fix(tmp_path: Path, no_user_db: Path) -> None:
    repo = write(tmp_path / "repo", VULNERABLE)
    outcome = run_cli(["scan", "deps", str(repo)])
    assert outcome.code == 2
    assert outcome.stdout == ""
    assert f"error: no advisory database in {no_user_db}: nothing can be checked" in outcome.stderr
    assert "hint: run `secloop db import PyPI-all.zip`" in outcome.stderr


def test_scan_terminal_fails_the_gate_on_a_high_finding(tmp_path: Path, osv_dir: Path) -> None:
    repo = write(tmp_path / "repo", VULNERABLE)
    outcome = run_cli(["scan", "deps", str(repo), "--db-dir", str(osv_dir)])
    assert outcome.code == 1
    lines = outcome.stdout.splitlines()
    assert lines[0] == "secloop scan deps repo"
    assert lines[1].startswith("advisories: OSV snapshot sha256:")
    assert lines[2] == "lockfile: requirements.txt (requirements, 2 pinned)"
    assert (
        lines[3] == "fail: 1 known vulnerability in 1 pinned package version(s) (worst: high): pyyaml 5.3.1"
    )
    assert lines[4].startswith(
        "  high     DEP-VULN requirements.txt:2 pyyaml 5.3.1 is affected by GHSA-8q59-q68h-6hv4"
    )
    assert lines[5] == (
        "           fix: upgrade pyyaml to 5.4 or later (it clears every known advisory of the package)"
    )
    assert lines[-1] == "gate: FAILED — 1 active finding(s) at or above high (worst: high)"


def test_scan_fail_on_threshold_above_the_finding_passes(tmp_path: Path, osv_dir: Path) -> None:
    repo = write(tmp_path / "repo", VULNERABLE)
    outcome = run_cli(["scan", "deps", str(repo), "--db-dir", str(osv_dir), "--fail-on", "critical"])
    assert outcome.code == 0
    assert outcome.stdout.splitlines()[-1] == "gate: passed"


def test_scan_clean_repository_exits_0(
    tmp_path: Path, osv_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECLOOP_OSV_DIR", str(osv_dir))  # the environment variable instead of --db-dir
    repo = write(tmp_path / "repo", {"requirements.txt": "PyYAML==5.4\n"})
    outcome = run_cli(["scan", "deps", str(repo)])
    assert outcome.code == 0
    assert "pass: 1 pinned package version(s) have no known vulnerability" in outcome.stdout


def test_scan_json_names_the_snapshot_and_the_finding(tmp_path: Path, osv_dir: Path) -> None:
    repo = write(tmp_path / "repo", VULNERABLE)
    out = tmp_path / "report.json"
    outcome = run_cli(["scan", "deps", str(repo), "--db-dir", str(osv_dir), "-f", "json", "-o", str(out)])
    assert outcome.code == 1
    assert outcome.stdout == ""
    document = json.loads(out.read_text("utf-8"))
    snapshot = read_snapshot(osv_dir)
    assert snapshot is not None
    assert document["snapshots"] == {
        "osv": snapshot.content_hash,
        "osv.newest_modified": "2026-01-02T00:00:00Z",
        "osv.ecosystems": "Go 1, Maven 1, Packagist 1, PyPI 13, RubyGems 1, crates.io 1, npm 4",
    }
    (practice,) = document["practices"]
    assert (practice["id"], practice["status"]) == ("build.sca", "fail")
    (finding,) = practice["findings"]
    assert (finding["rule"], finding["severity"], finding["locations"]) == (
        "DEP-VULN",
        "high",
        [{"path": "requirements.txt", "start_line": 2}],
    )
    assert finding["properties"]["advisory"] == "GHSA-8q59-q68h-6hv4"
    assert [r["id"] for r in document["rules"]] == ["DEP-VULN"]
    assert document["gate"]["passed"] is False


def test_scan_sarif_declares_the_rule(tmp_path: Path, osv_dir: Path) -> None:
    repo = write(tmp_path / "repo", VULNERABLE)
    outcome = run_cli(["scan", "deps", str(repo), "--db-dir", str(osv_dir), "-f", "sarif"])
    assert outcome.code == 1
    run = json.loads(outcome.stdout)["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["DEP-VULN"]
    (result,) = run["results"]
    assert (result["ruleId"], result["level"]) == ("DEP-VULN", "error")
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 2}


def test_scan_honours_a_suppression_with_a_reason(tmp_path: Path, osv_dir: Path) -> None:
    repo = write(
        tmp_path / "repo",
        {
            **VULNERABLE,
            "secloop.toml": (
                '[[suppress]]\nrule = "DEP-VULN"\nreason = "full_load is never called on input"\n'
            ),
        },
    )
    outcome = run_cli(["scan", "deps", str(repo), "--db-dir", str(osv_dir)])
    assert outcome.code == 0
    assert "[suppressed (config): full_load is never called on input]" in outcome.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "yaml"], "error: unknown format 'yaml'"),
        (["--fail-on", "severe"], "error: --fail-on must be one of critical, high, medium, low, info, none"),
    ],
)
def test_scan_usage_errors_exit_2(tmp_path: Path, osv_dir: Path, args: list[str], message: str) -> None:
    outcome = run_cli(["scan", "deps", str(tmp_path), "--db-dir", str(osv_dir), *args])
    assert outcome.code == 2
    assert message in outcome.stderr


def test_db_import_and_status(tmp_path: Path) -> None:
    directory = tmp_path / "db"
    imported = run_cli(["db", "import", str(OSV_FIXTURES / "pypi"), "--db-dir", str(directory)])
    assert imported.code == 0
    first, last = imported.stdout.splitlines()
    assert first.startswith("imported PyPI: 11 advisories (1 withdrawn, ignored), 8 packages, sha256:")
    assert first.endswith(", newest modified 2024-07-12")
    assert last.startswith("snapshot: OSV snapshot sha256:") and last.endswith(f" in {directory}")
    status = run_cli(["db", "status", "--db-dir", str(directory)])
    assert status.code == 0
    assert status.stdout.splitlines()[0] == f"advisory database: {directory}"
    assert "  PyPI: 11 advisories (1 withdrawn, ignored), 8 packages" in status.stdout
    as_json = json.loads(run_cli(["db", "status", "--db-dir", str(directory), "-f", "json"]).stdout)
    assert [
        (e["name"], e["advisories"], e["withdrawn_ignored"], e["source"]) for e in as_json["ecosystems"]
    ] == [("PyPI", 11, 1, "pypi")]


def test_db_status_without_database_exits_2(tmp_path: Path) -> None:
    outcome = run_cli(["db", "status", "--db-dir", str(tmp_path / "none")])
    assert outcome.code == 2
    assert f"error: no advisory database in {tmp_path / 'none'}" in outcome.stderr


def test_db_import_of_a_bad_file_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "PyPI-all.zip"
    bad.write_text("not a zip", "utf-8")
    outcome = run_cli(["db", "import", str(bad), "--db-dir", str(tmp_path / "db")])
    assert outcome.code == 2
    assert f"error: {bad}: not a readable zip archive" in outcome.stderr


def test_scan_honours_an_inline_suppression_on_the_lockfile_line(tmp_path: Path, osv_dir: Path) -> None:
    repo = write(
        tmp_path / "repo", {"requirements.txt": "PyYAML==5.3.1  # secloop: ignore[DEP-VULN] no YAML input\n"}
    )
    outcome = run_cli(["scan", "deps", str(repo), "--db-dir", str(osv_dir)])
    assert outcome.code == 0
    assert "[suppressed (inline): no YAML input]" in outcome.stdout


def test_scan_one_lockfile_given_as_the_path(tmp_path: Path, osv_dir: Path) -> None:
    repo = write(tmp_path / "repo", {**VULNERABLE, "other/requirements.txt": "PyYAML==5.4\n"})
    outcome = run_cli(["scan", "deps", str(repo / "other" / "requirements.txt"), "--db-dir", str(osv_dir)])
    assert outcome.code == 0
    assert "lockfile: requirements.txt (requirements, 1 pinned)" in outcome.stdout
    not_a_lockfile = write(tmp_path / "x", {"README.md": "# x\n"}) / "README.md"
    refused = run_cli(["scan", "deps", str(not_a_lockfile), "--db-dir", str(osv_dir)])
    assert refused.code == 2
    assert "README.md: not a lockfile secloop reads" in refused.stderr
