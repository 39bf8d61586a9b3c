"""`--path` for `secloop trunk` and `secloop review`: only the changes touching a monorepo directory."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import typer
from typer.testing import CliRunner, Result

from secloop.cli.dora import register
from secloop.cli.review import register as register_review
from secloop.core.config import Config
from secloop.core.errors import UsageError
from secloop.delivery import load_sources
from secloop.delivery.review import review_report
from secloop.delivery.trunk import trunk_report
from secloop.sources.repo import Repo
from tests.delivery.conftest import GitRepo, iso


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
        return runner.invoke(app, list(args), env={"COLUMNS": "160"})

    return call


def _change(repo: GitRepo, path: str, message: str, when: str) -> str:
    target = repo.root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"{message}\n")
    repo.run("add", "-A")
    repo.run("commit", "-q", "--no-verify", "-m", message, when=when)
    return repo.run("rev-parse", "HEAD")


def _monorepo(repo: GitRepo) -> dict[str, str]:
    """api/ and web/ on one trunk; HEAD (main) is the direct api commit of Thu 2026-03-05 10:00.

    Trunk, oldest first: init (README), merge of a (api, 8 h), merge of b (web, 24 h), squash #21
    (api), squash #22 (web), direct (api). Unmerged: feat-web (web, 09:30) and feat-api (api, 09:45).
    """
    shas = {"init": _change(repo, "README", "init", "2026-03-02 09:00")}
    repo.branch("a")
    _change(repo, "api/a.py", "a1", "2026-03-02 10:00")
    repo.checkout("main")
    shas["merge-a"] = repo.merge("a", "2026-03-02 18:00")
    repo.branch("b")
    _change(repo, "web/b.js", "b1", "2026-03-03 10:00")
    repo.checkout("main")
    shas["merge-b"] = repo.merge("b", "2026-03-04 10:00")
    shas["squash-21"] = _change(repo, "api/s.py", "Add API search (#21)", "2026-03-04 15:00")
    shas["squash-22"] = _change(repo, "web/w.js", "Web tweak (#22)", "2026-03-05 09:00")
    repo.branch("feat-web")
    _change(repo, "web/x.js", "x", "2026-03-05 09:30")
    repo.checkout("main")
    repo.branch("feat-api")
    _change(repo, "api/y.py", "y", "2026-03-05 09:45")
    repo.checkout("main")
    shas["direct"] = _change(
        repo, "api/d.py", "Direct fix\n\nReviewed-by: Bob <bob@example.invalid>", "2026-03-05 10:00"
    )
    return shas


def _pulls(repo: GitRepo) -> None:
    repo.events(
        {"type": "pull_request", "number": 21, "created": iso("2026-03-04 09:00"),
         "merged": iso("2026-03-04 15:00"), "reviewers": ["bob"]},
        {"type": "pull_request", "number": 22, "created": iso("2026-03-05 08:00"),
         "merged": iso("2026-03-05 09:00")},
        # Merged somewhere git cannot place: its merge sha is unknown and no subject names #40.
        {"type": "pull_request", "number": 40, "created": iso("2026-03-03 08:00"),
         "merged": iso("2026-03-03 09:00"), "merge_sha": "0" * 40},
    )  # fmt: skip


def test_trunk_whole_repository_and_api_slice(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("mono")
    shas = _monorepo(repo)
    _pulls(repo)
    sources = load_sources(Repo(repo.root), Config())
    whole = trunk_report(sources, 90)
    assert whole.stats is not None
    # merge-a 8 h, merge-b 24 h (git); #21 09:00 -> 15:00 = 6 h, #22 08:00 -> 09:00 = 1 h (pull requests).
    assert [(b.merge, b.hours) for b in whole.stats.branches] == [
        (shas["merge-b"], 24.0),
        (shas["merge-a"], 8.0),
        (shas["squash-21"], 6.0),
        (shas["squash-22"], 1.0),
    ]
    assert (whole.stats.integrations, whole.stats.squashes, whole.stats.direct) == (6, 2, 2)
    assert [a.name for a in whole.active] == ["feat-web", "feat-api"]
    assert (whole.path, whole.slice_note) == (None, None)

    api = trunk_report(sources, 90, "api")
    assert api.stats is not None
    # merge-a (brought api/a.py), squash #21 and the direct commit touch api/; init, merge-b and #22 do not.
    assert (api.stats.integrations, api.stats.squashes, api.stats.direct) == (3, 1, 1)
    assert [(b.merge, b.hours, b.source) for b in api.stats.branches] == [
        (shas["merge-a"], 8.0, "git"),
        (shas["squash-21"], 6.0, "pull-request"),
    ]
    assert [(a.name, a.hours) for a in api.active] == [("feat-api", 0.25)]
    # HEAD reaches 6 non-merge commits; api/a.py, api/s.py and api/d.py touch the path.
    assert api.slice_note == (
        "path api: 3 of 6 commits touch it; only integrations whose commits touch it and active "
        "branches with such a commit count"
    )


def test_review_slices_pull_requests_and_names_the_unplaced(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("review-pulls")
    _monorepo(repo)
    _pulls(repo)
    sources = load_sources(Repo(repo.root), Config())
    assert [c.label for c in review_report(sources, 90).changes] == ["#40", "#21", "#22"]
    web = review_report(sources, 90, "web")
    assert (web.basis, [c.label for c in web.changes], web.unplaced) == ("events", ["#22"], ("#40",))
    assert web.slice_note == "path web: 2 of 6 commits touch it; only the changes touching it count"
    nothing = review_report(sources, 90, "docs")
    assert (nothing.changes, nothing.reason) == (
        (),
        "no pull request merged in the 90-day window touches docs",
    )


def test_review_git_basis_slice(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("review-git")
    shas = _monorepo(repo)
    report = review_report(load_sources(Repo(repo.root), Config()), 90, "api")
    assert report.basis == "git"
    # merge-a 10:00 -> 18:00 (8 h); only the direct commit carries someone else's Reviewed-by.
    assert [(c.label, c.to_merge, c.reviewed) for c in report.changes] == [
        (shas["merge-a"][:12], 8.0, False),
        ("#21", None, False),
        (shas["direct"][:12], None, True),
    ]
    assert report.unreviewed == (shas["merge-a"][:12], "#21")


def test_cli_path_options(invoke: Callable[..., Result], git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("cli")
    shas = _monorepo(repo)
    _pulls(repo)
    trunk = invoke("trunk", str(repo.root), "-f", "json", "--path", "./api/")
    assert trunk.exit_code == 0, trunk.output
    doc = json.loads(trunk.output)
    assert (doc["path"], doc["integrations"]["total"], doc["branches"]["merged"]) == ("api", 3, 2)
    assert [a["name"] for a in doc["active_branches"]] == ["feat-api"]
    review = invoke("review", str(repo.root), "-f", "json", "--path", "web")
    assert review.exit_code == 0, review.output
    document = json.loads(review.output)
    assert (document["path"], document["unplaced_pull_requests"]) == ("web", ["#40"])
    assert [m["change"] for m in document["merged"]] == ["#22"]
    terminal = invoke("trunk", str(repo.root), "--path", "web")
    assert "path web: 2 of 6 commits touch it" in terminal.output
    assert shas["merge-b"][:12] not in terminal.output  # merged branches are not listed in the terminal
    for command in ("trunk", "review"):
        bad = invoke(command, str(repo.root), "--path", "/")
        assert isinstance(bad.exception, UsageError)
        assert bad.exception.message == "--path: give a directory or file path such as services/api"
