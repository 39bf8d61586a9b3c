"""Semgrep's results are cached per file (path and bytes), Semgrep version and rule pack digest: a
second run gives unchanged files to no Semgrep process, a changed file or rule pack is checked again.

A stand-in program logs each time it is started (one JSON line of argv per start)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from secloop.sast.cache import AnalysisCache
from secloop.sast.scan import scan_sast
from secloop.sast.semgrep import RULES_ENV, SEMGREP_ENV, rules_dir
from secloop.sources.repo import Repo
from tests.sast.conftest import FLASK, rows, run_cli, write

FAKE = """#!{python}
import json, pathlib, sys
with open({log!r}, "a", encoding="utf-8") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\\n")
if "--version" in sys.argv:
    print("9.9.9")
    raise SystemExit(0)
results, errors = [], []
for p in (a for a in sys.argv if a.endswith((".py", ".js"))):
    line = len(pathlib.Path(p).read_text().splitlines())
    rule = "SAST-JS-EVAL" if p.endswith(".js") else "SAST-PY-TAINT-SQL"
    results.append({{"check_id": "rules.semgrep.r", "path": p, "start": {{"line": line, "col": 1}},
                    "extra": {{"metadata": {{"secloop_rule": rule}}}}}})
    if p.endswith("broken.js"):
        errors.append({{"message": "Syntax error at line 1", "path": p}})
    if p.endswith("crash.js"):
        errors.append({{"message": "Fatal error: out of memory", "type": "Fatal"}})
print(json.dumps({{"results": results, "errors": errors}}))
"""

APP = FLASK + '\n@app.get("/a")\ndef a():\n    return "ok"\n'
FILES = {"app.py": APP, "web/ui.js": "// ui\neval(location.hash);\n", "web/broken.js": "let = ;\n"}


@pytest.fixture
def started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The log of the stand-in Semgrep's starts; a cache folder of this test's own."""
    log = tmp_path / "starts.jsonl"
    program = tmp_path / "bin" / "fake-semgrep"
    program.parent.mkdir()
    program.write_text(FAKE.format(python=sys.executable, log=str(log)), "utf-8")
    program.chmod(0o755)
    monkeypatch.setenv(SEMGREP_ENV, str(program))
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(tmp_path / "cache"))
    return log


def starts(log: Path) -> list[list[str]]:
    """The runs logged since the last call (each as its files, or ["--version"]), and a fresh log."""
    if not log.is_file():
        return []
    runs = [json.loads(line) for line in log.read_text("utf-8").splitlines()]
    log.unlink()
    return [["--version"] if "--version" in argv else _files(argv) for argv in runs]


def _files(argv: list[str]) -> list[str]:
    return [Path(a).name for a in argv if a.endswith((".py", ".js"))]


def scan(root: Path, *, enabled: bool = True) -> list[tuple[str, str, int, str]]:
    found = scan_sast(Repo(root), bandit=False, cache=AnalysisCache(enabled=enabled))
    assert "semgrep 9.9.9" in found.engines
    return rows(found)


EXPECTED = [
    ("SAST-PY-TAINT-SQL", "app.py", 8, "high"),
    ("SAST-JS-EVAL", "web/broken.js", 1, "high"),
    ("SAST-JS-EVAL", "web/ui.js", 2, "high"),
]


def test_unchanged_files_are_not_given_to_semgrep_again(tmp_path: Path, started: Path) -> None:
    root = write(tmp_path / "repo", FILES)
    assert scan(root) == EXPECTED
    assert starts(started) == [["--version"], ["app.py", "broken.js", "ui.js"]]
    second = scan_sast(Repo(root), bandit=False)
    assert rows(second) == EXPECTED
    assert starts(started) == []  # no Semgrep process at all: results and version were kept
    # a file's own error is kept with its results
    assert [(s.path, s.reason) for s in second.skipped] == [
        ("web/broken.js", "Semgrep: Syntax error at line 1")
    ]
    (root / "web" / "ui.js").write_text("// ui\n\neval(location.hash);\n", "utf-8")
    assert scan(root) == [*EXPECTED[:2], ("SAST-JS-EVAL", "web/ui.js", 3, "high")]
    assert starts(started) == [["ui.js"]]


def test_without_the_cache_every_file_is_checked(tmp_path: Path, started: Path) -> None:
    root = write(tmp_path / "repo", FILES)
    assert scan(root) == EXPECTED
    starts(started)
    assert scan(root, enabled=False) == EXPECTED
    assert starts(started) == [["--version"], ["app.py", "broken.js", "ui.js"]]


def test_a_changed_rule_pack_or_program_checks_every_file_again(
    tmp_path: Path, started: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = rules_dir()
    assert pack is not None
    shutil.copytree(pack, tmp_path / "pack")
    monkeypatch.setenv(RULES_ENV, str(tmp_path / "pack"))
    root = write(tmp_path / "repo", FILES)
    scan(root)
    assert starts(started) == [["--version"], ["app.py", "broken.js", "ui.js"]]
    (tmp_path / "pack" / "README.md").write_text("not a rule file\n", "utf-8")
    scan(root)
    assert starts(started) == []
    with (tmp_path / "pack" / "javascript.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n# a changed pack\n")
    assert scan(root) == EXPECTED
    assert starts(started) == [["app.py", "broken.js", "ui.js"]]
    program = tmp_path / "bin" / "fake-semgrep"
    program.write_text(program.read_text("utf-8") + "\n# a new build\n", "utf-8")
    scan(root)
    assert starts(started) == [["--version"]]  # the same version: its results still hold


def test_a_run_with_an_error_about_no_file_is_not_kept(tmp_path: Path, started: Path) -> None:
    root = write(tmp_path / "repo", {**FILES, "web/crash.js": "x;\n"})
    for _ in range(2):
        found = scan_sast(Repo(root), bandit=False)
        assert [(s.path, s.reason) for s in found.skipped] == [
            (".", "Semgrep: Fatal error: out of memory"),
            ("web/broken.js", "Semgrep: Syntax error at line 1"),
        ]
        assert starts(started)[-1] == ["app.py", "broken.js", "crash.js", "ui.js"]


def _semgrep_findings(stdout: str) -> list[tuple[str, str, int]]:
    (result,) = json.loads(stdout)["practices"]
    return [
        (f["rule"], f["locations"][0]["path"], f["locations"][0]["start_line"])
        for f in result["findings"]
        if f["rule"].startswith("SAST-JS-")
    ]


def test_the_command_reuses_results_unless_no_cache(tmp_path: Path, started: Path) -> None:
    root = write(tmp_path / "repo", FILES)
    args = ["scan", "sast", str(root), "--format", "json", "--fail-on", "critical"]
    first = run_cli(args)
    assert first.code == 0, first.stderr
    assert starts(started) == [["--version"], ["app.py", "broken.js", "ui.js"]]
    second = run_cli(args)
    assert second.code == 0 and starts(started) == []
    assert (
        _semgrep_findings(second.stdout)
        == _semgrep_findings(first.stdout)
        == [
            ("SAST-JS-EVAL", "web/broken.js", 1),
            ("SAST-JS-EVAL", "web/ui.js", 2),
        ]
    )
    assert run_cli([*args, "--no-cache"]).code == 0
    assert starts(started) == [["--version"], ["app.py", "broken.js", "ui.js"]]
