"""poetry.lock: `[[package]]` entries; direct dependencies come from the sibling pyproject.toml."""

from __future__ import annotations

from typing import Any

from secloop.core.model import Skipped
from secloop.deps.model import PYPI, Package, ParseResult, normalise_name, package
from secloop.deps.parsers import toml_lines
from secloop.deps.parsers.interface import LockfileParser, Reader, basename


class PoetryLockParser(LockfileParser):
    name = "poetry.lock"
    ecosystem = PYPI

    def matches(self, path: str) -> bool:
        return basename(path) == "poetry.lock"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        try:
            data = toml_lines.load(text)
        except toml_lines.TomlProblem as exc:
            return self.malformed(path, str(exc), exc.line)
        return python_toml_packages(self.name, path, text, data, toml_lines.pyproject_direct(path, read))


def python_toml_packages(
    fmt: str, path: str, text: str, data: dict[str, Any], direct_names: set[str] | None
) -> ParseResult:
    """poetry.lock and pdm.lock share the shape: name, version and an optional non-registry source."""
    entries = data.get("package", [])
    if not isinstance(entries, list):
        return ParseResult((), (Skipped(path, f"{fmt}: `package` is not an array of tables"),))
    lines = toml_lines.package_lines(text)
    packages: list[Package] = []
    skipped: list[Skipped] = []
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else None
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("version"):
            skipped.append(Skipped(path, f"{fmt}: package entry without a name and version", line))
            continue
        name, version = str(entry["name"]), str(entry["version"])
        source = entry.get("source")
        kind = source.get("type") if isinstance(source, dict) else None
        for key in ("git", "path", "url", "editable"):
            if kind is None and entry.get(key):
                kind = key
        if kind not in (None, "legacy", "pypi"):
            skipped.append(
                Skipped(path, f"`{name}` comes from a {kind} source: not a registry release", line)
            )
            continue
        direct = None if direct_names is None else normalise_name(PYPI, name) in direct_names
        category = entry.get("category")
        dev = None if category is None else category == "dev"
        packages.append(package(PYPI, name, version, path, line, direct=direct, dev=dev))
    return ParseResult(tuple(packages), tuple(skipped))


PARSER = PoetryLockParser()
