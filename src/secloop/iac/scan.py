"""The engine's entry point: `scan_iac(repo)` finds the IaC files, checks them, returns an `IacScan`.

Work is done once per distinct content: units (see `engine`) whose files are byte-identical up to
their folder (copies of a module, vendored examples) are checked once and their findings moved to
each copy, and a unit checked by an earlier run with the same engine comes from the cache
(`secloop.iac.cache`). Large scans spread units over worker processes, one per core.
"""

from __future__ import annotations

import hashlib
import os
import re
import weakref
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, Skipped
from secloop.iac.engine import RawFinding, UnitResult, run_unit
from secloop.iac.model import Framework, IacScan, ResourceRef
from secloop.iac.parsers import candidates
from secloop.iac.policies import POLICIES
from secloop.iac.terraform import folder_of
from secloop.sources.repo import MAX_TEXT_BYTES, Repo

# Installed copies and caches, never the project's own definitions.
VENDORED = re.compile(
    r"(^|/)(node_modules|vendor|third_party|\.venv|venv|\.tox|\.terraform|\.git|\.terragrunt-cache)/"
)
# Test data, examples and docs: deliberately insecure or illustrative; scanned only when asked.
NOT_PROJECT = re.compile(r"(^|/)(tests?|__tests__|fixtures|testdata|test_data|examples?|samples?|docs?)/")
_MODULE_SOURCE = re.compile(r"""^\s*source\s*=\s*"(\.\.?/[^"]*)\"""", re.MULTILINE)
_JSON_MODULE_SOURCE = re.compile(r""""source"\s*:\s*"(\.\.?/[^"]*)\"""")
PARALLEL_MIN_BYTES = 256_000  # below this, starting workers costs more than it saves
_RULES = {p.rule.id: p.rule for p in POLICIES}


@dataclass(frozen=True, slots=True)
class Unit:
    root: str
    files: tuple[tuple[str, str], ...]  # (path, text)
    digest: str

    @property
    def size(self) -> int:
        return sum(len(text) for _, text in self.files)


def _relative(path: str, root: str) -> str:
    return path[len(root) + 1 :] if root else path


def _common_root(folders: Sequence[str]) -> str:
    parts = [f.split("/") if f else [] for f in folders]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return "/".join(common)


def plan(repo: Repo, *, include_fixtures: bool = False) -> tuple[list[Unit], list[Skipped]]:
    """The units to check, and the candidate files that could not be read."""
    texts: dict[str, str] = {}
    skipped: list[Skipped] = []
    for rel in repo.files():
        if VENDORED.search(rel) or (not include_fixtures and NOT_PROJECT.search(rel)):
            continue
        if not candidates(rel):
            continue
        text = repo.read_text(rel)
        if text is None:
            why = (
                f"larger than {MAX_TEXT_BYTES // 1_000_000} MB"
                if _too_large(repo, rel)
                else "binary or unreadable"
            )
            skipped.append(Skipped(rel, f"IaC file not read: {why}"))
            continue
        texts[rel] = text
    parent: dict[str, str] = {}

    def find(folder: str) -> str:
        while parent.get(folder, folder) != folder:
            folder = parent[folder]
        return folder

    for rel, text in texts.items():
        folder = folder_of(rel)
        parent.setdefault(folder, folder)
        if rel.endswith((".tf", ".tofu", ".tf.json")) and "source" in text:
            pattern = _JSON_MODULE_SOURCE if rel.endswith(".json") else _MODULE_SOURCE
            for source in pattern.findall(text):
                target = os.path.normpath(os.path.join(folder, source)).replace(os.sep, "/")
                target = "" if target == "." else target
                parent.setdefault(target, target)
                a, b = find(folder), find(target)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for rel in texts:
        groups.setdefault(find(folder_of(rel)), []).append(rel)
    units = []
    for members in groups.values():
        root = _common_root(sorted({folder_of(m) for m in members}))
        files = tuple((rel, texts[rel]) for rel in sorted(members))
        h = hashlib.sha256()
        for rel, text in files:
            h.update(_relative(rel, root).encode("utf-8", "surrogateescape") + b"\0")
            h.update(hashlib.sha256(text.encode("utf-8", "surrogateescape")).digest())
        units.append(Unit(root, files, h.hexdigest()))
    return sorted(units, key=lambda u: u.root), skipped


def _too_large(repo: Repo, rel: str) -> bool:
    try:
        return (repo.root / rel).stat().st_size > MAX_TEXT_BYTES
    except OSError:
        return False


