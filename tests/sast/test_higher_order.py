"""Inter-procedural taint through project functions handed to higher-order calls of fixed shapes
(`map`, `filter`, `functools.partial`, `executor.submit`, `threading.Thread`, `asyncio.to_thread`,
`loop.run_in_executor`), and through objects that project factory functions return."""

from __future__ import annotations

from pathlib import Path

import pytest

from secloop.sast.cache import AnalysisCache
from secloop.sast.scan import scan_sast
from secloop.sources.repo import Repo
from tests.sast.conftest import write
from tests.sast.test_methods import Path_, _row, paths

WORKERS = """
import asyncio
import functools
import os
import shlex
import threading
from concurrent.futures import ThreadPoolExecutor

from flask import Flask, request

app = Flask(__name__)
pool = ThreadPoolExecutor(2)


def run(cmd, flag=""):
    os.system("ls " + cmd)


def quoted(cmd):
    os.system("ls " + shlex.quote(cmd))


def same(value):
    return value


@app.post("/a")
async def a():
    x = request.form["x"]
"""  # the handler's body follows: line 29 is its first added line


def handler(*body: str) -> str:
    return WORKERS + "".join(f"    {line}\n" for line in body) + "    return 'ok'\n"


CMD = "Request data reaches a shell command: `os.system` gets request data from line 28"


@pytest.mark.parametrize(
    ("call", "through"),
    [
        ("list(map(run, [x]))", "map(run)"),
        ("list(map(run, x.split(',')))", "map(run)"),
        ("list(filter(run, [x]))", "filter(run)"),
        ("functools.partial(run, x)()", "functools.partial(run)"),
        ("functools.partial(run)(x)", "functools.partial(run)"),
        ("pool.submit(run, x)", "pool.submit(run)"),
        ("pool.submit(run, cmd=x)", "pool.submit(run)"),
        ("threading.Thread(target=run, args=(x,)).start()", "threading.Thread(run)"),
        ("threading.Thread(None, run, None, [x]).start()", "threading.Thread(run)"),
        ("threading.Thread(target=run, kwargs={'cmd': x}).start()", "threading.Thread(run)"),
        ("await asyncio.to_thread(run, x)", "asyncio.to_thread(run)"),
        ("await asyncio.get_running_loop().run_in_executor(None, run, x)", "run_in_executor(run)"),
    ],
)
def test_a_function_given_to_a_higher_order_call(tmp_path: Path, call: str, through: str) -> None:
    assert paths(tmp_path, {"app.py": handler(call)}) == [
        ("SAST-PY-TAINT-CMD", "app.py", 15, f"{CMD} through {through} line 29")
    ]


@pytest.mark.parametrize(
    "call",
    [
        "list(map(quoted, [x]))",  # the function quotes what it is given
        "pool.submit(run, shlex.quote(x))",  # the argument is quoted at the call site
        "list(map(run, ['a', 'b']))",  # constant arguments
        "threading.Thread(target=run, args=('a',), kwargs={'flag': x}).start()",  # a parameter no sink reads
        "functools.partial(run, 'a')(flag=x)",
        "apply(run, x)",  # not a known shape: not guessed at
        "pool.submit(len, x)",  # not a project function
        "threading.Thread(target=run).start()",
    ],
)
def test_what_a_higher_order_call_does_not_carry(tmp_path: Path, call: str) -> None:
    assert paths(tmp_path, {"app.py": handler(call)}) == []


def test_what_the_function_returns_comes_back_from_the_call(tmp_path: Path) -> None:
    app = handler(
        "os.system(pool.submit(same, x).result())",
        "os.system(pool.submit(quoted, x).result())",  # quoted() returns nothing
        "os.popen(''.join(map(str.strip, [x])))",
    )
    assert paths(tmp_path, {"app.py": app}) == [
        ("SAST-PY-TAINT-CMD", "app.py", 29, CMD),
        ("SAST-PY-TAINT-CMD", "app.py", 31, CMD.replace("os.system", "os.popen")),
    ]


def test_a_returned_value_the_function_sanitised_is_clean(tmp_path: Path) -> None:
    app = WORKERS.replace("return value", "return shlex.quote(value)") + (
        "    os.system(pool.submit(same, x).result())\n"
        "    os.system(''.join(map(same, [x])))\n"
        "    return 'ok'\n"
    )
    assert paths(tmp_path, {"app.py": app}) == []


