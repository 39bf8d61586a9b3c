"""pylock.toml (PEP 751): `[[packages]]` with a name and, for index releases, a version.

Packages from a VCS, a local directory or an archive URL carry no index version: they are listed as
skipped with the reason. Direct dependencies are the ones the sibling pyproject.toml declares.
"""

from __future__ import annotations

import re

from secloop.core.model import Skipped
from secloop.deps.model import PYPI, Package, ParseResult, normalise_name, package
from secloop.deps.parsers import toml_lines
from secloop.deps.parsers.interface import LockfileParser, Reader, basename

_FILE = re.compile(r"^pylock\.(?:[^.]+\.)?toml$")
_HEADER = re.compile(r"^\[\[packages\]\]\s*$")


def _lines(text: str) -> list[int]:
    return [n for n, raw in enumerate(text.splitlines(), start=1) if _HEADER.match(raw)]


class PylockParser(LockfileParser):
    name = "pylock.toml"
    ecosystem = PYPI

    def matches(self, path: str) -> bool:
        return bool(_FILE.match(basename(path)))

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        try:
            data = toml_lines.load(text)
        except toml_lines.TomlProblem as exc:
            return self.malformed(path, str(exc), exc.line)
        if "lock-version" not in data:
            return self.malformed(path, "no `lock-version`: not a PEP 751 lock file", 1)
        entries = data.get("packages", [])
        if not isinstance(entries, list):
            return self.malformed(path, "`packages` is not an array of tables", 1)
        declared = toml_lines.pyproject_direct(path, read)
        lines = _lines(text)
        packages: list[Package] = []
        skipped: list[Skipped] = []
        for index, entry in enumerate(entries):
            line = lines[index] if index < len(lines) else None
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                return self.malformed(path, "a `[[packages]]` entry has no name", line)
            name = entry["name"]
            version = entry.get("version")
            if not isinstance(version, str):
                source = next((k for k in ("vcs", "directory", "archive") if k in entry), None)
                why = f"from a {source} source" if source else "without a version"
                skipped.append(Skipped(path, f"pylock.toml: `{name}` is {why}: not an index release", line))
                continue
            direct = None if declared is None else normalise_name(PYPI, name) in declared
            packages.append(package(PYPI, name, version, path, line, direct=direct))
        return ParseResult(tuple(packages), tuple(skipped))


PARSER = PylockParser()
