"""`scan deps` start-up: the command assembles its report without secloop.assess (which imports every
evaluator of every engine), and that assembly stays equal to `engine_assessment`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from secloop.assess import engine_assessment
from secloop.cli.deps import _assessment, _registry
from secloop.deps.db import AdvisoryDB
from secloop.deps.ignores import apply_ignores
from secloop.deps.practices import vulnerability_result
from secloop.deps.scan import scan_repo
from secloop.deps.settings import load_settings
from secloop.inputs import prepare
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from tests.deps.conftest import ROOT, write

PROBE = """
import json, sys
from secloop.cli import main
try:
    main.run(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = ["secloop.assess", "secloop.practices.registry", "secloop.registry"]
print(json.dumps({"code": code, "loaded": [m for m in heavy if m in sys.modules]}))
"""


def test_scan_deps_json_loads_neither_the_evaluators_nor_the_rule_registry(
    tmp_path: Path, osv_dir: Path
) -> None:
    repo = write(tmp_path / "repo", {"requirements.txt": "PyYAML==5.3.1\n"})
    env = {**os.environ, "SECLOOP_OSV_DIR": str(osv_dir), "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            PROBE,
            "scan",
            "deps",
            str(repo),
            "--format",
            "json",
            "-o",
            str(tmp_path / "r"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert json.loads(done.stdout.splitlines()[-1]) == {"code": 1, "loaded": []}, done.stderr
    report = json.loads((tmp_path / "r").read_text())
    assert [f["rule"] for p in report["practices"] for f in p["findings"]] == ["DEP-VULN"]


@pytest.mark.parametrize("epoch", [None, "1780272000"])
def test_the_assembly_equals_engine_assessment(
    tmp_path: Path, osv_dir: Path, monkeypatch: pytest.MonkeyPatch, epoch: str | None
) -> None:
    if epoch is None:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    else:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    repo = write(
        tmp_path / "repo",
        {
            "requirements.txt": "PyYAML==5.3.1\nflask==3.1.1\n-e ./local\n",
        },
    )
    prepared = prepare(repo, None, use_baseline=True)
    db = AdvisoryDB.open(osv_dir)
    scan = scan_repo(prepared.repo, db)
    practice = next(p for p in load_catalog() if p.id == "build.sca")
    today = date.today()
    applied = apply_ignores(scan.findings, load_settings(repo, today=today), today)
    results = [vulnerability_result(Context(prepared.repo, prepared.config, practice), scan, ignores=applied)]
    ours = _assessment(prepared, results, db.snapshot)
    theirs = engine_assessment(prepared, results, "secloop scan deps", snapshots=db.snapshot.pairs())
    if epoch is None:  # no commit: both fall back to the wall clock, a second or so apart
        ours = replace(ours, created_at=theirs.created_at)
    assert ours == theirs
    assert ours.skipped  # the editable requirement is listed, once
    assert {r.id for r in _registry()} >= {f.rule_id for r in ours.results for f in r.findings}
