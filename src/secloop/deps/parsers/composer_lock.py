"""composer.lock: `packages` and `packages-dev`; composer.json next to it names the direct ones."""

from __future__ import annotations

import json
from typing import Any

from secloop.core.model import Skipped
from secloop.deps.model import PACKAGIST, Package, ParseResult, normalise_name, package
from secloop.deps.parsers.interface import KeyCursor, LockfileParser, Reader, basename, sibling


def _composer_direct(path: str, read: Reader) -> set[str] | None:
    text = read(sibling(path, "composer.json"))
    if text is None:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    names: set[str] = set()
    for table in ("require", "require-dev"):
        deps = data.get(table) if isinstance(data, dict) else None
        if isinstance(deps, dict):
            names |= {normalise_name(PACKAGIST, str(k)) for k in deps}
    return names


class ComposerLockParser(LockfileParser):
    name = "composer.lock"
    ecosystem = PACKAGIST

    def matches(self, path: str) -> bool:
        return basename(path) == "composer.lock"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return self.malformed(path, f"not valid JSON: {exc.msg}", exc.lineno)
        if not isinstance(data, dict):
            return self.malformed(path, "not a JSON object")
        direct = _composer_direct(path, read)
        cursor = KeyCursor(text)
        packages: list[Package] = []
        skipped: list[Skipped] = []
        for section in ("packages", "packages-dev"):
            entries: Any = data.get(section) or []
            if not isinstance(entries, list):
                continue
            for entry in entries:
                if not isinstance(entry, dict) or "name" not in entry:
                    continue
                name = str(entry["name"])
                line = cursor.find(f'"name": "{name}"')
                version = str(entry.get("version", ""))
                if version.startswith("dev-") or version.endswith("-dev") or not version:
                    skipped.append(
                        Skipped(
                            path, f"`{name}` is pinned to the branch {version or '?'}: not a release", line
                        )
                    )
                    continue
                version = version[1:] if version[:1] in "vV" else version
                is_direct = None if direct is None else normalise_name(PACKAGIST, name) in direct
                packages.append(
                    package(
                        PACKAGIST, name, version, path, line, direct=is_direct, dev=section == "packages-dev"
                    )
                )
        return ParseResult(tuple(packages), tuple(skipped))


PARSER = ComposerLockParser()
