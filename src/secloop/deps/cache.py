"""The on-disk cache of registry answers: one JSON file per registry base URL.

One file per registry, not per package: a 5,000-package lockfile is one read and one parse instead
of 5,000 opens, and answers of two registries (pypi.org and a private mirror) never mix. The file
maps a package name to its trimmed answer; writes are batched (`flush`), merged with what another
process wrote meanwhile, and atomic (a temporary file renamed over the old one).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FORMAT = 2


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while hundreds of thousands of acyclic objects (parsed JSON,
    release tuples) are built: its passes over them would otherwise cost more than building them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def cache_file(directory: Path, kind: str, base: str) -> Path:
    """`<kind>-<host>-<digest of the base URL>.json`: readable, and distinct per path on one host."""
    host = re.sub(r"[^A-Za-z0-9.-]+", "_", urlsplit(base).hostname or "local")
    digest = hashlib.sha256(base.encode()).hexdigest()[:12]
    return directory / f"{kind}-{host}-{digest}.json"


class HostCache:
    def __init__(self, path: Path, base: str) -> None:
        self.path = path
        self.base = base
        self._lock = threading.Lock()
        self._entries: dict[str, Any] | None = None
        self._pending: dict[str, Any] = {}

    def _read(self) -> dict[str, Any]:
        try:
            with paused_gc():
                data = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("base") != self.base:
            return {}
        entries = data.get("entries")
        return entries if isinstance(entries, dict) else {}

    def get(self, name: str) -> Any:
        with self._lock:
            if self._entries is None:
                self._entries = self._read()
            return self._entries.get(name)

    def put(self, name: str, entry: Any) -> None:
        with self._lock:
            if self._entries is None:
                self._entries = self._read()
            self._entries[name] = entry
            self._pending[name] = entry

    def flush(self) -> None:
        with self._lock:
            if not self._pending:
                return
            merged = {**self._read(), **self._pending}
            doc = {"format": FORMAT, "base": self.base, "entries": merged}
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
                tmp.write_text(json.dumps(doc, sort_keys=True, separators=(",", ":")), "utf-8")
                os.replace(tmp, self.path)
            except OSError:
                return  # a cache that cannot be written costs a refetch, nothing else
            self._entries = merged
            self._pending.clear()
