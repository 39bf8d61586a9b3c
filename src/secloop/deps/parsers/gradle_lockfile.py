"""gradle.lockfile: one `group:artifact:version=configurations` line per resolved module.

Gradle writes the whole resolved graph and does not say which modules are declared: direct is unknown.
"""

from __future__ import annotations

import re

from secloop.deps.model import MAVEN, Package, ParseResult, package
from secloop.deps.parsers.interface import LockfileParser, Reader, basename

_LINE = re.compile(r"^([^:=\s]+):([^:=\s]+):([^:=\s]+)=([^=]*)$")


class GradleLockfileParser(LockfileParser):
    name = "gradle.lockfile"
    ecosystem = MAVEN

    def matches(self, path: str) -> bool:
        name = basename(path)
        # Gradle 6 wrote one lockfile per configuration under gradle/dependency-locks/.
        return name == "gradle.lockfile" or (
            name.endswith(".lockfile") and "/dependency-locks/" in f"/{path}"
        )

    def parse(self, path: str, text: str, read: Reader) -> ParseResult:
        packages: list[Package] = []
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if not line or line.startswith("#") or line.startswith("empty="):
                continue
            match = _LINE.match(line)
            if match is None:
                if "=" not in line and line.count(":") == 2:  # Gradle 6 per-configuration format
                    group, artifact, version = line.split(":")
                    packages.append(package(MAVEN, f"{group}:{artifact}", version, path, number))
                    continue
                return self.malformed(
                    path, f"line is not `group:artifact:version=configurations`: {line[:60]!r}", number
                )
            group, artifact, version, configurations = match.groups()
            dev = all(c.strip().lower().startswith("test") for c in configurations.split(",") if c.strip())
            packages.append(package(MAVEN, f"{group}:{artifact}", version, path, number, dev=dev or None))
        return ParseResult(tuple(packages))


PARSER = GradleLockfileParser()
