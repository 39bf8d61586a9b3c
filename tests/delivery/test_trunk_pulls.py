"""`secloop trunk` with pull-request data: squash and rebase merges get lifetimes, sources are named."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner, Result

from secloop.cli.dora import register
from secloop.core.config import Config
from secloop.delivery import load_sources
from secloop.delivery.trunk import GIT, PULL_REQUEST, Branch, trunk_report
from secloop.sources.repo import Repo
from tests.delivery.api_payloads import github_routes
from tests.delivery.conftest import GitRepo, iso
from tests.delivery.fakeforge import Forge, serve

TOKEN = "test-token-" + "not-a-secret"


@pytest.fixture
def invoke() -> Callable[..., Result]:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    runner = CliRunner()

    def call(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env={"COLUMNS": "160"} | (env or {}))

    return call


def _history(repo: GitRepo) -> dict[str, str]:
    """A merge (8 h), a squash of #21, a rebase of #22, a squash of #23 without data, a direct commit.

    HEAD is the direct commit of Thu 2026-03-05 10:00.
    """
    shas = {"init": repo.commit("init", "2026-03-02 09:00")}
    repo.branch("a")
    repo.commit("a1", "2026-03-02 10:00")
    repo.checkout("main")
    shas["merge-a"] = repo.merge("a", "2026-03-02 18:00")
    shas["squash-21"] = repo.commit("Add search (#21)", "2026-03-03 15:00")
    shas["rebase-22"] = repo.commit("Tune the cache", "2026-03-04 12:00", author_when="2026-03-02 12:00")
    shas["squash-23"] = repo.commit("Fix a typo (#23)", "2026-03-05 09:00")
    shas["direct"] = repo.commit("direct", "2026-03-05 10:00")
    return shas


def _pulls(shas: dict[str, str]) -> list[dict[str, object]]:
    return [
        # Placed by the "(#21)" of the squash subject: 15:00 the day before -> 24 h from its creation.
        {"type": "pull_request", "number": 21, "created": iso("2026-03-02 15:00"),
         "merged": iso("2026-03-03 15:00")},
        # Placed by its merge sha; the first commit is known: 03-02 12:00 -> 03-04 12:00, 48 h.
        {"type": "pull_request", "number": 22, "created": iso("2026-03-04 08:00"),
         "merged": iso("2026-03-04 12:00"), "first_commit": iso("2026-03-02 12:00"),
         "merge_sha": shas["rebase-22"]},
        # Never merged: ignored.
        {"type": "pull_request", "number": 23, "created": iso("2026-03-04 08:00")},
        # Merged elsewhere (its merge sha is not on the trunk, no subject names it): ignored.
        {"type": "pull_request", "number": 30, "created": iso("2026-03-01 08:00"),
         "merged": iso("2026-03-01 09:00"), "merge_sha": "0" * 40},
    ]  # fmt: skip


def test_pull_requests_measure_squash_and_rebase_merges(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("pulls")
    shas = _history(repo)
    path = repo.events(*_pulls(shas))
    report = trunk_report(load_sources(Repo(repo.root), Config(), path), 90)
    stats = report.stats
    assert stats is not None
    # init, merge-a, #21, #22, #23, direct: one merge, three pull-request merges, two direct commits.
    assert (stats.integrations, stats.squashes, stats.direct, stats.unmeasured) == (6, 3, 2, 1)
    assert stats.branches == (
        Branch(shas["rebase-22"], "Tune the cache", 48.0, None, PULL_REQUEST, f"{path}:2", "first-commit"),
        Branch(shas["squash-21"], "Add search (#21)", 24.0, None, PULL_REQUEST, f"{path}:1", "created"),
        Branch(shas["merge-a"], "Merge branch 'a'", 8.0, 1, GIT, None, "first-commit"),
    )
    # Lifetimes 8, 24, 48: median 24, p90 at rank ceil(2.7) = 3 -> 48; two of three within a day.
    assert (stats.median_hours, stats.p90_hours, stats.max_hours) == (24.0, 48.0, 48.0)
    assert (stats.share_within(24), stats.share_within(48)) == (2 / 3, 1.0)
    assert report.basis == (
        "git: 1 merge commit(s) with branch commits (first branch commit → merge)",
        "pull requests: 2 squash or rebase merge(s) measured from the first commit (when known, else the "
        f"pull request's creation) to the merge, from pull_request events in {path}",
        "1 squash merge(s) without pull-request data: counted only",
    )


def test_git_alone_only_counts_squash_and_rebase_merges(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("git-only")
    shas = _history(repo)
    stats = trunk_report(load_sources(Repo(repo.root), Config()), 90).stats
    assert stats is not None
    # Without pull requests the rebased commit is a direct commit and both squashes are unmeasured.
    assert (stats.integrations, stats.squashes, stats.direct, stats.unmeasured) == (6, 2, 3, 2)
    assert [(b.merge, b.hours, b.source) for b in stats.branches] == [(shas["merge-a"], 8.0, GIT)]


def test_trunk_json_names_each_branch_source(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("json")
    shas = _history(repo)
    path = repo.events(*_pulls(shas), name="pulls.jsonl")
    result = invoke("trunk", str(repo.root), "-f", "json", "--events", str(path))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    branches = doc["branches"]
    assert (branches["merged"], branches["from_merge_commits"], branches["from_pull_requests"]) == (3, 1, 2)
    assert branches["squash_merges_unmeasured"] == 1
    assert branches["lifetime_hours"] == {"median": 24.0, "p90": 48.0, "max": 48.0}
    assert (branches["within_1_day_percent"], branches["within_2_days_percent"]) == (66.67, 100.0)
    assert branches["merged_branches"][0] == {
        "merge": shas["rebase-22"],
        "subject": "Tune the cache",
        "hours": 48.0,
        "commits": None,
        "source": "pull-request",
        "origin": f"{path}:2",
        "measured_from": "first-commit",
    }
    assert doc["integrations"]["squash_merges"] == 3
    assert doc["sources"][1].endswith(f"from pull_request events in {path}")


def test_trunk_reads_pull_requests_from_the_api(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = git_repo("api")
    repo.commit("init", "2026-03-01 09:00")
    squash = repo.commit("Add retries (#5)", "2026-03-02 11:00")
    env = {"GITHUB_TOKEN": TOKEN, "SECLOOP_CACHE_DIR": str(tmp_path / "cache")}
    with serve(Forge(github_routes("o/r", squash))) as forge:
        result = invoke("trunk", str(repo.root), "-f", "json", "--github", "o/r", "--api-url", forge.base,
                        env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    # Pull #5: first commit authored 03-01 14:30 (opened 03-02 08:00), merged 03-02 11:00: 20.5 h.
    # Its merge sha is not local, its number is in the subject.
    merged = doc["branches"]["merged_branches"]
    assert [(b["merge"], b["hours"], b["origin"], b["measured_from"]) for b in merged] == [
        (squash, 20.5, "github o/r pull 5", "first-commit")
    ]
    assert doc["sources"][1].startswith("pull requests: 1 squash or rebase merge(s)")
    # The release tag is not local, so only the API's deployment is read.
    assert (
        "from the API: github o/r: 1 deployment(s), 1 incident issue(s), 1 merged pull request(s)"
        in (doc["sources"][1])
    )


def test_trunk_terminal_names_the_sources(
    invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]
) -> None:
    repo = git_repo("terminal")
    shas = _history(repo)
    path = repo.events(*_pulls(shas), name="pulls.jsonl")
    result = invoke("trunk", str(repo.root), "--events", str(path))
    assert result.exit_code == 0, result.output
    assert "(1 merges, 3 squash or rebase, 2 direct)" in result.output
    assert "3 (1 from merge commits, 2 from pull requests)" in result.output
    assert "source: 1 squash merge(s) without pull-request data: counted only" in result.output
