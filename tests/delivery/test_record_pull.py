"""`secloop events record pull-request` and the `first_commit` key of pull_request events."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from secloop.cli.dora import register
from secloop.cli.review import register as register_review
from secloop.core.errors import InputError, SecloopError, UsageError
from secloop.delivery.events import parse_events, to_record
from secloop.delivery.model import PullRequest
from tests.delivery.conftest import GitRepo, at


@pytest.fixture
def invoke() -> Callable[..., Result]:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    register_review(app)
    runner = CliRunner()

    def call(*args: str) -> Result:
        return runner.invoke(app, list(args), env={"COLUMNS": "120"})

    return call


def test_record_a_pull_request_then_review_and_trunk_read_it(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("record")
    repo.commit("init", "2026-03-01 09:00")
    sha = repo.commit("Add search (#12)", "2026-03-02 15:00")
    result = invoke("events", "record", "pull-request", str(repo.root), "--number", "12",
                    "--created", "2026-03-02T09:00:00Z", "--merged", "2026-03-02T15:00:00Z",
                    "--first-review", "2026-03-02T10:30:00Z", "--first-commit", "2026-03-01T12:00:00Z",
                    "--additions", "40", "--deletions", "8", "--author", "alice",
                    "--reviewer", "bob", "--reviewer", "carol", "--merge-sha", sha[:8],
                    "--title", "Add search")  # fmt: skip
    assert result.exit_code == 0, result.output
    target = repo.root / ".secloop" / "events.jsonl"
    assert result.output == (
        f'{target}: {{"type": "pull_request", "number": 12, "created": "2026-03-02T09:00:00Z", '
        '"merged": "2026-03-02T15:00:00Z", "first_review": "2026-03-02T10:30:00Z", "additions": 40, '
        f'"deletions": 8, "author": "alice", "reviewers": ["bob", "carol"], "merge_sha": "{sha}", '
        '"title": "Add search", "first_commit": "2026-03-01T12:00:00Z"}\n'
    )
    review = json.loads(invoke("review", str(repo.root), "-f", "json").output)
    assert review["basis"] == "events"
    # 09:00 -> 10:30 first review (1.5 h), -> 15:00 merged (6 h); 40 + 8 = 48 lines.
    assert review["merged"] == [
        {
            "change": "#12",
            "merged": "2026-03-02T15:00:00Z",
            "size": 48,
            "hours_to_first_review": 1.5,
            "hours_to_merge": 6.0,
            "reviewed": True,
        }
    ]
    trunk = json.loads(invoke("trunk", str(repo.root), "-f", "json").output)
    # The squash lived from its first commit (03-01 12:00) to the merge (03-02 15:00): 27 h.
    assert [(b["merge"], b["hours"], b["measured_from"]) for b in trunk["branches"]["merged_branches"]] == [
        (sha, 27.0, "first-commit")
    ]


def test_record_outside_git_keeps_the_sha_as_given(invoke: Callable[..., Result], tmp_path: Path) -> None:
    ok = invoke("events", "record", "pull-request", str(tmp_path), "--number", "3",
                "--created", "2026-03-01", "--merge-sha", "ABC123")  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / ".secloop" / "events.jsonl").read_text() == (
        '{"type": "pull_request", "number": 3, "created": "2026-03-01T00:00:00Z", "merge_sha": "abc123"}\n'
    )
    bad = invoke("events", "record", "pull-request", str(tmp_path), "--number", "4", "--merge-sha", "main")
    assert isinstance(bad.exception, UsageError)
    assert (bad.exception.message, bad.exception.hint) == (
        "'merge_sha' is not a commit id: 'main'",
        "give the commit's hexadecimal id",
    )


ONE = ("--number", "1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--number", "0"), "--number: 0 is not a positive whole number"),
        (("--number", "1", "--additions", "-1"), "--additions: -1 is not a number of lines (0 or more)"),
        (("--number", "1", "--deletions", "-2"), "--deletions: -2 is not a number of lines (0 or more)"),
        ((*ONE, "--created", "2026-03-02", "--merged", "2026-03-01"), "--merged is before --created"),
        (
            ("--number", "1", "--created", "2026-03-02", "--first-review", "2026-03-01"),
            "--first-review is before --created",
        ),
        (
            (*ONE, "--created", "2026-03-02", "--first-commit", "2026-03-04", "--merged", "2026-03-03"),
            "--merged is before --first-commit",
        ),
        (("--number", "1", "--created", "yesterday"), "--created: not an ISO 8601 date or time: 'yesterday'"),
        ((*ONE, "--merge-sha", "0123456789"), "--merge-sha: commit 0123456789 is not in the repository"),
        (("--number", "1", "--reviewer", " "), "'reviewers' must be a list of names"),
        (("--number", "1", "--author", ""), "'author' must be a non-empty string"),
    ],
)  # fmt: skip
def test_record_pull_request_usage_errors(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo], args: tuple[str, ...], message: str
) -> None:
    repo = git_repo("errors")
    repo.commit("one", "2026-03-02 09:00")
    result = invoke("events", "record", "pull-request", str(repo.root), *args)
    assert isinstance(result.exception, SecloopError)
    assert (result.exception.exit_code, result.exception.message) == (2, message)
    assert not (repo.root / ".secloop" / "events.jsonl").exists()


def test_first_commit_reads_back_and_is_checked() -> None:
    line = (
        '{"type": "pull_request", "number": 5, "created": "2026-03-02T09:00:00Z", '
        '"merged": "2026-03-02T12:00:00Z", "first_commit": "2026-03-01T17:00:00Z"}'
    )
    (parsed,) = parse_events(line + "\n", "e", strict=True).pull_requests
    assert parsed == PullRequest(
        number=5,
        created=at("2026-03-02 09:00"),
        merged=at("2026-03-02 12:00"),
        first_review=None,
        additions=None,
        deletions=None,
        author=None,
        reviewers=(),
        merge_sha=None,
        origin="e:1",
        first_commit=at("2026-03-01 17:00"),
    )
    assert to_record(parsed) == json.loads(line)
    late = line.replace("2026-03-01T17:00:00Z", "2026-03-02T13:00:00Z")
    with pytest.raises(InputError) as caught:
        parse_events(late + "\n", "events.jsonl", strict=True)
    assert caught.value.message == "'merged' is before 'first_commit'"
    assert caught.value.place is not None
    assert (caught.value.place.line, caught.value.place.column) == (1, late.index('"merged"') + 1)
