"""Inter-procedural taint through methods: `self.helper(x)`, calls on instances, class and static
methods, constructors that store request data in `self.<attr>`, and functions passed as values."""

from __future__ import annotations

from pathlib import Path

from secloop.core.model import Finding
from secloop.sast.scan import scan_sast
from secloop.sources.repo import Repo
from tests.sast.conftest import FLASK, write

Path_ = tuple[str, str, int, str]  # rule id, file, line, the path the finding reports


def paths(root: Path, files: dict[str, str]) -> list[Path_]:
    scan = scan_sast(Repo(write(root, files)), bandit=False, semgrep=False)
    return [_row(f) for f in scan.findings if f.rule_id.startswith("SAST-PY-TAINT-")]


def _row(finding: Finding) -> Path_:
    assert finding.primary is not None and finding.primary.start_line is not None
    return finding.rule_id, finding.primary.path, finding.primary.start_line, finding.message


SERVICE = (
    FLASK
    + """
import os
import shlex

class Archiver:
    def archive(self, name):
        self._run("tar czf out.tgz " + name)

    def archive_quoted(self, name):
        self._run("tar czf out.tgz " + shlex.quote(name))

    def _run(self, cmd):
        os.system(cmd)
"""
)


def test_a_method_on_an_instance_and_self_helper(tmp_path: Path) -> None:
    app = SERVICE + (
        "\n@app.post('/a')\ndef a():\n"
        "    svc = Archiver()\n"
        "    svc.archive(request.form['n'])\n"
        "    return 'ok'\n"
    )
    assert paths(tmp_path, {"app.py": app}) == [
        (
            "SAST-PY-TAINT-CMD",
            "app.py",
            17,
            "Request data reaches a shell command: `os.system` gets request data from line 22 "
            "through Archiver.archive() line 22, Archiver._run() line 11",
        )
    ]


def test_a_sanitizer_on_the_method_path_clears_it(tmp_path: Path) -> None:
    app = SERVICE + (
        "\n@app.post('/a')\ndef a():\n"
        "    svc = Archiver()\n"
        "    svc.archive_quoted(request.form['n'])\n"
        "    Archiver().archive('backup')\n"
        "    return 'ok'\n"
    )
    assert paths(tmp_path, {"app.py": app}) == []


def test_a_method_on_a_new_object_and_a_method_of_a_handler_class(tmp_path: Path) -> None:
    app = SERVICE + (
        "\nclass Views:\n"
        "    def run(self, name):\n"
        "        Archiver().archive(name)\n\n"
        "    @app.post('/v')\n"
        "    def view(self):\n"
        "        self.run(request.form['n'])\n"
        "        return 'ok'\n"
    )
    assert paths(tmp_path, {"app.py": app}) == [
        (
            "SAST-PY-TAINT-CMD",
            "app.py",
            17,
            "Request data reaches a shell command: `os.system` gets request data from line 25 "
            "through Views.run() line 25, Archiver.archive() line 21, Archiver._run() line 11",
        )
    ]


STATIC = (
    FLASK
    + """
import subprocess

class Git:
    @staticmethod
    def run(arg):
        subprocess.run("git " + arg, shell=True)

    @classmethod
    def log(cls, ref):
        cls.run("log " + ref)

    @classmethod
    def safe_log(cls, ref):
        cls.run("log " + str(int(ref)))
"""
)


def test_static_and_class_methods(tmp_path: Path) -> None:
    app = STATIC + ("\n@app.get('/log')\ndef log():\n    Git.log(request.args['ref'])\n    return 'ok'\n")
    assert paths(tmp_path, {"app.py": app}) == [
        (
            "SAST-PY-TAINT-CMD",
            "app.py",
            11,
            "Request data reaches a shell command: `subprocess.run` gets request data from line 23 "
            "through Git.log() line 23, Git.run() line 15",
        )
    ]


def test_static_and_class_methods_with_clean_data_or_a_conversion(tmp_path: Path) -> None:
    app = STATIC + (
        "\n@app.get('/log')\ndef log():\n"
        "    Git.log('HEAD')\n"
        "    try:\n"
        "        Git.safe_log(request.args['ref'])\n"
        "    except ValueError:\n"
        "        return 'bad', 400\n"
        "    return 'ok'\n"
    )
    assert paths(tmp_path, {"app.py": app}) == []


RUNNER = (
    FLASK
    + """
import os
import shlex

class Runner:
    def __init__(self, cmd, label="job"):
        self.cmd = cmd
        self.label = label

    def go(self):
        os.system(self.cmd)

    def show(self):
        os.system("echo " + shlex.quote(self.label))

class QuotedRunner(Runner):
    def __init__(self, cmd):
        self.cmd = shlex.quote(cmd)
        self.label = "quoted"
"""
)


