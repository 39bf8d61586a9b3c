"""The history progress display: on stderr, only when stderr is a terminal, never in a report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli import secrets
from secloop.secrets.scan import scan_history
from tests.secrets.conftest import commit, init, token


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_no_progress_unless_stderr_is_a_terminal_and_the_scan_reads_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    with secrets.progress("history") as update:
        assert update is None
    monkeypatch.setattr("sys.stderr", _Terminal())
    for mode in ("tree", "staged"):
        with secrets.progress(mode) as update:
            assert update is None
    with secrets.progress("since") as update:
        assert update is not None
        update(3, 2_000_000)


def test_the_scan_reports_blobs_and_bytes_as_it_goes(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"a.txt": "alpha\n", "b.txt": "beta\n"}, "one")
    commit(repo, {"a.txt": "alpha 2\n"}, "two")
    seen: list[tuple[int, int]] = []
    scan_history(repo, on_blob=lambda blobs, size: seen.append((blobs, size)))
    assert [blobs for blobs, _ in seen] == [1, 2, 3]
    assert seen[-1] == (3, len("alpha\n") + len("beta\n") + len("alpha 2\n"))


def test_a_terminal_progress_never_reaches_the_json_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"ci.sh": f"export T={token('github')}\n"}, "add")
    stderr = _Terminal()
    monkeypatch.setattr("sys.stderr", stderr)
    app = typer.Typer()
    scan = typer.Typer()
    app.add_typer(scan, name="scan")
    secrets.register(scan)
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["scan", "secrets", str(repo), "--history", "-f", "json", "-o", str(out)]
    )
    assert result.exit_code == 1
    document = json.loads(out.read_text())
    assert document["practices"][0]["findings"][0]["rule"] == "SECRET-GITHUB-PAT-CLASSIC"
    assert "scanning history" not in out.read_text()
