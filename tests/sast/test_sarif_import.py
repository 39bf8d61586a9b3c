"""`secloop import sarif`: any SARIF 2.1.0 producer's results as secloop findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from secloop.core.enums import Severity
from secloop.core.errors import InputError, SecloopError
from secloop.sast.sarif_import import parse_sarif, rule_id
from tests.sast.conftest import Outcome, write


def _result(rule: str, path: str, line: int, **extra: Any) -> dict[str, Any]:
    loc = {"physicalLocation": {"artifactLocation": {"uri": path}, "region": {"startLine": line}}}
    return {"ruleId": rule, "message": {"text": f"{rule} here"}, "locations": [loc], **extra}


def _log(*runs: dict[str, Any]) -> str:
    return json.dumps({"version": "2.1.0", "runs": list(runs)})


CODEQL = {
    "tool": {
        "driver": {
            "name": "CodeQL",
            "semanticVersion": "2.19.0",
            "rules": [
                {
                    "id": "py/sql-injection",
                    "shortDescription": {"text": "SQL query built from user-controlled sources"},
                    "properties": {"security-severity": "8.8", "tags": ["security", "external/cwe/cwe-089"]},
                }
            ],
        }
    },
    "results": [
        {
            **_result("py/sql-injection", "src/db.py", 12),
            "partialFingerprints": {"primaryLocationLineHash": "ab12"},
        }
    ],
}
SEMGREP = {
    "tool": {"driver": {"name": "Semgrep OSS", "rules": [{"id": "python.eval"}]}},
    "results": [
        _result("python.eval", "src/calc.py", 3, level="warning"),
        _result(
            "python.eval",
            "src/calc.py",
            9,
            level="error",
            suppressions=[{"kind": "inSource", "justification": "constant input"}],
        ),
    ],
}


def test_results_become_findings_with_rules(tmp_path: Path) -> None:
    write(tmp_path, {"src/calc.py": "import x\n\nv = eval(s)\n"})
    imported = parse_sarif(_log(CODEQL, SEMGREP), "scan.sarif", tmp_path)
    assert [(f.rule_id, str(f.primary), f.severity) for f in imported.findings] == [
        ("SARIF-SEMGREP-OSS-PYTHON-EVAL", "src/calc.py:3", Severity.MEDIUM),
        ("SARIF-CODEQL-PY-SQL-INJECTION", "src/db.py:12", Severity.HIGH),
    ]
    rules = {r.id: r for r in imported.rules}
    assert rules["SARIF-CODEQL-PY-SQL-INJECTION"].title == "SQL query built from user-controlled sources"
    assert imported.tools == ("CodeQL 2.19.0", "Semgrep OSS")
    assert [(s.path, s.line, s.reason) for s in imported.skipped] == [
        ("src/calc.py", 9, "SARIF-SEMGREP-OSS-PYTHON-EVAL suppressed by Semgrep OSS: constant input")
    ]
    assert dict(imported.findings[0].properties) == {"engine": "Semgrep OSS", "original_rule": "python.eval"}


def test_audit_counts_producer_suppressions() -> None:
    imported = parse_sarif(_log(SEMGREP), "scan.sarif", audit=True)
    assert [(str(f.primary), f.severity) for f in imported.findings] == [
        ("src/calc.py:3", Severity.MEDIUM),
        ("src/calc.py:9", Severity.HIGH),
    ]


def test_fingerprints_do_not_follow_line_numbers(tmp_path: Path) -> None:
    write(tmp_path / "a", {"src/calc.py": "import x\n\nv = eval(s)\n"})
    write(tmp_path / "b", {"src/calc.py": "import os\n\n\nv  =  eval( s )\n"})
    first = parse_sarif(_log(SEMGREP), "a.sarif", tmp_path / "a")
    moved = json.loads(_log(SEMGREP))
    moved["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 4
    second = parse_sarif(json.dumps(moved), "b.sarif", tmp_path / "b")
    assert first.findings[0].fingerprint == second.findings[0].fingerprint
    codeql = parse_sarif(_log(CODEQL), "c.sarif")
    shifted = json.loads(_log(CODEQL))
    shifted["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 40
    assert (
        codeql.findings[0].fingerprint == parse_sarif(json.dumps(shifted), "c.sarif").findings[0].fingerprint
    )


def test_rule_index_and_security_severity() -> None:
    run = {
        "tool": {
            "driver": {"name": "x", "rules": [{"id": "R1", "properties": {"security-severity": "9.1"}}]}
        },
        "results": [{"ruleIndex": 0, "message": {"text": "m"}}],
    }
    (finding,) = parse_sarif(_log(run), "s.sarif").findings
    assert (finding.rule_id, finding.severity, finding.locations) == ("SARIF-X-R1", Severity.CRITICAL, ())
    assert rule_id("ESLint", "security/detect-eval") == "SARIF-ESLINT-SECURITY-DETECT-EVAL"


def test_malformed_input_is_an_input_error() -> None:
    with pytest.raises(InputError) as bad_json:
        parse_sarif('{"version": "2.1.0",\n "runs": [}', "scan.sarif")
    assert str(bad_json.value.place) == "scan.sarif:2:11"
    with pytest.raises(InputError, match=r"not a SARIF 2\.1\.0 log"):
        parse_sarif('{"version": "2.0.0", "runs": []}', "old.sarif")


def _run(args: list[str]) -> Outcome:
    from secloop.cli import sast

    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
    sast.register(app)
    result = CliRunner().invoke(app, args, catch_exceptions=True)
    if isinstance(result.exception, SecloopError):
        return Outcome(result.exception.exit_code, result.stdout, result.stderr + result.exception.render())
    return Outcome(result.exit_code, result.stdout, result.stderr)


def test_cli_imports_gates_and_renders(tmp_path: Path) -> None:
    log = tmp_path / "scan.sarif"
    log.write_text(_log(CODEQL, SEMGREP), "utf-8")
    out = _run(["import", "sarif", str(log), "--root", str(tmp_path), "--format", "json"])
    assert out.code == 1
    (result,) = json.loads(out.stdout)["practices"]
    assert result["status"] == "fail"
    assert result["summary"] == "2 findings imported, high or critical among them (1 high, 1 medium)"
    assert [f["rule"] for f in result["findings"]] == [
        "SARIF-SEMGREP-OSS-PYTHON-EVAL",
        "SARIF-CODEQL-PY-SQL-INJECTION",
    ]
    assert _run(["import", "sarif", str(log), "--root", str(tmp_path), "--fail-on", "critical"]).code == 0
    sarif = tmp_path / "out.sarif"
    _run(["import", "sarif", str(log), "--root", str(tmp_path), "-f", "sarif", "-o", str(sarif)])
    rules = json.loads(sarif.read_text("utf-8"))["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} == {"SARIF-SEMGREP-OSS-PYTHON-EVAL", "SARIF-CODEQL-PY-SQL-INJECTION"}
    broken = tmp_path / "broken.sarif"
    broken.write_text("{", "utf-8")
    bad = _run(["import", "sarif", str(broken), "--root", str(tmp_path)])
    assert bad.code == 2
    assert f"{broken}:1:2: not valid JSON" in bad.stderr
