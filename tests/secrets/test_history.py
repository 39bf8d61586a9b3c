"""History, range and staged targets: every unique blob once, each secret at the commit that introduced it."""

from __future__ import annotations

import base64
import stat
import subprocess
from pathlib import Path

import pytest

from secloop.core.model import Finding
from secloop.secrets.gitio import GitError
from secloop.secrets.scan import scan_history, scan_staged
from tests.secrets.conftest import commit, git, init, token, write


def _where(finding: Finding) -> list[tuple[str, int | None, str | None]]:
    return [(loc.path, loc.start_line, loc.commit) for loc in finding.locations]


def test_a_secret_removed_later_is_found_at_its_introducing_commit(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    secret = token("github")
    commit(repo, {"settings.py": "DEBUG = False\n"}, "settings", date="2026-01-01T10:00:00Z")
    leak = commit(
        repo, {"settings.py": f'DEBUG = False\nTOKEN = "{secret}"\n'}, "leak", date="2026-01-02T10:00:00Z"
    )
    commit(repo, {"README.md": "hi\n"}, "docs", date="2026-01-03T10:00:00Z")
    commit(repo, {"settings.py": "DEBUG = False\n"}, "remove", date="2026-01-04T10:00:00Z")
    result = scan_history(repo)
    [finding] = result.findings
    assert finding.rule_id == "SECRET-GITHUB-PAT-CLASSIC"
    assert _where(finding) == [("settings.py", 2, leak)]
    props = dict(finding.properties)
    assert props["commit"] == leak
    assert props["author"] == "Ana Lima <ana@example.invalid>"
    assert props["date"] == "2026-01-02T10:00:00+00:00"
    assert props["where"] == "history"
    assert finding.message.endswith(
        f"introduced in {leak[:12]} by Ana Lima <ana@example.invalid> on 2026-01-02"
    )
    assert result.scanned == 3  # three unique blobs: two versions of settings.py, README.md


def test_content_only_in_a_merge_resolution_is_found_at_the_merge(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    secret = token("stripe")
    commit(repo, {"conf.ini": "key = base\n"}, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    commit(repo, {"conf.ini": "key = feature\n"}, "feature side")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"conf.ini": "key = main\n"}, "main side")
    merge = subprocess.run(["git", "merge", "-q", "feature"], cwd=repo, capture_output=True, check=False)
    assert merge.returncode != 0  # a conflict, resolved by hand below
    merged = commit(repo, {"conf.ini": f"key = {secret}\n"}, "merge feature")
    [finding] = scan_history(repo).findings
    assert finding.rule_id == "SECRET-STRIPE-SECRET-KEY"
    assert _where(finding) == [("conf.ini", 1, merged)]
    assert git(repo, "rev-list", "--parents", "-n", "1", merged).count(" ") == 2


def test_a_secret_only_on_a_second_parent_or_an_unmerged_branch_is_found(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    merged_secret, branch_secret = token("github", 1), token("github", 2)
    commit(repo, {"a.txt": "a\n"}, "base")
    git(repo, "checkout", "-q", "-b", "feature")
    side = commit(repo, {"b.txt": f"{merged_secret}\n"}, "side")
    commit(repo, {"b.txt": "clean\n"}, "clean side")
    git(repo, "checkout", "-q", "main")
    commit(repo, {"c.txt": "c\n"}, "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge", "feature")
    git(repo, "checkout", "-q", "-b", "wip", "main~1")
    wip = commit(repo, {"wip.txt": f"{branch_secret}\n"}, "wip")
    git(repo, "checkout", "-q", "main")
    found = {f.primary.path: f.primary.commit for f in scan_history(repo).findings if f.primary}
    assert found == {"b.txt": side, "wip.txt": wip}


def test_a_copied_blob_is_one_location_and_an_edited_copy_another(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    secret = token("slack")
    first = commit(repo, {"one.env": f"SLACK={secret}\n"}, "one")
    commit(repo, {"copy.env": f"SLACK={secret}\n"}, "copy, same blob")
    edited = commit(repo, {"two.env": f"# bot\nSLACK={secret}\n"}, "copy with a comment")
    [finding] = scan_history(repo).findings
    assert _where(finding) == [("one.env", 1, first), ("two.env", 2, edited)]
    assert dict(finding.properties)["occurrences"] == "2"


def test_since_scans_new_blobs_including_old_secrets_in_files_changed_in_the_range(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    old, untouched = token("github", 3), token("github", 4)
    base = commit(repo, {"a.py": f"T = '{old}'\n", "b.py": f"U = '{untouched}'\n"}, "before the range")
    changed = commit(repo, {"a.py": f"T = '{old}'\nX = 2\n"}, "in the range")
    [finding] = scan_history(repo, since=base).findings
    assert _where(finding) == [("a.py", 1, changed)]
    assert scan_history(repo, since="HEAD").findings == ()
    with pytest.raises(GitError, match="git rev-parse failed"):
        scan_history(repo, since="no-such-ref")


def test_an_encoded_secret_in_history_carries_its_encoding(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    encoded = base64.b64encode(f"token: {token('github')}".encode()).decode()
    sha = commit(repo, {"k8s/secret.yaml": f"data:\n  token: {encoded}\n"}, "secret manifest")
    [finding] = scan_history(repo).findings
    assert _where(finding) == [("k8s/secret.yaml", 2, sha)]
    assert dict(finding.properties)["encoding"] == "base64"
    assert finding.primary is not None and finding.primary.snippet == "token: «base64»"


def test_blobs_over_the_size_limit_are_listed_as_skipped(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"big.bin": "x" * 500, "small.txt": "ok\n"}, "files")
    result = scan_history(repo, max_bytes=100)
    [skipped] = result.skipped
    assert skipped.path == "big.bin"
    assert skipped.reason.endswith("is 500 bytes, over the 100-byte size limit")
    assert result.scanned == 1


def test_staged_scan_reports_only_lines_the_change_adds(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    old, new = token("github", 5), token("stripe", 6)
    commit(repo, {"app.py": f"A = '{old}'\n"}, "old leak")
    write(repo, {"app.py": f"A = '{old}'\nB = '{new}'\n", "notes.txt": "unstaged\n"})
    git(repo, "add", "app.py")
    write(repo, {"app.py": "working copy differs from the index\n"})
    result = scan_staged(repo)
    [finding] = result.findings
    assert finding.rule_id == "SECRET-STRIPE-SECRET-KEY"
    assert finding.primary is not None
    assert (finding.primary.path, finding.primary.start_line, finding.primary.commit) == ("app.py", 2, None)
    assert finding.primary.blob is not None and len(finding.primary.blob) == 40


def test_staged_scan_of_a_first_commit_and_of_nothing(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    assert scan_staged(repo).findings == ()
    write(repo, {"new.env": f"KEY={token('npm')}\n"})
    git(repo, "add", "new.env")
    [finding] = scan_staged(repo).findings
    assert finding.rule_id == "SECRET-NPM-TOKEN"


def test_repository_controlled_config_and_hooks_never_run(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    marker = tmp_path / "pwned"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    commit(repo, {"a.txt": f"{token('github')}\n"}, "one")
    for key, value in (
        ("core.fsmonitor", str(script)),
        ("core.hooksPath", str(tmp_path)),
        ("diff.external", str(script)),
        ("core.pager", str(script)),
    ):
        git(repo, "config", key, value)
    (tmp_path / "post-checkout").write_text(f"#!/bin/sh\ntouch {marker}\n")
    write(repo, {"b.txt": f"{token('stripe')}\n"})
    git(repo, "-c", "core.fsmonitor=false", "add", "b.txt")
    assert len(scan_history(repo).findings) == 1
    assert len(scan_staged(repo).findings) == 1
    assert not marker.exists()
