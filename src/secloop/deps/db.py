"""The offline advisory database: OSV `all.zip` exports imported into a compact per-ecosystem index.

Layout of the database directory (default: the user data dir, `secloop/osv/`):

- `snapshot.json`: which index file serves each ecosystem, its advisory count, content hash and
  newest `modified`. It is replaced atomically last, so readers see the old snapshot or the new one.
- `<ecosystem>-<hash>.idx`: a magic line, then a `marshal`-ed header {name: (offset, length)} and
  one `marshal`-ed list of entries per package name. Opening reads the header only; a lookup
  unmarshals one package's entries. marshal stores only str/int/tuple/list/dict and runs no code.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import mmap
import os
import re
import struct
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from secloop.core.baseline import write_atomic
from secloop.core.errors import InputError, Place, UsageError
from secloop.deps.osv import Affected, EntryTuple, RecordError, entries_of, to_affected

ENV = "SECLOOP_OSV_DIR"
MANIFEST = "snapshot.json"
FORMAT = 1
MAGIC = b"SECLOOP-OSV-INDEX/1\n"
_HEADER_LEN = struct.Struct("<Q")
OSV_EXPORTS = "https://osv-vulnerabilities.storage.googleapis.com/<ecosystem>/all.zip"


def default_dir() -> Path:
    env = os.environ.get(ENV)
    return Path(env) if env else Path(platformdirs.user_data_dir("secloop")) / "osv"


def resolve_dir(explicit: Path | None) -> Path:
    return explicit if explicit is not None else default_dir()


def import_hint(ecosystems: str = "PyPI") -> str:
    return (
        f"run `secloop db import {ecosystems}-all.zip` with the OSV export of each ecosystem you use "
        f"({OSV_EXPORTS}); `--db-dir` or {ENV} choose where it is stored"
    )


class NoDatabase(UsageError):
    """Nothing can be checked without advisories: never report "clean" then (exit 2)."""


@dataclass(frozen=True, slots=True)
class EcosystemSnapshot:
    name: str
    file: str
    advisories: int
    withdrawn: int
    packages: int
    content_hash: str
    newest_modified: str
    source: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    directory: Path
    imported_at: str
    ecosystems: tuple[EcosystemSnapshot, ...]

    @property
    def content_hash(self) -> str:
        h = hashlib.sha256()
        for eco in sorted(self.ecosystems, key=lambda e: e.name):
            h.update(f"{eco.name}={eco.content_hash}\n".encode())
        return "sha256:" + h.hexdigest()

    @property
    def newest_modified(self) -> str:
        return max((e.newest_modified for e in self.ecosystems), default="")

    @property
    def advisories(self) -> int:
        return sum(e.advisories for e in self.ecosystems)

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """How a report names the snapshot it used."""
        return (
            ("osv", self.content_hash),
            ("osv.newest_modified", self.newest_modified),
            ("osv.ecosystems", ", ".join(f"{e.name} {e.advisories}" for e in self.ecosystems)),
        )

    def ecosystem(self, name: str) -> EcosystemSnapshot | None:
        return next((e for e in self.ecosystems if e.name == name), None)

    def label(self) -> str:
        """One line naming the data a report was computed from."""
        names = ", ".join(f"{e.name} {e.advisories:,}" for e in self.ecosystems)
        return (
            f"OSV snapshot {self.content_hash[:19]} ({names} advisories; "
            f"newest modified {self.newest_modified[:10] or 'unknown'})"
        )


def _snapshot_from(directory: Path, data: Any) -> Snapshot:
    place = Place(str(directory / MANIFEST))
    if (
        not isinstance(data, dict)
        or data.get("format") != FORMAT
        or not isinstance(data.get("ecosystems"), dict)
    ):
        raise InputError(
            "the advisory database manifest has an unknown format", place=place, hint=import_hint()
        )
    ecosystems = []
    try:
        for name, info in sorted(data["ecosystems"].items()):
            ecosystems.append(
                EcosystemSnapshot(
                    name,
                    str(info["file"]),
                    int(info["advisories"]),
                    int(info["withdrawn"]),
                    int(info["packages"]),
                    str(info["content_hash"]),
                    str(info["newest_modified"]),
                    str(info.get("source", "")),
                )
            )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"the advisory database manifest is damaged ({exc})", place=place, hint=import_hint()
        ) from exc
    return Snapshot(directory, str(data.get("imported_at", "")), tuple(ecosystems))


def read_snapshot(directory: Path) -> Snapshot | None:
    """The current snapshot, or None when nothing was ever imported there."""
    path = directory / MANIFEST
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise InputError(
            f"cannot read the advisory database: {exc.strerror}", place=Place(str(path))
        ) from exc
    try:
        return _snapshot_from(directory, json.loads(text))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"the advisory database manifest is not valid JSON: {exc.msg}",
            place=Place(str(path), exc.lineno, exc.colno),
            hint=import_hint(),
        ) from exc


# -- import ----------------------------------------------------------------------------------------


@dataclass
class _Collected:
    entries: dict[str, dict[str, list[EntryTuple]]] = field(default_factory=dict)
    hashes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    advisories: dict[str, set[str]] = field(default_factory=dict)
    withdrawn: dict[str, set[str]] = field(default_factory=dict)
    modified: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    records: int = 0


@dataclass(frozen=True, slots=True)
class ImportReport:
    snapshot: Snapshot
    imported: tuple[EcosystemSnapshot, ...]
    records: int
    problems: tuple[str, ...]


def _records(source: Path) -> Iterator[tuple[str, bytes]]:
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.suffix == ".json" and path.is_file():
                yield str(path.relative_to(source)), path.read_bytes()
            elif path.suffix == ".zip" and path.is_file():
                yield from _zip_records(path)
    elif source.is_file():
        yield from _zip_records(source)
    else:
        raise UsageError(
            f"no such file or directory: {source}", hint="give an OSV all.zip export or a folder of records"
        )


def _zip_records(path: Path) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(
            f"not a readable zip archive: {exc}", place=Place(str(path)), hint=import_hint()
        ) from exc
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if info.filename.endswith(".json") and not info.is_dir():
                yield f"{path.name}:{info.filename}", archive.read(info)


def _collect(source: Path) -> _Collected:
    out = _Collected()
    seen: dict[str, str] = {}
    for member, raw in _records(source):
        try:
            record = json.loads(raw)
            if not isinstance(record, dict):
                raise RecordError("not a JSON object")
            pairs = entries_of(record)
        except (json.JSONDecodeError, UnicodeDecodeError, RecordError) as exc:
            out.problems.append(f"{member}: {exc}")
            continue
        record_id = str(record["id"])
        modified = str(record.get("modified", ""))
        if record_id in seen and seen[record_id] >= modified:
            continue  # the same record twice (a folder holding both the zip and its files): keep the newest
        seen[record_id] = modified
        out.records += 1
        digest = hashlib.sha256(raw).hexdigest()
        for ecosystem in {eco for eco, _, _ in pairs}:
            out.hashes.setdefault(ecosystem, []).append((record_id, digest))
            out.modified[ecosystem] = max(out.modified.get(ecosystem, ""), modified)
            bucket = out.withdrawn if record.get("withdrawn") else out.advisories
            bucket.setdefault(ecosystem, set()).add(record_id)
        if record.get("withdrawn"):
            continue
        for ecosystem, name, entry in pairs:
            names = out.entries.setdefault(ecosystem, {})
            names[name] = [e for e in names.get(name, []) if e[0] != record_id] + [entry]
    return out


def _content_hash(pairs: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for record_id, digest in sorted(set(pairs)):
        h.update(f"{record_id} {digest}\n".encode())
    return "sha256:" + h.hexdigest()


def _write_index(directory: Path, filename: str, packages: dict[str, list[EntryTuple]]) -> None:
    header: dict[str, tuple[int, int]] = {}
    chunks: list[bytes] = []
    offset = 0
    for name in sorted(packages):
        blob = marshal.dumps(sorted(packages[name], key=lambda e: e[0]))
        header[name] = (offset, len(blob))
        chunks.append(blob)
        offset += len(blob)
    head = marshal.dumps(header)
    fd, tmp = tempfile.mkstemp(prefix=f".{filename}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + _HEADER_LEN.pack(len(head)) + head)
            for chunk in chunks:
                handle.write(chunk)
        os.replace(tmp, directory / filename)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    handle = (directory / ".lock").open("a")
    try:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not POSIX: imports are then not serialised
            pass
        yield
    finally:
        handle.close()


def import_osv(source: Path, directory: Path, *, now: datetime | None = None) -> ImportReport:
    """Import an OSV export (an all.zip, or a folder of records or zips), replacing those ecosystems."""
    collected = _collect(source)
    if not collected.hashes:
        raise InputError(
            f"no OSV records found in {source}",
            place=Place(str(source)),
            hint="give an OSV all.zip export (or a folder of *.json records)"
            + (f"; {len(collected.problems)} file(s) could not be read" if collected.problems else ""),
        )
    directory.mkdir(parents=True, exist_ok=True)
    with _locked(directory):
        previous = read_snapshot(directory)
        kept = {e.name: e for e in previous.ecosystems} if previous else {}
        imported: list[EcosystemSnapshot] = []
        for ecosystem in sorted(collected.hashes):
            content = _content_hash(collected.hashes[ecosystem])
            safe = re.sub(r"[^A-Za-z0-9.]+", "_", ecosystem)
            filename = f"{safe}-{content[7:23]}.idx"
            packages = collected.entries.get(ecosystem, {})
            _write_index(directory, filename, packages)
            snap = EcosystemSnapshot(
                ecosystem,
                filename,
                len(collected.advisories.get(ecosystem, ())),
                len(collected.withdrawn.get(ecosystem, ())),
                len(packages),
                content,
                collected.modified.get(ecosystem, ""),
                source.name,
            )
            kept[ecosystem] = snap
            imported.append(snap)
        stamp = (now or datetime.now(tz=UTC)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        manifest = {
            "format": FORMAT,
            "imported_at": stamp,
            "ecosystems": {
                e.name: {
                    "file": e.file,
                    "advisories": e.advisories,
                    "withdrawn": e.withdrawn,
                    "packages": e.packages,
                    "content_hash": e.content_hash,
                    "newest_modified": e.newest_modified,
                    "source": e.source,
                }
                for e in sorted(kept.values(), key=lambda e: e.name)
            },
        }
        write_atomic(directory / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        live = {e.file for e in kept.values()}
        for stale in directory.glob("*.idx"):
            if stale.name not in live:
                stale.unlink(missing_ok=True)
    snapshot = _snapshot_from(directory, manifest)
    return ImportReport(snapshot, tuple(imported), collected.records, tuple(collected.problems))


# -- lookup ----------------------------------------------------------------------------------------


class _Index:
    def __init__(self, path: Path) -> None:
        try:
            with path.open("rb") as handle:
                self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot open the advisory index: {exc}", place=Place(str(path)), hint=import_hint()
            ) from exc
        # marshal reads only our own index, written by `secloop db import`; it builds data, never runs code.
        start = len(MAGIC) + _HEADER_LEN.size
        if self._map[: len(MAGIC)] != MAGIC:
            raise InputError("not a secloop advisory index", place=Place(str(path)), hint=import_hint())
        (length,) = _HEADER_LEN.unpack(self._map[len(MAGIC) : start])
        try:
            self.header: dict[str, tuple[int, int]] = marshal.loads(self._map[start : start + length])  # noqa: S302  # nosec B302
        except (EOFError, ValueError, TypeError) as exc:
            raise InputError(
                "the advisory index is damaged", place=Place(str(path)), hint=import_hint()
            ) from exc
        self._base = start + length
        self._path = path

    def entries(self, name: str) -> list[EntryTuple]:
        where = self.header.get(name)
        if where is None:
            return []
        offset, length = where
        begin = self._base + offset
        try:
            entries: list[EntryTuple] = marshal.loads(self._map[begin : begin + length])  # noqa: S302  # nosec B302
        except (EOFError, ValueError, TypeError) as exc:
            raise InputError(
                "the advisory index is damaged", place=Place(str(self._path)), hint=import_hint()
            ) from exc
        return entries


class AdvisoryDB:
    """Read access to one snapshot; each ecosystem's index is opened on first use."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self._indexes: dict[str, _Index] = {}
        self._cache: dict[tuple[str, str], tuple[Affected, ...]] = {}

    @classmethod
    def open(cls, directory: Path) -> AdvisoryDB:
        snapshot = read_snapshot(directory)
        if snapshot is None or not snapshot.ecosystems:
            raise NoDatabase(
                f"no advisory database in {directory}: nothing can be checked", hint=import_hint()
            )
        return cls(snapshot)

    def covers(self, ecosystem: str) -> bool:
        return self.snapshot.ecosystem(ecosystem) is not None

    def _index(self, ecosystem: str) -> _Index | None:
        if ecosystem not in self._indexes:
            snap = self.snapshot.ecosystem(ecosystem)
            if snap is None:
                return None
            self._indexes[ecosystem] = _Index(self.snapshot.directory / snap.file)
        return self._indexes[ecosystem]

    def lookup(self, ecosystem: str, name: str) -> tuple[Affected, ...]:
        key = (ecosystem, name)
        if key not in self._cache:
            index = self._index(ecosystem)
            self._cache[key] = tuple(to_affected(e) for e in index.entries(name)) if index else ()
        return self._cache[key]

    def names(self, ecosystem: str) -> tuple[str, ...]:
        index = self._index(ecosystem)
        return tuple(index.header) if index else ()
