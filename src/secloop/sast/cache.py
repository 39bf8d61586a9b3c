"""The analysis cache: parse facts and taint/check results per file content, so a re-scan after a
one-file change parses and analyses that file (and the files whose taint went through it) only.

A file's results depend on its own bytes and on the project files its analysis looked into while
following calls (helper functions' summaries); each result records those files with their sha256
and is reused only while they are unchanged. The cache is keyed by the analysis code too: a new
secloop version starts afresh. Best effort: an unreadable or unwritable cache is an empty one.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secloop.core.enums import Confidence, Severity
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, Skipped
from secloop.sast.bandit import cache_dir

_CODE = (
    "taint.py", "flow.py", "sinks.py", "checks.py", "project.py", "rules.py", "source.py", "cache.py",
    "values.py", "calls.py",
)  # fmt: skip


def code_version() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _CODE:
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()[:16]


def content_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True, slots=True)
class Meta:
    """What parsing one file told: not parseable (with why), or its scopes and project imports."""

    skipped: tuple[str, int | None, int | None] | None
    scopes: tuple[tuple[int, int, str], ...] = ()
    imports: tuple[str, ...] = ()  # module names its imports may refer to
    names: str = ""  # digest of its top-level function and imported names (project.names_digest)
    classes: tuple[tuple[str, str], ...] = ()  # (name, digest of its code) per top-level class


def finding_to_json(f: Finding) -> dict[str, Any]:
    loc = f.primary
    return {
        "rule": f.rule_id,
        "severity": f.severity.value,
        "confidence": f.confidence.value,
        "message": f.message,
        "location": [loc.path, loc.start_line, loc.start_column] if loc else None,
        "properties": [list(p) for p in f.properties],
        "fix": f.fix,
    }


def finding_from_json(data: dict[str, Any]) -> Finding:
    loc = data["location"]
    return Finding(
        rule_id=data["rule"],
        severity=Severity(data["severity"]),
        confidence=Confidence(data["confidence"]),
        message=data["message"],
        locations=(Location(loc[0], loc[1], loc[2]),) if loc else (),
        fingerprint="",
        properties=tuple((str(k), str(v)) for k, v in data["properties"]),
        fix=data["fix"],
    )


class AnalysisCache:
    MAX_ENTRIES = 50_000

    def __init__(self, folder: Path | None = None, *, enabled: bool = True) -> None:
        self.path = (folder if folder is not None else cache_dir()) / f"analysis-{code_version()}.json"
        self.metas: dict[str, Any] = {}
        self.results: dict[str, Any] = {}
        self.enabled = enabled
        self.dirty = False
        self.hits = self.misses = 0
        if not enabled:
            return
        try:
            loaded = json.loads(self.path.read_text("utf-8"))
            if isinstance(loaded, dict):
                self.metas = dict(loaded.get("metas", {}))
                self.results = dict(loaded.get("results", {}))
        except (OSError, ValueError):
            pass

    @staticmethod
    def meta_key(path: str, digest: str) -> str:
        return keyed_fingerprint("meta", path, digest)

    def meta(self, path: str, digest: str) -> Meta | None:
        raw = self.metas.get(self.meta_key(path, digest))
        if raw is None:
            return None
        skipped = raw.get("skipped")
        return Meta(
            tuple(skipped) if skipped else None,
            tuple((int(a), int(b), str(c)) for a, b, c in raw.get("scopes", [])),
            tuple(raw.get("imports", [])),
            str(raw.get("names", "")),
            tuple((str(name), str(digest)) for name, digest in raw.get("classes", [])),
        )

    def put_meta(self, path: str, digest: str, meta: Meta) -> None:
        if not self.enabled:
            return
        if len(self.metas) >= self.MAX_ENTRIES:
            self.metas = {}
        self.metas[self.meta_key(path, digest)] = {
            "skipped": list(meta.skipped) if meta.skipped else None,
            "scopes": [list(s) for s in meta.scopes],
            "imports": list(meta.imports),
            "names": meta.names,
            "classes": [list(c) for c in meta.classes],
        }
        self.dirty = True

    def result(self, key: str, current: Callable[[str], str | None]) -> tuple[list[Finding], bool] | None:
        """The cached result, if every dependency still has the digest it had (`current` gives it)."""
        raw = self.results.get(key)
        if raw is not None and any(current(dep) != digest for dep, digest in raw["deps"].items()):
            raw = None  # a helper it called into changed
        if raw is None:
            self.misses += 1
            return None
        self.hits += 1
        return [finding_from_json(item) for item in raw["findings"]], bool(raw["web"])

    def put_result(self, key: str, findings: list[Finding], web: bool, deps: Mapping[str, str]) -> None:
        if not self.enabled:
            return
        if len(self.results) >= self.MAX_ENTRIES:
            self.results = {}
        self.results[key] = {
            "findings": [finding_to_json(f) for f in findings],
            "web": web,
            "deps": dict(deps),
        }
        self.dirty = True

    def save(self) -> None:
        if not (self.enabled and self.dirty):
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".analysis-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"metas": self.metas, "results": self.results}, fh)
            os.replace(tmp, self.path)
        except OSError:
            pass


class SemgrepCache:
    """Semgrep's results per file (its path and bytes), for one Semgrep version and rule pack.

    Semgrep (without its Pro engine) checks each file alone, so a file that did not change keeps its
    findings and errors: a re-scan runs Semgrep on changed files only. What Semgrep reported that was
    not about a file of its run (a crash, a timeout) is never kept. The version of a Semgrep program
    is kept too, by the program file's path, size and time, as asking costs seconds.
    """

    MAX_ENTRIES = 50_000

    def __init__(self, folder: Path | None = None, *, enabled: bool = True) -> None:
        self.folder = folder if folder is not None else cache_dir()
        self.enabled = enabled
        self.path: Path | None = None
        self.entries: dict[str, Any] = {}
        self.dirty = False

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            loaded = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return loaded if isinstance(loaded, dict) else {}

    def version(self, exe: str, ask: Callable[[str], str | None]) -> str | None:
        """`ask(exe)` once per program file: kept while the file keeps its size and time."""
        try:
            real = Path(exe).resolve()
            stat = real.stat()
        except OSError:
            return ask(exe)
        key = f"{real}|{stat.st_size}|{stat.st_mtime_ns}"
        store = self.folder / "semgrep-versions.json"
        known = self._read(store) if self.enabled else {}
        if isinstance(known.get(key), str):
            return str(known[key])
        found = ask(exe)
        if found is not None and self.enabled:
            _write_json(store, {**known, key: found} if len(known) < 100 else {key: found})
        return found

    def open(self, version: str, pack: str) -> None:
        """Use the results of this Semgrep version and rule pack digest."""
        self.path = self.folder / f"semgrep-{keyed_fingerprint('semgrep', version, pack)}.json"
        self.entries = self._read(self.path) if self.enabled else {}

    def get(self, rel: str, digest: str) -> tuple[list[Finding], list[Skipped]] | None:
        raw = self.entries.get(keyed_fingerprint(rel, digest))
        if not isinstance(raw, dict):
            return None
        skipped = [
            Skipped(rel, str(reason), line=line, column=column) for reason, line, column in raw["skipped"]
        ]
        return [finding_from_json(item) for item in raw["findings"]], skipped

    def put(self, rel: str, digest: str, findings: list[Finding], skipped: list[Skipped]) -> None:
        if not self.enabled:
            return
        if len(self.entries) >= self.MAX_ENTRIES:
            self.entries = {}
        self.entries[keyed_fingerprint(rel, digest)] = {
            "findings": [finding_to_json(f) for f in findings],
            "skipped": [[s.reason, s.line, s.column] for s in skipped],
        }
        self.dirty = True

    def save(self) -> None:
        if self.enabled and self.dirty and self.path is not None:
            _write_json(self.path, self.entries)
            self.dirty = False


def _write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Whole or not at all (best effort: an unwritable cache is no cache)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        pass
