"""The engine's entry point: find the lockfiles of a repository, parse them, check them."""

from __future__ import annotations

import posixpath
import re
import weakref
from dataclasses import dataclass
from pathlib import Path

from secloop.core.errors import InputError, Place, UsageError
from secloop.core.model import Finding, Skipped
from secloop.deps.db import AdvisoryDB, Snapshot
from secloop.deps.model import Package, ParseResult
from secloop.deps.parsers import PARSERS
from secloop.deps.parsers.interface import MALFORMED, LockfileParser, basename, is_malformed, sibling
from secloop.deps.parsers.toml_lines import pyproject_direct
from secloop.deps.vulns import check
from secloop.sources.repo import Repo

# Lockfiles under these folders pin test data, examples or installed copies, not the project.
NOT_PROJECT = re.compile(
    r"(^|/)(tests?|__tests__|fixtures|testdata|test_data|examples?|samples?|docs?|node_modules|vendor"
    r"|\.venv|venv|site-packages)/"
)

# Manifest -> the lockfiles that pin it (any one, in the same folder).
_LOCKS_FOR = {
    "package.json": ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml"),
    "Pipfile": ("Pipfile.lock",),
    "Cargo.toml": ("Cargo.lock",),
    "Gemfile": ("Gemfile.lock",),
    "gems.rb": ("gems.locked",),
    "composer.json": ("composer.lock",),
    "pyproject.toml": (
        "poetry.lock",
        "uv.lock",
        "pdm.lock",
        "pylock.toml",
        "Pipfile.lock",
        "requirements.txt",
    ),
    "build.gradle": ("gradle.lockfile",),
    "build.gradle.kts": ("gradle.lockfile",),
}
_UNSUPPORTED = {
    "packages.config": "NuGet packages.config",
    "bun.lockb": "Bun",
    "bun.lock": "Bun",
    "mix.lock": "Hex",
    "pubspec.lock": "Pub",
}


# Lockfiles of large projects pass the tree's 1 MB text limit (a 5,000-package package-lock.json is
# several MB); they are read with this one instead.
MAX_LOCKFILE_BYTES = 64 * 1024 * 1024


def read_lockfile(repo: Repo, rel: str) -> str | None:
    path = repo.root / rel
    try:
        if not path.is_file() or path.stat().st_size > MAX_LOCKFILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return None if b"\0" in data[:8192] else data.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Lockfile:
    path: str
    format: str
    packages: int


@dataclass(frozen=True, slots=True)
class Inventory:
    """What the repository pins, before any database is consulted."""

    lockfiles: tuple[Lockfile, ...]
    packages: tuple[Package, ...]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True, slots=True)
class DepsScan:
    inventory: Inventory
    snapshot: Snapshot
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]  # the inventory's and the matcher's
    checked: int

    @property
    def lockfiles(self) -> tuple[Lockfile, ...]:
        return self.inventory.lockfiles


def _unpinned_manifest(repo: Repo, rel: str, present: set[str]) -> Skipped | None:
    name = basename(rel)
    locks = _LOCKS_FOR.get(name)
    if locks is None:
        return None
    if any(sibling(rel, lock) in present for lock in locks):
        return None
    if name == "pyproject.toml":
        if not pyproject_direct(rel, repo.read_text):
            return None
        folder = posixpath.dirname(rel)
        if any(posixpath.dirname(p) == folder and basename(p).startswith("requirements") for p in present):
            return None
    return Skipped(
        rel,
        f"declares dependencies without a lockfile ({' or '.join(locks[:3])}): versions are not pinned, "
        "so they cannot be matched exactly",
    )


def inventory(repo: Repo, *, include_fixtures: bool = False, only: str | None = None) -> Inventory:
    """Every lockfile of the repository (or only the file ``only``, as given explicitly)."""
    files = repo.files() if only is None else (only,)
    present = set(repo.files())
    lockfiles: list[Lockfile] = []
    result = ParseResult()
    skipped: list[Skipped] = []
    for rel in files:
        parser: LockfileParser | None = next((p for p in PARSERS if p.matches(rel)), None)
        unsupported = _UNSUPPORTED.get(basename(rel))
        manifest = basename(rel) in _LOCKS_FOR
        if only is not None and parser is None:
            raise UsageError(
                f"{rel}: not a lockfile secloop reads",
                hint="give a lockfile (requirements.txt, poetry.lock, package-lock.json, …) or a folder",
            )
        if parser is None and unsupported is None and not manifest:
            continue
        if not include_fixtures and only is None and NOT_PROJECT.search(rel):
            if parser is not None:
                skipped.append(
                    Skipped(
                        rel,
                        "under a test, example, docs or vendored folder: not the project's dependencies "
                        "(`secloop scan deps FOLDER` checks that folder)",
                    )
                )
            continue
        if unsupported is not None:
            skipped.append(Skipped(rel, f"{unsupported} dependencies are not supported yet: not checked"))
            continue
        if parser is None:
            problem = _unpinned_manifest(repo, rel, present)
            if problem is not None:
                skipped.append(problem)
            continue
        text = read_lockfile(repo, rel)
        if text is None:
            skipped.append(
                Skipped(
                    rel, f"{parser.name}: not readable as text or larger than {MAX_LOCKFILE_BYTES >> 20} MB"
                )
            )
            continue
        parsed = parser.parse(rel, text, lambda other: read_lockfile(repo, other))
        if only is not None:
            bad = next((s for s in parsed.skipped if is_malformed(s)), None)
            if bad is not None:  # a file given explicitly must be readable: exit 2, not a silent skip
                raise InputError(
                    bad.reason.removesuffix(MALFORMED),
                    place=Place(rel, bad.line),
                    hint=f"fix the file, or give the folder to list it as not checked ({parser.name})",
                )
        result = result + parsed
        lockfiles.append(Lockfile(rel, parser.name, len(parsed.packages)))
    unique = tuple(dict.fromkeys(result.packages))
    return Inventory(tuple(lockfiles), unique, tuple(dict.fromkeys(result.skipped + tuple(skipped))))


def scan_repo(
    repo: Repo, db: AdvisoryDB, *, include_fixtures: bool = False, only: str | None = None
) -> DepsScan:
    inv = inventory(repo, include_fixtures=include_fixtures, only=only)
    return scan_inventory(inv, db)


def scan_inventory(inv: Inventory, db: AdvisoryDB) -> DepsScan:
    checked = check(inv.packages, db)
    return DepsScan(inv, db.snapshot, checked.findings, inv.skipped + checked.skipped, checked.checked)


_SCANS: weakref.WeakKeyDictionary[Repo, dict[Path, DepsScan]] = weakref.WeakKeyDictionary()


def scan_cached(repo: Repo, db_dir: Path) -> DepsScan:
    """One scan per Repo and database directory (several practices may ask)."""
    per_repo = _SCANS.setdefault(repo, {})
    if db_dir not in per_repo:
        per_repo[db_dir] = scan_repo(repo, AdvisoryDB.open(db_dir))
    return per_repo[db_dir]
