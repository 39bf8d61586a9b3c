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
from secloop.core.model import Finding, Location
from secloop.sast.bandit import cache_dir

_CODE = ("taint.py", "flow.py", "sinks.py", "checks.py", "project.py", "rules.py", "source.py", "cache.py")


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
