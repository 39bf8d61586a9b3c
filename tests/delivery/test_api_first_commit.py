"""The first commit of merged pull (merge) requests from the APIs: dates, ordering, fallbacks, limits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli.dora import register
from secloop.core.errors import InputError
from secloop.delivery.api import ApiOptions, read_github, read_gitlab
from secloop.delivery.http import ApiError, Client
from tests.delivery.api_payloads import SHA_A, github_commit, github_routes, gitlab_commit, gitlab_routes
from tests.delivery.conftest import GitRepo, at
from tests.delivery.fakeforge import Forge, serve

TOKEN = "test-token-" + "not-a-secret"
RESET = "1772438400"  # 2026-03-02T08:00:00Z
FALLBACK = "first commit unknown, creation time used"


@pytest.fixture(autouse=True)
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("SECLOOP_CACHE_DIR", str(cache))
    return cache


def _tags(name: str) -> str | None:
    return {"v1.0.0": SHA_A}.get(name)


def _with_pull_9(routes: dict[str, list[Any]]) -> dict[str, list[Any]]:
    """A second merged pull request, #9 (opened 03-03 09:00, merged 10:00), whose commits are not served."""
    base = "/repos/o/r"
    pull = dict(routes[f"{base}/pulls"][0][0])
    pull.update(number=9, title="Fix (#9)", created_at="2026-03-03T09:00:00Z")
    pull.update(merged_at="2026-03-03T10:00:00Z", merge_commit_sha=None)
    routes[f"{base}/pulls"] = [[pull, *routes[f"{base}/pulls"][0]]]
    routes[f"{base}/pulls/9"] = [{"number": 9, "additions": 1, "deletions": 1}]
    routes[f"{base}/pulls/9/reviews"] = [[]]
    return routes


def _commit_paths(forge: Forge) -> list[str]:
    return [path for path, _ in forge.seen if "/commits" in path]


def test_github_reads_the_commits_of_merged_pulls_only_and_takes_the_earliest_author_date() -> None:
    with serve(Forge(github_routes("o/r", SHA_A))) as forge:
        got = read_github(Client(forge.base, {}), "o/r", ApiOptions(), _tags)
    (pull,) = got.events.pull_requests
    # Page 2 holds the earliest author date (14:30); the committer dates (07:50 at the earliest) are
    # the rebase's, and the creation (08:00) is later still.
    assert (pull.number, pull.created, pull.first_commit) == (
        5,
        at("2026-03-02 08:00"),
        at("2026-03-01 14:30"),
    )
    # The closed pull request #6 was never merged: its commits are not asked for.
    assert _commit_paths(forge) == [
        "/repos/o/r/pulls/5/commits?per_page=100",
        "/repos/o/r/pulls/5/commits?per_page=100&page=2",
    ]
    assert got.description.endswith("11 request(s), 0 answered from the cache")


def test_a_404_on_one_pull_falls_back_to_its_creation_and_is_counted() -> None:
    with serve(Forge(_with_pull_9(github_routes("o/r", SHA_A)))) as forge:
        got = read_github(Client(forge.base, {}), "o/r", ApiOptions(), _tags)
    assert [(p.number, p.first_commit) for p in got.events.pull_requests] == [
        (9, None),
        (5, at("2026-03-01 14:30")),
    ]
    assert got.events.skipped[0].reason == "release v0.9.0: tag not in the local repository; fetch the tags"
    assert got.description == (
        "github o/r: 2 deployment(s), 1 incident issue(s), 2 merged pull request(s); 14 request(s), "
        f"0 answered from the cache; 1 of 2 pull request(s): {FALLBACK} (pull 9: HTTP 404 Not Found)"
    )


