"""Diff-aware scans (`--since REF`), the analysis cache and audit mode."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from secloop.sast.cache import AnalysisCache
from secloop.sast.scan import scan_sast
from secloop.sources.repo import Repo
from tests.sast.conftest import FLASK, rows, run_cli, write

OLD = (
    FLASK
    + """
import os

@app.post("/a")
def a():
    os.system("echo " + request.form["a"])
    return "ok"
"""
)
NEW_FUNCTION = """
@app.post("/b")
def b():
    os.system("echo " + request.form["a"])
    return "ok"
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def _repo(root: Path) -> Path:
    write(root, {"app/web.py": OLD, "app/util.py": "X = 1\n"})
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.email=t@example.org", "-c", "user.name=t", "add", ".")
    _git(root, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-q", "-m", "one")
    return root


def _findings(stdout: str) -> list[tuple[str, str, int, str]]:
    (result,) = json.loads(stdout)["practices"]
    return [
        (f["rule"], f["locations"][0]["path"], f["locations"][0]["start_line"], f["baseline_state"])
        for f in result["findings"]
        if f["rule"].startswith("SAST-PY-TAINT")
    ]


def _evidence(stdout: str) -> list[str]:
    (result,) = json.loads(stdout)["practices"]
    return [line for line in result["evidence"] if "--since" in line]


def test_since_only_new_findings_fail(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    # lines inserted above the old finding: it moves from line 11 to 14 but stays the same finding
    (root / "app/web.py").write_text(OLD.replace("import os\n", "import os\n\n\nX = 2\n"), "utf-8")
    out = run_cli(["scan", "sast", str(root), "--since", "HEAD", "--format", "json"])
    assert out.code == 0
    assert _findings(out.stdout) == [("SAST-PY-TAINT-CMD", "app/web.py", 14, "unchanged")]
    assert _evidence(out.stdout)[0].endswith("1 source file(s) changed; 0 finding(s) new, 2 already there")
    assert run_cli(["scan", "sast", str(root), "--format", "json"]).code == 1  # without --since: all count


def test_since_a_second_identical_issue_and_a_new_file_are_new(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "app/web.py").write_text(OLD + NEW_FUNCTION, "utf-8")
    write(root, {"app/more.py": OLD})  # untracked: new as a whole
    out = run_cli(["scan", "sast", str(root), "--since", "main", "--format", "json"])
    assert out.code == 1
    assert _findings(out.stdout) == [
        ("SAST-PY-TAINT-CMD", "app/more.py", 10, "new"),
        ("SAST-PY-TAINT-CMD", "app/web.py", 11, "unchanged"),
        ("SAST-PY-TAINT-CMD", "app/web.py", 16, "new"),
    ]


def test_since_a_fix_leaves_nothing_new(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "app/web.py").write_text(OLD.replace('"echo " + request.form["a"]', '"echo hi"'), "utf-8")
    out = run_cli(["scan", "sast", str(root), "--since", "HEAD", "--format", "json"])
    assert (out.code, _findings(out.stdout)) == (0, [])


def test_since_an_unknown_ref_is_a_usage_error(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    out = run_cli(["scan", "sast", str(root), "--since", "no-such-branch"])
    assert out.code == 2
    assert "--since no-such-branch: not a commit of the repository" in out.stderr


def test_cache_reanalyses_only_changed_files_and_their_importers(tmp_path: Path) -> None:
    files = {
        "app/db.py": 'import sqlite3\n\ndef q(n):\n    return sqlite3.connect("a").execute("S " + n)\n',
        "app/web.py": FLASK
        + "from app.db import q\n\n@app.get('/u')\ndef u():\n    return q(request.args['n'])\n",
        "app/other.py": "Y = 1\n",
        "app/more.py": "Z = 1\n",
    }
    root = write(tmp_path / "repo", files)
    folder = tmp_path / "cache"
    first = AnalysisCache(folder)
    scan = scan_sast(Repo(root), bandit=False, cache=first)
    assert (first.hits, first.misses) == (0, 4)
    assert rows(scan) == [("SAST-PY-TAINT-SQL", "app/db.py", 4, "high")]
    again = AnalysisCache(folder)
    assert scan_sast(Repo(root), bandit=False, cache=again) == scan
    assert (again.hits, again.misses) == (4, 0)
    (root / "app/other.py").write_text("Y = 2\n", "utf-8")
    one = AnalysisCache(folder)
    scan_sast(Repo(root), bandit=False, cache=one)
    assert (one.hits, one.misses) == (3, 1)
    (root / "app/db.py").write_text(files["app/db.py"].replace('"S " + n', '"S ?", (n,)'), "utf-8")
    dep = AnalysisCache(folder)
    assert rows(scan_sast(Repo(root), bandit=False, cache=dep)) == []
    assert (dep.hits, dep.misses) == (2, 2)  # db.py changed, web.py imports it: both again


def test_no_cache_analyses_everything(tmp_path: Path) -> None:
    root = write(tmp_path / "repo", {"a.py": "X = 1\n"})
    off = AnalysisCache(tmp_path / "cache", enabled=False)
    scan_sast(Repo(root), bandit=False, cache=off)
    scan_sast(Repo(root), bandit=False, cache=off)
    assert (off.hits, off.misses) == (0, 2)
    assert not (tmp_path / "cache").exists()


NOSEC = "import subprocess\n\n\ndef run(c):\n    subprocess.call(c, shell=True)  # nosec B602\n"


def test_audit_mode_makes_bandit_ignore_nosec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path, {"app/run.py": NOSEC})
    assert [r for r in rows(scan_sast(Repo(root))) if r[0] == "SAST-PY-B602"] == []
    assert [r for r in rows(scan_sast(Repo(root), audit=True)) if r[0] == "SAST-PY-B602"] == [
        ("SAST-PY-B602", "app/run.py", 5, "high")
    ]
    write(root, {"secloop.toml": "audit = true\n"})
    out = run_cli(["scan", "sast", str(root), "--format", "json"])
    assert out.code == 1
    (result,) = json.loads(out.stdout)["practices"]
    found = [(f["rule"], f["locations"][0]["start_line"], f["severity"]) for f in result["findings"]]
    assert found == [("SAST-PY-B404", 1, "low"), ("SAST-PY-B602", 5, "high")]
    assert "audit mode: `# nosec` and inline suppressions are ignored" in result["evidence"]


def test_cache_sees_a_helper_file_added_later(tmp_path: Path) -> None:
    web = FLASK + "from app.db import q\n\n@app.get('/u')\ndef u():\n    return q(request.args['n'])\n"
    root = write(tmp_path / "repo", {"app/web.py": web})
    folder = tmp_path / "cache"
    assert rows(scan_sast(Repo(root), bandit=False, cache=AnalysisCache(folder))) == []
    write(
        root,
        {"app/db.py": 'import sqlite3\n\ndef q(n):\n    return sqlite3.connect("a").execute("S " + n)\n'},
    )
    later = AnalysisCache(folder)
    assert rows(scan_sast(Repo(root), bandit=False, cache=later)) == [
        ("SAST-PY-TAINT-SQL", "app/db.py", 4, "high")
    ]
    assert (later.hits, later.misses) == (0, 2)


def test_cli_no_cache_gives_the_same_result(tmp_path: Path) -> None:
    root = write(tmp_path, {"app/web.py": OLD})
    cached = run_cli(["scan", "sast", str(root), "--format", "json"])
    fresh = run_cli(["scan", "sast", str(root), "--format", "json", "--no-cache"])
    assert (cached.code, fresh.code) == (1, 1)
    assert (
        _findings(cached.stdout)
        == _findings(fresh.stdout)
        == [("SAST-PY-TAINT-CMD", "app/web.py", 10, "new")]
    )


def test_cache_depends_on_names_only_where_no_function_was_followed(tmp_path: Path) -> None:
    web = (
        FLASK
        + "from app.models import Thing\n\n@app.get('/u')\ndef u():\n"
        + "    return str(Thing(request.args['n']))\n"
    )
    root = write(tmp_path / "repo", {"app/web.py": web, "app/models.py": "class Thing:\n    pass\n"})
    folder = tmp_path / "cache"
    assert rows(scan_sast(Repo(root), bandit=False, cache=AnalysisCache(folder))) == []
    (root / "app/models.py").write_text("X = 1\n\n\nclass Thing:\n    pass\n", "utf-8")
    body_only = AnalysisCache(folder)
    scan_sast(Repo(root), bandit=False, cache=body_only)
    assert (body_only.hits, body_only.misses) == (1, 1)  # web.py kept: models.py's names did not change
    (root / "app/models.py").write_text("import os\n\n\ndef Thing(x):\n    os.system(x)\n", "utf-8")
    renamed = AnalysisCache(folder)
    assert rows(scan_sast(Repo(root), bandit=False, cache=renamed)) == [
        ("SAST-PY-TAINT-CMD", "app/models.py", 5, "critical")
    ]
    assert (renamed.hits, renamed.misses) == (0, 2)