def test_a_constructor_stores_request_data_that_a_method_sinks(tmp_path: Path) -> None:
    app = RUNNER + (
        "\n@app.post('/run')\ndef run():\n"
        "    job = Runner(request.form['c'])\n"
        "    job.go()\n"
        "    return 'ok'\n"
    )
    assert paths(tmp_path, {"app.py": app}) == [
        (
            "SAST-PY-TAINT-CMD",
            "app.py",
            15,
            "Request data reaches a shell command: `os.system` gets request data from line 27 "
            "through Runner.go() line 28",
        )
    ]


def test_attribute_taint_is_per_attribute_and_per_instance(tmp_path: Path) -> None:
    app = RUNNER + (
        "\n@app.post('/run')\ndef run():\n"
        "    job = Runner('ls', request.form['label'])\n"
        "    job.go()\n"
        "    job.show()\n"
        "    other = Runner(request.form['c'])\n"
        "    quoted = QuotedRunner(request.form['c'])\n"
        "    quoted.go()\n"
        "    other.show()\n"
        "    return 'ok'\n"
    )
    # the label reaches only a quoted echo; the tainted command goes to an instance never run
    assert paths(tmp_path, {"app.py": app}) == []


def test_an_attribute_set_after_construction(tmp_path: Path) -> None:
    app = RUNNER + (
        "\n@app.post('/run')\ndef run():\n"
        "    job = Runner('ls')\n"
        "    job.cmd = request.form['c']\n"
        "    job.go()\n"
        "    job.cmd = 'ls'\n"
        "    job.go()\n"
        "    return 'ok'\n"
    )
    (row,) = paths(tmp_path, {"app.py": app})
    assert row[:3] == ("SAST-PY-TAINT-CMD", "app.py", 15)
    assert row[3].endswith("gets request data from line 28 through Runner.go() line 29")


def test_an_object_without_a_constructor_of_its_own_is_tainted_whole(tmp_path: Path) -> None:
    app = (
        FLASK
        + """
import os
from dataclasses import dataclass

@dataclass
class Job:
    cmd: str

    def go(self):
        os.system(self.cmd)

@app.post("/run")
def run():
    Job("ls").go()
    job = Job(request.form["c"])
    job.go()
    return "ok"
"""
    )
    assert paths(tmp_path, {"app.py": app}) == [
        (
            "SAST-PY-TAINT-CMD",
            "app.py",
            14,
            "Request data reaches a shell command: `os.system` gets request data from line 19 "
            "through Job.go() line 20",
        )
    ]


def test_inherited_methods_across_modules(tmp_path: Path) -> None:
    files = {
        "shop/__init__.py": "",
        "shop/base.py": (
            "import sqlite3\n\n\nclass Repo:\n"
            "    def __init__(self, table):\n"
            "        self.table = table\n\n"
            "    def find(self, name):\n"
            "        return sqlite3.connect('a.db').execute(\n"
            "            'SELECT * FROM ' + self.table + \" WHERE n='\" + name + \"'\"\n"
            "        )\n"
        ),
        "shop/users.py": "from .base import Repo\n\n\nclass Users(Repo):\n    pass\n",
        "shop/views.py": (
            "from flask import Flask, request\n\n"
            "from .users import Users\n\n"
            "app = Flask(__name__)\n\n\n"
            "@app.get('/u')\ndef u():\n"
            "    Users('users').find(request.args['n'])\n"
            "    return 'ok'\n"
        ),
    }
    assert paths(tmp_path, files) == [
        (
            "SAST-PY-TAINT-SQL",
            "shop/base.py",
            9,
            "Request data reaches a SQL query: `sqlite3.connect.execute` gets request data from line 10 "
            "of shop/views.py through Users.find() line 10",
        )
    ]


QUERIES = (
    FLASK
    + """
import sqlite3

def run_query(name):
    return sqlite3.connect("a.db").execute("SELECT 1 WHERE n='" + name + "'")

def bound_query(name):
    return sqlite3.connect("a.db").execute("SELECT 1 WHERE n=?", (name,))

class Finder:
    def find(self, name):
        return run_query(name)
"""
)


def test_functions_passed_as_values(tmp_path: Path) -> None:
    app = QUERIES + (
        "\n@app.get('/q')\ndef q():\n"
        "    callback = run_query\n"
        "    callback(request.args['n'])\n"
        "    finder = Finder()\n"
        "    find = finder.find\n"
        "    find(request.args['m'])\n"
        "    return 'ok'\n"
    )
    assert paths(tmp_path, {"app.py": app}) == [
        (
            "SAST-PY-TAINT-SQL",
            "app.py",
            9,
            "Request data reaches a SQL query: `sqlite3.connect.execute` gets request data from line 21 "
            "through run_query() line 21",
        )
    ]
    # the same sink through the bound method is the same finding (the earliest source wins)
    app2 = app.replace("    callback(request.args['n'])\n", "")
    (row,) = paths(tmp_path / "two", {"app.py": app2})
    assert row[2:] == (
        9,
        "Request data reaches a SQL query: `sqlite3.connect.execute` gets request data from line 23 "
        "through Finder.find() line 23, run_query() line 16",
    )


