"""The taint families added after the first eight: LDAP, XPath, trust boundary, missing validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.sast.scan import scan_sast
from secloop.sources.repo import Repo
from tests.sast.conftest import taint_rows, write

HEAD = """import json
import ldap
import ldap3
from lxml import etree
from flask import Flask, abort, current_app, g, request, session

app = Flask(__name__)
conn = ldap3.Connection("ldap://directory")
tree = etree.parse("users.xml")
"""
CASES = [
    # (family, severity, vulnerable body, safe body): the body sits on line 15 of app.py
    (
        "LDAP",
        "high",
        'conn.search("dc=x", "(uid=" + v + ")")',
        'conn.search("dc=x", "(uid=%s)" % escape_filter_chars(v))',
    ),
    (
        "LDAP",
        "high",
        'ldap.initialize("ldap://d").search_s("dc=x", 2, f"(cn={v})")',
        'ldap.initialize("ldap://d").search_s("dc=x", 2, ldap.filter.filter_format("(cn=%s)", [v]))',
    ),
    ("XPATH", "high", 'tree.xpath("//u[@n=\'" + v + "\']")', 'tree.xpath("//u[@n=$n]", n=v)'),
    ("XPATH", "high", "etree.XPath(f\"//u[@n='{v}']\")", 'etree.XPath("//u[@n=$n]")'),
    ("TRUST", "medium", 'session["role"] = v', 'session["role"] = "viewer" if v == "a" else "editor"'),
    ("TRUST", "medium", "g.tenant = v", "g.tenant_length = len(v)"),
    (
        "TRUST",
        "medium",
        "current_app.config.update(LEVEL=v)",
        "current_app.config.update(LEVEL=int(v) if v.isdigit() else 0)",
    ),
    ("VALIDATION", "low", "n = int(v)", "n = int(v) if v.isdigit() else 0"),
    ("VALIDATION", "low", "data = json.loads(v)", "data = json.loads('{}')"),
]


def _app(body: str) -> str:
    return HEAD + f'\n\n@app.post("/x")\ndef x():\n    v = request.form["v"]\n    {body}\n    return "ok"\n'


@pytest.mark.parametrize(
    ("family", "severity", "bad", "good"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_new_family_positive_and_negative(
    tmp_path: Path, family: str, severity: str, bad: str, good: str
) -> None:
    text = _app(bad)
    assert text.splitlines()[14] == f"    {bad}"
    assert taint_rows(tmp_path / "bad", {"app.py": text}) == [
        (f"SAST-PY-TAINT-{family}", "app.py", 15, severity)
    ]
    assert taint_rows(tmp_path / "good", {"app.py": _app(good)}) == []


def test_conversion_inside_try_or_suppress_is_validated(tmp_path: Path) -> None:
    body = """
@app.post("/y")
def y():
    v = request.form["v"]
    try:
        a = int(v)
    except (KeyError, ValueError):
        abort(400)
    with contextlib.suppress(ValueError):
        b = float(v)
    try:
        c = int(v)
    finally:
        pass
    return "ok"
"""
    rows = taint_rows(tmp_path, {"app.py": "import contextlib\n" + HEAD + body})
    assert rows == [("SAST-PY-TAINT-VALIDATION", "app.py", 22, "low")]


def test_re_search_in_an_ldap_module_is_not_an_ldap_search(tmp_path: Path) -> None:
    body = '\n@app.get("/z")\ndef z():\n    return {"m": bool(re.search("a", request.args["q"]))}\n'
    assert taint_rows(tmp_path, {"app.py": "import re\n" + HEAD + body}) == []


def test_trust_finding_message(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": _app('session["role"] = v')})
    (finding,) = scan_sast(Repo(tmp_path), bandit=False).findings
    assert finding.message == (
        "Request data is stored unvalidated in the session, flask.g or the app's config: "
        "`session` gets request data from line 14"
    )


def test_a_guarded_call_into_a_converting_helper_is_validated(tmp_path: Path) -> None:
    body = """
class Malformed(Exception):
    pass

def when(v):
    return int(v)

@app.post("/y")
def y():
    v = request.form["v"]
    try:
        a = when(v)
    except Malformed:
        abort(400)
    try:
        b = int(v)
    except KeyError:
        abort(400)
    return when(v)
"""
    rows = taint_rows(tmp_path, {"app.py": HEAD + body})
    # line 15: int() in the helper, reached from the unguarded call on line 28; line 25 catches KeyError only
    assert rows == [
        ("SAST-PY-TAINT-VALIDATION", "app.py", 15, "low"),
        ("SAST-PY-TAINT-VALIDATION", "app.py", 25, "low"),
    ]
