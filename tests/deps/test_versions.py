"""Version ordering per ecosystem: PEP 440, SemVer 2.0.0, RubyGems and Composer."""

from __future__ import annotations

import pytest

from secloop.deps.versions import (
    ECOSYSTEM_SCHEMES,
    SEMVER_SCHEME,
    VersionScheme,
    composer,
    pep440,
    rubygems,
    scheme_for,
    semver,
)


def _ascending(scheme: VersionScheme, versions: list[str]) -> list[tuple[str, str]]:
    """Adjacent pairs that are NOT strictly ascending (empty when the order holds)."""
    keys = [scheme.key(v) for v in versions]
    assert all(k is not None for k in keys), [v for v, k in zip(versions, keys, strict=True) if k is None]
    return [(versions[i], versions[i + 1]) for i in range(len(versions) - 1) if not keys[i] < keys[i + 1]]  # type: ignore[operator]


def test_semver_precedence_follows_section_11() -> None:
    # The example chain of the SemVer 2.0.0 specification, then releases.
    chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.9.0",
        "1.10.0",
        "2.0.0",
    ]
    assert _ascending(semver.SCHEME, chain) == []


def test_semver_ignores_build_metadata_and_accepts_go_prefixes() -> None:
    assert semver.parse("1.0.0+build.5") == semver.parse("1.0.0")
    assert semver.parse("v2.3.4") == semver.parse("2.3.4")
    assert semver.parse("2.0.0+incompatible") == semver.parse("2.0.0")
    # Go pseudo-versions are pre-releases of the next patch and sort by their timestamp.
    assert (
        _ascending(
            semver.SCHEME, ["0.0.0-20190101000000-abcdefabcdef", "0.0.0-20200101000000-abcdefabcdef", "0.0.0"]
        )
        == []
    )


@pytest.mark.parametrize("text", ["1.0", "1", "1.0.0.0", "a.b.c", "1.0.0-", "1.0.0-beta..1", ""])
def test_semver_rejects_non_semver(text: str) -> None:
    assert semver.parse(text) is None


def test_semver_prerelease_flag() -> None:
    assert semver.SCHEME.is_prerelease("1.0.0-rc.1")
    assert not semver.SCHEME.is_prerelease("1.0.0+build")


def test_pep440_ordering_and_invalid_versions() -> None:
    chain = ["1.0.dev1", "1.0a1", "1.0b2", "1.0rc1", "1.0", "1.0.post1", "1.0.1", "1.10", "2!0.1"]
    assert _ascending(pep440.SCHEME, chain) == []
    assert pep440.SCHEME.key("1.0") == pep440.SCHEME.key("1.0.0")
    assert pep440.SCHEME.key("0.7.1.fix1") is None
    assert pep440.SCHEME.is_prerelease("5.2b1")
    assert not pep440.SCHEME.is_prerelease("5.4")


def test_rubygems_ordering() -> None:
    chain = ["1.0.a", "1.0.b1", "1.0.0.rc1", "1.0", "1.0.1", "1.1.pre", "1.1", "1.9", "1.10"]
    assert _ascending(rubygems.SCHEME, chain) == []
    assert rubygems.parse("1.0") == rubygems.parse("1.0.0")
    assert rubygems.parse("1.0.0-rc1") == rubygems.parse("1.0.0.pre.rc1")
    assert rubygems.parse("not-a-version") is None


def test_composer_ordering() -> None:
    chain = [
        "1.0.0-dev",
        "1.0.0-alpha1",
        "1.0.0-alpha2",
        "1.0.0-beta1",
        "1.0.0-RC1",
        "1.0.0",
        "1.0.0-patch1",
        "1.0.1",
        "1.2",
        "v1.10.0",
    ]
    assert _ascending(composer.SCHEME, chain) == []
    assert composer.parse("v2.0.0") == composer.parse("2.0.0.0")
    assert composer.SCHEME.is_prerelease("1.0.0-beta1")
    assert not composer.SCHEME.is_prerelease("1.0.0")
    assert composer.parse("dev-main") is None


def test_scheme_per_range_type() -> None:
    assert scheme_for("npm", "SEMVER") is SEMVER_SCHEME
    assert scheme_for("PyPI", "SEMVER") is SEMVER_SCHEME
    assert scheme_for("PyPI", "ECOSYSTEM") is pep440.SCHEME
    assert scheme_for("Packagist:https://packages.drupal.org/8", "ECOSYSTEM") is composer.SCHEME
    assert scheme_for("Hex", "ECOSYSTEM") is None
    assert scheme_for("PyPI", "GIT") is None
    assert set(ECOSYSTEM_SCHEMES) == {
        "PyPI",
        "npm",
        "crates.io",
        "Go",
        "RubyGems",
        "Packagist",
        "Maven",
        "NuGet",
    }
