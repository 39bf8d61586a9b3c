"""Gemfile.lock: the GEM section's specs; DEPENDENCIES names the direct gems; GIT and PATH are skipped."""

from __future__ import annotations

import re

from secloop.core.model import Skipped
from secloop.deps.model import RUBYGEMS, Package, ParseResult, package
from secloop.deps.parsers.interface import LockfileParser, Reader, basename

_SPEC = re.compile(r"^    ([A-Za-z0-9_.\-]+) \(([^)\s]+)\)\s*$")
_DEPENDENCY = re.compile(r"^  ([A-Za-z0-9_.\-]+)(!)?(?:\s|$)")
# Platform gems append the platform: nokogiri (1.16.0-x86_64-linux).
_PLATFORM = re.compile(
    r"-(?:x86|x64|arm|aarch64|universal|java|mswin|mingw|darwin|linux|ruby|musl|jruby)[\w.\-]*$"
)


class GemfileLockParser(LockfileParser):
    name = "Gemfile.lock"
    ecosystem = RUBYGEMS

    def matches(self, path: str) -> bool:
        return basename(path) in ("Gemfile.lock", "gems.locked")

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        section = ""
        specs: list[tuple[str, str, int, str]] = []
        direct: set[str] = set()
        for number, raw in enumerate(text.splitlines(), start=1):
            if raw and not raw[0].isspace():
                section = raw.strip()
                continue
            if section in ("GEM", "GIT", "PATH", "PLUGIN SOURCE") and (match := _SPEC.match(raw)):
                specs.append((match.group(1), match.group(2), number, section))
            elif section == "DEPENDENCIES" and (match := _DEPENDENCY.match(raw)):
                direct.add(match.group(1))
        packages: list[Package] = []
        skipped: list[Skipped] = []
        for name, version, number, source in specs:
            if source != "GEM":
                skipped.append(
                    Skipped(path, f"`{name}` comes from a {source} source: not a registry release", number)
                )
                continue
            packages.append(
                package(RUBYGEMS, name, _PLATFORM.sub("", version), path, number, direct=name in direct)
            )
        return ParseResult(tuple(packages), tuple(skipped))


PARSER = GemfileLockParser()
