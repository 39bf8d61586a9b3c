"""Members of zip and tar archives: found at `archive!member` with the member's line, one level deep."""

from __future__ import annotations

import gzip
import io
import random
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from secloop.core.model import Finding
from secloop.secrets.archive import Member, MemberSkipped, archive_kind, members
from secloop.secrets.scan import scan_history, scan_paths, scan_tree
from secloop.sources.repo import Repo
from tests.secrets.conftest import git, init, token

NESTED = "nested archive, not opened (archives are read one level deep)"


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def tar_bytes(files: dict[str, bytes], compression: str = "") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue(), mtime=0) if compression == "gz" else buffer.getvalue()


def _where(finding: Finding) -> list[tuple[str, int | None, str | None]]:
    return [(loc.path, loc.start_line, loc.commit) for loc in finding.locations]


BUILDERS: dict[str, Callable[[dict[str, bytes]], bytes]] = {
    "bundle.zip": zip_bytes,
    "app.jar": zip_bytes,
    "pkg-1.0-py3-none-any.whl": zip_bytes,
    "files.tar": tar_bytes,
    "files.tar.gz": lambda f: tar_bytes(f, "gz"),
    "files.tgz": lambda f: tar_bytes(f, "gz"),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_secret_inside_an_archive_is_found_at_the_member_line(tmp_path: Path, name: str) -> None:
    secret = token("github")
    data = BUILDERS[name](
        {"docs/readme.txt": b"nothing\n", "config/app.env": f"# x\nTOKEN={secret}\n".encode()}
    )
    (tmp_path / name).write_bytes(data)
    result = scan_tree(Repo(tmp_path))
    [finding] = result.findings
    assert finding.rule_id == "SECRET-GITHUB-PAT-CLASSIC"
    assert _where(finding) == [(f"{name}!config/app.env", 2, None)]
    assert finding.primary is not None and finding.primary.snippet == "TOKEN=ghp_…"
    assert result.skipped == ()
    assert secret not in repr(result.findings)


def test_an_archive_without_secrets_gives_nothing(tmp_path: Path) -> None:
    (tmp_path / "clean.zip").write_bytes(zip_bytes({"a.txt": b"TOKEN = os.environ['TOKEN']\n"}))
    result = scan_tree(Repo(tmp_path))
    assert (result.findings, result.skipped) == ((), ())


def test_nested_archives_are_skipped_with_the_reason(tmp_path: Path) -> None:
    inner = zip_bytes({"deep.txt": f"{token('stripe')}\n".encode()})
    outer = zip_bytes({"lib/inner.zip": inner, "lib/disguised.bin": inner, "ok.txt": b"fine\n"})
    (tmp_path / "outer.zip").write_bytes(outer)
    result = scan_tree(Repo(tmp_path))
    assert result.findings == ()
    assert [(s.path, s.reason) for s in result.skipped] == [
        ("outer.zip!lib/disguised.bin", NESTED),
        ("outer.zip!lib/inner.zip", NESTED),
    ]


def test_a_corrupt_archive_is_skipped_never_a_crash(tmp_path: Path) -> None:
    good = zip_bytes({"a.txt": f"{token('npm')}\n".encode()})
    broken = good[:30] + b"\x00" * 20 + good[50:]
    whole = tar_bytes({"noise.bin": random.Random(0).randbytes(5000)}, "gz")
    truncated = whole[: len(whole) // 2]
    result = scan_paths(
        [
            ("broken.zip", broken),
            ("fake.tgz", b"plain text\n"),
            ("truncated.tar.gz", truncated),
        ]
    )
    assert result.findings == ()
    reasons = {s.path: s.reason for s in result.skipped}
    assert set(reasons) == {"broken.zip!a.txt", "fake.tgz", "truncated.tar.gz"}
    assert reasons["broken.zip!a.txt"].startswith("cannot read archive member:")
    assert reasons["fake.tgz"] == "named like an archive but not a readable zip or tar archive"
    assert reasons["truncated.tar.gz"].startswith("corrupt tar.gz archive:")


def test_member_and_archive_size_caps() -> None:
    data = tar_bytes({"small.txt": b"a" * 10, "big.txt": b"b" * 50, "late.txt": b"c" * 30})
    found = list(members("x.tar", data, max_member=40, max_total=35))
    assert found == [
        Member("small.txt", b"a" * 10),
        MemberSkipped("big.txt", "archive member of 50 bytes, over the 40-byte member limit"),
        MemberSkipped("late.txt", "archive content over the 35-byte limit per archive"),
    ]


def test_archives_are_recognised_by_content() -> None:
    assert archive_kind(zip_bytes({"a": b"1"})) == "zip"
    assert archive_kind(tar_bytes({"a": b"1"})) == "tar"
    assert archive_kind(tar_bytes({"a": b"1"}, "gz")) == "tar.gz"
    assert archive_kind(b"PK is not enough") is None
    assert archive_kind(b"\x1f\x8b\x08garbage") is None


def test_a_secret_inside_a_committed_zip_is_found_in_history(tmp_path: Path) -> None:
    repo = init(tmp_path / "r")
    secret = token("slack")
    (repo / "dist").mkdir()
    (repo / "dist" / "release.zip").write_bytes(
        zip_bytes({"inner/path.txt": f"line one\nline two\nslack = {secret}\n".encode()})
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "release")
    sha = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-q", "dist/release.zip")
    git(repo, "commit", "-q", "-m", "remove the release")
    [finding] = scan_history(repo).findings
    assert finding.rule_id == "SECRET-SLACK-BOT-TOKEN"
    assert _where(finding) == [("dist/release.zip!inner/path.txt", 3, sha)]
    assert dict(finding.properties)["commit"] == sha