def _run_all(units: Sequence[Unit], workers: int | None) -> list[UnitResult]:
    total = sum(u.size for u in units)
    cores = workers if workers is not None else (os.cpu_count() or 1)
    if cores <= 1 or len(units) <= 1 or total < PARALLEL_MIN_BYTES:
        return [run_unit(u.files) for u in units]
    order = sorted(range(len(units)), key=lambda i: -units[i].size)  # biggest first balances the cores
    results: list[UnitResult | None] = [None] * len(units)
    with ProcessPoolExecutor(max_workers=min(cores, len(units))) as pool:
        futures = {i: pool.submit(run_unit, units[i].files) for i in order}
        for i, future in futures.items():
            results[i] = future.result()
    return [r for r in results if r is not None]


def _moved(path: str, source: str, target: str) -> str:
    if source == target:
        return path
    rel = _relative(path, source)
    return f"{target}/{rel}" if target else rel


def _rerooted(result: UnitResult, source: str, target: str) -> UnitResult:
    """The result with every path moved from the unit folder `source` to `target`."""
    if source == target:
        return result
    return UnitResult(
        findings=tuple(replace(f, path=_moved(f.path, source, target)) for f in result.findings),
        skipped=tuple(replace(s, path=_moved(s.path, source, target)) for s in result.skipped),
        resources=tuple(replace(r, path=_moved(r.path, source, target)) for r in result.resources),
        files=tuple((_moved(p, source, target), fw) for p, fw in result.files),
    )


def _finding(raw: RawFinding, path: str) -> Finding:
    return Finding(
        rule_id=raw.rule_id,
        severity=raw.severity,
        confidence=_RULES[raw.rule_id].confidence,
        message=raw.message,
        locations=(Location(path, raw.line, snippet=raw.snippet),),
        fingerprint=keyed_fingerprint(raw.rule_id, path, *raw.key),
        properties=(
            ("framework", raw.framework.value),
            ("resource", raw.address),
            ("resource_type", raw.resource_type),
        ),
        fix=_RULES[raw.rule_id].fix,
    )


def scan_iac(
    repo: Repo, *, include_fixtures: bool = False, workers: int | None = None, cache: bool = True
) -> IacScan:
    units, skipped = plan(repo, include_fixtures=include_fixtures)
    first: dict[str, Unit] = {}
    for unit in units:
        first.setdefault(unit.digest, unit)
    results: dict[str, UnitResult] = {}
    if cache:
        from secloop.iac import cache as stored

        for digest, unit in first.items():
            hit = stored.load(digest)
            if hit is not None:  # kept relative to its unit's folder, which may differ today
                results[digest] = _rerooted(hit, "", unit.root)
    todo = [u for u in first.values() if u.digest not in results]
    for unit, result in zip(todo, _run_all(todo, workers), strict=True):
        results[unit.digest] = result
        if cache:
            stored.store(unit.digest, _rerooted(result, unit.root, ""))
    findings: list[Finding] = []
    refs: list[ResourceRef] = []
    files: list[tuple[str, Framework]] = []
    all_skipped = list(skipped)
    for unit in units:
        source = first[unit.digest].root
        result = results[unit.digest]
        findings += [_finding(raw, _moved(raw.path, source, unit.root)) for raw in result.findings]
        refs += [replace(r, path=_moved(r.path, source, unit.root)) for r in result.resources]
        files += [(_moved(p, source, unit.root), fw) for p, fw in result.files]
        all_skipped += [replace(s, path=_moved(s.path, source, unit.root)) for s in result.skipped]
    return IacScan(
        findings=tuple(sorted(findings, key=Finding.sort_key)),
        skipped=tuple(sorted(all_skipped, key=lambda s: (s.path, s.line or 0, s.reason))),
        resources=tuple(sorted(refs, key=lambda r: (r.path, r.line, r.address))),
        files=tuple(sorted(files)),
    )


_SCANS: weakref.WeakKeyDictionary[Repo, dict[bool, IacScan]] = weakref.WeakKeyDictionary()


def scan_cached(repo: Repo, *, include_fixtures: bool = False) -> IacScan:
    """One scan per Repo (several practices read it)."""
    per_repo = _SCANS.setdefault(repo, {})
    if include_fixtures not in per_repo:
        per_repo[include_fixtures] = scan_iac(repo, include_fixtures=include_fixtures)
    return per_repo[include_fixtures]
