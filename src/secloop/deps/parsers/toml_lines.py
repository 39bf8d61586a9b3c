"""Shared by the TOML lockfiles: parse with tomllib, and find the line of each `[[package]]` entry."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from secloop.deps.model import PYPI, normalise_name
from secloop.deps.parsers.interface import Reader, sibling

_HEADER = re.compile(r"^\[\[package\]\]\s*$")
_NAME = re.compile(r"^name\s*=")
_AT_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


class TomlProblem(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def load(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = _AT_LINE.search(str(exc))
        raise TomlProblem(
            f"not valid TOML: {str(exc).split(' (at line')[0]}", int(match.group(1)) if match else None
        ) from exc


def package_lines(text: str) -> list[int]:
    """The line of each `[[package]]` entry's `name =` (or of its header), in document order."""
    lines: list[int] = []
    awaiting = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if _HEADER.match(raw):
            lines.append(number)
            awaiting = True
        elif awaiting and _NAME.match(raw):
            lines[-1] = number
            awaiting = False
        elif raw.startswith("["):
            awaiting = False
    return lines


def _names(specs: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(specs, dict):
        return {normalise_name(PYPI, str(k)) for k in specs if str(k).lower() != "python"}
    if isinstance(specs, list):
        for spec in specs:
            if isinstance(spec, str):
                try:
                    names.add(normalise_name(PYPI, Requirement(spec).name))
                except InvalidRequirement:
                    continue
    return names


def pyproject_direct(path: str, read: Reader) -> set[str] | None:
    """Names the sibling pyproject.toml declares (PEP 621, dependency groups, Poetry, PDM); None if absent."""
    text = read(sibling(path, "pyproject.toml"))
    if text is None:
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None
    names: set[str] = set()
    project = data.get("project", {})
    names |= _names(project.get("dependencies", []))
    for group in (project.get("optional-dependencies") or {}).values():
        names |= _names(group)
    for group in (data.get("dependency-groups") or {}).values():
        names |= _names(group)
    tool = data.get("tool", {})
    poetry = tool.get("poetry", {})
    names |= _names(poetry.get("dependencies", {}))
    names |= _names(poetry.get("dev-dependencies", {}))
    for group in (poetry.get("group") or {}).values():
        if isinstance(group, dict):
            names |= _names(group.get("dependencies", {}))
    for group in ((tool.get("pdm") or {}).get("dev-dependencies") or {}).values():
        names |= _names(group)
    return names
