"""Semgrep as an optional external engine with secloop's own pack (rules/semgrep/).

The engine's plumbing is tested with a stand-in program; the pack itself needs the real Semgrep,
which is not a dependency of secloop: those tests are skipped without it (SECLOOP_SEMGREP,
.tools/semgrep/bin/semgrep as `make test` builds it, bench/.work/venv-semgrep/bin/semgrep, or
`semgrep` on PATH).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from secloop.sast.scan import read_files, scan_sast
from secloop.sast.semgrep import NOT_INSTALLED, SEMGREP_ENV, command, rules_dir, run_semgrep
from secloop.sources.repo import Repo
from tests.sast.conftest import FLASK, rows, write
from tests.sast.labelled import LABELLED, cases, flagged, score, taint_category

ROOT = Path(__file__).resolve().parents[2]
JS_FIXTURES = ROOT / "tests" / "fixtures" / "sast" / "semgrep"
WEB = FLASK + '\nimport os\n\n@app.post("/a")\ndef a():\n    os.system(request.form["c"])\n    return "ok"\n'


def _real_semgrep() -> str | None:
    import os

    # `make test` builds .tools/semgrep from rules/semgrep/requirements.txt (hashed, 14-day cooldown)
    for local in (
        ROOT / ".tools" / "semgrep" / "bin" / "semgrep",
        ROOT / "bench" / ".work" / "venv-semgrep" / "bin" / "semgrep",
    ):
        if local.is_file():
            return os.environ.get(SEMGREP_ENV) or str(local)
    return os.environ.get(SEMGREP_ENV) or shutil.which("semgrep")


REAL = _real_semgrep()
needs_semgrep = pytest.mark.skipif(
    REAL is None,
    reason="semgrep is not installed (optional external tool): set SECLOOP_SEMGREP, or create "
    "bench/.work/venv-semgrep (python3 -m venv bench/.work/venv-semgrep && "
    "bench/.work/venv-semgrep/bin/pip install semgrep)",
)

FAKE = """#!{python}
import json, pathlib, sys
log = pathlib.Path({log!r})
log.write_text(json.dumps(sys.argv[1:]))
if "--version" in sys.argv:
    print("9.9.9")
    raise SystemExit(0)
paths = [a for a in sys.argv if a.endswith((".py", ".js"))]
results = []
for p in paths:
    if p.endswith(".js"):
        results.append({{"check_id": "rules.semgrep.js-eval", "path": p, "start": {{"line": 2, "col": 1}},
                        "extra": {{"metadata": {{"secloop_rule": "SAST-JS-EVAL"}}}}}})
        results.append({{"check_id": "other.rule", "path": p, "start": {{"line": 1, "col": 1}},
                        "extra": {{"metadata": {{}}}}}})
    else:
        results.append({{"check_id": "rules.semgrep.py-command-injection", "path": p,
                        "start": {{"line": 10, "col": 5}},
                        "extra": {{"metadata": {{"secloop_rule": "SAST-PY-TAINT-CMD"}}}}}})
print(json.dumps({{"results": results, "errors": [{{"message": "Syntax error\\nmore", "path": "x.js"}}]}}))
"""


@pytest.fixture
def fake_semgrep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "argv.json"
    program = tmp_path / "bin" / "fake-semgrep"
    program.parent.mkdir()
    program.write_text(FAKE.format(python=sys.executable, log=str(log)), "utf-8")
    program.chmod(0o755)
    monkeypatch.setenv(SEMGREP_ENV, str(program))
    return log


def test_without_semgrep_the_scan_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SEMGREP_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    scan = scan_sast(Repo(write(tmp_path / "repo", {"app.py": WEB})), bandit=False)
    assert scan.notes == (NOT_INSTALLED,)
    assert (
        NOT_INSTALLED == "Semgrep not run: semgrep not installed (set SECLOOP_SEMGREP or put semgrep on PATH)"
    )
    assert scan.engines == ("secloop-taint",)
    assert rows(scan) == [("SAST-PY-TAINT-CMD", "app.py", 10, "critical")]


def test_command_is_offline_with_the_local_pack_only() -> None:
    pack = rules_dir()
    assert pack == ROOT / "rules" / "semgrep"
    cmd = command("semgrep", pack, ["a.py"])
    assert cmd[:4] == ["semgrep", "scan", "--config", str(pack)]
    assert {"--metrics=off", "--disable-version-check", "--json"} <= set(cmd)
    assert [c for c in cmd if c.startswith(("p/", "r/", "auto"))] == []


def test_results_map_to_secloop_rules_and_dedup_with_taint(tmp_path: Path, fake_semgrep: Path) -> None:
    root = write(tmp_path / "repo", {"app.py": WEB, "web/ui.js": "// ui\neval(location.hash);\n"})
    scan = scan_sast(Repo(root), bandit=False)
    assert json.loads(fake_semgrep.read_text("utf-8"))[:6] == [
        "scan", "--config", str(ROOT / "rules" / "semgrep"), "--json", "--quiet", "--metrics=off",
    ]  # fmt: skip
    assert scan.engines == ("secloop-taint", "semgrep 9.9.9")
    # the taint finding and Semgrep's on the same line are one; the unmapped rule is dropped
    assert rows(scan) == [
        ("SAST-PY-TAINT-CMD", "app.py", 10, "critical"),
        ("SAST-JS-EVAL", "web/ui.js", 2, "high"),
    ]
    js = next(f for f in scan.findings if f.rule_id == "SAST-JS-EVAL")
    assert dict(js.properties) == {"engine": "semgrep", "semgrep_rule": "js-eval"}
    assert js.message == "Code is built at run time with eval or new Function (semgrep js-eval)"
    assert js.fingerprint
    assert [(s.path, s.reason) for s in scan.skipped] == [(".", "Semgrep: Syntax error")]


@needs_semgrep
def test_pack_javascript_and_typescript_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    assert REAL is not None
    monkeypatch.setenv(SEMGREP_ENV, REAL)
    texts = {p.name: p.read_text("utf-8") for p in sorted(JS_FIXTURES.iterdir())}
    ran = run_semgrep(JS_FIXTURES, texts)
    assert ran.skipped == ()
    got = sorted((f.rule_id, f.primary.path, f.primary.start_line) for f in ran.findings if f.primary)
    assert got == [
        ("SAST-JS-CMD", "bad.js", 8),
        ("SAST-JS-CMD", "bad.ts", 6),
        ("SAST-JS-EVAL", "bad.js", 6),
        ("SAST-JS-EVAL", "bad.js", 7),
        ("SAST-JS-JWT-SECRET", "bad.js", 13),
        ("SAST-JS-SQL", "bad.js", 11),
        ("SAST-JS-SQL", "bad.js", 12),
        ("SAST-JS-XSS", "bad.js", 9),
        ("SAST-JS-XSS", "bad.js", 10),
        ("SAST-JS-XSS", "bad.ts", 5),
    ]


@needs_semgrep
def test_pack_python_rules_on_the_labelled_set(monkeypatch: pytest.MonkeyPatch) -> None:
    assert REAL is not None
    monkeypatch.setenv(SEMGREP_ENV, REAL)
    texts, _ = read_files(Repo(LABELLED), include_fixtures=True)
    ran = run_semgrep(LABELLED, texts)
    scores = {s.category: s for s in score(cases(), flagged(ran.findings, taint_category))}
    overall = scores["ALL"]
    assert (overall.tp, overall.fn, overall.fp, overall.tn) == (53, 11, 12, 42)
    # every category has a rule that flags at least one vulnerable case and does better than chance
    assert all(s.tp > 0 and s.youden > 0 for s in scores.values())
