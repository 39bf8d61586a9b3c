"""The git source: PR numbers, tags, bare and blobless clones, and nothing the repository configures runs."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from secloop.core.config import Config
from secloop.delivery import delivery_metrics
from secloop.delivery.git import pr_number, read_history, release_tags
from secloop.sources.repo import Repo
from tests.delivery.conftest import BASE_ENV, GitRepo, at, measure, metric


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("Merge pull request #42 from dev/login", 42),
        ("Add the cart (#128)", 128),
        ("Add the cart (#128)  ", 128),
        ("Fix #12 in the parser", None),
        ("Merge branch 'feature'", None),
    ],
)
def test_pr_number_from_merge_and_squash_subjects(subject: str, number: int | None) -> None:
    assert pr_number(subject) == number


def _sample(repo: GitRepo) -> tuple[str, str]:
    first = repo.commit("Start", "2026-03-01 09:00")
    repo.tag("v1.0.0", "2026-03-01 12:00")
    second = repo.commit("Add login (#5)", "2026-03-02 09:00", author_when="2026-02-28 16:00")
    repo.tag("v1.1.0", "2026-03-02 12:00", annotated=False)
    return first, second


def test_history_and_tags(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("sample")
    first, second = _sample(repo)
    history = read_history(repo.root, [second])
    change = history.change(history.index[second])
    assert (change.sha, change.parents, change.pr, change.subject) == (second, (first,), 5, "Add login (#5)")
    assert (change.author_time, change.commit_time) == (at("2026-02-28 16:00"), at("2026-03-02 09:00"))
    tags = release_tags(repo.root, "v*")
    assert [(t.version, t.sha, t.time, t.origin) for t in tags] == [
        ("v1.0.0", first, at("2026-03-01 12:00"), "tag v1.0.0"),  # annotated: tagger date
        ("v1.1.0", second, at("2026-03-02 09:00"), "tag v1.1.0"),  # lightweight: commit date
    ]


def _git(*args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | BASE_ENV
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


def test_bare_and_blobless_clones_give_the_same_metrics(
    git_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = git_repo("origin")
    _sample(repo)
    _git("config", "uploadpack.allowFilter", "true", cwd=repo.root)
    _git("clone", "-q", "--bare", str(repo.root), str(tmp_path / "bare.git"), cwd=tmp_path)
    _git(
        "clone",
        "-q",
        "--bare",
        "--filter=blob:none",
        f"file://{repo.root}",
        str(tmp_path / "blobless.git"),
        cwd=tmp_path,
    )
    missing = _git("rev-list", "--objects", "--all", "--missing=print", cwd=tmp_path / "blobless.git")
    assert any(line.startswith("?") for line in missing.splitlines())  # the blobs really are absent

    expected = metric(measure(repo.root), "lead-time")
    for clone in ("bare.git", "blobless.git"):
        report = measure(tmp_path / clone)
        assert metric(report, "lead-time") == expected
        assert report.sources[0].startswith("git (bare repository): 2 commits, 2 release tags")
    still = _git("rev-list", "--objects", "--all", "--missing=print", cwd=tmp_path / "blobless.git")
    assert still == missing  # nothing was fetched


def test_no_program_named_by_the_repository_config_runs(
    git_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = git_repo("trap")
    repo.commit("Start", "2026-03-01 09:00")
    tree = _git("rev-parse", "HEAD^{tree}", cwd=repo.root).strip()
    parent = _git("rev-parse", "HEAD", cwd=repo.root).strip()
    signed = (
        f"tree {tree}\nparent {parent}\nauthor Dev <dev@example.invalid> 1772442000 +0000\n"
        "committer Dev <dev@example.invalid> 1772442000 +0000\n"
        "gpgsig -----BEGIN PGP SIGNATURE-----\n \n not a signature\n -----END PGP SIGNATURE-----\n\nSigned\n"
    )
    sha = subprocess.run(
        ["git", "hash-object", "-t", "commit", "-w", "--stdin"],
        cwd=repo.root,
        input=signed,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **BASE_ENV},
    ).stdout.strip()
    _git("update-ref", "refs/heads/main", sha, cwd=repo.root)
    _git("tag", "v1.0.0", sha, cwd=repo.root)
    marker = tmp_path / "ran"
    program = tmp_path / "gpg.sh"
    program.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    for key, value in (
        ("log.showSignature", "true"),
        ("gpg.program", str(program)),
        ("core.fsmonitor", str(program)),
    ):
        _git("config", key, value, cwd=repo.root)

    report = measure(repo.root)
    assert metric(report, "lead-time").samples == 2
    assert not marker.exists()
    _git("log", "-1", cwd=repo.root)  # the trap is real: plain `git log` runs the configured program
    assert marker.exists()


def test_no_deployments_gives_no_metrics_and_the_reason(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("none")
    repo.commit("Start", "2026-03-01 09:00")
    result = delivery_metrics(Repo(repo.root), Config())
    assert result.metrics == ()
    assert result.reason == "no deployments: no release tags matching 'v*' and no events file"
    assert result.skipped == ()
    repo.events(
        {"type": "deployment", "environment": "staging", "sha": "abcd", "time": "2026-03-01T10:00:00Z"}
    )
    result = delivery_metrics(Repo(repo.root), Config(release_tag_pattern="release-*"))
    assert result.reason == (
        "no deployments: no release tags matching 'release-*' and no successful 'production' deployments in "
        ".secloop/events.jsonl"
    )
    assert [(s.path, s.line, s.reason) for s in result.skipped] == [
        (".secloop/events.jsonl", 1, "deployment sha abcd is not in the repository")
    ]


def test_a_plain_directory_uses_the_events_file_only(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    (root / ".secloop").mkdir(parents=True)
    (root / ".secloop" / "events.jsonl").write_text(
        '{"type": "deployment", "environment": "production", "sha": "abc123", "version": "v1", '
        '"time": "2026-03-01T10:00:00Z"}\n'
    )
    report = measure(root)
    assert metric(report, "deployment-frequency").samples == 1
    assert metric(report, "lead-time").reason == "lead time needs git history: not a git repository"
    assert report.sources[0] == "git: not a git repository"