def test_trunk_lifetimes_from_the_api_first_commit_and_the_fallback(
    git_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = git_repo("repo")
    repo.commit("init", "2026-03-01 09:00")
    five = repo.commit("Add retries (#5)", "2026-03-02 11:00")
    nine = repo.commit("Fix (#9)", "2026-03-03 10:00")
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    env = {"GITHUB_TOKEN": TOKEN, "SECLOOP_CACHE_DIR": str(tmp_path / "c"), "COLUMNS": "160"}
    with serve(Forge(_with_pull_9(github_routes("o/r", five)))) as forge:
        args = ["trunk", str(repo.root), "-f", "json", "--github", "o/r", "--api-url", forge.base]
        result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    merged = doc["branches"]["merged_branches"]
    # #5: first commit authored 03-01 14:30, merged 03-02 11:00 -> 20.5 h (3 h from its creation).
    # #9: its commits answered 404, so opened 03-03 09:00, merged 10:00 -> 1 h, measured from creation.
    assert [(b["merge"], b["hours"], b["measured_from"]) for b in merged] == [
        (five, 20.5, "first-commit"),
        (nine, 1.0, "created"),
    ]
    assert doc["sources"][1].endswith(f"; 1 of 2 pull request(s): {FALLBACK} (pull 9: HTTP 404 Not Found)")


def test_gitlab_lists_newest_first_and_the_earliest_author_date_wins() -> None:
    routes = gitlab_routes("g%2Fshop")
    with serve(Forge(routes)) as forge:
        got = read_gitlab(Client(forge.base + "/api/v4", {}), "g/shop", ApiOptions())
    (mr,) = got.events.pull_requests
    # 12:15 is the last item of page 2; the first item of page 1 (19:00+02:00, 17:00 UTC) is the newest.
    assert (mr.number, mr.first_commit) == (3, at("2026-03-01 12:15"))
    assert _commit_paths(forge) == [
        "/api/v4/projects/g%2Fshop/merge_requests/3/commits?per_page=100",
        "/api/v4/projects/g%2Fshop/merge_requests/3/commits?per_page=100&page=2",
    ]
    assert "first commit unknown" not in got.description


def test_gitlab_past_the_page_limit_the_first_commit_is_unknown_not_guessed() -> None:
    routes = gitlab_routes("g%2Fshop")
    pages = [
        [gitlab_commit(f"{n:040x}", f"2026-03-01T{n:02d}:00:00Z", "2026-03-02T07:00:00Z")] for n in range(11)
    ]
    routes["/api/v4/projects/g%2Fshop/merge_requests/3/commits"] = pages[::-1]
    with serve(Forge(routes)) as forge:
        got = read_gitlab(Client(forge.base + "/api/v4", {}), "g/shop", ApiOptions())
    assert got.events.pull_requests[0].first_commit is None
    assert len(_commit_paths(forge)) == 10
    assert got.description.endswith(
        f"; 1 of 1 pull request(s): {FALLBACK} (merge request !3: more than 1000 commits)"
    )


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        (
            [github_commit("3" * 40, "yesterday", "2026-03-02T07:58:00Z")],
            "commit 333333333333: not a time: 'yesterday'",
        ),
        ([{"sha": "3" * 40, "commit": {"author": None}}], "commit 333333333333: no author date"),
        (["3" * 40], "a commit that is not an object"),
        ([], "no commits listed"),
    ],
)
def test_commits_without_usable_author_dates_fall_back(page: list[Any], reason: str) -> None:
    routes = github_routes("o/r", SHA_A)
    routes["/repos/o/r/pulls/5/commits"] = [page]
    with serve(Forge(routes)) as forge:
        got = read_github(Client(forge.base, {}), "o/r", ApiOptions(), _tags)
    assert got.events.pull_requests[0].first_commit is None
    assert got.description.endswith(f"; 1 of 1 pull request(s): {FALLBACK} (pull 5: {reason})")


def test_a_rate_limit_on_the_commits_stops_asking_for_them() -> None:
    routes = _with_pull_9(github_routes("o/r", SHA_A))
    routes["/repos/o/r/pulls/9/commits"] = [
        [github_commit("9" * 40, "2026-03-03T08:00:00Z", "2026-03-03T08:00:00Z")]
    ]
    limits = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": RESET}
    forge = Forge(
        routes, status={"/repos/o/r/pulls/9/commits": 403}, headers={"/repos/o/r/pulls/9/commits": limits}
    )
    with serve(forge):
        got = read_github(Client(forge.base, {}), "o/r", ApiOptions(), _tags)
    # #9 is listed first and refused; #5's commits are then not asked for at all.
    assert _commit_paths(forge) == ["/repos/o/r/pulls/9/commits?per_page=100"]
    assert [(p.number, p.first_commit) for p in got.events.pull_requests] == [(9, None), (5, None)]
    assert got.description.endswith(
        f"; 2 of 2 pull request(s): {FALLBACK} (pull 9: HTTP 403 Forbidden, and 1 more)"
    )


def test_a_403_that_is_no_rate_limit_does_not_stop_the_other_pulls() -> None:
    routes = _with_pull_9(github_routes("o/r", SHA_A))
    forge = Forge(routes, status={"/repos/o/r/pulls/9/commits": 403})
    with serve(forge):
        got = read_github(Client(forge.base, {}), "o/r", ApiOptions(), _tags)
    assert [(p.number, p.first_commit) for p in got.events.pull_requests] == [
        (9, None),
        (5, at("2026-03-01 14:30")),
    ]


@pytest.mark.parametrize(
    ("code", "headers", "reason"),
    [
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": RESET}, "Forbidden"),
        (429, {"RateLimit-Reset": RESET}, "Too Many Requests"),
    ],
)
def test_a_rate_limited_list_names_the_reset_time(code: int, headers: dict[str, str], reason: str) -> None:
    forge = Forge({}, status={"/x": code}, headers={"/x": headers})
    with serve(forge), pytest.raises(ApiError) as caught:
        Client(forge.base, {}).get("/x")
    error = caught.value
    assert isinstance(error, InputError)
    assert (error.message, error.status, error.rate_limited) == (
        f"{forge.base}/x: HTTP {code} {reason}",
        code,
        True,
    )
    assert error.hint == (
        "the API rate limit is used up (it resets at 2026-03-02T08:00:00Z); run again then: "
        "what is cached costs only 304s"
    )
