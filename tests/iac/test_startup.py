"""`secloop scan iac` stays light: it imports no other practice's evaluator, and its own assessment
is the one `secloop.assess.engine_assessment` would make."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from secloop.assess import engine_assessment
from secloop.cli.iac import assessment_of, scan_result
from secloop.iac.scan import scan_iac
from secloop.inputs import prepare
from tests.iac.conftest import FIXTURES, ROOT

HEAVY = (
    "secloop.assess",
    "secloop.registry",
    "secloop.practices.registry",
    "secloop.practices.evaluators",
    "secloop.iac.practices",
)
PROBE = """
import json, sys
from secloop.cli.main import run
try:
    run(["scan", "iac", sys.argv[1], "--format", "json", "--output", sys.argv[2]])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "heavy": [m for m in HEAVY if m in sys.modules]}))
"""


def test_scan_iac_imports_no_other_evaluator(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "compose", tmp_path / "c")
    probe = f"HEAVY = {HEAVY!r}\n{PROBE}"
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "c"), str(tmp_path / "out.json")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    assert json.loads(proc.stdout.splitlines()[-1]) == {"code": 1, "heavy": []}
    report = json.loads((tmp_path / "out.json").read_text("utf-8"))
    assert report["practices"][0]["id"] == "build.iac-scanning"


@pytest.mark.parametrize("folder", ["terraform/network", "kubernetes", "malformed"])
def test_the_light_assessment_equals_engine_assessment(
    folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    shutil.copytree(FIXTURES / folder, tmp_path / "repo")
    prepared = prepare(tmp_path / "repo", None, use_baseline=True)
    result = scan_result(prepared, scan_iac(prepared.repo))
    today = date(2026, 1, 1)
    ours = assessment_of(prepared, result, today=today)
    assert ours == engine_assessment(prepared, [result], "secloop scan iac", today=today)
    assert ours.results[0].findings or ours.skipped
