"""Members of zip and tar archives, read in memory one level deep, with caps per member and per archive.

An archive is recognised by its content (zip and tar magic, gzip holding a tar), not by its name, so a
blob gives the same members whatever path history lists it under; a file named like an archive that
is none is reported as skipped. Nested archives are not opened (depth 1): they are reported as skipped.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

MAX_MEMBER_BYTES = 10_000_000
MAX_ARCHIVE_BYTES = 100_000_000
EXTENSIONS = (".zip", ".jar", ".whl", ".tar", ".tar.gz", ".tgz")
_TAR_MAGIC = b"ustar"


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class MemberSkipped:
    name: str  # "" when the whole archive is skipped
    reason: str


def named_like_archive(path: str) -> bool:
    return path.lower().endswith(EXTENSIONS)


def archive_kind(data: bytes) -> str | None:
    """ "zip", "tar" or "tar.gz" from the content, None for anything else."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    if data[257:262] == _TAR_MAGIC:
        return "tar"
    if data[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(data[:65536], 512)
        except zlib.error:
            return None
        if head[257:262] == _TAR_MAGIC:
            return "tar.gz"
    return None


def is_archive(path: str, data: bytes) -> bool:
    return archive_kind(data) is not None or named_like_archive(path)


def members(
    path: str, data: bytes, max_member: int = MAX_MEMBER_BYTES, max_total: int = MAX_ARCHIVE_BYTES
) -> Iterator[Member | MemberSkipped]:
    """Each regular member's bytes in archive order; what cannot be read is a MemberSkipped, never raised."""
    kind = archive_kind(data)
    if kind is None:
        if named_like_archive(path):
            yield MemberSkipped("", "named like an archive but not a readable zip or tar archive")
        return
    reader = _zip_members if kind == "zip" else _tar_members
    try:
        yield from reader(data, max_member, max_total)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, gzip.BadGzipFile, EOFError, OSError) as exc:
        yield MemberSkipped("", f"corrupt {kind} archive: {exc}")


def _nested_or_capped(name: str, size: int, total: int, max_member: int, max_total: int) -> str | None:
    if named_like_archive(name):
        return "nested archive, not opened (archives are read one level deep)"
    if size > max_member:
        return f"archive member of {size} bytes, over the {max_member}-byte member limit"
    if total + size > max_total:
        return f"archive content over the {max_total}-byte limit per archive"
    return None


def _zip_members(data: bytes, max_member: int, max_total: int) -> Iterator[Member | MemberSkipped]:
    total = 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            reason = _nested_or_capped(info.filename, info.file_size, total, max_member, max_total)
            if reason is None:
                try:
                    content = archive.read(info)
                except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as exc:
                    # RuntimeError: an encrypted member; NotImplementedError: an unknown compression
                    yield MemberSkipped(info.filename, f"cannot read archive member: {exc}")
                    continue
                total += len(content)
                if archive_kind(content) is not None:
                    yield MemberSkipped(
                        info.filename, "nested archive, not opened (archives are read one level deep)"
                    )
                    continue
                yield Member(info.filename, content)
            else:
                yield MemberSkipped(info.filename, reason)


def _tar_members(data: bytes, max_member: int, max_total: int) -> Iterator[Member | MemberSkipped]:
    total = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
        for info in archive:
            if not info.isfile():
                continue  # links, devices and directories carry no content of their own
            reason = _nested_or_capped(info.name, info.size, total, max_member, max_total)
            if reason is not None:
                yield MemberSkipped(info.name, reason)
                continue
            handle = archive.extractfile(info)
            if handle is None:
                continue
            content = handle.read()
            total += len(content)
            if archive_kind(content) is not None:
                yield MemberSkipped(
                    info.name, "nested archive, not opened (archives are read one level deep)"
                )
                continue
            yield Member(info.name, content)
