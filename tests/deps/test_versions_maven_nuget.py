"""Maven (ComparableVersion) and NuGet orderings, on the orderings their own documentation gives."""

from __future__ import annotations

import pytest

from secloop.deps.versions import maven, nuget, scheme_for

MAVEN_ASCENDING = [
    "1-alpha-1",
    "1-alpha-2",
    "1-beta-1",
    "1-milestone-1",
    "1-rc-1",
    "1-snapshot",
    "1",
    "1-sp",
    "1-sp-1",
    "1.0.1",
    "1.1",
    "1.2-SNAPSHOT",
    "1.2",
    "1.10",
    "2.0-alpha1",
    "2.0",
]


def test_maven_orders_qualifiers_and_numbers() -> None:
    keys = [maven.parse(v) for v in MAVEN_ASCENDING]
    assert all(k is not None for k in keys)
    shuffled = list(reversed(MAVEN_ASCENDING))
    assert sorted(shuffled, key=lambda v: maven.parse(v)) == MAVEN_ASCENDING  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1", "1.0"),
        ("1.0", "1.0.0"),
        ("1-ga", "1"),
        ("1.ga", "1-0"),
        ("1-final", "1"),
        ("1-cr-1", "1-rc-1"),
        ("1-a1", "1-alpha-1"),
        ("1.0-B2", "1.0-beta-2"),
        ("1-M3", "1-milestone-3"),
        ("1.0-RELEASE", "1.0"),
    ],
)
def test_maven_equal_spellings(a: str, b: str) -> None:
    assert maven.parse(a) == maven.parse(b)


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("1-foo2", "1-foo10"),
        ("1-sp", "1-xyz"),
        ("1.foo", "1-1"),
        ("1-1", "1.1"),
        ("2.17.0", "2.17.1"),
        ("2.14.1", "2.15.0-rc1"),
        ("2.15.0-rc1", "2.15.0"),
    ],
)
def test_maven_strict_order(lower: str, higher: str) -> None:
    low, high = maven.parse(lower), maven.parse(higher)
    assert low is not None and high is not None
    assert low < high and not high < low


def test_maven_prereleases_and_invalid() -> None:
    assert [
        maven.SCHEME.is_prerelease(v) for v in ("2.0-alpha1", "1.2-SNAPSHOT", "1.0-RC2", "1.0", "1-sp1")
    ] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert maven.parse("") is None and maven.parse("1 .0") is None


def test_nuget_four_parts_prerelease_and_metadata() -> None:
    ascending = [
        "1.0.0-alpha",
        "1.0.0-alpha.2",
        "1.0.0-alpha.10",
        "1.0.0-Beta",
        "1.0.0",
        "1.0.0.1",
        "1.0.1",
        "1.10.0",
    ]
    shuffled = [ascending[i] for i in (4, 0, 7, 2, 6, 1, 5, 3)]
    assert sorted(shuffled, key=lambda v: nuget.parse(v)) == ascending  # type: ignore[arg-type, return-value]
    assert nuget.parse("1.0") == nuget.parse("1.0.0.0") == nuget.parse("1.0.0+build.7")
    assert nuget.parse("1.0.0-RC.1") == nuget.parse("1.0.0-rc.1")
    assert nuget.SCHEME.is_prerelease("6.0.0-preview.3") and not nuget.SCHEME.is_prerelease("6.0.0")
    assert nuget.parse("1.0.0.0.0") is None and nuget.parse("one") is None


def test_ecosystem_ranges_use_the_new_schemes() -> None:
    assert scheme_for("Maven", "ECOSYSTEM") is maven.SCHEME
    assert scheme_for("NuGet", "ECOSYSTEM") is nuget.SCHEME
