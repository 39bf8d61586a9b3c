"""Incremental history scans: blobs scanned once are not read again, and the results do not change."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from secloop.secrets.cache import BlobCache, cache_dir, rules_key
from secloop.secrets.rules import SPECS
from secloop.secrets.scan import MAX_FILE_BYTES, blob_cache, get_engine, scan_history
from tests.secrets.conftest import commit, git, init, token
from tests.secrets.test_archive import zip_bytes
from tests.secrets.test_cli import run


def _history(repo: Path) -> tuple[str, str]:
    """Five commits, two secrets (one removed later), a zip with a third: eight unique blobs."""
    leak = commit(repo, {"app.py": f"TOKEN = '{token('github')}'\n", "README.md": "hi\n"}, "leak")
    commit(repo, {"app.py": "TOKEN = os.environ['TOKEN']\n"}, "fix")
    commit(repo, {"conf.env": f"# stripe\nKEY={token('stripe')}\n"}, "conf")
    (repo / "bundle.zip").write_bytes(zip_bytes({"in/side.txt": f"npm={token('npm')}\n".encode()}))
    zipped = commit(repo, {"notes.txt": "notes\n"}, "bundle")
    commit(repo, {"notes.txt": "more notes\n"}, "notes")
    return leak, zipped


def test_a_rescan_after_one_commit_reads_only_the_new_blob(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    leak, zipped = _history(repo)
    where = tmp_path / "cache"
    cold = scan_history(repo, cache=blob_cache(get_engine(), MAX_FILE_BYTES, where))
    assert (cold.blobs_read, cold.blobs_cached, cold.scanned) == (7, 0, 7)
    assert cold.findings == scan_history(repo).findings
    again = scan_history(repo, cache=blob_cache(get_engine(), MAX_FILE_BYTES, where))
    assert (again.blobs_read, again.blobs_cached) == (0, 7)
    assert again.findings == cold.findings

    new = commit(repo, {"late.yml": f"slack: {token('slack')}\n"}, "one more")
    warm = scan_history(repo, cache=blob_cache(get_engine(), MAX_FILE_BYTES, where))
    fresh = scan_history(repo)
    assert (warm.blobs_read, warm.blobs_cached, warm.scanned) == (1, 7, 8)
    assert (fresh.blobs_read, fresh.blobs_cached) == (8, 0)
    assert warm.findings == fresh.findings
    assert warm.skipped == fresh.skipped
    where_found = {
        f.rule_id: (f.primary.path, f.primary.start_line, f.primary.commit)
        for f in warm.findings
        if f.primary
    }
    assert where_found == {
        "SECRET-GITHUB-PAT-CLASSIC": ("app.py", 1, leak),
        "SECRET-STRIPE-SECRET-KEY": ("conf.env", 2, where_found["SECRET-STRIPE-SECRET-KEY"][2]),
        "SECRET-NPM-TOKEN": ("bundle.zip!in/side.txt", 1, zipped),
        "SECRET-SLACK-BOT-TOKEN": ("late.yml", 1, new),
    }


def test_the_cache_holds_prefixes_and_hashes_never_a_secret(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    secret = token("github", 7)
    commit(repo, {"a.py": f"T = '{secret}'\n"}, "leak")
    cache = blob_cache(get_engine(), MAX_FILE_BYTES, tmp_path / "cache")
    [finding] = scan_history(repo, cache=cache).findings
    text = cache.path.read_text("utf-8")
    assert secret not in text
    assert secret[4:] not in text
    [entry] = [v for v in json.loads(text)["blobs"].values() if v != 0]
    [record] = entry["r"]
    assert record[:4] == ["SECRET-GITHUB-PAT-CLASSIC", "", dict(finding.properties)["secret_sha256"], "ghp_…"]
    assert record[4:8] == [1, 6, 1, 46]
    assert list(tmp_path.joinpath("cache").glob(".tmp-*")) == []  # written atomically, nothing left over


def test_a_rule_change_or_a_limit_change_uses_another_cache() -> None:
    base = rules_key(SPECS, MAX_FILE_BYTES)
    changed = (dataclasses.replace(SPECS[0], entropy=5.0), *SPECS[1:])
    assert rules_key(changed, MAX_FILE_BYTES) != base
    assert rules_key(SPECS[1:], MAX_FILE_BYTES) != base
    assert rules_key(SPECS, MAX_FILE_BYTES - 1) != base
    assert rules_key(SPECS, MAX_FILE_BYTES) == base


def test_an_unreadable_cache_means_a_cold_scan(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"a.py": f"T = '{token('npm')}'\n"}, "leak")
    cache = blob_cache(get_engine(), MAX_FILE_BYTES, tmp_path / "cache")
    cache.path.parent.mkdir(parents=True)
    cache.path.write_text('{"blobs": {"abc": [1, 2]}}', "utf-8")
    result = scan_history(repo, cache=BlobCache(cache.path.name[14:-5], tmp_path / "cache"))
    assert (result.blobs_read, result.blobs_cached) == (1, 0)
    assert [f.rule_id for f in result.findings] == ["SECRET-NPM-TOKEN"]


def test_the_cli_caches_under_secloop_cache_dir_unless_no_cache(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    commit(repo, {"a.py": f"T = '{token('npm')}'\n"}, "leak")
    directory = cache_dir()
    assert directory.name.startswith("secloop-cache")  # the tests' SECLOOP_CACHE_DIR
    assert run(str(repo), "--history", "--no-cache").exit_code == 1
    assert list(directory.glob("secrets-blobs-*.json")) == []
    assert run(str(repo), "--history").exit_code == 1
    [stored] = directory.glob("secrets-blobs-*.json")
    assert list(json.loads(stored.read_text("utf-8"))["blobs"]) != []


def test_rewritten_history_falls_back_to_a_full_listing_with_cached_blobs(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    leak, _ = _history(repo)
    where = tmp_path / "cache"
    scan_history(repo, cache=blob_cache(get_engine(), MAX_FILE_BYTES, where))
    git(repo, "reset", "-q", "--hard", "HEAD~1")  # the last commit is gone: its tip is unreachable now
    new = commit(repo, {"other.txt": f"{token('github', 9)}\n"}, "rewritten")
    warm = scan_history(repo, cache=blob_cache(get_engine(), MAX_FILE_BYTES, where))
    fresh = scan_history(repo)
    assert (warm.blobs_read, warm.blobs_cached) == (1, 6)
    assert warm.findings == fresh.findings
    assert sorted((f.primary.path, f.primary.commit) for f in warm.findings if f.primary)[-1] == (
        "other.txt",
        new,
    )
    assert leak in {f.primary.commit for f in warm.findings if f.primary}


def test_since_scans_reuse_the_blob_cache(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    base = commit(repo, {"a.py": "x = 1\n"}, "base")
    changed = commit(repo, {"a.py": f"T = '{token('stripe', 3)}'\n", "b.txt": "b\n"}, "leak")
    where = tmp_path / "cache"
    cold = scan_history(repo, since=base, cache=blob_cache(get_engine(), MAX_FILE_BYTES, where))
    warm = scan_history(repo, since=base, cache=blob_cache(get_engine(), MAX_FILE_BYTES, where))
    assert (cold.blobs_read, cold.blobs_cached, warm.blobs_read, warm.blobs_cached) == (2, 0, 0, 2)
    assert warm.findings == cold.findings
    [finding] = warm.findings
    assert finding.primary is not None
    assert (finding.rule_id, finding.primary.path, finding.primary.start_line, finding.primary.commit) == (
        "SECRET-STRIPE-SECRET-KEY",
        "a.py",
        1,
        changed,
    )
