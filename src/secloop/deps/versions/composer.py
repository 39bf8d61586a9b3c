"""Composer (Packagist) ordering: Composer's normalisation, then PHP's version_compare() rules."""

from __future__ import annotations

import re
from functools import lru_cache

from secloop.deps.versions.interface import Key, VersionScheme

_VALID = re.compile(
    r"^v?\d+(?:\.\d+){0,3}(?:[._-]?(?:stable|beta|b|RC|rc|alpha|a|patch|pl|p)(?:[.-]?\d+)*)?(?:[.-]?dev)?$",
    re.IGNORECASE,
)
_ALIASES = {"b": "beta", "a": "alpha", "rc": "rc", "pl": "patch", "p": "patch"}
# PHP version_compare(): any other string < dev < alpha < beta < RC < number < patch.
_RANK = {"dev": 1, "alpha": 2, "beta": 3, "rc": 4, "patch": 6}
_NUMBER = 5
# When one version runs out of parts, PHP compares the other's next part with "#" (a number's rank).
_MISSING = (_NUMBER, -1)
_WIDTH = 12


@lru_cache(maxsize=65536)
def parse(text: str) -> tuple[tuple[int, int], ...] | None:
    text = text.strip()
    if not _VALID.match(text):
        return None
    text = text.lstrip("vV").lower()
    text = re.sub(r"(?<=\d)(?=[a-z])|(?<=[a-z])(?=\d)", ".", text)
    parts = [p for p in re.split(r"[._+-]", text) if p and p != "stable"]
    numbers = 0
    key: list[tuple[int, int]] = []
    for part in parts:
        if part.isdigit():
            key.append((_NUMBER, int(part)))
            numbers += 1
            continue
        if numbers < 4 and key and all(k[0] == _NUMBER for k in key):
            key += [(_NUMBER, 0)] * (4 - numbers)  # Composer pads the release to four numbers
            numbers = 4
        key.append((_RANK.get(_ALIASES.get(part, part), 0), 0))
    if all(k[0] == _NUMBER for k in key):
        key += [(_NUMBER, 0)] * max(0, 4 - len(key))
    key += [_MISSING] * max(0, _WIDTH - len(key))
    return tuple(key)


class Composer(VersionScheme):
    name = "Composer"

    def key(self, text: str) -> Key | None:
        return parse(text)

    def is_prerelease(self, text: str) -> bool:
        parsed = parse(text)
        return parsed is not None and any(rank not in (_NUMBER, _RANK["patch"]) for rank, _ in parsed)


SCHEME = Composer()
