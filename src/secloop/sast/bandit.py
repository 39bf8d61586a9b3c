"""Bandit as an engine: run it offline in a subprocess on the files secloop chose and turn its JSON
into secloop findings. Bandit knows nothing of secloop's suppressions, baselines or fingerprints."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secloop.core.cachedir import cache_root as _cache_root
from secloop.core.enums import Confidence, Severity
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, Skipped
from secloop.sast.rules import BANDIT_RULES, bandit_rule_id

CHUNK = 400  # files per Bandit process: keeps command lines short on every OS
TIMEOUT_S = 600


@dataclass(frozen=True, slots=True)
class BanditRun:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    version: str | None  # None: Bandit is not installed


def version() -> str | None:
    if importlib.util.find_spec("bandit") is None:
        return None
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("bandit")
    except PackageNotFoundError:  # pragma: no cover - importable but not installed as a dist
        return "unknown"


def _level(value: object, default: str) -> str:
    text = str(value).lower()
    return text if text in {"low", "medium", "high"} else default


def to_finding(item: dict[str, object], rel: str) -> Finding | None:
    test_id = str(item.get("test_id", ""))
    rule = BANDIT_RULES.get(test_id)
    if rule is None:
        return None  # a test secloop does not map (a newer Bandit): not reported rather than mislabelled
    line = item.get("line_number")
    col = item.get("col_offset")
    return Finding(
        rule_id=bandit_rule_id(test_id),
        severity=Severity(_level(item.get("issue_severity"), rule.severity.value)),
        confidence=Confidence(_level(item.get("issue_confidence"), rule.confidence.value)),
        message=str(item.get("issue_text", rule.title)),
        locations=(
            Location(
                rel,
                line if isinstance(line, int) else None,
                col + 1 if isinstance(col, int) else None,
            ),
        ),
        fingerprint="",  # set by source.with_fingerprints
        properties=(("engine", "bandit"), ("bandit_test", test_id)),
        fix=rule.fix,
    )


def project_config(root: Path) -> list[str]:
    """The project's own Bandit settings (skipped tests, excluded folders), as Bandit would read them."""
    pyproject = root / "pyproject.toml"
    try:
        if pyproject.is_file() and "[tool.bandit]" in pyproject.read_text("utf-8", "replace"):
            return ["-c", str(pyproject)]
    except OSError:
        pass
    ini = root / ".bandit"
    return ["--ini", str(ini)] if ini.is_file() else []


def cache_dir() -> Path:
    return _cache_root() / "sast"


class ResultCache:
    """Bandit's raw results per file content (sha256), for one Bandit version and project config.

    Bandit checks each file alone, so a file whose bytes did not change keeps its results: a
    re-scan after a one-file change runs Bandit on that file only. Best effort: an unreadable or
    unwritable cache is an empty one.
    """

    MAX_ENTRIES = 50_000

    def __init__(self, key: str, folder: Path | None) -> None:
        self.path = (folder if folder is not None else cache_dir()) / f"bandit-{key}.json"
        self.entries: dict[str, list[dict[str, Any]]] = {}
        self.dirty = False
        try:
            loaded = json.loads(self.path.read_text("utf-8"))
            if isinstance(loaded, dict):
                self.entries = loaded
        except (OSError, ValueError):
            pass

    def get(self, digest: str) -> list[dict[str, Any]] | None:
        return self.entries.get(digest)

    def put(self, digest: str, items: list[dict[str, Any]]) -> None:
        if len(self.entries) >= self.MAX_ENTRIES:
            self.entries = {}
        self.entries[digest] = items
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".bandit-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(self.entries, fh)
            os.replace(tmp, self.path)
        except OSError:
            pass


_KEPT = ("test_id", "line_number", "col_offset", "issue_severity", "issue_confidence", "issue_text")


