"""Offline review share and maintenance activity from local git history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from secloop.pipeline.posture.localgit import local_facts
from secloop.sources.repo import Repo

from .conftest import NOW, commit, git, make_repo


def test_review_markers_and_trailers(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    day = NOW - timedelta(days=10)
    subjects = [
        "Add widget (#12)",  # squash merge
        "Fix typo",  # direct push
        "Tune cache\n\nReviewed-by: Ann <ann@example.com>",
        "Pair on parser\n\nCo-authored-by: Bob <bob@example.com>",
        "Merge branch 'feat' into 'main'\n\nSee merge request acme/widget!7",
        "Hotfix",
    ]
    for i, message in enumerate(subjects * 4):
        commit(root, message, day + timedelta(minutes=i), author=f"dev{i % 3}@example.com")
    facts = local_facts(Repo(root), NOW)
    assert facts.landing is not None
    land = facts.landing
    assert (land.total, land.via_request, land.via_trailer, land.direct) == (24, 8, 8, 8)
    assert land.window == "the last 90 days"
    assert land.describe() == (
        "git history: 16/24 mainline changes of the last 90 days came through a pull/merge request or carry "
        "a review trailer (67%; 8 by request marker, 8 by trailer)"
    )
    assert facts.activity is not None
    assert (facts.activity.commits, facts.activity.authors) == (24, 3)


def test_merge_commits_on_the_mainline(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    base = NOW - timedelta(days=5)
    commit(root, "init", base)
    git(root, "checkout", "-q", "-b", "feature")
    commit(root, "feature work", base + timedelta(hours=1), file="feature.txt")
    git(root, "checkout", "-q", "main")
    commit(root, "main work", base + timedelta(hours=2))
    git(
        root,
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #3 from acme/feature",
        "feature",
        when=base + timedelta(hours=3),
    )
    git(root, "checkout", "-q", "-b", "other", "HEAD~1")
    commit(root, "other work", base + timedelta(hours=4), file="other.txt")
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "Merge branch 'other'", "other", when=base + timedelta(hours=5))
    land = local_facts(Repo(root), NOW).landing
    assert land is not None
    # first-parent line: init, main work, PR merge, unmarked merge; fewer than 20 in 90 days: fallback
    assert (land.total, land.via_request, land.unmarked_merges) == (4, 1, 1)
    assert land.window == "the last 4 first-parent commits"
    assert land.describe().endswith("; 1 merge commit(s) name no pull request")


def test_old_history_and_no_activity(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    for i in range(3):
        commit(root, f"change {i}", NOW - timedelta(days=402 - i))
    facts = local_facts(Repo(root), NOW)
    assert facts.activity is not None
    assert (facts.activity.commits, facts.activity.authors) == (0, 0)
    assert facts.activity.describe() == (
        "maintenance: 0 commit(s) by 0 distinct author(s) in the last 90 days, last commit 2025-10-23"
    )
    assert facts.landing is not None and facts.landing.total == 3


def test_not_a_git_repository(tmp_path: Path) -> None:
    facts = local_facts(Repo(tmp_path), NOW)
    assert facts.landing is None and facts.activity is None