def test_a_function_value_rebound_or_safe_is_clean(tmp_path: Path) -> None:
    app = QUERIES + (
        "\n@app.get('/q')\ndef q():\n"
        "    callback = bound_query\n"
        "    callback(request.args['n'])\n"
        "    other = run_query\n"
        "    other = bound_query\n"
        "    other(request.args['n'])\n"
        "    return 'ok'\n"
    )
    assert paths(tmp_path, {"app.py": app}) == []


def test_the_cache_follows_a_method_in_another_file(tmp_path: Path) -> None:
    from secloop.sast.cache import AnalysisCache

    jobs = "import os\n\n\nclass Runner:\n    def __init__(self, cmd):\n        self.cmd = cmd\n\n"
    web = (
        "from flask import Flask, request\n\nfrom app.jobs import Runner\n\napp = Flask(__name__)\n\n\n"
        "@app.post('/r')\ndef r():\n    Runner(request.form['c']).go()\n    return 'ok'\n"
    )
    root = write(
        tmp_path / "repo",
        {"app/web.py": web, "app/jobs.py": jobs + "    def go(self):\n        print(self.cmd)\n"},
    )
    folder = tmp_path / "cache"
    assert scan_sast(Repo(root), bandit=False, semgrep=False, cache=AnalysisCache(folder)).findings == ()
    (root / "app/jobs.py").write_text(jobs + "    def go(self):\n        os.system(self.cmd)\n", "utf-8")
    again = AnalysisCache(folder)
    scan = scan_sast(Repo(root), bandit=False, semgrep=False, cache=again)
    assert [_row(f) for f in scan.findings] == [
        (
            "SAST-PY-TAINT-CMD",
            "app/jobs.py",
            9,
            "Request data reaches a shell command: `os.system` gets request data from line 10 "
            "of app/web.py through Runner.go() line 10",
        )
    ]
    assert (again.hits, again.misses) == (0, 2)  # web.py looked into jobs.py's class: analysed again


def test_a_looked_up_class_is_a_dependency_by_its_own_code(tmp_path: Path) -> None:
    from secloop.sast.cache import AnalysisCache

    web = (
        "from flask import Flask, request\n\nfrom app.jobs import Job\n\napp = Flask(__name__)\n\n\n"
        "@app.post('/r')\ndef r():\n    Job(request.form['c']).go()\n    return 'ok'\n"
    )
    job = "class Job:\n    def __init__(self, cmd):\n        self.cmd = cmd\n"
    root = write(tmp_path / "repo", {"app/web.py": web, "app/jobs.py": "class Job:\n    pass\n"})
    folder = tmp_path / "cache"
    assert scan_sast(Repo(root), bandit=False, semgrep=False, cache=AnalysisCache(folder)).findings == ()
    (root / "app/jobs.py").write_text("import os\n\nX = 1\n\n\nclass Job:\n    pass\n", "utf-8")
    moved = AnalysisCache(folder)
    scan_sast(Repo(root), bandit=False, semgrep=False, cache=moved)
    assert (moved.hits, moved.misses) == (1, 1)  # web.py kept: the class's code did not change
    go = "\n    def go(self):\n        os.system(self.cmd)\n"
    (root / "app/jobs.py").write_text("import os\n\n\n" + job + go, "utf-8")
    changed = AnalysisCache(folder)
    scan = scan_sast(Repo(root), bandit=False, semgrep=False, cache=changed)
    assert (changed.hits, changed.misses) == (0, 2)
    assert [_row(f)[:3] for f in scan.findings] == [("SAST-PY-TAINT-CMD", "app/jobs.py", 9)]


def test_a_django_class_based_view_and_its_own_helper_method(tmp_path: Path) -> None:
    views = """
from django.http import HttpResponse
from django.utils.html import escape
from django.views import View


class Search(View):
    def get(self, request):
        q = request.GET["q"]
        self.page(escape(q))
        return self.page(q)

    def page(self, q):
        return HttpResponse("<p>" + q + "</p>")
"""
    assert paths(tmp_path, {"shop/views.py": views}) == [
        (
            "SAST-PY-TAINT-XSS",
            "shop/views.py",
            13,
            "Request data reaches HTML output unescaped: `HttpResponse` gets request data from line 8 "
            "through Search.page() line 10",
        )
    ]
