"""RubyGems ordering (Gem::Version): numeric and alphabetic segments, letters mark a pre-release."""

from __future__ import annotations

import re
from functools import lru_cache

from secloop.deps.versions.interface import Key, VersionScheme

_VALID = re.compile(r"^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")
_SEGMENT = re.compile(r"[0-9]+|[a-z]+", re.IGNORECASE)
# Gem::Version compares missing segments as 0; padding every key to one length does the same.
_WIDTH = 16
_ZERO = (1, 0, "")


def _drop_trailing_zeros(segments: list[int | str]) -> list[int | str]:
    while segments and segments[-1] == 0:
        segments.pop()
    return segments


@lru_cache(maxsize=65536)
def parse(text: str) -> tuple[tuple[int, int, str], ...] | None:
    text = text.strip()
    if not _VALID.match(text):
        return None
    text = text.replace("-", ".pre.")
    segments: list[int | str] = [int(s) if s.isdigit() else s for s in _SEGMENT.findall(text)]
    first_letter = next((i for i, s in enumerate(segments) if isinstance(s, str)), len(segments))
    canonical = _drop_trailing_zeros(segments[:first_letter]) + _drop_trailing_zeros(segments[first_letter:])
    # A string segment sorts before any number (it marks a pre-release).
    key = [(1, s, "") if isinstance(s, int) else (0, 0, s) for s in canonical]
    key += [_ZERO] * max(0, _WIDTH - len(key))
    return tuple(key)


class RubyGems(VersionScheme):
    name = "RubyGems"

    def key(self, text: str) -> Key | None:
        return parse(text)

    def is_prerelease(self, text: str) -> bool:
        return any(c.isalpha() for c in text)


SCHEME = RubyGems()
