"""The engine's entry point: `scan_sast(repo)` checks the project's Python files with Bandit and
secloop's own taint rules and AST checks and returns one `SastScan` with fingerprints that carry no
line numbers. `scan_texts` does the same on given file contents (a git revision, for `--since`)."""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from pathlib import Path

from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Skipped
from secloop.sast.bandit import run_bandit
from secloop.sast.cache import AnalysisCache, Meta, content_digest
from secloop.sast.checks import check_findings
from secloop.sast.model import SastScan
from secloop.sast.project import Project, class_digests, imported_names, index_module, names_digest
from secloop.sast.semgrep import JS_SUFFIXES, run_semgrep
from secloop.sast.source import FileLines, PySource, parse, with_fingerprints
from secloop.sast.taint import Summaries, scan_taint
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


def script_files(repo: Repo, *, include_fixtures: bool = False) -> list[str]:
    """JavaScript and TypeScript sources (for Semgrep), minified bundles left out."""
    return [
        rel
        for rel in repo.files()
        if rel.endswith(JS_SUFFIXES)
        and not rel.endswith((".min.js", ".d.ts"))
        and not VENDORED.search(rel)
        and (include_fixtures or not NOT_PROJECT.search(rel))
    ]


def read_files(
    repo: Repo, *, include_fixtures: bool = False, scripts: bool = False
) -> tuple[dict[str, str], list[Skipped]]:
    """The Python files to check (and with `scripts`, the JavaScript/TypeScript ones too)."""
    texts: dict[str, str] = {}
    skipped: list[Skipped] = []
    names = python_files(repo, include_fixtures=include_fixtures)
    if scripts:
        names += script_files(repo, include_fixtures=include_fixtures)
    for rel in names:
        text = repo.read_text(rel)
        if text is None:
            skipped.append(Skipped(rel, "source file not read: binary, unreadable or larger than 1 MB"))
        else:
            texts[rel] = text
    return texts, skipped


def scan_sast(
    repo: Repo,
    *,
    include_fixtures: bool = False,
    bandit: bool = True,
    semgrep: bool = True,
    audit: bool = False,
    cache: AnalysisCache | None = None,
) -> SastScan:
    """`audit`: Bandit ignores `# nosec` (secloop's own inline suppressions are the policy's to ignore)."""
    texts, skipped = read_files(repo, include_fixtures=include_fixtures, scripts=semgrep)
    return scan_texts(repo.root, texts, skipped, bandit=bandit, semgrep=semgrep, audit=audit, cache=cache)


class _Files:
    """The scan's files: parsed on first use, their parse facts from the cache when known."""

    def __init__(self, texts: Mapping[str, str], cache: AnalysisCache) -> None:
        self.texts = texts
        self.cache = cache
        self.digests = {rel: content_digest(text) for rel, text in texts.items()}
        self.parsed: dict[str, PySource | Skipped] = {}
        self.metas: dict[str, Meta] = {}
        self.project = Project(paths=texts, load=self.source)

    def parse(self, rel: str) -> PySource | Skipped:
        if rel not in self.parsed:
            self.parsed[rel] = parse(rel, self.texts[rel])
        return self.parsed[rel]

    def source(self, rel: str) -> PySource | None:
        if rel not in self.texts:
            return None
        parsed = self.parse(rel)
        return parsed if isinstance(parsed, PySource) else None

    def meta(self, rel: str) -> Meta:
        if rel in self.metas:
            return self.metas[rel]
        meta = self.cache.meta(rel, self.digests[rel])
        if meta is None:
            parsed = self.parse(rel)
            if isinstance(parsed, Skipped):
                meta = Meta((parsed.reason, parsed.line, parsed.column))
            else:
                module = index_module(parsed)
                meta = Meta(
                    None,
                    parsed.scopes,
                    tuple(imported_names(module)),
                    names_digest(module),
                    class_digests(module),
                )
            self.cache.put_meta(rel, self.digests[rel], meta)
        self.metas[rel] = meta
        return meta

    def current(self, dependency: str) -> str | None:
        """The digest a recorded dependency has now: a file's content, its names ("path#names") or
        one of its classes' code ("path#class:Name")."""
        path, _, part = dependency.partition("#")
        if path not in self.texts:
            return None
        if part.startswith("class:"):
            return dict(self.meta(path).classes).get(part.removeprefix("class:"))
        return self.meta(path).names if part else self.digests[path]

    def result_key(self, rel: str) -> str:
        """The file's path and bytes, and which project files its imports name (a file added or
        removed can change what a call resolves to). The files its analysis looked into are checked
        by the cache itself."""
        imports = self.project.resolve_names(self.meta(rel).imports)
        return keyed_fingerprint("result", rel, self.digests[rel], *imports)


