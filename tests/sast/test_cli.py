"""`secloop scan sast`: formats, the gate and its exit codes, what was not checked."""

from __future__ import annotations

import json
from pathlib import Path

from tests.sast.conftest import FLASK, run_cli, write

WEB = (
    FLASK
    + """
@app.route("/go")
def go():
    return redirect(request.args["next"])
"""
)
SHELL = "import os\n\n\ndef run(c):\n    os.system(c)\n"


def test_findings_fail_the_gate_and_are_listed(tmp_path: Path) -> None:
    write(tmp_path, {"app/tool.py": SHELL, "app/new.py": "type X = int\n"})
    out = run_cli(["scan", "sast", str(tmp_path)])
    assert out.code == 1
    text = " ".join(out.stdout.split())
    assert "fail: 1 high or critical finding in 1 Python file (1 high)" in text
    assert "high SAST-PY-B605 app/tool.py:5:5 Starting a process with a shell" in text
    assert (
        "not checked: app/new.py:1: Python syntax this interpreter (3.11) cannot parse: invalid syntax"
        in text
    )
    assert "gate: FAILED" in text


def test_fail_on_moves_the_threshold(tmp_path: Path) -> None:
    write(tmp_path, {"app/web.py": WEB})
    assert run_cli(["scan", "sast", str(tmp_path)]).code == 0  # medium open redirect, default gate high
    assert run_cli(["scan", "sast", str(tmp_path), "--fail-on", "medium"]).code == 1


def test_json_report(tmp_path: Path) -> None:
    write(tmp_path, {"app/web.py": WEB})
    out = run_cli(["scan", "sast", str(tmp_path), "--format", "json"])
    assert out.code == 0
    (result,) = json.loads(out.stdout)["practices"]
    assert (result["id"], result["status"]) == ("build.sast", "pass")
    assert [(f["rule"], f["locations"][0]["start_line"]) for f in result["findings"]] == [
        ("SAST-PY-TAINT-REDIRECT", 8)
    ]


def test_sarif_report_names_the_rules_and_fingerprints(tmp_path: Path) -> None:
    write(tmp_path, {"app/tool.py": SHELL})
    out_file = tmp_path / "out.sarif"
    out = run_cli(["scan", "sast", str(tmp_path), "--format", "sarif", "--output", str(out_file)])
    assert out.code == 1
    run = json.loads(out_file.read_text("utf-8"))["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["SAST-PY-B605"]
    assert "SAST-PY-B605" in {r["id"] for r in run["tool"]["driver"]["rules"]}
    assert all(r["partialFingerprints"] for r in run["results"])


def test_bad_format_is_a_usage_error(tmp_path: Path) -> None:
    out = run_cli(["scan", "sast", str(tmp_path), "--format", "xml"])
    assert out.code == 2
    assert "unknown format 'xml'" in out.stderr
    assert run_cli(["scan", "sast", str(tmp_path), "--fail-on", "urgent"]).code == 2
