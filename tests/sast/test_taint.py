"""secloop's taint checks: sources, propagation, sanitizers and checks, one family at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.sast.scan import scan_sast
from secloop.sources.repo import Repo
from tests.sast.conftest import FLASK, taint_rows, write

FAMILY_CASES = [
    # (family, vulnerable body, safe body): line 7 of app.py is the sink in the vulnerable case
    ("SQL", 'cur.execute("SELECT 1 WHERE a=" + v)', 'cur.execute("SELECT 1 WHERE a=?", (v,))'),
    ("CMD", 'subprocess.run("ls " + v, shell=True)', 'subprocess.run(["ls", v])'),
    ("CODE", "exec(v)", "exec('x = 1')"),
    ("PATH", 'open("/srv/" + v)', 'open("/srv/" + os.path.basename(v))'),
    ("SSRF", "httpx.get(v)", 'httpx.get("https://api.example.com/items/" + v)'),
    ("REDIRECT", "redirect(v)", 'redirect("/users/" + v)'),
    ("XSS", 'Markup("<b>" + v)', 'Markup("<b>%s</b>") % escape(v)'),
    ("DESERIALIZE", "yaml.load(v)", "yaml.load(v, Loader=yaml.SafeLoader)"),
]
SEVERITY = {
    "SQL": "high",
    "CMD": "critical",
    "CODE": "critical",
    "PATH": "high",
    "SSRF": "high",
    "REDIRECT": "medium",
    "XSS": "high",
    "DESERIALIZE": "critical",
}


def _app(body: str) -> str:
    head = "import os, subprocess, httpx, yaml" + FLASK
    return head + f'\n\n@app.post("/x")\ndef x():\n    v = request.form["v"]\n    {body}\n    return "ok"\n'


@pytest.mark.parametrize(("family", "bad", "good"), FAMILY_CASES, ids=[c[0] for c in FAMILY_CASES])
def test_each_family_positive_and_negative(tmp_path: Path, family: str, bad: str, good: str) -> None:
    text = _app(bad)
    line = text.splitlines().index(f"    {bad}") + 1
    assert taint_rows(tmp_path / "bad", {"app.py": text}) == [
        (f"SAST-PY-TAINT-{family}", "app.py", line, SEVERITY[family])
    ]
    assert taint_rows(tmp_path / "good", {"app.py": _app(good)}) == []


def test_finding_names_sink_and_source_line(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": _app("os.system(v)")})
    (finding,) = scan_sast(Repo(tmp_path), bandit=False).findings
    assert (
        finding.message == "Request data reaches a shell command: `os.system` gets request data from line 10"
    )
    assert dict(finding.properties) == {
        "engine": "secloop-taint",
        "sink": "os.system",
        "source_line": "10",
        "scope": "x",
    }


def test_flask_route_parameters_are_sources_unless_converted(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
@app.route("/u/<name>")
def u(name):
    return "<p>" + name + "</p>"

@app.route("/n/<int:n>")
def n(n):
    return "<p>%d</p>" % n

@app.route("/d/<name>")
def d(name):
    return {"name": name}
"""
    )
    assert taint_rows(tmp_path, {"app.py": app}) == [("SAST-PY-TAINT-XSS", "app.py", 8, "high")]


def test_fastapi_parameters_typed_or_injected_are_not_sources(tmp_path: Path) -> None:
    app = """
import os
from fastapi import Depends, FastAPI

app = FastAPI()

@app.get("/a")
def a(n: int, user: str = Depends(current_user), q: str = ""):
    os.system(f"echo {n} {user}")
    os.system("echo " + q)
"""
    assert taint_rows(tmp_path, {"api.py": app}) == [("SAST-PY-TAINT-CMD", "api.py", 9, "critical")]


def test_django_view_parameters_and_request_attributes(tmp_path: Path) -> None:
    app = """
import os
from django.http import HttpResponse

def view(request, slug):
    os.system("echo " + slug)
    os.system("echo " + request.META["HTTP_X_NAME"])
    return HttpResponse("ok")

def helper(value):
    os.system("echo " + value)
"""
    assert taint_rows(tmp_path, {"views.py": app}) == [
        ("SAST-PY-TAINT-CMD", "views.py", 5, "critical"),
        ("SAST-PY-TAINT-CMD", "views.py", 6, "critical"),
    ]


def test_reassignment_clears_and_branches_merge(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
import os

@app.post("/a")
def a():
    v = request.args["v"]
    v = "fixed"
    os.system(v)
    w = "safe"
    if request.args.get("flag"):
        w = request.args["w"]
    os.system(w)
"""
    )
    assert taint_rows(tmp_path, {"app.py": app}) == [("SAST-PY-TAINT-CMD", "app.py", 16, "critical")]


def test_allowlist_checks_clear_taint_inside_and_after(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
import os
import re
ALLOWED = {"a", "b"}

@app.post("/a")
def a():
    v = request.args["v"]
    if v in ALLOWED:
        os.system(v)
    os.system(v)
    if not re.fullmatch(r"[a-z]+", v):
        abort(400)
    os.system(v)
"""
    )
    assert taint_rows(tmp_path, {"app.py": app}) == [("SAST-PY-TAINT-CMD", "app.py", 15, "critical")]


def test_project_sanitizers_by_name(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
@app.get("/login")
def login():
    target = request.args["next"]
    if target:
        return redirect(safe_next(target))
    return redirect(next_page(target))
"""
    )
    assert taint_rows(tmp_path, {"app.py": app}) == [("SAST-PY-TAINT-REDIRECT", "app.py", 11, "medium")]


def test_internal_url_prefix_and_query_encoding_clear_redirect(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
from urllib.parse import urlencode

@app.get("/login")
def login():
    back = urlencode({"next": request.url})
    if request.args.get("a"):
        return redirect(f"{url_for('login')}?{back}")
    return redirect(request.args["host"] + "?" + back)
"""
    )
    assert taint_rows(tmp_path, {"app.py": app}) == [("SAST-PY-TAINT-REDIRECT", "app.py", 13, "medium")]


def test_comprehensions_carry_taint(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
import os

@app.post("/a")
def a():
    names = [n.strip() for n in request.form.getlist("n")]
    os.system("touch " + " ".join(names))
    sizes = [len(n) for n in names]
    return {"sizes": sizes}
"""
    )
    assert taint_rows(tmp_path, {"app.py": app}) == [("SAST-PY-TAINT-CMD", "app.py", 11, "critical")]


def test_denylist_check_does_not_clear(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
@app.post("/a")
def a():
    name = request.args["f"]
    if ".." in name:
        abort(400)
    return send_file("/srv/" + name)
"""
    )
    assert taint_rows(tmp_path, {"app.py": app}) == [("SAST-PY-TAINT-PATH", "app.py", 11, "high")]


def test_taint_follows_a_helper_function(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
import os

def run(cmd):
    os.system(cmd)

@app.post("/a")
def a():
    run(request.args["c"])
    return "ok"
"""
    )
    assert taint_rows(tmp_path, {"app.py": app}) == [("SAST-PY-TAINT-CMD", "app.py", 9, "critical")]


def test_plain_python_without_request_is_not_traced(tmp_path: Path) -> None:
    assert taint_rows(tmp_path, {"tool.py": "import os\n\ndef f(c):\n    os.system(c)\n"}) == []
