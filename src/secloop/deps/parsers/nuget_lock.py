"""NuGet packages.lock.json: per target framework, each package's `type` (Direct, Transitive,
CentralTransitive, Project) and `resolved` version; Project entries are the solution's own projects."""

from __future__ import annotations

import json

from secloop.core.model import Skipped
from secloop.deps.model import NUGET, Package, ParseResult, package
from secloop.deps.parsers.interface import KeyCursor, LineIndex, LockfileParser, Reader, basename


class NugetLockParser(LockfileParser):
    name = "packages.lock.json"
    ecosystem = NUGET

    def matches(self, path: str) -> bool:
        return basename(path) == "packages.lock.json"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return self.malformed(path, f"not valid JSON: {exc.msg}", LineIndex(text).line(exc.pos))
        frameworks = data.get("dependencies") if isinstance(data, dict) else None
        if not isinstance(frameworks, dict) or "version" not in data:
            return self.malformed(path, "no `version` and `dependencies` object: not a NuGet lock file", 1)
        cursor = KeyCursor(text)
        packages: list[Package] = []
        skipped: list[Skipped] = []
        for framework, entries in frameworks.items():
            cursor.find_object(framework)
            if not isinstance(entries, dict):
                return self.malformed(path, f"`{framework}` is not an object", cursor.find(f'"{framework}"'))
            for name, entry in entries.items():
                line = cursor.find_object(name)
                if not isinstance(entry, dict):
                    return self.malformed(path, f"`{name}` is not an object", line)
                kind = entry.get("type")
                if kind == "Project":
                    continue
                version = entry.get("resolved")
                if not isinstance(version, str):
                    skipped.append(
                        Skipped(path, f"packages.lock.json: `{name}` has no resolved version", line)
                    )
                    continue
                packages.append(package(NUGET, name, version, path, line, direct=kind == "Direct"))
        return ParseResult(tuple(packages), tuple(skipped))


PARSER = NugetLockParser()
