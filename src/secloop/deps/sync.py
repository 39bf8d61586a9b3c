"""`secloop db sync`: download OSV ecosystem exports (opt-in network) and import them.

Conditional requests (If-None-Match / If-Modified-Since from the last successful sync) skip
unchanged exports. A download goes to a temporary file in the database directory, is checked (a
complete zip of OSV records, the announced length) and imported; the import replaces the index and
its manifest atomically, so a failed or interrupted sync leaves the previous snapshot in place.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

from secloop.core.baseline import write_atomic
from secloop.core.errors import InputError, Place, UsageError
from secloop.deps.db import ImportReport, import_osv, read_snapshot

OSV_BASE = "https://osv-vulnerabilities.storage.googleapis.com"
BASE_ENV = "SECLOOP_OSV_URL"
STATE = "sync.json"
_CHUNK = 1 << 20
_USER_AGENT = "secloop-db-sync"


class SyncError(UsageError):
    """The export could not be downloaded or was not a complete OSV export (exit 2)."""


@dataclass(frozen=True, slots=True)
class Synced:
    url: str
    status: str  # "imported" | "not modified"
    report: ImportReport | None = None
    size: int = 0


def export_url(ecosystem: str, base: str | None = None) -> str:
    root = (base or os.environ.get(BASE_ENV) or OSV_BASE).rstrip("/")
    return f"{root}/{quote(ecosystem, safe='')}/all.zip"


def targets(directory: Path, ecosystems: Sequence[str], urls: Sequence[str], base: str | None) -> list[str]:
    """The URLs to sync: given ones, else those of the named ecosystems, else of the imported ones."""
    if urls:
        return list(dict.fromkeys(urls))
    names = list(ecosystems)
    if not names:
        snapshot = read_snapshot(directory)
        names = [e.name for e in snapshot.ecosystems] if snapshot else []
    if not names:
        raise UsageError(
            f"no ecosystem to sync: {directory} holds no advisory database yet",
            hint="name one: `secloop db sync --ecosystem PyPI` (repeatable), or give `--url URL`",
        )
    return [export_url(name, base) for name in dict.fromkeys(names)]


def _state(directory: Path) -> dict[str, Any]:
    try:
        data = json.loads((directory / STATE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _download(url: str, previous: dict[str, Any], into: Path, timeout: float) -> tuple[int, dict[str, str]]:
    if urlparse(url).scheme not in ("https", "http"):
        raise UsageError(f"not an http(s) URL: {url}", hint="give the URL of an OSV all.zip export")
    headers = {"User-Agent": _USER_AGENT}
    if previous.get("etag"):
        headers["If-None-Match"] = previous["etag"]
    if previous.get("last_modified"):
        headers["If-Modified-Since"] = previous["last_modified"]
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  # nosec B310
            expected = response.headers.get("Content-Length")
            size = 0
            with into.open("wb") as out:
                while chunk := response.read(_CHUNK):
                    out.write(chunk)
                    size += len(chunk)
            if expected is not None and expected.isdigit() and int(expected) != size:
                raise SyncError(f"{url}: truncated download ({size:,} of {int(expected):,} bytes)")
            meta = {
                "etag": response.headers.get("ETag") or "",
                "last_modified": response.headers.get("Last-Modified") or "",
            }
            return size, meta
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return -1, {}
        raise SyncError(f"{url}: HTTP {exc.code}", hint="check the URL or the ecosystem name") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise SyncError(
            f"{url}: {getattr(exc, 'reason', exc)}",
            hint="db sync needs network access to the OSV exports; offline, `secloop db import FILE.zip`",
        ) from exc


def sync(directory: Path, urls: Sequence[str], *, timeout: float = 60.0) -> list[Synced]:
    directory.mkdir(parents=True, exist_ok=True)
    state = _state(directory)
    done: list[Synced] = []
    for url in urls:
        name = Path(urlparse(url).path).name or "all.zip"
        parent = Path(urlparse(url).path).parent.name
        label = f"{parent}-{name}" if parent and name == "all.zip" else name
        work = Path(tempfile.mkdtemp(prefix=".sync-", dir=directory))
        try:
            target = work / label
            size, meta = _download(url, state.get(url, {}), target, timeout)
            if size < 0:
                done.append(Synced(url, "not modified"))
                continue
            if not zipfile.is_zipfile(target):
                raise InputError(
                    f"{url}: the download is not a zip archive",
                    place=Place(url),
                    hint="the OSV exports are <base>/<ecosystem>/all.zip",
                )
            report = import_osv(target, directory)
            state[url] = {**meta, "size": size, "content_hash": report.snapshot.content_hash}
            write_atomic(directory / STATE, json.dumps(state, indent=2, sort_keys=True) + "\n")
            done.append(Synced(url, "imported", report, size))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return done
