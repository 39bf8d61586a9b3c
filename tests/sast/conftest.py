"""Shared helpers of the SAST engine tests: files in tmp_path, scans as exact rows, the CLI runner."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.core.errors import SecloopError
from secloop.sast.model import SastScan
from secloop.sast.scan import scan_sast
from secloop.sources.repo import Repo

Row = tuple[str, str, int, str]  # rule id, path, line, severity


@pytest.fixture(autouse=True)
def _semgrep_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Semgrep on the machine must not change other tests' findings: test_semgrep.py opts in."""
    monkeypatch.setenv("SECLOOP_SEMGREP", "/nonexistent/semgrep-off-in-tests")


FLASK = """
from flask import Flask, request, redirect, send_file
from markupsafe import Markup, escape

app = Flask(__name__)
"""


def write(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    return root


def scan_dir(root: Path, *, include_fixtures: bool = False, bandit: bool = True) -> SastScan:
    return scan_sast(Repo(root), include_fixtures=include_fixtures, bandit=bandit)


def rows(scan: SastScan, prefix: str = "") -> list[Row]:
    found = []
    for f in scan.findings:
        assert f.primary is not None and f.primary.start_line is not None
        if f.rule_id.startswith(prefix):
            found.append((f.rule_id, f.primary.path, f.primary.start_line, f.severity.value))
    return found


def taint_rows(root: Path, files: Mapping[str, str]) -> list[Row]:
    return rows(scan_dir(write(root, files), bandit=False), "SAST-PY-TAINT-")


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli(args: list[str]) -> Outcome:
    """`secloop scan sast` on a local app, with the exit-code mapping of `secloop.cli.main.run`."""
    from secloop.cli import sast

    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
    scan = typer.Typer(no_args_is_help=True)
    app.add_typer(scan, name="scan")
    sast.register_scan(scan)
    result = CliRunner().invoke(app, args, catch_exceptions=True)
    if isinstance(result.exception, SecloopError):
        return Outcome(result.exception.exit_code, result.stdout, result.stderr + result.exception.render())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)
