"""Bandit as an engine: exact findings, parse failures as skips, fingerprints without line numbers."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from secloop.core.enums import Confidence, Severity
from secloop.sast import bandit as bandit_engine
from secloop.sast.bandit import to_finding
from secloop.sast.rules import BANDIT_RULES, RULES
from tests.sast.conftest import rows, scan_dir, write

APP = """
import subprocess
import hashlib


def run(cmd):
    subprocess.call(cmd, shell=True)


class Store:
    def digest(self, data):
        return hashlib.md5(data).hexdigest()
"""


def test_bandit_findings_become_secloop_findings(tmp_path: Path) -> None:
    scan = scan_dir(write(tmp_path, {"app/tool.py": APP}))
    assert rows(scan) == [
        ("SAST-PY-B404", "app/tool.py", 1, "low"),
        ("SAST-PY-B602", "app/tool.py", 6, "high"),
        ("SAST-PY-B324", "app/tool.py", 11, "high"),
    ]
    b602 = scan.findings[1]
    assert b602.message == "subprocess call with shell=True identified, security issue."
    assert b602.confidence is Confidence.HIGH
    assert b602.fix == "Pass a list of arguments without shell=True."
    assert dict(b602.properties) == {"engine": "bandit", "bandit_test": "B602", "scope": "run"}
    assert dict(scan.findings[2].properties)["scope"] == "Store.digest"
    assert scan.engines[0].startswith("bandit ")


def test_project_bandit_settings_are_honoured(tmp_path: Path) -> None:
    files = {"pyproject.toml": '[tool.bandit]\nskips = ["B404", "B324"]\n', "app/tool.py": APP}
    assert rows(scan_dir(write(tmp_path, files))) == [("SAST-PY-B602", "app/tool.py", 6, "high")]


def test_clean_file_has_no_findings(tmp_path: Path) -> None:
    scan = scan_dir(write(tmp_path, {"app/ok.py": "def add(a, b):\n    return a + b\n"}))
    assert rows(scan) == []
    assert scan.files == ("app/ok.py",)


def test_unparseable_file_is_skipped_with_its_line(tmp_path: Path) -> None:
    files = {
        "app/new.py": 'def f(xs):\n    return f"{"-".join(xs)}"\n\n\ntype Alias = int\n',
        "app/tool.py": APP,
    }
    scan = scan_dir(write(tmp_path, files))
    (skip,) = scan.skipped
    assert (skip.path, skip.line) == ("app/new.py", 2)
    assert skip.reason.startswith("Python syntax this interpreter (3.11) cannot parse")
    assert [r[0] for r in rows(scan)] == ["SAST-PY-B404", "SAST-PY-B602", "SAST-PY-B324"]


def test_fingerprints_survive_inserted_lines_and_reformatting(tmp_path: Path) -> None:
    before = scan_dir(write(tmp_path / "a", {"app/tool.py": APP}))
    moved = "# a comment\n\n\n" + APP.replace(
        "subprocess.call(cmd, shell=True)", "subprocess.call( cmd,  shell = True )"
    )
    after = scan_dir(write(tmp_path / "b", {"app/tool.py": moved}))
    assert [f.primary.start_line for f in after.findings if f.primary] == [5, 10, 15]
    assert [f.fingerprint for f in before.findings] == [f.fingerprint for f in after.findings]
    renamed = scan_dir(write(tmp_path / "c", {"app/tool.py": APP.replace("def run(", "def launch(")}))
    assert renamed.findings[1].fingerprint != before.findings[1].fingerprint


def test_two_identical_issues_in_one_function_have_distinct_fingerprints(tmp_path: Path) -> None:
    twice = "import os\n\n\ndef f(c):\n    os.system(c)\n    os.system(c)\n"
    scan = scan_dir(write(tmp_path, {"app/x.py": twice}))
    assert rows(scan) == [("SAST-PY-B605", "app/x.py", 5, "high"), ("SAST-PY-B605", "app/x.py", 6, "high")]
    assert scan.findings[0].fingerprint != scan.findings[1].fingerprint


def test_tests_and_fixtures_are_skipped_unless_asked(tmp_path: Path) -> None:
    write(tmp_path, {"tests/test_x.py": "assert 1 == 1\n", "app/ok.py": "X = 1\n"})
    assert rows(scan_dir(tmp_path)) == []
    assert rows(scan_dir(tmp_path, include_fixtures=True)) == [("SAST-PY-B101", "tests/test_x.py", 1, "low")]


def test_unmapped_bandit_test_is_not_reported() -> None:
    assert to_finding({"test_id": "B999", "line_number": 1}, "a.py") is None
    mapped = to_finding({"test_id": "B105", "line_number": 3, "issue_severity": "UNDEFINED"}, "a.py")
    assert mapped is not None
    assert (mapped.rule_id, mapped.severity, mapped.confidence) == (
        "SAST-PY-B105",
        Severity.LOW,
        Confidence.MEDIUM,
    )


def test_missing_bandit_is_a_skip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bandit_engine, "version", lambda: None)
    scan = scan_dir(write(tmp_path, {"app/tool.py": APP}))
    assert rows(scan) == []
    assert [(s.path, s.reason) for s in scan.skipped] == [
        (".", "Bandit is not installed (install secloop[sast])")
    ]
    assert scan.engines == ("secloop-taint",)


def test_rule_table() -> None:
    assert len(BANDIT_RULES) == 75
    rule = BANDIT_RULES["B608"]
    assert (rule.id, rule.severity, rule.cwe, rule.title) == (
        "SAST-PY-B608",
        Severity.MEDIUM,
        (89,),
        "SQL built from strings",
    )
    assert len({r.id for r in RULES}) == len(RULES) == 99


def test_results_are_cached_by_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(tmp_path / "cache"))
    repo = write(tmp_path / "repo", {"app/tool.py": APP, "app/copy.py": APP, "app/ok.py": "X = 1\n"})
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting(cmd: list[str], **kwargs: Any) -> Any:
        if "bandit" in cmd:
            calls.append([Path(c).name for c in cmd if c.endswith(".py")])
        return real_run(cmd, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting)
    first = scan_dir(repo)
    assert calls == [["copy.py", "ok.py"]]  # one copy of each distinct content
    assert [(r[1], r[2]) for r in rows(first)] == [
        ("app/copy.py", 1),
        ("app/copy.py", 6),
        ("app/copy.py", 11),
        ("app/tool.py", 1),
        ("app/tool.py", 6),
        ("app/tool.py", 11),
    ]
    calls.clear()
    assert rows(scan_dir(repo)) == rows(first)
    assert calls == []
    write(repo, {"app/ok.py": "import os\nos.system(cmd)\n"})
    changed = rows(scan_dir(repo))
    assert calls == [["ok.py"]]
    assert changed == [*rows(first)[:3], ("SAST-PY-B605", "app/ok.py", 2, "high"), *rows(first)[3:]]
