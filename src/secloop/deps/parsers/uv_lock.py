"""uv.lock: the project's own entries (editable or virtual) name the direct dependencies."""

from __future__ import annotations

from typing import Any

from secloop.core.model import Skipped
from secloop.deps.model import PYPI, Package, ParseResult, normalise_name, package
from secloop.deps.parsers import toml_lines
from secloop.deps.parsers.interface import LockfileParser, Reader, basename

_PROJECT_SOURCES = ("editable", "virtual")
_OTHER_SOURCES = ("git", "path", "directory", "url")


def _dependency_names(entry: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    groups: list[Any] = [entry.get("dependencies", [])]
    for table in ("optional-dependencies", "dev-dependencies"):
        value = entry.get(table)
        if isinstance(value, dict):
            groups.extend(value.values())
    for group in groups:
        if isinstance(group, list):
            names |= {
                normalise_name(PYPI, str(d["name"])) for d in group if isinstance(d, dict) and "name" in d
            }
    return names


class UvLockParser(LockfileParser):
    name = "uv.lock"
    ecosystem = PYPI

    def matches(self, path: str) -> bool:
        return basename(path) == "uv.lock"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        try:
            data = toml_lines.load(text)
        except toml_lines.TomlProblem as exc:
            return self.malformed(path, str(exc), exc.line)
        entries = data.get("package", [])
        if not isinstance(entries, list):
            return self.malformed(path, "`package` is not an array of tables")
        lines = toml_lines.package_lines(text)
        direct: set[str] = set()
        for entry in entries:
            source = entry.get("source", {}) if isinstance(entry, dict) else {}
            if isinstance(source, dict) and any(k in source for k in _PROJECT_SOURCES):
                direct |= _dependency_names(entry)
        packages: list[Package] = []
        skipped: list[Skipped] = []
        for index, entry in enumerate(entries):
            line = lines[index] if index < len(lines) else None
            if not isinstance(entry, dict) or "name" not in entry:
                skipped.append(Skipped(path, "uv.lock: package entry without a name", line))
                continue
            name = str(entry["name"])
            source = entry.get("source", {})
            source = source if isinstance(source, dict) else {}
            if any(k in source for k in _PROJECT_SOURCES):
                continue  # the project or a workspace member itself, not a dependency
            other = next((k for k in _OTHER_SOURCES if k in source), None)
            if other is not None:
                skipped.append(
                    Skipped(path, f"`{name}` comes from a {other} source: not a registry release", line)
                )
                continue
            if "version" not in entry:
                skipped.append(Skipped(path, f"`{name}` has no version in uv.lock", line))
                continue
            is_direct = normalise_name(PYPI, name) in direct
            packages.append(package(PYPI, name, str(entry["version"]), path, line, direct=is_direct))
        return ParseResult(tuple(packages), tuple(skipped))


PARSER = UvLockParser()
