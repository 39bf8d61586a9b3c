"""NuGet ordering: up to four numeric parts (missing ones are 0), then SemVer 2 pre-release labels
compared case-insensitively (a release sorts after its pre-releases); build metadata is ignored."""

from __future__ import annotations

import re
from functools import lru_cache

from secloop.deps.versions.interface import Key, VersionScheme

_VERSION = re.compile(
    r"^v?(?P<parts>\d+(?:\.\d+){0,3})(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$"
)


@lru_cache(maxsize=65536)
def parse(text: str) -> tuple[tuple[int, ...], int, tuple[tuple[int, int, str], ...]] | None:
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    parts = tuple(int(p) for p in match["parts"].split("."))
    parts += (0,) * (4 - len(parts))
    pre = match["pre"]
    if pre is None:
        return parts, 1, ()
    labels = tuple((0, int(x), "") if x.isdigit() else (1, 0, x.lower()) for x in pre.split("."))
    return parts, 0, labels


class NuGet(VersionScheme):
    name = "NuGet"

    def key(self, text: str) -> Key | None:
        return parse(text)

    def is_prerelease(self, text: str) -> bool:
        parsed = parse(text)
        return parsed is not None and parsed[1] == 0


SCHEME = NuGet()