def test_a_helper_that_hands_its_parameter_on_and_a_bound_method(tmp_path: Path) -> None:
    helpers = (
        "import os\nimport threading\n\n\ndef start(cmd):\n"
        "    threading.Thread(target=_work, args=(cmd,)).start()\n\n\n"
        "def _work(cmd):\n    os.system(cmd)\n\n\n"
        "class Job:\n    def go(self, cmd):\n        os.system(cmd)\n"
    )
    web = (
        "from concurrent.futures import ThreadPoolExecutor\n\nfrom flask import Flask, request\n\n"
        "from app.helpers import Job, start\n\napp = Flask(__name__)\n\n\n"
        "@app.post('/a')\ndef a():\n    start(request.form['c'])\n"
        "    ThreadPoolExecutor().submit(Job().go, request.form['d'])\n    return 'ok'\n"
    )
    assert paths(tmp_path, {"app/__init__.py": "", "app/helpers.py": helpers, "app/web.py": web}) == [
        (
            "SAST-PY-TAINT-CMD",
            "app/helpers.py",
            10,
            "Request data reaches a shell command: `os.system` gets request data from line 12 of "
            "app/web.py through start() line 12, threading.Thread(_work) line 6",
        ),
        (
            "SAST-PY-TAINT-CMD",
            "app/helpers.py",
            15,
            "Request data reaches a shell command: `os.system` gets request data from line 13 of "
            "app/web.py through submit(Job.go) line 13",
        ),
    ]


SERVICES = """
import os
import shlex


class Service:
    def __init__(self, root):
        self.root = root

    def run(self, name):
        os.system("tar " + self.root + name)

    def quoted(self, name):
        os.system("tar " + shlex.quote(name))

    @classmethod
    def create(cls):
        return cls("/srv")


class Other:
    def run(self, name):
        print(name)


def make_service():
    svc = Service("/srv")
    return svc


def make_direct(root):
    return Service(root)


def make_either(flag):
    if flag:
        return Service("/a")
    return Other()


def make_maybe(flag):
    if flag:
        return Service("/a")
    return None


def make_rebound(flag):
    svc = Service("/a")
    if flag:
        svc = Other()
    return svc
"""
WEB = """
import os
import shlex

from flask import Flask, request

from app.services import Service, make_direct, make_either, make_maybe, make_rebound, make_service

app = Flask(__name__)


@app.post("/a")
def a():
    x = request.form["x"]
"""  # line 14 is the handler's first added line


def services(root: Path, *body: str) -> list[Path_]:
    web = WEB + "".join(f"    {line}\n" for line in body) + "    return 'ok'\n"
    return paths(root, {"app/__init__.py": "", "app/services.py": SERVICES, "app/web.py": web})


RUN = "Request data reaches a shell command: `os.system` gets request data from line 13 of app/web.py"


@pytest.mark.parametrize(
    "body",
    [
        ("svc = make_service()", "svc.run(x)"),
        ("svc = Service.create()", "svc.run(x)"),
        ("svc = make_direct(x)", "svc.run('a')"),  # the object carries what the factory was given
        ("pass", "make_service().run(x)"),
    ],
)
def test_an_object_a_factory_returns(tmp_path: Path, body: tuple[str, str]) -> None:
    assert services(tmp_path, *body) == [
        ("SAST-PY-TAINT-CMD", "app/services.py", 10, f"{RUN} through Service.run() line 15")
    ]


@pytest.mark.parametrize(
    "body",
    [
        ("svc = make_service()", "svc.quoted(x)"),  # a sanitiser on the path
        ("svc = make_service()", "svc.run(shlex.quote(x))"),
        ("svc = make_either(1)", "svc.run(x)"),  # two classes: not resolved
        ("svc = make_maybe(1)", "svc.run(x)"),  # Service or None: not resolved
        ("svc = make_rebound(1)", "svc.run(x)"),  # the local is bound to another class too
        ("svc = make_direct('a')", "svc.run('b')"),
    ],
)
def test_a_factory_whose_object_is_not_followed_or_is_clean(tmp_path: Path, body: tuple[str, str]) -> None:
    assert services(tmp_path, *body) == []


def test_a_change_to_the_factory_invalidates_its_callers(tmp_path: Path) -> None:
    factory = "def make_service():\n    return {}\n"  # Other() first, then Service("/srv")
    web = WEB + "    make_service().run(x)\n    return 'ok'\n"
    plain = SERVICES.lstrip("\n").split("\ndef make_service")[0] + "\n\n"
    root = write(
        tmp_path / "repo",
        {"app/__init__.py": "", "app/services.py": plain + factory.format("Other()"), "app/web.py": web},
    )
    folder = tmp_path / "cache"
    assert scan_sast(Repo(root), bandit=False, semgrep=False, cache=AnalysisCache(folder)).findings == ()
    (root / "app/services.py").write_text(plain + factory.format('Service("/srv")'), "utf-8")
    again = AnalysisCache(folder)
    scan = scan_sast(Repo(root), bandit=False, semgrep=False, cache=again)
    assert [_row(f) for f in scan.findings] == [
        ("SAST-PY-TAINT-CMD", "app/services.py", 10, f"{RUN} through Service.run() line 14")
    ]
    assert (again.hits, again.misses) == (1, 2)  # web.py looked into the factory: analysed again
