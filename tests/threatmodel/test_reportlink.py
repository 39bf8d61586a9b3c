"""Mitigations verified by a SAST rule or IaC check in a secloop JSON report (`check --report`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import Result

from secloop.threatmodel.problems import ModelError
from secloop.threatmodel.reportlink import read_report
from tests.threatmodel.conftest import FIXTURES, problems

Invoke = Callable[..., Result]
AS_OF = ("--as-of", "2026-12-01")
# Real output of `secloop scan sast -f json` on a repo whose src/shop/db.py:2 builds SQL with '%'.
SAST_REPORT = FIXTURES / "sast-report.json"
CALLER = "THREAT-7457C7B69C"  # TM-SPOOF-FLOW-CALLER on 'order', linked to a test
SQL = "THREAT-7175BA620C"  # TM-TAMPER-SQL-INJECTION on 'store'
B608_AT_DB = (
    "SAST-PY-B608 has an active finding at src/shop/db.py:2 in sast-report.json: "
    "Possible SQL injection vector through string-based query construction."
)
ACCEPTED_SQL = """\
  - rule: TM-TAMPER-SQL-INJECTION
    target: store
    status: accepted
    reason: The ORM builds every query.
    expires: 2027-01-31
"""


def _model(tmp_path: Path, mitigation: str) -> str:
    text = (FIXTURES / "shop.yaml").read_text()
    assert ACCEPTED_SQL in text
    linked = (
        "  - rule: TM-TAMPER-SQL-INJECTION\n    target: store\n    status: mitigated\n    mitigations:\n"
        "      - description: Parameterised queries in the shop code.\n" + mitigation
    )
    path = tmp_path / "shop.yaml"
    path.write_text(text.replace(ACCEPTED_SQL, linked))
    return str(path)


def _iac_report(tmp_path: Path, status: str = "pass", findings: list[dict[str, Any]] | None = None) -> Path:
    doc = {
        "schema": "secloop.assessment/v1",
        "practices": [{"id": "build.iac-scanning", "status": status, "findings": findings or []}],
    }
    path = tmp_path / "iac-report.json"
    path.write_text(json.dumps(doc, indent=2))
    return path


def _check(invoke: Invoke, model: str, *options: str) -> tuple[int, dict[str, Any]]:
    result = invoke("threatmodel", "check", model, "-f", "json", *options, *AS_OF)
    return result.exit_code, json.loads(result.output)


def _threat(doc: dict[str, Any], threat_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in doc["threats"] if t["id"] == threat_id)
    return found


def test_an_active_finding_of_the_linked_rule_reopens_the_threat(invoke: Invoke, tmp_path: Path) -> None:
    model = _model(tmp_path, '        sast: SAST-PY-B608\n        path: "src/shop/**"\n')
    code, doc = _check(invoke, model, "--report", str(SAST_REPORT))
    assert code == 1
    sql = _threat(doc, SQL)
    assert (sql["status"], sql["reason"]) == ("open", B608_AT_DB)
    assert sql["verification"] == {
        "state": "failed",
        "tests": [],
        "reason": B608_AT_DB,
        "checks": ["sast:SAST-PY-B608@src/shop/**"],
    }
    assert sql["mitigations"][0] == {
        "description": "Parameterised queries in the shop code.",
        "tests": [],
        "sast": "SAST-PY-B608",
        "path": "src/shop/**",
    }
    assert doc["verification"] == {"verified": 0, "failed": 1, "unverified": 5}
    # Without --report nothing is judged and the mitigated threat does not fail the gate.
    assert invoke("threatmodel", "check", model, *AS_OF).exit_code == 0


def test_the_terminal_names_the_finding(invoke: Invoke, tmp_path: Path) -> None:
    model = _model(tmp_path, "        sast: SAST-PY-B608\n")
    result = invoke("threatmodel", "check", model, "--report", str(SAST_REPORT), *AS_OF)
    assert result.exit_code == 1
    assert "   verification by the latest test run: 0 verified, 1 failed, 5 unverified" in result.output
    assert f"   {SQL} open again: {B608_AT_DB}" in result.output


def test_a_finding_outside_the_path_glob_does_not_count(invoke: Invoke, tmp_path: Path) -> None:
    model = _model(tmp_path, '        sast: SAST-PY-B608\n        path: "services/**"\n')
    code, doc = _check(invoke, model, "--report", str(SAST_REPORT))
    assert code == 0
    sql = _threat(doc, SQL)
    assert sql["status"] == "mitigated"
    assert sql["verification"] == {
        "state": "verified",
        "tests": [],
        "reason": None,
        "checks": ["sast:SAST-PY-B608@services/**"],
    }
    assert doc["verification"] == {"verified": 1, "failed": 0, "unverified": 5}


def test_a_suppressed_or_baselined_finding_is_not_active(invoke: Invoke, tmp_path: Path) -> None:
    doc = json.loads(SAST_REPORT.read_text())
    doc["practices"][0]["findings"][0]["active"] = False
    report = tmp_path / "sast-report.json"
    report.write_text(json.dumps(doc))
    code, out = _check(invoke, _model(tmp_path, "        sast: SAST-PY-B608\n"), "--report", str(report))
    assert code == 0
    assert _threat(out, SQL)["verification"]["state"] == "verified"


def test_a_clean_iac_check_verifies_and_a_rule_outside_the_report_does_not(
    invoke: Invoke, tmp_path: Path
) -> None:
    model = _model(tmp_path, "        iac: IAC-AWS-S3-ENCRYPTION\n")
    code, doc = _check(invoke, model, "--report", str(_iac_report(tmp_path)))
    assert code == 0
    assert _threat(doc, SQL)["verification"] == {
        "state": "verified",
        "tests": [],
        "reason": None,
        "checks": ["iac:IAC-AWS-S3-ENCRYPTION"],
    }
    # The IaC report never ran the SAST rule: unverified, and saying why.
    model = _model(tmp_path, "        sast: SAST-PY-B608\n")
    code, doc = _check(invoke, model, "--report", str(_iac_report(tmp_path)))
    assert code == 0
    sql = _threat(doc, SQL)
    assert sql["status"] == "mitigated"
    assert sql["verification"] == {
        "state": "unverified",
        "tests": [],
        "reason": "SAST-PY-B608 was not part of iac-report.json",
        "checks": ["sast:SAST-PY-B608"],
    }
    # A threat without any link, judged by a report alone.
    assert _threat(doc, CALLER)["verification"] == {
        "state": "unverified",
        "tests": [],
        "reason": "no linked SAST rule or IaC check",
    }


def test_an_undecided_practice_did_not_check_its_rules(invoke: Invoke, tmp_path: Path) -> None:
    model = _model(tmp_path, "        iac: IAC-AWS-S3-ENCRYPTION\n")
    code, doc = _check(invoke, model, "--report", str(_iac_report(tmp_path, status="unknown")))
    assert code == 0
    assert (
        _threat(doc, SQL)["verification"]["reason"] == "IAC-AWS-S3-ENCRYPTION was not part of iac-report.json"
    )
    # An iac finding without a line, in scope
    finding = {
        "rule": "IAC-AWS-S3-ENCRYPTION",
        "active": True,
        "message": "",
        "locations": [{"path": "main.tf"}],
    }
    report = _iac_report(tmp_path, status="fail", findings=[finding])
    code, doc = _check(invoke, model, "--report", str(report))
    assert code == 1
    assert (
        _threat(doc, SQL)["reason"]
        == "IAC-AWS-S3-ENCRYPTION has an active finding at main.tf in iac-report.json"
    )


def test_junit_and_report_together(invoke: Invoke, tmp_path: Path) -> None:
    # The SQL threat links both a test that passes and a SAST rule with an active finding: the finding wins.
    model = _model(tmp_path, "        sast: SAST-PY-B608\n        tests: [tests/test_db.py::test_params]\n")
    run = tmp_path / "run.xml"
    run.write_text(
        '<?xml version="1.0"?>\n<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_auth" name="test_orders_need_login"/>'
        '<testcase classname="tests.test_db" name="test_params"/>'
        "</testsuite></testsuites>\n"
    )
    code, doc = _check(invoke, model, "--junit", str(run), "--report", str(SAST_REPORT))
    assert code == 1
    assert _threat(doc, CALLER)["verification"] == {
        "state": "verified",
        "tests": ["tests.test_auth::test_orders_need_login"],
        "reason": None,
    }
    assert _threat(doc, SQL)["verification"] == {
        "state": "failed",
        "tests": ["tests.test_db::test_params"],
        "reason": B608_AT_DB,
        "checks": ["sast:SAST-PY-B608"],
    }
    assert doc["verification"] == {"verified": 1, "failed": 1, "unverified": 4}
    # With a clean report the passing test and the clean check both verify it.
    code, doc = _check(invoke, model, "--junit", str(run), "--report", str(_iac_report(tmp_path)))
    assert code == 0
    sql = _threat(doc, SQL)
    assert (sql["verification"]["state"], sql["verification"]["reason"]) == ("verified", None)


def _problem(result: Result) -> str:
    assert isinstance(result.exception, ModelError)  # the console script maps it to exit 2
    return result.exception.problems[0].render()


def test_a_malformed_report_is_an_input_error(invoke: Invoke, tmp_path: Path) -> None:
    model = _model(tmp_path, "        sast: SAST-PY-B608\n")
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "secloop.assessment/v1",\n  "practices": [}\n')
    result = invoke("threatmodel", "check", model, "--report", str(bad), *AS_OF)
    assert _problem(result).startswith(f"{bad}:2:17: not a secloop JSON report: Expecting value")
    other = tmp_path / "sarif.json"
    other.write_text('{"version": "2.1.0", "runs": []}')
    result = invoke("threatmodel", "check", model, "--report", str(other), *AS_OF)
    assert _problem(result).startswith(
        f"{other}:1:1: not a secloop JSON report: schema is None, expected 'secloop.assessment/v1'"
    )
    result = invoke("threatmodel", "check", model, "--report", str(tmp_path / "missing.json"), *AS_OF)
    assert _problem(result).startswith(f"{tmp_path / 'missing.json'}: the report file does not exist")


def test_read_report_knows_which_rules_were_checked() -> None:
    report = read_report(SAST_REPORT, {"build.sast": ("SAST-PY-B608", "SAST-PY-B101")})
    assert report.source == "sast-report.json"
    assert report.checked == frozenset({"SAST-PY-B608", "SAST-PY-B101"})
    assert [(f.rule, f.active, f.places) for f in report.findings] == [
        ("SAST-PY-B608", True, ("src/shop/db.py:2",))
    ]
    assert "SAST-PY-B101" in read_report(SAST_REPORT).checked  # the catalog's build.sast rules


def test_a_path_needs_a_sast_or_iac_link() -> None:
    text = """\
system:
  name: Minimal
  scope:
    in: [the api]
components:
  - id: api
    kind: process
threats:
  - rule: TM-SPOOF-FLOW-CALLER
    target: api
    mitigations:
      - description: scoped
        path: "src/**"
"""
    assert problems(text) == [
        "tm.yaml:12:9: threats[0].mitigations[0]: 'path' scopes a 'sast' or 'iac' link; give one of them"
    ]
