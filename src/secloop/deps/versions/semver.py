"""SemVer 2.0.0 precedence (section 11), for npm, crates.io, Go modules and SEMVER-typed OSV ranges."""

from __future__ import annotations

import re
from functools import lru_cache

from secloop.deps.versions.interface import Key, VersionScheme

# Lenient where registries are: a leading "v" (Go) and leading zeros are accepted.
_SEMVER = re.compile(
    r"^v?(\d+)\.(\d+)\.(\d+)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+[0-9A-Za-z.-]+)?$"
)
# A release sorts after every pre-release of the same version: (1,) > (0, ...).
_RELEASE = (1,)

SemverKey = tuple[int, int, int, tuple[object, ...]]


@lru_cache(maxsize=65536)
def parse(text: str) -> SemverKey | None:
    match = _SEMVER.match(text.strip())
    if match is None:
        return None
    major, minor, patch, pre = match.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), _RELEASE)
    # Numeric identifiers sort numerically and before alphanumeric ones; more fields sort higher.
    idents = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), (0, *idents))


class SemVer(VersionScheme):
    name = "SemVer"

    def key(self, text: str) -> Key | None:
        return parse(text)

    def is_prerelease(self, text: str) -> bool:
        parsed = parse(text)
        return parsed is not None and parsed[3] != _RELEASE


SCHEME = SemVer()
