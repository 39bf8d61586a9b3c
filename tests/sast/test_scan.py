"""The engine entry point: which files are checked, the per-Repo cache, no network."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from secloop.sast.scan import python_files, scan_cached, scan_sast
from secloop.sources.repo import Repo
from tests.sast.conftest import FLASK, rows, write

WEB = (
    FLASK
    + """
@app.route("/f")
def f():
    return eval(request.args["e"])
"""
)


def test_vendored_and_test_folders_are_left_out(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/app.py": "X = 1\n",
            "tests/test_app.py": "X = 1\n",
            "examples/demo.py": "X = 1\n",
            ".venv/lib/site.py": "X = 1\n",
            "node_modules/pkg/x.py": "X = 1\n",
            "README.md": "# app\n",
        },
    )
    repo = Repo(tmp_path)
    assert python_files(repo) == ["src/app.py"]
    assert python_files(repo, include_fixtures=True) == [
        "examples/demo.py",
        "src/app.py",
        "tests/test_app.py",
    ]


def test_scan_is_cached_per_repo(tmp_path: Path) -> None:
    write(tmp_path, {"src/app.py": "X = 1\n"})
    repo = Repo(tmp_path)
    first = scan_cached(repo)
    assert scan_cached(repo) is first
    assert scan_cached(Repo(tmp_path)) is not first


def test_no_network_during_a_scan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("network attempt during a scan")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    write(tmp_path, {"src/web.py": WEB})
    scan = scan_sast(Repo(tmp_path))
    assert rows(scan) == [
        ("SAST-PY-B307", "src/web.py", 8, "medium"),
        ("SAST-PY-TAINT-CODE", "src/web.py", 8, "critical"),
    ]
    assert scan.web_files == ("src/web.py",)
