"""Shared helpers of the IaC engine tests: the fixture tree, scans as exact rows, the CLI runner."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.core.errors import SecloopError
from secloop.iac.model import IacScan
from secloop.iac.scan import scan_iac
from secloop.sources.repo import Repo

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "iac"

Row = tuple[str, str, int, str]  # rule id, path, line, severity


def write(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    return root


def scan_dir(root: Path, **kwargs: object) -> IacScan:
    return scan_iac(Repo(root), **kwargs)  # type: ignore[arg-type]


def rows(scan: IacScan) -> set[Row]:
    found = set()
    for f in scan.findings:
        assert f.primary is not None and f.primary.start_line is not None
        found.add((f.rule_id, f.primary.path, f.primary.start_line, f.severity.value))
    return found


def reasons(scan: IacScan) -> list[tuple[str, int | None, int | None, str]]:
    return [(s.path, s.line, s.column, s.reason) for s in scan.skipped]


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli(args: list[str]) -> Outcome:
    """`secloop scan iac` on a local app, with the exit-code mapping of `secloop.cli.main.run`."""
    from secloop.cli import iac

    app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
    scan = typer.Typer(no_args_is_help=True)
    app.add_typer(scan, name="scan")
    iac.register_scan(scan)
    result = CliRunner().invoke(app, args, catch_exceptions=True)
    if isinstance(result.exception, SecloopError):
        return Outcome(result.exception.exit_code, result.stdout, result.stderr + result.exception.render())
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Outcome(result.exit_code, result.stdout, result.stderr)


@pytest.fixture(autouse=True)
def _fresh_result_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an empty IaC result cache (tests of the cache reuse one on purpose)."""
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(tmp_path_factory.mktemp("iac-cache")))
