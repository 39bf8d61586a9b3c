"""Cargo.lock: crates from a registry; the workspace's own crates (no `source`) name the direct ones."""

from __future__ import annotations

from secloop.core.model import Skipped
from secloop.deps.model import CRATES, Package, ParseResult, package
from secloop.deps.parsers import toml_lines
from secloop.deps.parsers.interface import LockfileParser, Reader, basename


class CargoLockParser(LockfileParser):
    name = "Cargo.lock"
    ecosystem = CRATES

    def matches(self, path: str) -> bool:
        return basename(path) == "Cargo.lock"

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
            if isinstance(entry, dict) and "source" not in entry:
                direct |= {str(d).split(" ", 1)[0] for d in entry.get("dependencies", [])}
        packages: list[Package] = []
        skipped: list[Skipped] = []
        for index, entry in enumerate(entries):
            line = lines[index] if index < len(lines) else None
            if not isinstance(entry, dict) or "name" not in entry or "version" not in entry:
                skipped.append(Skipped(path, "Cargo.lock: package entry without a name and version", line))
                continue
            name, version = str(entry["name"]), str(entry["version"])
            source = entry.get("source")
            if source is None:
                continue  # a crate of the workspace itself (or a path dependency): the project's own code
            if not str(source).startswith(("registry+", "sparse+")):
                skipped.append(Skipped(path, f"`{name}` comes from {source}: not a registry release", line))
                continue
            packages.append(package(CRATES, name, version, path, line, direct=name in direct))
        return ParseResult(tuple(packages), tuple(skipped))


PARSER = CargoLockParser()
