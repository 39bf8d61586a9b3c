"""`secloop dora` and `secloop events record …`, on a local typer app with the commands registered."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from secloop.cli.dora import register
from secloop.core.errors import InputError, SecloopError, UsageError
from secloop.delivery.render import sparkline
from tests.delivery.conftest import GitRepo


@pytest.fixture
def invoke() -> Callable[..., Result]:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    runner = CliRunner()

    def call(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"COLUMNS": "120"})

    return call


def _released(repo: GitRepo) -> str:
    repo.commit("one", "2026-03-02 09:00")
    sha = repo.commit("two", "2026-03-02 10:00")
    repo.tag("v1.0.0", "2026-03-03 12:00")
    return sha


def test_dora_json_is_deterministic(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("json")
    _released(repo)
    first = invoke("dora", str(repo.root), "--format", "json")
    second = invoke("dora", str(repo.root), "--format", "json")
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    doc = json.loads(first.output)
    assert doc["schema"] == "secloop.dora/v1"
    assert doc["window"] == {"start": "2025-12-03T12:00:00Z", "end": "2026-03-03T12:00:00Z", "days": 90}
    assert doc["tiers"]["report"] == "2021"
    lead = next(m for m in doc["metrics"] if m["id"] == "lead-time")
    assert (lead["value"], lead["samples"], lead["tier"], lead["details"]["p90_hours"]) == (
        26.5,
        2,
        "high",
        27.0,
    )
    assert [d["version"] for d in doc["deployments"]] == ["v1.0.0"]


def test_dora_options_and_output_file(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = git_repo("options")
    _released(repo)
    out = tmp_path / "dora.json"
    result = invoke(
        "dora", str(repo.root), "-f", "json", "-o", str(out), "--window-days", "30", "--tiers", "2023",
        "--until", "2026-03-10",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["window"] == {"start": "2026-02-08T00:00:00Z", "end": "2026-03-10T00:00:00Z", "days": 30}
    lead = next(m for m in doc["metrics"] if m["id"] == "lead-time")
    assert (lead["tier"], lead["details"]["tier_basis"]) == (
        "high",
        "2023 'Change lead time' high: Between one day and one week",
    )


def test_dora_terminal_shows_the_table_and_sparkline(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("terminal")
    _released(repo)
    result = invoke("dora", str(repo.root))
    assert result.exit_code == 0, result.output
    assert "Lead time for changes" in result.output
    assert "26.5 hours (p90 27)" in result.output
    assert "deployments per week, oldest first: ···········█  (max 1)" in result.output


def test_dora_without_deployments_says_why(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("none")
    repo.commit("one", "2026-03-02 09:00")
    result = invoke("dora", str(repo.root), "-f", "json")
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert (doc["metrics"], doc["window"]) == ([], None)
    assert doc["reason"] == "no deployments: no release tags matching 'v*' and no events file"


def test_a_malformed_explicit_events_file_is_exit_2_with_the_place(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = git_repo("bad-events")
    _released(repo)
    events = tmp_path / "events.jsonl"
    events.write_text(
        '{"type": "incident", "id": "INC-1", "opened": "2026-03-03T13:00:00Z"}\n{"type": "incident"}\n'
    )
    result = invoke("dora", str(repo.root), "--events", str(events))
    assert isinstance(result.exception, InputError)
    assert result.exception.exit_code == 2
    assert result.exception.render() == (
        f"error: {events}:2:1: an incident event needs 'id'\n"
        '  hint: {"type": "incident", "id": "INC-1", "opened": "2026-09-23T13:40:00Z"}'
    )
    # The same line met while assessing (the configured file) is a Skipped, and the rest still counts.
    (repo.root / ".secloop").mkdir()
    (repo.root / ".secloop" / "events.jsonl").write_text(events.read_text())
    doc = json.loads(invoke("dora", str(repo.root), "-f", "json").output)
    assert doc["skipped"] == [
        {
            "path": ".secloop/events.jsonl",
            "line": 2,
            "column": 1,
            "reason": "events file: an incident event needs 'id'",
        }
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "xml"), "unknown format 'xml'"),
        (("--tiers", "2019"), "unknown tier table '2019'"),
        (("--until", "yesterday"), "--until: not an ISO 8601 date or time: 'yesterday'"),
    ],
)
def test_usage_errors(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo], args: tuple[str, ...], message: str
) -> None:
    repo = git_repo("usage")
    result = invoke("dora", str(repo.root), *args)
    assert isinstance(result.exception, UsageError)
    assert (result.exception.exit_code, result.exception.message) == (2, message)


def test_events_record_then_dora_reads_them(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("record")
    sha = _released(repo)
    deployed = invoke("events", "record", "deploy", str(repo.root), "--sha", sha[:8], "--version", "v1.0.0",
                      "--time", "2026-03-03T12:30:00Z")  # fmt: skip
    assert deployed.exit_code == 0, deployed.output
    target = repo.root / ".secloop" / "events.jsonl"
    assert deployed.output == (
        f'{target}: {{"type": "deployment", "environment": "production", "sha": "{sha}", '
        '"version": "v1.0.0", "time": "2026-03-03T12:30:00Z", "status": "success"}\n'
    )
    opened = invoke("events", "record", "incident", str(repo.root), "--id", "INC-1",
                    "--opened", "2026-03-03T14:00:00Z", "--resolved", "2026-03-03T15:00:00Z",
                    "--deployment-sha", sha, "--severity", "high")  # fmt: skip
    assert opened.exit_code == 0, opened.output
    item = invoke("events", "record", "work-item", str(repo.root), "--id", "P-1", "--type", "risk",
                  "--created", "2026-03-01", "--done", "2026-03-03")  # fmt: skip
    assert item.exit_code == 0, item.output
    assert len(target.read_text().splitlines()) == 3
    doc = json.loads(invoke("dora", str(repo.root), "-f", "json").output)
    cfr = next(m for m in doc["metrics"] if m["id"] == "change-failure-rate")
    assert (cfr["value"], doc["deployments"][0]["failed"]) == (100.0, ["incident INC-1 (explicit)"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("deploy", "--sha", "0123456789"), "--sha: commit 0123456789 is not in the repository"),
        (("deploy", "--status", "done"), "--status: unknown status 'done'"),
        (
            ("incident", "--id", "I", "--opened", "2026-03-02", "--resolved", "2026-03-01"),
            "--resolved is before --opened",
        ),
        (("work-item", "--id", "P", "--type", "chore"), "--type: unknown work item type 'chore'"),
    ],
)
def test_record_usage_errors(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo], args: tuple[str, ...], message: str
) -> None:
    repo = git_repo("record-errors")
    repo.commit("one", "2026-03-02 09:00")
    result = invoke("events", "record", args[0], str(repo.root), *args[1:])
    assert isinstance(result.exception, SecloopError)
    assert (result.exception.exit_code, result.exception.message) == (2, message)
    assert not (repo.root / ".secloop" / "events.jsonl").exists()


def test_record_outside_git_checks_what_it_writes(invoke: Callable[..., Result], tmp_path: Path) -> None:
    result = invoke("events", "record", "deploy", str(tmp_path), "--sha", "release-1", "--time", "2026-03-01")
    assert isinstance(result.exception, UsageError)
    assert (result.exception.message, result.exception.hint) == (
        "'sha' is not a commit id: 'release-1'",
        "give the commit's hexadecimal id",
    )
    ok = invoke("events", "record", "deploy", str(tmp_path), "--sha", "ABC123", "--time", "2026-03-01")
    assert ok.exit_code == 0, ok.output
    assert (
        '"sha": "abc123", "time": "2026-03-01T00:00:00Z"'
        in (tmp_path / ".secloop" / "events.jsonl").read_text()
    )


def test_sparkline_scales_to_the_busiest_week() -> None:
    assert sparkline([0, 1, 2, 4]) == "·▂▄█"
    assert sparkline([0, 0]) == "··"
