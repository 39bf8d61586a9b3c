"""The values the deps engine passes around: a pinned package and what a parser could read."""

from __future__ import annotations

import re
from dataclasses import dataclass

from secloop.core.model import Skipped

PYPI = "PyPI"
NPM = "npm"
CRATES = "crates.io"
GO = "Go"
RUBYGEMS = "RubyGems"
PACKAGIST = "Packagist"
MAVEN = "Maven"
NUGET = "NuGet"

_PEP503 = re.compile(r"[-_.]+")


def normalise_name(ecosystem: str, name: str) -> str:
    """The name under which OSV and the registry know the package (PEP 503 for PyPI)."""
    if ecosystem == PYPI:
        return _PEP503.sub("-", name).lower()
    if ecosystem == PACKAGIST:
        return name.lower()
    return name


@dataclass(frozen=True, slots=True)
class Package:
    """One pinned dependency, as a lockfile states it."""

    ecosystem: str
    name: str  # normalised per ecosystem
    version: str
    path: str
    line: int | None = None
    direct: bool | None = None  # None: the format does not tell
    dev: bool | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.ecosystem, self.name, self.version)


def package(
    ecosystem: str,
    name: str,
    version: str,
    path: str,
    line: int | None = None,
    *,
    direct: bool | None = None,
    dev: bool | None = None,
) -> Package:
    return Package(ecosystem, normalise_name(ecosystem, name), version, path, line, direct, dev)


@dataclass(frozen=True, slots=True)
class ParseResult:
    packages: tuple[Package, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def __add__(self, other: ParseResult) -> ParseResult:
        return ParseResult(self.packages + other.packages, self.skipped + other.skipped)
