"""A shell started as `["sh", "-c", cmd]` (or `bash -lc`, `env bash -c`, `cmd /c`) parses its command
string as shell=True does: request data in it is command injection."""

from __future__ import annotations

from pathlib import Path

from tests.sast.conftest import FLASK
from tests.sast.test_methods import paths

SHELL_C = (
    FLASK
    + """
import asyncio
import subprocess

@app.get("/grep")
async def grep():
    q = request.args["q"]
    subprocess.check_output(["sh", "-c", "grep " + q + " /var/log/app.log"])
    subprocess.run(("/bin/bash", "-lc", f"echo {q}"))
    subprocess.Popen(["/usr/bin/env", "bash", "-c", q])
    subprocess.run(args=["cmd.exe", "/c", "dir " + q])
    await asyncio.create_subprocess_exec("sh", "-c", "wc -l " + q)
    subprocess.run(["sh", "-c", 'grep -- "$1" /var/log/app.log', "sh", q])
    subprocess.run(["grep", "--", q, "/var/log/app.log"])
    subprocess.run(["sh", "-c", "grep " + shlex.quote(q) + " /var/log/app.log"])
    subprocess.run(["sh", "-x", q])
    return "ok"
"""
).replace("import asyncio\n", "import asyncio\nimport shlex\n")


def test_a_shell_started_with_dash_c_is_a_shell_command(tmp_path: Path) -> None:
    found = paths(tmp_path, {"app.py": SHELL_C})
    assert [row[:3] for row in found] == [
        ("SAST-PY-TAINT-CMD", "app.py", 13),
        ("SAST-PY-TAINT-CMD", "app.py", 14),
        ("SAST-PY-TAINT-CMD", "app.py", 15),
        ("SAST-PY-TAINT-CMD", "app.py", 16),
        ("SAST-PY-TAINT-CMD", "app.py", 17),
    ]  # not lines 18-21: the request data is an argument of the script, an argv, quoted, or no -c
    assert found[0][3] == (
        "Request data reaches a shell command: `subprocess.check_output` gets request data from line 12"
    )
    assert found[4][3] == (
        "Request data reaches a shell command: `asyncio.create_subprocess_exec` "
        "gets request data from line 12"
    )
