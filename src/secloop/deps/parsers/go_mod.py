"""go.mod (the build list since Go 1.17, `// indirect` marks transitive modules) and go.sum alone."""

from __future__ import annotations

import re

from secloop.core.model import Skipped
from secloop.deps.model import GO, Package, ParseResult, package
from secloop.deps.parsers.interface import LockfileParser, Reader, basename, sibling

_BLOCK_START = re.compile(r"^(require|replace|exclude|retract)\s*\(\s*$")
_SINGLE = re.compile(r"^(require|replace|exclude|retract)\s+(.+)$")
_MODULE_VERSION = re.compile(r'^"?([^\s"]+)"?\s+(v[0-9][^\s]*)$')
_REPLACE = re.compile(r'^"?([^\s"]+)"?(?:\s+(v\S+))?\s*=>\s*"?([^\s"]+)"?(?:\s+(v\S+))?$')


def _strip(version: str) -> str:
    return version[1:] if version.startswith("v") else version


class GoModParser(LockfileParser):
    name = "go.mod"
    ecosystem = GO

    def matches(self, path: str) -> bool:
        return basename(path) == "go.mod"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        requires: list[tuple[str, str, int, bool]] = []
        replaces: dict[tuple[str, str | None], tuple[str, str | None]] = {}
        skipped: list[Skipped] = []
        block: str | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            code, _, comment = raw.partition("//")
            line = code.strip()
            if not line:
                continue
            if block is not None:
                if line == ")":
                    block = None
                    continue
                self._directive(block, line, "indirect" in comment, number, requires, replaces, skipped, path)
                continue
            if start := _BLOCK_START.match(line):
                block = start.group(1)
            elif single := _SINGLE.match(line):
                self._directive(
                    single.group(1),
                    single.group(2).strip(),
                    "indirect" in comment,
                    number,
                    requires,
                    replaces,
                    skipped,
                    path,
                )
        packages: list[Package] = []
        for module, version, number, indirect in requires:
            target = replaces.get((module, version)) or replaces.get((module, None))
            if target is not None:
                new_module, new_version = target
                if new_version is None:
                    skipped.append(
                        Skipped(path, f"`{module}` is replaced by the local path {new_module}", number)
                    )
                    continue
                module, version = new_module, new_version
            packages.append(package(GO, module, _strip(version), path, number, direct=not indirect))
        return ParseResult(tuple(packages), tuple(skipped))

    @staticmethod
    def _directive(
        kind: str,
        line: str,
        indirect: bool,
        number: int,
        requires: list[tuple[str, str, int, bool]],
        replaces: dict[tuple[str, str | None], tuple[str, str | None]],
        skipped: list[Skipped],
        path: str,
    ) -> None:
        if kind == "require":
            match = _MODULE_VERSION.match(line)
            if match is None:
                skipped.append(Skipped(path, f"go.mod: cannot read require `{line[:60]}`", number))
                return
            requires.append((match.group(1), match.group(2), number, indirect))
        elif kind == "replace":
            match = _REPLACE.match(line)
            if match is None:
                skipped.append(Skipped(path, f"go.mod: cannot read replace `{line[:60]}`", number))
                return
            replaces[(match.group(1), match.group(2))] = (match.group(3), match.group(4))


class GoSumParser(LockfileParser):
    """go.sum without a go.mod next to it (go.mod, when present, is the build list and wins)."""

    name = "go.sum"
    ecosystem = GO

    def matches(self, path: str) -> bool:
        return basename(path) == "go.sum"

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        if read(sibling(path, "go.mod")) is not None:
            return ParseResult()
        packages: list[Package] = []
        seen: set[tuple[str, str]] = set()
        for number, raw in enumerate(text.splitlines(), start=1):
            parts = raw.split()
            if len(parts) != 3 or parts[1].endswith("/go.mod"):
                continue  # `/go.mod` hashes are of modules consulted, not necessarily built
            if (parts[0], parts[1]) in seen:
                continue
            seen.add((parts[0], parts[1]))
            packages.append(package(GO, parts[0], _strip(parts[1]), path, number))
        return ParseResult(tuple(packages))


PARSER = GoModParser()
SUM_PARSER = GoSumParser()
