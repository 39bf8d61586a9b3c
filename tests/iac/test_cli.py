"""`secloop scan iac`: formats, the gate and its exit codes, suppressions, what was not checked."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.iac.conftest import FIXTURES, run_cli, write


def test_findings_fail_the_gate_and_are_listed(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "terraform" / "network", tmp_path / "net")
    out = run_cli(["scan", "iac", str(tmp_path / "net")])
    assert out.code == 1
    text = " ".join(out.stdout.split())
    assert "fail: 6 misconfigurations in 7 resources (1 critical, 5 high)" in text
    assert (
        "critical IAC-AWS-SG-OPEN-SSH main.tf:9 aws_security_group.bastion opens SSH (22) to 0.0.0.0/0 "
        "and is attached to public instance aws_instance.bastion" in text
    )
    assert "gate: FAILED — 6 active finding(s) at or above high (worst: critical)" in text


def test_fail_on_moves_the_threshold(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "terraform" / "iam", tmp_path / "iam")
    assert run_cli(["scan", "iac", str(tmp_path / "iam"), "--fail-on", "critical"]).code == 0
    assert run_cli(["scan", "iac", str(tmp_path / "iam"), "--fail-on", "medium"]).code == 1


def test_json_report(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "compose", tmp_path / "c")
    out = run_cli(["scan", "iac", str(tmp_path / "c"), "--format", "json"])
    assert out.code == 1
    doc = json.loads(out.stdout)
    (result,) = doc["practices"]
    assert (result["id"], result["status"]) == ("build.iac-scanning", "fail")
    assert [(f["rule"], f["locations"][0]["start_line"]) for f in result["findings"]] == [
        ("IAC-COMPOSE-PRIVILEGED", 9),
        ("IAC-COMPOSE-HOST-NAMESPACE", 10),
        ("IAC-COMPOSE-HOST-NAMESPACE", 11),
        ("IAC-COMPOSE-CAPABILITIES", 12),
        ("IAC-COMPOSE-DOCKER-SOCKET", 15),
        ("IAC-COMPOSE-DOCKER-SOCKET", 22),
    ]


def test_sarif_report_names_the_rules_and_fingerprints(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM alpine:3.20\nADD https://example.com/x.tgz /x.tgz\n"})
    out_file = tmp_path / "out.sarif"
    out = run_cli(["scan", "iac", str(tmp_path), "--format", "sarif", "--output", str(out_file)])
    assert out.code == 0  # medium findings, default gate
    run = json.loads(out_file.read_text("utf-8"))["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["IAC-DOCKER-ROOT-USER", "IAC-DOCKER-ADD-URL"]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} >= {"IAC-DOCKER-ROOT-USER", "IAC-DOCKER-ADD-URL"}
    assert all(r["partialFingerprints"] for r in run["results"])


def test_inline_suppression_with_a_reason(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "main.tf": """
                resource "aws_security_group" "bastion" {
                  ingress { # secloop: ignore[IAC-AWS-SG-OPEN-SSH] bastion behind fail2ban until the VPN lands
                    from_port   = 22
                    to_port     = 22
                    protocol    = "tcp"
                    cidr_blocks = ["0.0.0.0/0"]
                  }
                }
            """
        },
    )
    out = run_cli(["scan", "iac", str(tmp_path)])
    assert out.code == 0
    assert "[suppressed (inline): bastion behind fail2ban until the VPN lands]" in " ".join(
        out.stdout.split()
    )


def test_malformed_files_are_listed_not_fatal(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "malformed", tmp_path / "m")
    out = run_cli(["scan", "iac", str(tmp_path / "m")])
    assert out.code == 0
    text = " ".join(out.stdout.split())
    assert "not checked:" in text
    assert "broken.tf:3: Terraform: not valid HCL: unexpected end of line" in text


def test_nothing_to_check_passes(tmp_path: Path) -> None:
    out = run_cli(["scan", "iac", str(tmp_path)])
    assert out.code == 0
    assert "not-applicable: no infrastructure as code secloop reads" in " ".join(out.stdout.split())


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    bad_format = run_cli(["scan", "iac", str(tmp_path), "--format", "xml"])
    assert (bad_format.code, "unknown format 'xml'" in bad_format.stderr) == (2, True)
    bad_gate = run_cli(["scan", "iac", str(tmp_path), "--fail-on", "severe"])
    assert bad_gate.code == 2
    missing = run_cli(["scan", "iac", str(tmp_path / "nope")])
    assert missing.code == 2


def test_include_fixtures(tmp_path: Path) -> None:
    write(tmp_path, {"tests/fixtures/Dockerfile": "FROM alpine:3.20\n"})
    assert "not-applicable" in run_cli(["scan", "iac", str(tmp_path)]).stdout
    out = run_cli(["scan", "iac", str(tmp_path), "--include-fixtures", "--format", "json"])
    findings = json.loads(out.stdout)["practices"][0]["findings"]
    assert [(f["rule"], f["locations"][0]["path"]) for f in findings] == [
        ("IAC-DOCKER-ROOT-USER", "tests/fixtures/Dockerfile")
    ]


def _git(root: Path, *args: str) -> None:
    import subprocess

    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "HOME": str(root),
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args], cwd=root, check=True, env=env, capture_output=True
    )


OPEN_SG = """
resource "aws_security_group" "{name}" {{
  ingress {{
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }}
}}
"""


def test_since_fails_only_on_findings_new_since_the_revision(tmp_path: Path) -> None:
    root = tmp_path / "r"
    write(root, {"main.tf": OPEN_SG.format(name="old")})
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "old")
    # the old problem moves down two lines; unchanged, it does not fail the gate
    (root / "main.tf").write_text("# moved\n\n" + OPEN_SG.format(name="old"))
    unchanged = run_cli(["scan", "iac", str(root), "--since", "HEAD", "-f", "json"])
    assert unchanged.code == 0
    findings = json.loads(unchanged.stdout)["practices"][0]["findings"]
    assert {(f["rule"], f["baseline_state"]) for f in findings} == {("IAC-AWS-SG-OPEN-SSH", "unchanged")}
    # a new one does
    (root / "new.tf").write_text(OPEN_SG.format(name="new"))
    new = run_cli(["scan", "iac", str(root), "--since", "HEAD", "-f", "json"])
    assert new.code == 1
    states = sorted(
        (f["locations"][0]["path"], f["baseline_state"])
        for f in json.loads(new.stdout)["practices"][0]["findings"]
        if f["rule"] == "IAC-AWS-SG-OPEN-SSH"
    )
    assert states == [("main.tf", "unchanged"), ("new.tf", "new")]
    assert run_cli(["scan", "iac", str(root)]).code == 1


def test_since_needs_a_known_revision_in_a_git_repository(tmp_path: Path) -> None:
    root = write(tmp_path / "r", {"main.tf": OPEN_SG.format(name="x")})
    not_git = run_cli(["scan", "iac", str(root), "--since", "HEAD"])
    assert not_git.code == 2 and "--since needs a git repository" in not_git.stderr
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "x")
    unknown = run_cli(["scan", "iac", str(root), "--since", "no-such-branch"])
    assert unknown.code == 2 and "--since no-such-branch: not a commit of the repository" in unknown.stderr
