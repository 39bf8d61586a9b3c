"""Review flow from pull_request events and from git alone; the pull_request event format."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli.review import register
from secloop.core.config import Config
from secloop.core.errors import InputError
from secloop.delivery import load_sources
from secloop.delivery.events import parse_events, to_record
from secloop.delivery.model import PullRequest
from secloop.delivery.review import ReviewReport, Stat, review_report
from secloop.sources.repo import Repo
from tests.delivery.conftest import BASE_ENV, GitRepo, at, iso


def pull(number: int, created: str, merged: str | None, **extra: object) -> dict[str, object]:
    record: dict[str, object] = {"type": "pull_request", "number": number, "created": iso(created)}
    if merged is not None:
        record["merged"] = iso(merged)
    return record | extra


PULLS = (
    pull(1, "2026-03-02 09:00", "2026-03-02 15:00", first_review=iso("2026-03-02 11:00"), additions=30,
         deletions=10, author="alice", reviewers=["bob"]),
    pull(2, "2026-03-03 09:00", "2026-03-04 09:00", additions=300, deletions=150, author="alice"),
    pull(3, "2026-03-05 09:00", "2026-03-05 13:00", first_review=iso("2026-03-05 10:00"), additions=1000,
         deletions=1, author="bob", reviewers=["carol"]),
    pull(4, "2026-03-05 09:00", None, additions=5, deletions=5),
)  # fmt: skip


def _events(root: Path, *records: dict[str, object]) -> Path:
    path = root / ".secloop" / "events.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_events_basis_hand_computed(tmp_path: Path) -> None:
    _events(tmp_path, *PULLS)
    report = review_report(load_sources(Repo(tmp_path), Config()), 90)
    assert (report.basis, report.note) == ("events", "pull_request events in .secloop/events.jsonl")
    assert [c.label for c in report.changes] == ["#1", "#2", "#3"]  # #4 is not merged
    assert report.sizes == (("0-50", 1), ("51-200", 0), ("201-400", 0), ("401-1000", 1), ("1001+", 1))
    assert report.share_small == 0.3333
    assert report.first_review() == Stat(1.5, 2.0, 2)
    assert report.to_merge() == Stat(6.0, 24.0, 3)
    assert (report.unreviewed, report.share_unreviewed) == (("#2",), 0.3333)
    assert report.window is not None and report.window.end == at("2026-03-05 13:00")


def test_window_leaves_out_older_merges(tmp_path: Path) -> None:
    _events(tmp_path, *PULLS)
    report = review_report(load_sources(Repo(tmp_path), Config()), 2)
    assert [c.label for c in report.changes] == ["#2", "#3"]


HEAD = '{"type": "pull_request", "number": 3, "created": "2026-03-02T09:00:00Z"'


@pytest.mark.parametrize(
    ("line", "message", "column"),
    [
        (HEAD.replace('": 3', '": 0') + "}", "'number' must be a positive whole number", 26),
        (HEAD + ', "reviewers": "bob"}', "'reviewers' must be a list of names", 74),
        (HEAD + ', "merged": "2026-03-01T09:00:00Z"}', "'merged' is before 'created'", 74),
        (HEAD + ', "additions": -1}', "'additions' must be a whole number (0 or more)", 74),
        (HEAD + ', "size": 4}', "unknown key 'size' in a pull_request event", 74),
        (HEAD.replace('"number": 3, ', "") + "}", "a pull_request event needs 'number'", 1),
    ],
)  # fmt: skip
def test_pull_request_event_errors(line: str, message: str, column: int) -> None:
    with pytest.raises(InputError) as caught:
        parse_events(line + "\n", "events.jsonl", strict=True)
    assert caught.value.message == message
    assert caught.value.place is not None
    assert (caught.value.place.line, caught.value.place.column) == (1, column)


def test_pull_request_event_round_trips() -> None:
    events = parse_events(json.dumps(PULLS[0]) + "\n", "e", strict=True)
    (parsed,) = events.pull_requests
    assert parsed == PullRequest(
        number=1,
        created=at("2026-03-02 09:00"),
        merged=at("2026-03-02 15:00"),
        first_review=at("2026-03-02 11:00"),
        additions=30,
        deletions=10,
        author="alice",
        reviewers=("bob",),
        merge_sha=None,
        origin="e:1",
    )
    assert to_record(parsed) == PULLS[0]


def _trunk(repo: GitRepo) -> list[str]:
    shas = [
        repo.commit("Start", "2026-03-02 09:00"),
        repo.commit("Tweak\n\nReviewed-by: Dev <dev@example.invalid>", "2026-03-02 10:00"),
        repo.commit("Add login (#7)\n\nReviewed-by: Bob <bob@example.invalid>", "2026-03-02 11:00"),
    ]
    repo.branch("feature")
    repo.commit("Feature part 1", "2026-03-03 09:00")
    repo.commit("Feature part 2", "2026-03-03 12:00")
    repo.checkout("main")
    shas.append(
        repo.merge(
            "feature", "2026-03-04 09:00", "Merge pull request #8 from dev/feature\n\nApproved-by: carol"
        )
    )
    return shas


def test_git_basis_hand_computed(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("repo")
    start, tweak, _, _ = _trunk(repo)
    report = review_report(load_sources(Repo(repo.root), Config()), 90)
    assert report.basis == "git"
    assert [(c.label, c.size, c.to_merge, c.reviewed) for c in report.changes] == [
        (start[:12], 1, None, False),
        (tweak[:12], 3, None, False),  # reviewed by its own author: no evidence of another person
        ("#7", 3, None, True),  # the three lines of the message the test writes into its file
        ("#8", 2, 24.0, True),  # the merge's diff against its first parent: two one-line files
    ]
    assert report.first_review() == Stat(
        None, None, 0, "git records no review times: use --github/--gitlab or pull_request events"
    )
    assert report.to_merge() == Stat(24.0, 24.0, 1)
    assert report.share_unreviewed == 0.5
    assert report.size_note is None


def test_git_basis_on_a_blobless_clone_says_sizes_are_missing(
    git_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = git_repo("origin")
    _trunk(repo)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | BASE_ENV
    repo.run("config", "uploadpack.allowFilter", "true")
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--bare",
            "--filter=blob:none",
            f"file://{repo.root}",
            str(tmp_path / "b.git"),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    report: ReviewReport = review_report(load_sources(Repo(tmp_path / "b.git"), Config()), 90)
    assert [c.size for c in report.changes] == [None, None, None, None]
    assert [c.reviewed for c in report.changes] == [False, False, True, True]
    assert report.size_note == "sizes need file contents, which this partial clone (filter blob:none) lacks"


def test_review_command_json(tmp_path: Path) -> None:
    _events(tmp_path, *PULLS)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    result = CliRunner().invoke(app, ["review", str(tmp_path), "-f", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == "secloop.review/v1"
    assert document["basis"] == "events"
    assert document["size"]["buckets"] == {"0-50": 1, "51-200": 0, "201-400": 0, "401-1000": 1, "1001+": 1}
    assert document["time_to_first_review"] == {
        "median_hours": 1.5,
        "p90_hours": 2.0,
        "samples": 2,
        "reason": None,
    }
    assert document["unreviewed"] == {"share": 0.3333, "changes": ["#2"]}
    terminal = CliRunner().invoke(app, ["review", str(tmp_path)], env={"COLUMNS": "160"})
    assert terminal.exit_code == 0
    assert "33% (1 of 3): #2" in terminal.stdout
    assert "median 1.5 h, p90 2 h (n=2)" in terminal.stdout
