"""Pipfile.lock: JSON with `default` and `develop` sections; the sibling Pipfile names the direct ones."""

from __future__ import annotations

import json
import re
import tomllib

from secloop.core.model import Skipped
from secloop.deps.model import PYPI, Package, ParseResult, normalise_name, package
from secloop.deps.parsers.interface import LineIndex, LockfileParser, Reader, basename, sibling

_KEY = re.compile(r'^\s*"([^"]+)"\s*:\s*\{', re.MULTILINE)
_SECTION = re.compile(r'^\s*"(default|develop)"\s*:\s*\{', re.MULTILINE)


def _pipfile_names(path: str, read: Reader) -> set[str] | None:
    text = read(sibling(path, "Pipfile"))
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    names: set[str] = set()
    for table in ("packages", "dev-packages"):
        section = data.get(table, {})
        if isinstance(section, dict):
            names |= {normalise_name(PYPI, str(k)) for k in section}
    return names


class PipfileLockParser(LockfileParser):
    name = "Pipfile.lock"
    ecosystem = PYPI

    def matches(self, path: str) -> bool:
        return basename(path) == "Pipfile.lock"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return self.malformed(path, f"not valid JSON: {exc.msg}", exc.lineno)
        if not isinstance(data, dict):
            return self.malformed(path, "not a JSON object")
        index = LineIndex(text)
        lines: dict[tuple[str, str], int] = {}
        sections = [(m.start(), m.group(1)) for m in _SECTION.finditer(text)]
        for match in _KEY.finditer(text):
            owner = [name for start, name in sections if start < match.start()]
            if owner:
                lines.setdefault((owner[-1], match.group(1)), index.line(match.start(1)))
        direct = _pipfile_names(path, read)
        packages: list[Package] = []
        skipped: list[Skipped] = []
        for section in ("default", "develop"):
            entries = data.get(section, {})
            if not isinstance(entries, dict):
                continue
            for name, spec in entries.items():
                line = lines.get((section, name))
                if not isinstance(spec, dict):
                    skipped.append(Skipped(path, f"`{name}`: entry is not an object", line))
                    continue
                other = next((k for k in ("git", "path", "file", "editable") if spec.get(k)), None)
                if other is not None:
                    skipped.append(
                        Skipped(path, f"`{name}` comes from a {other} source: not a registry release", line)
                    )
                    continue
                version = str(spec.get("version", ""))
                if not version.startswith("=="):
                    skipped.append(Skipped(path, f"`{name}{version}` not pinned: cannot match exactly", line))
                    continue
                is_direct = None if direct is None else normalise_name(PYPI, name) in direct
                packages.append(
                    package(PYPI, name, version[2:], path, line, direct=is_direct, dev=section == "develop")
                )
        return ParseResult(tuple(packages), tuple(skipped))


PARSER = PipfileLockParser()
