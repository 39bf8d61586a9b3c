"""`secloop trunk`: integrations per weekday, branch lifetimes and active branches on hand-built histories."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from secloop.cli.dora import register
from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.errors import InputError
from secloop.delivery import load_sources
from secloop.delivery.practices import EVALUATORS
from secloop.delivery.trunk import trunk_report
from secloop.practices.base import Context
from secloop.practices.catalog import load_catalog
from secloop.sources.repo import Repo
from tests.delivery.conftest import GitRepo, at, iso


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


def _history(repo: GitRepo) -> dict[str, str]:
    """Three merged branches (8 h, 36 h, 96 h), a squash merge, two direct commits, one unmerged branch.

    HEAD (main) is the merge of 'c' on Mon 2026-03-09 11:00; 'stale' holds one commit of 03-08 12:00.
    """
    shas = {"init": repo.commit("init", "2026-03-02 09:00")}
    repo.branch("a")
    repo.commit("a1", "2026-03-02 10:00")
    repo.commit("a2", "2026-03-02 14:00")
    repo.checkout("main")
    shas["merge-a"] = repo.merge("a", "2026-03-02 18:00")
    repo.commit("direct", "2026-03-03 09:00")
    repo.branch("b")
    repo.commit("b1", "2026-03-03 10:00")
    repo.checkout("main")
    shas["merge-b"] = repo.merge("b", "2026-03-04 22:00")
    repo.commit("Add the thing (#12)", "2026-03-05 10:00")
    repo.branch("c")
    repo.commit("c1", "2026-03-05 11:00")
    repo.checkout("main")
    repo.branch("stale")
    shas["stale"] = repo.commit("s1", "2026-03-08 12:00")
    repo.checkout("main")
    shas["merge-c"] = repo.merge("c", "2026-03-09 11:00")
    return shas


def test_trunk_json_has_the_hand_computed_figures(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("trunk")
    shas = _history(repo)
    first = invoke("trunk", str(repo.root), "--format", "json")
    second = invoke("trunk", str(repo.root), "--format", "json")
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    doc = json.loads(first.output)
    assert doc["schema"] == "secloop.trunk/v1"
    assert doc["trunk"] == "main"
    # (2025-12-09 11:00, 2026-03-09 11:00]: dates 12-10 .. 03-09, 12 whole weeks (60) + Wed..Mon (4).
    assert doc["window"] == {"start": "2025-12-09T11:00:00Z", "end": "2026-03-09T11:00:00Z", "days": 90}
    assert doc["integrations"] == {
        "total": 6,
        "weekdays": 64,
        "per_weekday": 0.09,
        "merges": 3,
        "squash_merges": 1,
        "direct_commits": 2,
    }
    branches = doc["branches"]
    assert branches["merged"] == 3
    assert branches["lifetime_hours"] == {"median": 36.0, "p90": 96.0, "max": 96.0}
    assert (branches["within_1_day_percent"], branches["within_2_days_percent"]) == (33.33, 66.67)
    assert [(b["merge"], b["hours"], b["commits"]) for b in branches["merged_branches"]] == [
        (shas["merge-c"], 96.0, 1),
        (shas["merge-b"], 36.0, 1),
        (shas["merge-a"], 8.0, 2),
    ]
    assert {(b["source"], b["origin"], b["measured_from"]) for b in branches["merged_branches"]} == {
        ("git", None, "first-commit")
    }
    assert (branches["from_merge_commits"], branches["from_pull_requests"]) == (3, 0)
    assert branches["squash_merges_unmeasured"] == 1
    assert (doc["path"], doc["path_slice"]) == (None, None)
    assert doc["sources"] == [
        "git: 3 merge commit(s) with branch commits (first branch commit → merge)",
        "no pull-request data: squash and rebase merges are counted, their lifetimes need "
        "--github/--gitlab or pull_request events",
    ]
    assert doc["active_branches"] == [
        {
            "name": "stale",
            "tip": shas["stale"],
            "commits": 1,
            "first_commit": "2026-03-08T12:00:00Z",
            "age_hours": 23.0,
        }
    ]
    assert doc["verdict"] == {
        "status": "fail",
        "summary": "the trunk receives 0.09 integrations per weekday, less than daily",
    }


def test_a_short_window_passes_with_daily_integration(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("week")
    _history(repo)
    result = invoke("trunk", str(repo.root), "-f", "json", "--window-days", "7")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    # (03-02 11:00, 03-09 11:00]: 'init' at 09:00 falls out; 03-03 .. 03-09 hold 5 weekdays.
    assert (doc["integrations"]["total"], doc["integrations"]["weekdays"]) == (5, 5)
    assert doc["integrations"]["per_weekday"] == 1.0
    assert doc["verdict"] == {
        "status": "pass",
        "summary": "the trunk receives integrations daily and branches are short-lived "
        "(one to two days; under a day is the ideal)",
    }


def test_the_window_ends_at_the_newest_event_not_head(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("events")
    _history(repo)
    repo.events({"type": "work_item", "id": "W-1", "work_type": "debt", "created": iso("2026-03-10 11:00")})
    report = trunk_report(load_sources(Repo(repo.root), Config()), 90)
    assert report.stats is not None
    assert report.stats.window.end == at("2026-03-10 11:00")
    assert [(a.name, a.hours) for a in report.active] == [("stale", 47.0)]
    assert report.status is Status.FAIL


def test_merged_branches_left_in_refs_heads_are_not_active(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("merged")
    repo.commit("init", "2026-03-02 09:00")
    repo.branch("done")
    repo.commit("d1", "2026-03-02 10:00")
    repo.checkout("main")
    repo.merge("done", "2026-03-02 12:00")
    report = trunk_report(load_sources(Repo(repo.root), Config()), 90)
    assert report.active == ()
    assert report.stats is not None
    assert [(b.hours, b.commits) for b in report.stats.branches] == [(2.0, 1)]


def test_trunk_terminal_shows_figures_and_verdict(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("terminal")
    _history(repo)
    result = invoke("trunk", str(repo.root))
    assert result.exit_code == 0, result.output
    out = result.output
    assert "6 over 64 weekdays: 0.09 per weekday (3 merges, 1 squash or rebase, 2 direct)" in out
    assert "3 (3 from merge commits, 0 from pull requests)" in out
    assert "source: git: 3 merge commit(s) with branch commits (first branch commit → merge)" in out
    assert "36 h (1.5 days)" in out
    assert "96 h (4.0 days)" in out
    assert "33.33%" in out and "66.67%" in out
    assert "verdict: fail: the trunk receives 0.09 integrations per weekday, less than daily" in out
    assert "stale" in out and "2026-03-08 12:00" in out


def test_trunk_outside_git_says_why(invoke: Callable[..., Result], tmp_path: Path) -> None:
    result = invoke("trunk", str(tmp_path), "-f", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["window"], doc["integrations"], doc["branches"]) == (None, None, None)
    assert doc["verdict"] == {
        "status": "unknown",
        "summary": "not a git repository: branch lifetimes and integrations to trunk come from git history",
    }


def test_trunk_malformed_explicit_events_is_exit_2_with_the_place(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = git_repo("bad")
    repo.commit("init", "2026-03-02 09:00")
    events = tmp_path / "events.jsonl"
    events.write_text('{"type": "work_item", "id": "W-1", "work_type": "chore", "created": "2026-03-02"}\n')
    result = invoke("trunk", str(repo.root), "--events", str(events))
    assert isinstance(result.exception, InputError)
    assert result.exception.exit_code == 2
    assert result.exception.render() == (
        f"error: {events}:1:36: unknown work_type 'chore'\n"
        "  hint: work_type is one of: feature, defect, risk, debt"
    )


def test_trunk_rejects_an_unknown_format(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("fmt")
    repo.commit("init", "2026-03-02 09:00")
    result = invoke("trunk", str(repo.root), "--format", "xml")
    assert result.exception is not None
    assert getattr(result.exception, "exit_code", None) == 2


def test_the_practice_reads_the_same_report(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("practice")
    _history(repo)
    practice = next(p for p in load_catalog() if p.id == "build.trunk-based")
    result = EVALUATORS["build.trunk-based"](Context(Repo(repo.root), Config(), practice))
    assert (result.status, result.summary) == (
        Status.FAIL,
        "the trunk receives 0.09 integrations per weekday, less than daily",
    )
    assert result.evidence[:2] == (
        "git: 6 integration(s) to the trunk (main) in the 90 days before 2026-03-09, 64 weekdays: "
        "0.09 per weekday",
        "git: 3 merged branch(es): lifetime median 1.5 days, p90 4.0 days (earliest author date of the "
        "branch's commits to the merge)",
    )
    assert (
        "git: 1 squash merge(s) and 2 direct commit(s) on the trunk; a squash merge's branch lifetime "
        "needs pull-request data"
    ) in result.evidence
    assert (
        "git: 1 active branch(es) not merged into the trunk; the oldest, 'stale', is 1.0 days old"
        in result.evidence
    )
