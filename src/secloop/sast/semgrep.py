"""Semgrep as an optional, external engine with secloop's own rule pack (rules/semgrep/).

Semgrep is not a dependency of secloop (it pins click and fastapi versions secloop cannot take): it
is looked up as a program, `SECLOOP_SEMGREP` first, then `semgrep` on PATH, and runs fully offline:
`--metrics=off`, `--disable-version-check`, SEMGREP_ENABLE_VERSION_CHECK=0, and only the local
rule pack as config, never the registry. Each result's `metadata.secloop_rule` names the secloop rule
it becomes. Without Semgrep the scan says so and goes on. Results are cached per file (cache.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secloop.core.model import Finding, Location, Skipped
from secloop.sast.cache import SemgrepCache, content_digest
from secloop.sast.rules import RULE_BY_ID

SEMGREP_ENV = "SECLOOP_SEMGREP"
RULES_ENV = "SECLOOP_SEMGREP_RULES"
NOT_INSTALLED = "Semgrep not run: semgrep not installed (set SECLOOP_SEMGREP or put semgrep on PATH)"
CHUNK = 400
TIMEOUT_S = 900
JS_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx")


@dataclass(frozen=True, slots=True)
class SemgrepRun:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    version: str | None  # None: not run
    note: str | None = None  # why it did not run


def find_semgrep() -> str | None:
    override = os.environ.get(SEMGREP_ENV)
    if override:
        return override if Path(override).is_file() else shutil.which(override)
    return shutil.which("semgrep")


def rules_dir() -> Path | None:
    override = os.environ.get(RULES_ENV)
    candidates = [Path(override)] if override else []
    candidates.append(Path(__file__).resolve().parent / "semgrep_pack")  # an installed wheel
    candidates.append(Path(__file__).resolve().parents[3] / "rules" / "semgrep")  # a source checkout
    return next((c for c in candidates if c.is_dir()), None)


def _env() -> dict[str, str]:
    return {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


def semgrep_version(exe: str) -> str | None:
    try:
        proc = subprocess.run(
            [exe, "--version", "--disable-version-check"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env=_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = proc.stdout.strip().splitlines()
    return lines[-1].strip() if proc.returncode == 0 and lines else None


def command(exe: str, rules: Path, paths: list[str]) -> list[str]:
    return [
        exe, "scan", "--config", str(rules), "--json", "--quiet", "--metrics=off", "--disable-version-check",
        "--no-git-ignore", "--timeout", "30", *paths,
    ]  # fmt: skip


def to_finding(item: Mapping[str, Any], rel: str) -> Finding | None:
    extra = item.get("extra") or {}
    rule = RULE_BY_ID.get(str((extra.get("metadata") or {}).get("secloop_rule", "")))
    if rule is None:
        return None  # a rule outside secloop's pack: not reported rather than mislabelled
    start = item.get("start") or {}
    short = str(item.get("check_id", "")).rsplit(".", 1)[-1]
    return Finding(
        rule_id=rule.id,
        severity=rule.severity,
        confidence=rule.confidence,
        message=f"{rule.title} (semgrep {short})",
        locations=(Location(rel, start.get("line"), start.get("col")),),
        fingerprint="",  # set by source.with_fingerprints
        properties=(("engine", "semgrep"), ("semgrep_rule", short)),
        fix=rule.fix,
    )


def pack_digest(rules: Path) -> str:
    """The rule pack's identity: its rule files' names and bytes."""
    digest = hashlib.sha256()
    for path in sorted(p for p in rules.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file()):
        digest.update(path.relative_to(rules).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _run_chunk(
    exe: str, rules: Path, root: Path, where: Mapping[str, str], chunk: list[str]
) -> tuple[dict[str, tuple[list[Finding], list[Skipped]]], list[Skipped]]:
    """Semgrep on some files: findings and errors per file (rel), and errors about none of them."""
    per_file: dict[str, tuple[list[Finding], list[Skipped]]] = {where[p]: ([], []) for p in chunk}
    try:
        proc = subprocess.run(
            command(exe, rules, chunk),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
            cwd=root,
            env=_env(),
        )
        data = json.loads(proc.stdout or "{}")
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        return {}, [Skipped(where[p], f"Semgrep did not run: {type(exc).__name__}") for p in chunk]
    unplaced: list[Skipped] = []
    for item in data.get("results", []):
        target = where.get(str((root / str(item.get("path", ""))).resolve()))
        if target in per_file and (finding := to_finding(item, target)) is not None:
            per_file[target][0].append(finding)
    for err in data.get("errors", []):
        place = where.get(str((root / str(err.get("path", ""))).resolve()))
        message = (str(err.get("message") or "error").splitlines() or ["error"])[0][:200]
        if place not in per_file or "timeout" in f"{err.get('type')} {message}".lower():
            unplaced.append(Skipped(place or ".", f"Semgrep: {message}"))
        else:
            per_file[place][1].append(Skipped(place, f"Semgrep: {message}"))
    return per_file, unplaced


def run_semgrep(
    root: Path, files: Mapping[str, str], *, use_cache: bool = True, cache_folder: Path | None = None
) -> SemgrepRun:
    """Semgrep with secloop's pack on `files` (path relative to root -> text), offline.

    Results are cached per file path and content for the Semgrep version and the pack's digest: a
    file that did not change is not given to Semgrep again (`use_cache=False`: every file is).
    """
    exe = find_semgrep()
    if exe is None:
        return SemgrepRun((), (), None, NOT_INSTALLED)
    rules = rules_dir()
    if rules is None:
        return SemgrepRun((), (), None, f"Semgrep not run: secloop's rule pack not found (set {RULES_ENV})")
    cache = SemgrepCache(cache_folder, enabled=use_cache)
    found_version = cache.version(exe, semgrep_version)
    if found_version is None:
        return SemgrepRun((), (), None, f"Semgrep not run: {exe} --version failed")
    cache.open(found_version, pack_digest(rules))
    digests = {rel: content_digest(text) for rel, text in files.items()}
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    todo: dict[str, str] = {}
    for rel, text in files.items():
        kept = cache.get(rel, digests[rel])
        if kept is None:
            todo[rel] = text
        else:
            findings += kept[0]
            skipped += kept[1]
    with tempfile.TemporaryDirectory(prefix="secloop-semgrep-") as elsewhere:
        where: dict[str, str] = {}  # path given to semgrep -> rel
        for rel, text in todo.items():
            disk = root / rel
            try:
                same = disk.read_text("utf-8", "surrogateescape") == text
            except OSError:
                same = False
            if not same:  # a file as it was at a git revision (--since): checked from a copy
                disk = Path(elsewhere) / rel
                disk.parent.mkdir(parents=True, exist_ok=True)
                disk.write_text(text, "utf-8", "surrogateescape")
            where[str(disk.resolve())] = rel
        paths = sorted(where)
        for start in range(0, len(paths), CHUNK):
            per_file, unplaced = _run_chunk(exe, rules, root, where, paths[start : start + CHUNK])
            for rel, (found, errors) in per_file.items():
                findings += found
                skipped += errors
                if not unplaced:  # a run that went wrong somewhere is not kept
                    cache.put(rel, digests[rel], found, errors)
            skipped += unplaced
    cache.save()
    return SemgrepRun(tuple(sorted(findings, key=Finding.sort_key)), tuple(skipped), found_version)
