"""The engine's entry point: `scan_sast(repo)` checks the project's Python files with Bandit and
secloop's taint checks and returns one `SastScan` with fingerprints that carry no line numbers."""

from __future__ import annotations

import re
import weakref

from secloop.core.model import Finding, Skipped
from secloop.sast.bandit import run_bandit
from secloop.sast.model import SastScan
from secloop.sast.source import PySource, parse, with_fingerprints
from secloop.sast.taint import scan_taint
from secloop.sources.repo import Repo

VENDORED = re.compile(r"(^|/)(node_modules|vendor|third_party|site-packages|\.venv|venv|\.tox|\.git|build)/")
# Tests and fixtures hold deliberately bad code; scanned only when asked.
NOT_PROJECT = re.compile(r"(^|/)(tests?|__tests__|fixtures|testdata|test_data|examples?|samples?|docs?)/")
TAINT_ENGINE = "secloop-taint"


def python_files(repo: Repo, *, include_fixtures: bool = False) -> list[str]:
    return [
        rel
        for rel in repo.files()
        if rel.endswith((".py", ".pyw"))
        and not VENDORED.search(rel)
        and (include_fixtures or not NOT_PROJECT.search(rel))
    ]


def scan_sast(repo: Repo, *, include_fixtures: bool = False, bandit: bool = True) -> SastScan:
    sources: dict[str, PySource] = {}
    skipped: list[Skipped] = []
    for rel in python_files(repo, include_fixtures=include_fixtures):
        text = repo.read_text(rel)
        if text is None:
            skipped.append(Skipped(rel, "Python file not read: binary, unreadable or larger than 1 MB"))
            continue
        parsed = parse(rel, text)
        if isinstance(parsed, Skipped):
            skipped.append(parsed)
        else:
            sources[rel] = parsed
    findings: list[Finding] = []
    engines = [TAINT_ENGINE]
    web: list[str] = []
    for src in sources.values():
        found, is_web = scan_taint(src)
        findings += found
        if is_web:
            web.append(src.path)
    if bandit and sources:
        run = run_bandit(repo.root, {rel: sources[rel].text for rel in sorted(sources)})
        findings += run.findings
        skipped += run.skipped
        if run.version is not None:
            engines.insert(0, f"bandit {run.version}")
    return SastScan(
        findings=tuple(with_fingerprints(findings, sources)),
        skipped=tuple(sorted(set(skipped), key=lambda s: (s.path, s.line or 0, s.reason))),
        files=tuple(sorted(sources)),
        engines=tuple(engines),
        web_files=tuple(sorted(web)),
    )


_SCANS: weakref.WeakKeyDictionary[Repo, dict[bool, SastScan]] = weakref.WeakKeyDictionary()


def scan_cached(repo: Repo, *, include_fixtures: bool = False) -> SastScan:
    """One scan per Repo (`build.sast` and `code.input-validation` both read it)."""
    per_repo = _SCANS.setdefault(repo, {})
    if include_fixtures not in per_repo:
        per_repo[include_fixtures] = scan_sast(repo, include_fixtures=include_fixtures)
    return per_repo[include_fixtures]
