"""Baselines: the fingerprints of accepted findings, so that only new findings fail the gate."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from secloop.core.errors import InputError, Place
from secloop.core.model import Finding

SCHEMA = "secloop.baseline/v1"


@dataclass(frozen=True)
class BaselineEntry:
    fingerprint: str
    rule_id: str
    path: str


@dataclass(frozen=True)
class Baseline:
    entries: tuple[BaselineEntry, ...]

    @property
    def fingerprints(self) -> frozenset[str]:
        return frozenset(e.fingerprint for e in self.entries)

    @classmethod
    def from_findings(cls, findings: Iterable[Finding]) -> Baseline:
        seen: dict[str, BaselineEntry] = {}
        for f in findings:
            loc = f.primary
            seen.setdefault(f.fingerprint, BaselineEntry(f.fingerprint, f.rule_id, loc.path if loc else ""))
        return cls(tuple(sorted(seen.values(), key=lambda e: (e.path, e.rule_id, e.fingerprint))))


def load_baseline(path: Path) -> Baseline | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(
            f"baseline is not valid JSON: {exc.msg}",
            place=Place(str(path), exc.lineno, exc.colno),
            hint="recreate it with `secloop baseline create`",
        ) from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InputError(
            f"not a secloop baseline (expected schema {SCHEMA!r})",
            place=Place(str(path), 1),
            hint="recreate it with `secloop baseline create`",
        )
    try:
        entries = tuple(
            BaselineEntry(str(e["fingerprint"]), str(e["rule"]), str(e["path"])) for e in data["findings"]
        )
    except (KeyError, TypeError) as exc:
        raise InputError(
            "baseline entry lacks fingerprint, rule or path",
            place=Place(str(path)),
            hint="recreate it with `secloop baseline create`",
        ) from exc
    return Baseline(entries)


def dump_baseline(baseline: Baseline) -> str:
    body = {
        "schema": SCHEMA,
        "findings": [
            {"fingerprint": e.fingerprint, "rule": e.rule_id, "path": e.path} for e in baseline.entries
        ],
    }
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write a whole file or nothing: a temporary file in the same directory, then a rename.

    A target that exists and is not a regular file (/dev/null, a FIFO, /dev/stdout) is written
    directly: renaming over it would replace the device with a file.
    """
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