def scan_texts(
    root: Path,
    texts: Mapping[str, str],
    skipped: list[Skipped] | None = None,
    *,
    bandit: bool = True,
    semgrep: bool = True,
    audit: bool = False,
    cache: AnalysisCache | None = None,
) -> SastScan:
    """Python files (`.py`) go to every engine; JavaScript/TypeScript ones to Semgrep only."""
    cache = cache if cache is not None else AnalysisCache()
    scripts = {rel: text for rel, text in texts.items() if rel.endswith(JS_SUFFIXES)}
    texts = {rel: text for rel, text in texts.items() if rel not in scripts}
    files = _Files(texts, cache)
    skipped = list(skipped or [])
    lines: dict[str, FileLines] = {}
    for rel in texts:
        meta = files.meta(rel)
        if meta.skipped is not None:
            skipped.append(Skipped(rel, meta.skipped[0], line=meta.skipped[1], column=meta.skipped[2]))
        else:
            lines[rel] = FileLines(tuple(texts[rel].splitlines()), meta.scopes)
    findings: list[Finding] = []
    engines = [TAINT_ENGINE]
    web: list[str] = []
    summaries = Summaries(files.project)
    seen: set[tuple[str, str]] = set()
    for rel in lines:
        key = files.result_key(rel)
        cached = cache.result(key, files.current)
        if cached is None:
            src = files.source(rel)
            if src is None:  # pragma: no cover - a file with parse facts parses
                continue
            touched: set[str] = set()
            files.project.recorders.append(touched)
            found, is_web = scan_taint(src, summaries)
            files.project.recorders.pop()
            found += check_findings(src.path, src.tree)
            deps = {dep: now for dep in sorted(touched - {rel}) if (now := files.current(dep)) is not None}
            cache.put_result(key, found, is_web, deps)
        else:
            found, is_web = cached
        for finding in found:  # a helper's sink reached from two files is one finding
            spot = (finding.rule_id, str(finding.primary))
            if spot not in seen:
                seen.add(spot)
                findings.append(finding)
        if is_web:
            web.append(rel)
    cache.save()
    if bandit and lines:
        run = run_bandit(
            root, {rel: texts[rel] for rel in sorted(lines)}, use_cache=cache.enabled, ignore_nosec=audit
        )
        findings += run.findings
        skipped += run.skipped
        if run.version is not None:
            engines.insert(0, f"bandit {run.version}")
    notes: list[str] = []
    if semgrep and (lines or scripts):
        ran = run_semgrep(
            root,
            {**{rel: texts[rel] for rel in sorted(lines)}, **scripts},
            use_cache=cache.enabled,
            cache_folder=cache.path.parent,
        )
        if ran.version is None:
            notes.append(ran.note or "Semgrep not run")
        else:
            engines.append(f"semgrep {ran.version}")
            lines.update({rel: FileLines(tuple(text.splitlines()), ()) for rel, text in scripts.items()})
            at = {(f.rule_id, f.primary.path, f.primary.start_line) for f in findings if f.primary}
            for finding in ran.findings:  # the same rule on the same line from two engines is one finding
                loc = finding.primary
                if loc is not None and (finding.rule_id, loc.path, loc.start_line) not in at:
                    findings.append(finding)
            skipped += ran.skipped
    return SastScan(
        findings=tuple(with_fingerprints(findings, lines)),
        skipped=tuple(sorted(set(skipped), key=lambda s: (s.path, s.line or 0, s.reason))),
        files=tuple(sorted(lines)),
        engines=tuple(engines),
        web_files=tuple(sorted(web)),
        notes=tuple(notes),
    )


_SCANS: weakref.WeakKeyDictionary[Repo, dict[tuple[bool, bool], SastScan]] = weakref.WeakKeyDictionary()


def scan_cached(repo: Repo, *, include_fixtures: bool = False, audit: bool = False) -> SastScan:
    """One scan per Repo (`build.sast` and `code.input-validation` both read it)."""
    per_repo = _SCANS.setdefault(repo, {})
    key = (include_fixtures, audit)
    if key not in per_repo:
        per_repo[key] = scan_sast(repo, include_fixtures=include_fixtures, audit=audit)
    return per_repo[key]
