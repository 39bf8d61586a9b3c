"""Version ordering per ecosystem: the explicit list of schemes; an ecosystem missing here is not ranged."""

from __future__ import annotations

from secloop.deps.model import CRATES, GO, MAVEN, NPM, NUGET, PACKAGIST, PYPI, RUBYGEMS
from secloop.deps.versions import composer, maven, nuget, pep440, rubygems, semver
from secloop.deps.versions.interface import Key, VersionScheme

ECOSYSTEM_SCHEMES: dict[str, VersionScheme] = {
    PYPI: pep440.SCHEME,
    NPM: semver.SCHEME,
    CRATES: semver.SCHEME,
    GO: semver.SCHEME,
    RUBYGEMS: rubygems.SCHEME,
    PACKAGIST: composer.SCHEME,
    MAVEN: maven.SCHEME,
    NUGET: nuget.SCHEME,
}
SEMVER_SCHEME: VersionScheme = semver.SCHEME


def scheme_for(ecosystem: str, range_type: str) -> VersionScheme | None:
    """The ordering of a range: SEMVER ranges always use SemVer; ECOSYSTEM ranges the ecosystem's own."""
    if range_type == "SEMVER":
        return SEMVER_SCHEME
    if range_type == "ECOSYSTEM":
        return ECOSYSTEM_SCHEMES.get(ecosystem.split(":", 1)[0])
    return None


__all__ = ["ECOSYSTEM_SCHEMES", "SEMVER_SCHEME", "Key", "VersionScheme", "scheme_for"]
