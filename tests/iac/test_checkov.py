"""The optional Checkov engine, run through a stand-in executable (Checkov itself is not installed
in the test environment): offline flags, mapping, dedup against secloop's policies, absence."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from secloop.core.enums import Severity
from secloop.iac.checkov import COVERED, with_checkov
from secloop.iac.policies import POLICIES
from secloop.iac.scan import scan_iac
from secloop.sources.repo import Repo
from tests.iac.conftest import run_cli, write

TF = 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'


def fake_checkov(folder: Path, report: object, *, code: int = 1, stderr: str = "") -> Path:
    """An executable that records how it was called and prints ``report``."""
    script = folder / "checkov"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"log = {str(folder / 'calls.json')!r}\n"
        "env = {k: os.environ.get(k) for k in ('BC_SKIP_MAPPING', 'CKV_SKIP_PACKAGE_UPDATE_CHECK')}\n"
        "json.dump({'argv': sys.argv[1:], 'env': env}, open(log, 'w'))\n"
        f"sys.stdout.write({report if isinstance(report, str) else json.dumps(report)!r})\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({code})\n",
        "utf-8",
    )
    script.chmod(0o755)
    return script


def check(
    check_id: str, path: str, root: Path, line: int, resource: str, **extra: object
) -> dict[str, object]:
    return {
        "check_id": check_id,
        "check_name": f"name of {check_id}",
        "file_path": f"/{path}",
        "file_abs_path": str(root / path),
        "file_line_range": [line, line + 2],
        "resource": resource,
        **extra,
    }


def test_failed_checks_become_findings_and_covered_ones_are_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = write(tmp_path / "repo", {"main.tf": TF, "tests/main.tf": TF})
    report = [
        {
            "check_type": "terraform",
            "results": {
                "failed_checks": [
                    check("CKV_AWS_19", "main.tf", repo, 1, "aws_s3_bucket.b"),  # secloop's own
                    check("CKV_AWS_144", "main.tf", repo, 1, "aws_s3_bucket.b", severity="HIGH"),
                    check("CKV_AWS_144", "main.tf", repo, 1, "aws_s3_bucket.b", severity="HIGH"),
                    check("CKV2_AWS_62", "main.tf", repo, 1, "aws_s3_bucket.b", guideline="https://g"),
                    check("CKV_AWS_144", "tests/main.tf", repo, 1, "aws_s3_bucket.b"),
                ]
            },
        },
        {"check_type": "dockerfile", "results": {"failed_checks": []}},
    ]
    tools = tmp_path / "tools"
    tools.mkdir()
    monkeypatch.setenv("SECLOOP_CHECKOV", str(fake_checkov(tools, report)))
    base = scan_iac(Repo(repo))
    scan = with_checkov(base, Repo(repo))
    added = [f for f in scan.findings if f.rule_id == "IAC-CHECKOV"]
    assert [
        (f.primary.path if f.primary else "", f.primary.start_line if f.primary else 0) for f in added
    ] == [
        ("main.tf", 1),
        ("main.tf", 1),
    ]
    by_check = {dict(f.properties)["checkov_check"]: f for f in added}
    assert set(by_check) == {"CKV_AWS_144", "CKV2_AWS_62"}
    assert by_check["CKV_AWS_144"].severity is Severity.HIGH
    assert by_check["CKV_AWS_144"].message == "Checkov CKV_AWS_144: name of CKV_AWS_144 (aws_s3_bucket.b)"
    assert by_check["CKV2_AWS_62"].severity is Severity.MEDIUM
    assert dict(by_check["CKV2_AWS_62"].properties)["guideline"] == "https://g"
    assert len(scan.findings) == len(base.findings) + 2
    calls = json.loads((tools / "calls.json").read_text("utf-8"))
    assert calls["env"] == {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
    assert calls["argv"][:2] == ["-d", str(repo)]
    assert {"--skip-download", "--output", "json"} <= set(calls["argv"])
    assert calls["argv"][-2:] == ["--framework", "terraform,cloudformation,kubernetes,dockerfile"]
    fixtures = with_checkov(base, Repo(repo), include_fixtures=True)
    assert [f.primary.path for f in fixtures.findings if f.rule_id == "IAC-CHECKOV" and f.primary] == [
        "main.tf",
        "main.tf",
        "tests/main.tf",
    ]


def test_absent_checkov_is_listed_as_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = write(tmp_path / "repo", {"main.tf": TF})
    monkeypatch.delenv("SECLOOP_CHECKOV", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    base = scan_iac(Repo(repo))
    scan = with_checkov(base, Repo(repo))
    assert scan.findings == base.findings
    assert scan.skipped[-1].reason == (
        "Checkov engine: `checkov` is not on PATH and SECLOOP_CHECKOV is not set; "
        "Checkov's checks were not run"
    )
    monkeypatch.setenv("SECLOOP_CHECKOV", str(tmp_path / "missing"))
    assert with_checkov(base, Repo(repo)).skipped[-1].reason == (
        f"Checkov engine: SECLOOP_CHECKOV={tmp_path / 'missing'} is not an executable file; "
        "Checkov's checks were not run"
    )


def test_a_failing_checkov_is_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = write(tmp_path / "repo", {"main.tf": TF})
    monkeypatch.setenv(
        "SECLOOP_CHECKOV", str(fake_checkov(tmp_path, "Traceback", code=2, stderr="x\nboom\n"))
    )
    scan = with_checkov(scan_iac(Repo(repo)), Repo(repo))
    assert scan.skipped[-1].reason == "Checkov engine: Checkov exited 2 without a JSON report (boom)"


def test_cli_with_checkov(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = write(tmp_path / "repo", {"Dockerfile": "FROM python:3.12.4\nUSER app\n"})
    report = {
        "check_type": "dockerfile",
        "results": {"failed_checks": [check("CKV_DOCKER_2", "Dockerfile", repo, 1, "Dockerfile.")]},
    }
    tools = tmp_path / "tools"
    tools.mkdir()
    monkeypatch.setenv("SECLOOP_CHECKOV", str(fake_checkov(tools, report)))
    out = run_cli(["scan", "iac", str(repo), "--with-checkov", "--format", "json"])
    assert out.code == 0
    (result,) = json.loads(out.stdout)["practices"]
    assert [(f["rule"], f["locations"][0]["start_line"]) for f in result["findings"]] == [("IAC-CHECKOV", 1)]
    plain = run_cli(["scan", "iac", str(repo), "--format", "json"])
    assert json.loads(plain.stdout)["practices"][0]["findings"] == []


def test_covered_checks_name_secloop_policies() -> None:
    assert set(COVERED.values()) <= {p.rule.id for p in POLICIES}