def _run_chunk(
    root: Path, config: list[str], paths: list[str], *, ignore_nosec: bool = False
) -> dict[str, list[dict[str, Any]]] | str:
    """Bandit's results per absolute path, or why it did not run."""
    audit = ["--ignore-nosec"] if ignore_nosec else []
    cmd = [sys.executable, "-m", "bandit", "-f", "json", "-q", *audit, *config, *paths]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False, cwd=root)
        data = json.loads(proc.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return f"Bandit did not run: {type(exc).__name__}"
    out: dict[str, list[dict[str, Any]]] = {path: [] for path in paths}
    for item in data.get("results", []):
        path = str(Path(str(item.get("filename", ""))).resolve())
        if path in out:
            out[path].append({k: item[k] for k in _KEPT if k in item})
    for err in data.get("errors", []):
        path = str(Path(str(err.get("filename", ""))).resolve())
        if path in out:
            out[path].append({"error": str(err.get("reason", "error"))})
    return out


def _on_disk(
    todo: dict[str, str], files: Mapping[str, str], by_digest: dict[str, list[str]], elsewhere: Path
) -> dict[str, str]:
    """Bandit reads files from disk: a text that is not what the disk holds (a file as it was at a
    git revision, for --since) is written under `elsewhere` and checked there."""
    out: dict[str, str] = {}
    for path, content in todo.items():
        rel = by_digest[content][0]
        try:
            same = Path(path).read_text("utf-8", "surrogateescape") == files[rel]
        except OSError:
            same = False
        if not same:
            copy = elsewhere / rel
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(files[rel], "utf-8", "surrogateescape")
            path = str(copy.resolve())
        out[path] = content
    return out


def run_bandit(
    root: Path,
    files: Mapping[str, str],
    *,
    cache_folder: Path | None = None,
    use_cache: bool = True,
    ignore_nosec: bool = False,
) -> BanditRun:
    """Bandit on `files` (path relative to root -> text); each distinct content is checked once.

    `ignore_nosec` (secloop's audit mode) runs Bandit with `--ignore-nosec`: `# nosec` hides nothing.
    """
    found = version()
    if found is None:
        return BanditRun((), (Skipped(".", "Bandit is not installed (install secloop[sast])"),), None)
    config = project_config(root)
    config_text = "".join(Path(c).read_text("utf-8", "replace") for c in config if Path(c).is_file())
    key = keyed_fingerprint("bandit", found, config_text, "audit" if ignore_nosec else "")
    cache = ResultCache(key, cache_folder) if use_cache else None
    by_digest: dict[str, list[str]] = {}
    for rel, text in files.items():
        content = hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()
        by_digest.setdefault(content, []).append(rel)
    results: dict[str, list[dict[str, Any]]] = {}
    todo: dict[str, str] = {}  # absolute path of one copy -> content digest
    for content, rels in by_digest.items():
        cached = cache.get(content) if cache is not None else None
        if cached is not None:
            results[content] = cached
        else:
            todo[str((root / rels[0]).resolve())] = content
    skipped: list[Skipped] = []
    with tempfile.TemporaryDirectory(prefix="secloop-bandit-") as elsewhere:
        todo = _on_disk(todo, files, by_digest, Path(elsewhere))
        paths = list(todo)
        for start in range(0, len(paths), CHUNK):
            chunk = paths[start : start + CHUNK]
            ran = _run_chunk(root, config, chunk, ignore_nosec=ignore_nosec)
            if isinstance(ran, str):
                skipped += [Skipped(rel, ran) for path in chunk for rel in by_digest[todo[path]]]
                continue
            for path, items in ran.items():
                results[todo[path]] = items
                if cache is not None:
                    cache.put(todo[path], items)
    if cache is not None:
        cache.save()
    findings: list[Finding] = []
    for content, items in results.items():
        for rel in by_digest[content]:
            for item in items:
                if "error" in item:
                    skipped.append(Skipped(rel, f"Bandit: {item['error']}"))
                elif (finding := to_finding(item, rel)) is not None:
                    findings.append(finding)
    return BanditRun(tuple(findings), tuple(skipped), found)
