"""Semgrep as an optional, external engine with secloop's own rule pack (rules/semgrep/).

Semgrep is not a dependency of secloop (it pins click and fastapi versions secloop cannot take): it
is looked up as a program, `SECLOOP_SEMGREP` first, then `semgrep` on PATH, and runs fully offline:
`--metrics=off`, `--disable-version-check`, SEMGREP_ENABLE_VERSION_CHECK=0, and only the local
rule pack as config, never the registry. Each result's `metadata.secloop_rule` names the secloop rule
it becomes. Without Semgrep the scan says so and goes on.
"""

from __future__ import annotations

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


def run_semgrep(root: Path, files: Mapping[str, str]) -> SemgrepRun:
    """Semgrep with secloop's pack on `files` (path relative to root -> text), offline."""
    exe = find_semgrep()
    if exe is None:
        return SemgrepRun((), (), None, NOT_INSTALLED)
    rules = rules_dir()
    if rules is None:
        return SemgrepRun((), (), None, f"Semgrep not run: secloop's rule pack not found (set {RULES_ENV})")
    found_version = semgrep_version(exe)
    if found_version is None:
        return SemgrepRun((), (), None, f"Semgrep not run: {exe} --version failed")
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    with tempfile.TemporaryDirectory(prefix="secloop-semgrep-") as elsewhere:
        where: dict[str, str] = {}  # path given to semgrep -> rel
        for rel, text in files.items():
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
            chunk = paths[start : start + CHUNK]
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
                skipped += [Skipped(where[p], f"Semgrep did not run: {type(exc).__name__}") for p in chunk]
                continue
            for item in data.get("results", []):
                target = where.get(str((root / str(item.get("path", ""))).resolve()))
                if target is not None and (finding := to_finding(item, target)) is not None:
                    findings.append(finding)
            for err in data.get("errors", []):
                place = where.get(str((root / str(err.get("path", ""))).resolve()), ".")
                message = (str(err.get("message") or "error").splitlines() or ["error"])[0][:200]
                skipped.append(Skipped(place, f"Semgrep: {message}"))
    return SemgrepRun(tuple(findings), tuple(skipped), found_version)
