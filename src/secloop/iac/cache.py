"""Results per unit kept between runs, keyed by the unit's content digest and the engine's own code.

A unit's result depends only on its files (paths relative to the unit and contents: the digest) and
on the policies and parsers that judged them, so a re-scan after a one-file change re-checks only the
unit holding that file. The key also covers every source file of the `secloop.iac` package, so an
upgrade (or an edit) never reuses results of other code. Entries are JSON; a damaged entry is
ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from secloop.core.cachedir import cache_root
from secloop.core.enums import Severity
from secloop.core.model import Skipped
from secloop.iac.engine import RawFinding, UnitResult
from secloop.iac.model import Framework, ResourceRef

FORMAT = 1


@lru_cache(maxsize=1)
def engine_key() -> str:
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for path in sorted(
        p for p in package.rglob("*") if p.is_file() and p.suffix in {".py", ".toml", ".json"}
    ):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _path(digest: str) -> Path:
    return cache_root() / "iac" / engine_key() / digest[:2] / f"{digest}.json"


def _encode(result: UnitResult) -> dict[str, Any]:
    return {
        "findings": [
            [
                f.rule_id,
                f.severity.value,
                f.message,
                f.path,
                f.line,
                list(f.key),
                f.framework.value,
                f.resource_type,
                f.address,
                f.snippet,
            ]
            for f in result.findings
        ],
        "skipped": [[s.path, s.reason, s.line, s.column] for s in result.skipped],
        "resources": [[r.framework.value, r.type, r.address, r.path, r.line] for r in result.resources],
        "files": [[p, fw.value] for p, fw in result.files],
    }


def _decode(data: dict[str, Any]) -> UnitResult:
    return UnitResult(
        findings=tuple(
            RawFinding(r, Severity(s), m, p, int(ln), tuple(k), Framework(fw), t, a, sn)
            for r, s, m, p, ln, k, fw, t, a, sn in data["findings"]
        ),
        skipped=tuple(Skipped(p, reason, ln, col) for p, reason, ln, col in data["skipped"]),
        resources=tuple(
            ResourceRef(Framework(fw), t, a, p, int(ln)) for fw, t, a, p, ln in data["resources"]
        ),
        files=tuple((p, Framework(fw)) for p, fw in data["files"]),
    )


def load(digest: str) -> UnitResult | None:
    try:
        return _decode(json.loads(_path(digest).read_text("utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(digest: str, result: UnitResult) -> None:
    """Write atomically; a cache that cannot be written is not an error."""
    target = _path(digest)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(_encode(result), handle, separators=(",", ":"))
        os.replace(tmp, target)
    except OSError:
        return
