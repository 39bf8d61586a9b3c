"""pip requirements files: `-r`/`-c` includes, hashes, markers and extras; only exact pins are matchable."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from secloop.core.model import Skipped
from secloop.deps.model import PYPI, Package, ParseResult, package
from secloop.deps.parsers.interface import LockfileParser, Reader, basename, sibling

_INCLUDE = re.compile(r"^(-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+)(\S+)$")
_EDITABLE = re.compile(r"^(-e|--editable)(?:\s*=\s*|\s+)(\S+)")
_OPTION = re.compile(r"^-")
# Per-requirement options pip accepts after the requirement itself.
_TRAILING_OPTIONS = re.compile(r"\s+--(?:hash|global-option|install-option|config-settings)(?:=|\s+)\S+")
_COMMENT = re.compile(r"(^|\s)#.*$")
_VIA = re.compile(r"^\s*#\s+via\b\s*(.*)$")
_VIA_ITEM = re.compile(r"^\s*#\s{2,}(\S.*)$")
_VCS = re.compile(r"^(git|hg|svn|bzr)\+", re.IGNORECASE)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://|^file:", re.IGNORECASE)
_PATH = re.compile(r"^(\.{1,2}/|/|~)|\.(whl|zip|tar\.gz|tgz|tar\.bz2)$")
_EGG = re.compile(r"#egg=([A-Za-z0-9_.\-]+)")
_MAX_DEPTH = 10


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    text: str


def logical_lines(text: str) -> Iterator[_Line]:
    """Physical lines joined at trailing backslashes, comments dropped, numbered by their first line."""
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        line = raw.rstrip()
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        joined = _COMMENT.sub("", " ".join(pending)).strip()
        pending = []
        if joined:
            yield _Line(start, joined)
    if pending:
        joined = _COMMENT.sub("", " ".join(pending)).strip()
        if joined:
            yield _Line(start, joined)


def _via_sources(text: str) -> dict[int, list[str]]:
    """pip-compile's `# via` annotations: the line of the requirement above -> what pulled it in."""
    result: dict[int, list[str]] = {}
    current: int | None = None
    collecting = False
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#") and not raw[:1].isspace():
            current, collecting = number, False
            inline = raw.split("#", 1)
            if len(inline) == 2 and (match := _VIA.match("#" + inline[1])):
                result.setdefault(number, []).append(match.group(1).strip())
            continue
        if current is None:
            continue
        if match := _VIA.match(raw):
            sources = result.setdefault(current, [])
            if match.group(1).strip():
                sources.append(match.group(1).strip())
            collecting = not match.group(1).strip()
        elif collecting and (item := _VIA_ITEM.match(raw)):
            result.setdefault(current, []).append(item.group(1).strip())
        elif stripped and not stripped.startswith("#"):
            collecting = False
    return result


class RequirementsParser(LockfileParser):
    name = "requirements"
    ecosystem = PYPI

    def matches(self, path: str) -> bool:
        name = basename(path)
        if not name.endswith(".txt"):
            return False
        return (
            fnmatch.fnmatch(name, "*requirements*.txt")
            or fnmatch.fnmatch(name, "*constraints*.txt")
            or "/requirements/" in f"/{path}"
        )

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        packages: list[Package] = []
        skipped: list[Skipped] = []
        self._parse(path, text, read, packages, skipped, constraint=False, stack=(path,))
        return ParseResult(tuple(packages), tuple(skipped))

    def _parse(
        self,
        path: str,
        text: str,
        read: Reader,
        packages: list[Package],
        skipped: list[Skipped],
        *,
        constraint: bool,
        stack: tuple[str, ...],
    ) -> None:
        via = _via_sources(text)
        annotated = bool(via)
        for line in logical_lines(text):
            include = _INCLUDE.match(line.text)
            if include:
                self._include(path, line, include, read, packages, skipped, stack)
                continue
            editable = _EDITABLE.match(line.text)
            if editable:
                skipped.append(
                    Skipped(
                        path,
                        f"editable requirement `{editable.group(2)}`: not a registry release",
                        line.number,
                    )
                )
                continue
            if _OPTION.match(line.text):
                continue  # index URLs, --pre, --require-hashes, ...: they do not name a package
            found = self._requirement(path, line, skipped)
            if found is None:
                continue
            name, version = found
            if annotated:
                sources = via.get(line.number, [])
                direct = any(s.startswith(("-r ", "-c ")) or s.endswith(".in") for s in sources)
            else:
                direct = not constraint
            packages.append(package(PYPI, name, version, path, line.number, direct=direct))

    def _include(
        self,
        path: str,
        line: _Line,
        include: re.Match[str],
        read: Reader,
        packages: list[Package],
        skipped: list[Skipped],
        stack: tuple[str, ...],
    ) -> None:
        target = include.group(2)
        if _URL.match(target):
            skipped.append(Skipped(path, f"remote include `{target}` is not read (offline)", line.number))
            return
        rel = sibling(path, target)
        if rel in stack:
            return  # an include cycle: pip follows each file once too
        if len(stack) >= _MAX_DEPTH or rel.startswith("../"):
            skipped.append(
                Skipped(path, f"include `{target}` is outside the repository or too deep", line.number)
            )
            return
        included = read(rel)
        if included is None:
            skipped.append(Skipped(path, f"included file `{target}` not found or not readable", line.number))
            return
        constraint = include.group(1) in ("-c", "--constraint")
        self._parse(rel, included, read, packages, skipped, constraint=constraint, stack=(*stack, rel))

    def _requirement(self, path: str, line: _Line, skipped: list[Skipped]) -> tuple[str, str] | None:
        text = _TRAILING_OPTIONS.sub("", line.text).strip()
        if _VCS.match(text):
            egg = _EGG.search(text)
            what = f"`{egg.group(1)}` " if egg else ""
            skipped.append(
                Skipped(path, f"VCS requirement {what}({text[:60]}): not a registry release", line.number)
            )
            return None
        if _URL.match(text) or _PATH.search(text.split(";")[0].strip()):
            skipped.append(
                Skipped(path, f"URL or path requirement `{text[:60]}`: not a registry release", line.number)
            )
            return None
        try:
            req = Requirement(text)
        except InvalidRequirement as exc:
            why = str(exc).splitlines()[0] if str(exc) else "invalid"
            skipped.append(Skipped(path, f"not a valid requirement `{text[:60]}`: {why}", line.number))
            return None
        if req.url:
            kind = "VCS" if _VCS.match(req.url) else "URL"
            skipped.append(
                Skipped(path, f"{kind} requirement `{req.name}`: not a registry release", line.number)
            )
            return None
        specs = list(req.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            return req.name, specs[0].version
        shown = f"{req.name}{req.specifier}" if specs else req.name
        skipped.append(Skipped(path, f"`{shown}` not pinned: cannot match exactly", line.number))
        return None


PARSER = RequirementsParser()
