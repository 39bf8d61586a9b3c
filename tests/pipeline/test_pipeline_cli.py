"""`secloop scan pipeline`: the pipeline practices on their own, formats, gate and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secloop.cli.main import run as run_cli

RISKY = """\
on: pull_request_target
permissions: write-all
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - if: |
          ${{ github.actor == 'me' }}
        run: make test
"""
CLEAN = """\
on: push
permissions: {}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683
        with:
          persist-credentials: false
      - run: make test
"""


def run(args: list[str]) -> int:
    """The console script's exit code for `args`."""
    with pytest.raises(SystemExit) as exited:
        run_cli(args)
    return int(exited.value.code or 0)


def _repo(root: Path, workflow: str) -> Path:
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text(workflow)
    return root


def test_risky_workflow_fails_the_gate_with_json_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "r", RISKY)
    assert run(["scan", "pipeline", str(repo), "-f", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    found = {(f["rule"], f["locations"][0]["start_line"]) for p in doc["practices"] for f in p["findings"]}
    assert {
        ("GHA-DANGEROUS-TRIGGER", 1),
        ("GHA-EXCESSIVE-PERMISSIONS", 2),
        ("GHA-UNPINNED-ACTION", 7),
        ("GHA-UNSOUND-CONDITION", 10),
    } <= found
    assert {p["id"] for p in doc["practices"]} >= {f"pipeline.cicd-sec-{n}" for n in range(1, 11)}
    assert all(p["id"].startswith("pipeline.") for p in doc["practices"])


def test_clean_workflow_passes_and_the_threshold_moves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo(tmp_path / "c", CLEAN)
    assert run(["scan", "pipeline", str(repo)]) == 0
    assert "gate: passed" in capsys.readouterr().out
    risky = _repo(tmp_path / "r", RISKY)
    assert run(["scan", "pipeline", str(risky), "--fail-on", "none"]) == 0


def test_sarif_written_atomically_to_a_file(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "r", RISKY)
    out = tmp_path / "out.sarif"
    assert run(["scan", "pipeline", str(repo), "-f", "sarif", "-o", str(out)]) == 1
    sarif = json.loads(out.read_text("utf-8"))
    ids = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "GHA-UNSOUND-CONDITION" in ids


def test_bad_format_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "r", CLEAN)
    assert run(["scan", "pipeline", str(repo), "-f", "xml"]) == 2
    assert "unknown format 'xml'" in capsys.readouterr().err


def test_unreadable_workflow_is_listed_not_fatal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo(tmp_path / "r", "on: push\njobs: [\n")
    assert run(["scan", "pipeline", str(repo), "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(s["path"], s["line"]) for s in doc["skipped"]] == [(".github/workflows/ci.yml", 3)]
