"""PEP 440 ordering for PyPI, through `packaging` (the reference implementation pip uses)."""

from __future__ import annotations

from functools import lru_cache

from packaging.version import InvalidVersion, Version

from secloop.deps.versions.interface import Key, VersionScheme


@lru_cache(maxsize=65536)
def _parse(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


class Pep440(VersionScheme):
    name = "PEP 440"

    def key(self, text: str) -> Key | None:
        return _parse(text)

    def is_prerelease(self, text: str) -> bool:
        parsed = _parse(text)
        return parsed is not None and parsed.is_prerelease


SCHEME = Pep440()
