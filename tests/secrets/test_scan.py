"""Working-tree and file targets, redaction and deduplication."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Skipped
from secloop.secrets.scan import build_findings, redact, scan_paths, scan_tree
from secloop.sources.repo import Repo
from tests.secrets.conftest import commit, init, token, write


def test_redaction_keeps_at_most_four_characters_and_fewer_for_short_secrets() -> None:
    assert redact("ghp_" + "a1" * 18) == "ghp_…"
    assert redact("hunter22") == "hu…"
    assert redact("abc") == "…"


def test_tree_finding_has_exact_location_redacted_snippet_and_keyed_fingerprint(tmp_path: Path) -> None:
    secret = token("github")
    write(tmp_path, {"app/settings.py": f'import os\n\nGITHUB_TOKEN = "{secret}"  # for CI\n'})
    [finding] = scan_tree(Repo(tmp_path)).findings
    digest = hashlib.sha256(secret.encode()).hexdigest()
    assert finding.rule_id == "SECRET-GITHUB-PAT-CLASSIC"
    assert finding.fingerprint == keyed_fingerprint("SECRET-GITHUB-PAT-CLASSIC", digest)
    [loc] = finding.locations
    assert (loc.path, loc.start_line, loc.start_column, loc.end_line, loc.end_column) == (
        "app/settings.py",
        3,
        17,
        3,
        57,
    )
    assert loc.commit is None
    assert loc.snippet == 'GITHUB_TOKEN = "ghp_…"  # for CI'
    assert finding.message == f"GitHub personal access token (classic): ghp_… (sha256:{digest[:12]})"
    assert dict(finding.properties) == {
        "secret_prefix": "ghp_…",
        "secret_sha256": digest,
        "occurrences": "1",
        "where": "working tree",
    }
    assert secret not in repr(finding)


def test_every_secret_on_a_line_is_redacted_in_each_snippet(tmp_path: Path) -> None:
    one, two = token("github"), token("stripe")
    write(tmp_path, {"a.env": f"A={one} B={two}\n"})
    findings = scan_tree(Repo(tmp_path)).findings
    assert [f.rule_id for f in findings] == ["SECRET-GITHUB-PAT-CLASSIC", "SECRET-STRIPE-SECRET-KEY"]
    assert {f.primary.snippet for f in findings if f.primary} == {"A=ghp_… B=sk_l…"}


def test_one_finding_per_rule_and_secret_with_every_location(tmp_path: Path) -> None:
    secret = token("npm")
    write(
        tmp_path, {"b/.npmrc": f"//r/:_authToken={secret}\n", "a/ci.sh": f"\n\nexport NPM_TOKEN={secret}\n"}
    )
    [finding] = scan_tree(Repo(tmp_path)).findings
    assert finding.rule_id == "SECRET-NPM-TOKEN"
    assert [(loc.path, loc.start_line) for loc in finding.locations] == [("a/ci.sh", 3), ("b/.npmrc", 1)]
    assert dict(finding.properties)["occurrences"] == "2"
    assert finding.message.endswith("; 2 locations")


def test_gitignore_size_cap_and_symlinks(tmp_path: Path) -> None:
    init(tmp_path)
    secret = token("github")
    outside = tmp_path.parent / f"{tmp_path.name}-outside.txt"
    outside.write_text(f"t={token('slack')}\n")
    commit(tmp_path, {".gitignore": "build/\n", "keep.py": "x = 1\n"}, "init")
    write(tmp_path, {"build/out.txt": f"{secret}\n", "big.log": f"{secret}\n" + "y" * 200})
    os.symlink(outside, tmp_path / "link.txt")
    result = scan_tree(Repo(tmp_path), max_bytes=100)
    assert result.findings == ()
    assert result.skipped == (
        Skipped("big.log", "241 bytes, over the 100-byte size limit of the secrets scan"),
    )
    assert result.scanned == 2  # .gitignore and keep.py; link.txt is a symlink, build/ is ignored


def test_explicit_files_and_standard_input() -> None:
    secret = token("aws")
    result = scan_paths([("<stdin>", f"id: {secret}\n".encode())])
    [finding] = result.findings
    assert finding.rule_id == "SECRET-AWS-ACCESS-KEY"
    assert finding.primary is not None and str(finding.primary) == "<stdin>:1:5"


def test_a_missing_explicit_file_is_skipped_with_the_reason(tmp_path: Path) -> None:
    result = scan_paths([(str(tmp_path / "nope.txt"), None)])
    assert result.findings == ()
    assert result.skipped == (Skipped(str(tmp_path / "nope.txt"), "cannot read: No such file or directory"),)


def test_build_findings_is_deterministic_and_sorted(tmp_path: Path) -> None:
    write(tmp_path, {"z.txt": f"{token('github', 1)}\n", "a.txt": f"{token('github', 2)}\n"})
    result = scan_tree(Repo(tmp_path))
    again = build_findings(reversed(result.occurrences))
    assert again == result.findings
    assert [f.primary.path for f in again if f.primary] == ["a.txt", "z.txt"]
