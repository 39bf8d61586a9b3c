"""Churn from one `git log --numstat` stream: per commit and per file, renames, binaries, merges, clones."""

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
from secloop.core.errors import InputError
from secloop.delivery.churn import CommitChurn, FileChurn, churn
from tests.delivery.conftest import BASE_ENV, GitRepo, at


def _save(repo: GitRepo, message: str, when: str, files: dict[str, bytes | None]) -> str:
    for name, content in files.items():
        path = repo.root / name
        if content is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    repo.run("add", "-A")
    repo.run("commit", "-q", "--no-verify", "-m", message, when=when)
    return repo.run("rev-parse", "HEAD")


def _history(repo: GitRepo) -> list[str]:
    shas = [
        _save(repo, "root", "2026-03-02 09:00", {"a.txt": b"1\n2\n3\n", "bin.dat": b"\x00\x01\x02"}),
        _save(repo, "edit", "2026-03-02 10:00", {"a.txt": b"1\nTWO\n3\n", "b.txt": b"x\ny\n"}),
    ]
    repo.run("mv", "a.txt", "docs-a.txt")
    shas.append(_save(repo, "rename", "2026-03-02 11:00", {"docs-a.txt": b"1\nTWO\n3\n4\n"}))
    repo.branch("side")
    shas.append(_save(repo, "side", "2026-03-03 09:00", {"b.txt": b"x\ny\nz\n"}))
    repo.checkout("main")
    shas.append(_save(repo, "main", "2026-03-03 10:00", {"c.txt": b"c\n"}))
    shas.append(repo.merge("side", "2026-03-04 09:00"))
    return shas


def test_per_commit_and_per_file(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("repo")
    root, edit, rename, side, main, merge = _history(repo)
    result = churn(repo.root)
    stamp = int(at("2026-03-02 09:00").timestamp())
    assert sorted(result.commits, key=lambda c: c.time) == [
        CommitChurn(root, "Dev", stamp, 0, 3, 0, 2),
        CommitChurn(edit, "Dev", stamp + 3600, 1, 3, 1, 2),
        CommitChurn(rename, "Dev", stamp + 7200, 1, 1, 0, 1),  # only the changed line of the renamed file
        CommitChurn(side, "Dev", stamp + 86400, 1, 1, 0, 1),
        CommitChurn(main, "Dev", stamp + 86400 + 3600, 1, 1, 0, 1),
        CommitChurn(merge, "Dev", stamp + 2 * 86400, 2, 0, 0, 0),  # counted in the commits it merged
    ]
    assert sorted(result.files.values(), key=lambda f: f.path) == [
        FileChurn("a.txt", 4, 1, 2),
        FileChurn("b.txt", 3, 0, 2),
        FileChurn("bin.dat", 0, 0, 1),  # binary: no lines
        FileChurn("c.txt", 1, 0, 1),
        FileChurn("docs-a.txt", 1, 0, 1),
    ]
    assert (result.added, result.removed) == (9, 1)


def test_merges_against_first_parent_and_paths(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("repo")
    *_, merge = _history(repo)
    both = churn(repo.root, [merge], merges="first-parent", no_walk=True)
    assert [(c.sha, c.added, c.removed, c.files) for c in both.commits] == [(merge, 1, 0, 1)]
    only_b = churn(repo.root, paths=["b.txt"])
    assert list(only_b.files) == ["b.txt"]
    assert only_b.files["b.txt"] == FileChurn("b.txt", 3, 0, 2)


def _clone(source: Path, target: Path, *extra: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | BASE_ENV
    subprocess.run(
        ["git", "clone", "-q", "--bare", *extra, f"file://{source}", str(target)],
        env=env,
        check=True,
        capture_output=True,
    )


def test_bare_clone_gives_the_same_and_blobless_is_refused(
    git_repo: Callable[[str], GitRepo], tmp_path: Path
) -> None:
    repo = git_repo("origin")
    _history(repo)
    repo.run("config", "uploadpack.allowFilter", "true")
    _clone(repo.root, tmp_path / "bare.git")
    _clone(repo.root, tmp_path / "blobless.git", "--filter=blob:none")
    expected = churn(repo.root)
    got = churn(tmp_path / "bare.git")
    assert (got.commits, got.files) == (expected.commits, expected.files)
    with pytest.raises(InputError) as caught:
        churn(tmp_path / "blobless.git")
    assert caught.value.message == (
        "churn needs file contents, and this is a partial clone (filter blob:none) whose blobs are not here"
    )


def test_churn_command(git_repo: Callable[[str], GitRepo]) -> None:
    repo = git_repo("repo")
    _history(repo)
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """secloop"""

    register(app)
    result = CliRunner().invoke(app, ["churn", str(repo.root), "-f", "json", "--top", "2"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema"] == "secloop.churn/v1"
    assert document["totals"] == {"commits": 6, "files": 5, "added": 9, "removed": 1}
    assert document["files"] == [
        {"path": "a.txt", "added": 4, "removed": 1, "commits": 2},
        {"path": "b.txt", "added": 3, "removed": 0, "commits": 2},
    ]
    terminal = CliRunner().invoke(app, ["churn", str(repo.root)], env={"COLUMNS": "120"})
    assert terminal.exit_code == 0
    assert "6 commits, 5 files, +9 −1" in terminal.stdout
    bad = CliRunner().invoke(app, ["churn", str(repo.root), "--rev", "--all"])
    assert bad.exception is not None and str(bad.exception) == "--rev: '--all' is not a revision"
