"""Inter-procedural taint: request data into helpers (2-3 hops, across modules), summaries, sanitizers."""

from __future__ import annotations

from pathlib import Path

from secloop.sast.scan import scan_sast
from secloop.sources.repo import Repo
from tests.sast.conftest import FLASK, rows, taint_rows, write

THREE_HOPS = (
    FLASK
    + """
import os
import shlex

def run(cmd):
    os.system(cmd)

def archive(name):
    run("tar czf out.tgz " + name)

def handle(name):
    archive(name)

def handle_quoted(name):
    archive(shlex.quote(name))

@app.post("/a")
def a():
    handle(request.form["n"])
    handle_quoted(request.form["n"])
    return "ok"
"""
)


def test_three_hops_and_a_sanitizer_on_the_way(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": THREE_HOPS})
    (finding,) = scan_sast(Repo(tmp_path), bandit=False).findings
    assert (finding.rule_id, finding.primary and finding.primary.start_line) == ("SAST-PY-TAINT-CMD", 10)
    assert finding.message == (
        "Request data reaches a shell command: `os.system` gets request data from line 23 "
        "through handle() line 23, archive() line 16, run() line 13"
    )
    assert dict(finding.properties)["via"] == "handle() line 23, archive() line 16, run() line 13"


def test_helper_that_sanitizes_its_parameter_is_clean(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
import os

def digits(v):
    return str(int(v))

def label(v):
    return "item-" + v

@app.post("/a")
def a():
    os.system("echo " + digits(request.form["n"]))
    os.system("echo " + label(request.form["n"]))
    return "ok"
"""
    )
    # int() in the helper raises on malformed input: a validation finding inside it, reached from line 16
    assert taint_rows(tmp_path, {"app.py": app}) == [
        ("SAST-PY-TAINT-VALIDATION", "app.py", 9, "low"),
        ("SAST-PY-TAINT-CMD", "app.py", 17, "critical"),
    ]


def test_helper_that_reads_the_request_itself(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
def target():
    return request.args.get("next", "/")

@app.get("/login")
def login():
    return redirect(target())
"""
    )
    assert taint_rows(tmp_path, {"app.py": app}) == [("SAST-PY-TAINT-REDIRECT", "app.py", 11, "medium")]


def test_across_modules_of_a_package(tmp_path: Path) -> None:
    files = {
        "src/shop/__init__.py": "from .db import find_user\n",
        "src/shop/db.py": (
            "import sqlite3\n\n\ndef find_user(name):\n"
            '    return sqlite3.connect("a.db").execute("SELECT 1 WHERE n=\'" + name + "\'")\n\n\n'
            "def find_id(n):\n"
            '    return sqlite3.connect("a.db").execute("SELECT 1 WHERE id=?", (n,))\n'
        ),
        "src/shop/views.py": (
            "from flask import Flask, request\n"
            "from shop import find_user\n"
            "from . import db\n\n"
            "app = Flask(__name__)\n\n\n"
            '@app.get("/u")\ndef u():\n'
            '    find_user(request.args["n"])\n'
            '    db.find_id(request.args["n"])\n'
            '    return "ok"\n'
        ),
    }
    scan = scan_sast(Repo(write(tmp_path, files)), bandit=False)
    assert rows(scan) == [("SAST-PY-TAINT-SQL", "src/shop/db.py", 5, "high")]
    (finding,) = scan.findings
    assert finding.message == (
        "Request data reaches a SQL query: `sqlite3.connect.execute` gets request data from line 10 "
        "of src/shop/views.py through find_user() line 10"
    )
    assert dict(finding.properties)["source_path"] == "src/shop/views.py"


def test_one_helper_two_callers_is_one_finding_and_recursion_ends(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
import os

def walk(path, depth):
    if depth:
        return walk(path, depth - 1)
    os.remove(path)

@app.post("/a")
def a():
    walk(request.form["p"], 3)
    return "ok"

@app.post("/b")
def b():
    walk(request.form["q"], 1)
    return "ok"
"""
    )
    assert taint_rows(tmp_path, {"app.py": app}) == [("SAST-PY-TAINT-PATH", "app.py", 11, "high")]
