"""The cache of scanned blobs that makes history re-scans incremental.

A blob id names its content, so what a blob holds never changes: once scanned, its redacted hits
(rule, secret prefix and SHA-256, line and column, the already redacted snippet; never the secret)
and the members it could not read are kept, keyed by a hash of the rules, the scan limits and this
file's format. A change to any rule makes a new key, hence a cold cache. The file is replaced
atomically, so a concurrent or interrupted scan leaves either the old cache or the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secloop.core.cachedir import cache_root as _cache_root
from secloop.secrets.spec import SecretRule

FORMAT = "1"


def cache_dir() -> Path:
    """SECLOOP_CACHE_DIR when set, else the user cache directory of secloop."""
    return _cache_root()


@dataclass(frozen=True, slots=True)
class Record:
    """One redacted hit in a blob (member is the archive member's name, "" for the blob itself)."""

    rule_id: str
    member: str
    secret_sha256: str
    prefix: str
    start_line: int
    start_column: int
    end_line: int
    end_column: int
    snippet: str
    encoding: str | None


@dataclass(frozen=True, slots=True)
class BlobResult:
    records: tuple[Record, ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()  # (member, reason); member "" for the blob itself


CLEAN = BlobResult()


def rules_key(rules: Sequence[SecretRule], *limits: int) -> str:
    digest = hashlib.sha256(f"{FORMAT}\x00{limits!r}\x00".encode())
    for rule in rules:
        digest.update(repr(rule).encode("utf-8", "surrogateescape"))
        digest.update(b"\x00")
    return digest.hexdigest()[:32]


class BlobCache:
    """Scanned blob ids and their redacted results, loaded once and saved once per scan."""

    def __init__(self, key: str, directory: Path | None = None) -> None:
        self.key = key
        self.directory = directory or cache_dir()
        self.path = self.directory / f"secrets-blobs-{key}.json"
        self._loaded: dict[str, BlobResult] | None = None
        self._new = 0

    @property
    def _entries(self) -> dict[str, BlobResult]:
        if self._loaded is None:
            try:
                raw = json.loads(self.path.read_text("utf-8"))
                self._loaded = {oid: _decode(value) for oid, value in raw["blobs"].items()}
            except (OSError, ValueError, KeyError, TypeError, IndexError):
                self._loaded = {}  # missing or unreadable: start cold, it is only a cache
        return self._loaded

    def __contains__(self, oid: object) -> bool:
        return oid in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, oid: str) -> BlobResult | None:
        return self._entries.get(oid)

    def put(self, oid: str, result: BlobResult) -> None:
        self._entries[oid] = result
        self._new += 1

    def save(self) -> None:
        if not self._new:
            return
        payload = {"format": FORMAT, "blobs": {oid: _encode(r) for oid, r in self._entries.items()}}
        if _write_atomic(self.path, payload):
            self._new = 0

    # -- the state of one repository's last full-history scan ---------------------------------

    def _state_path(self, git_dir: Path) -> Path:
        where = hashlib.sha256(str(git_dir.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
        return self.directory / f"secrets-history-{self.key}-{where}.json"

    def load_state(self, git_dir: Path) -> HistoryState | None:
        try:
            raw = json.loads(self._state_path(git_dir).read_text("utf-8"))
            return HistoryState(
                tips=tuple(str(t) for t in raw["tips"]),
                blobs=int(raw["blobs"]),
                last_order=int(raw["last_order"]),
                entries=tuple(
                    StateEntry(
                        str(e[0]),
                        str(e[1]),
                        _decode(e[2]),
                        None
                        if e[3] is None
                        else (str(e[3][0]), str(e[3][1]), str(e[3][2]), str(e[3][3]), int(e[3][4])),
                    )
                    for e in raw["entries"]
                ),
            )
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None

    def save_state(self, git_dir: Path, state: HistoryState) -> None:
        payload = {
            "format": FORMAT,
            "tips": list(state.tips),
            "blobs": state.blobs,
            "last_order": state.last_order,
            "entries": [
                [e.oid, e.path, _encode(e.result), None if e.intro is None else list(e.intro)]
                for e in state.entries
            ],
        }
        _write_atomic(self._state_path(git_dir), payload)


# (commit, author, date, path, topological rank) of the commit that introduced a blob
IntroTuple = tuple[str, str, str, str, int]


@dataclass(frozen=True, slots=True)
class StateEntry:
    """A blob of the last scan with something to report (hits or skipped members), and where it came in."""

    oid: str
    path: str
    result: BlobResult
    intro: IntroTuple | None


@dataclass(frozen=True, slots=True)
class HistoryState:
    """What a full-history scan of one repository saw: the ref tips and the blobs worth reporting.

    The next scan lists only the objects reachable from new tips and not from these (when every old
    tip is still reachable), so one new commit costs one small `rev-list`, not a walk of all history.
    """

    tips: tuple[str, ...]
    blobs: int
    last_order: int
    entries: tuple[StateEntry, ...]


def _write_atomic(path: Path, payload: object) -> bool:
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogateescape")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return False  # a read-only cache costs the next scan its speed, never its result
    return True


def _encode(result: BlobResult) -> object:
    if result == CLEAN:
        return 0
    return {
        "r": [
            [
                r.rule_id,
                r.member,
                r.secret_sha256,
                r.prefix,
                r.start_line,
                r.start_column,
                r.end_line,
                r.end_column,
                r.snippet,
                r.encoding,
            ]
            for r in result.records
        ],
        "s": [list(s) for s in result.skipped],
    }


def _decode(value: object) -> BlobResult:
    if value == 0:
        return CLEAN
    if not isinstance(value, dict):
        raise ValueError("malformed cache entry")
    records = tuple(
        Record(
            str(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3]),
            int(r[4]),
            int(r[5]),
            int(r[6]),
            int(r[7]),
            str(r[8]),
            None if r[9] is None else str(r[9]),
        )
        for r in value["r"]
    )
    skipped = tuple((str(s[0]), str(s[1])) for s in value["s"])
    return BlobResult(records, skipped)
