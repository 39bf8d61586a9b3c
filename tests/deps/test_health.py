"""Cooldown, freshness and health rules on fixed registry answers, with hand-computed figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from secloop.core.enums import Severity
from secloop.core.model import Finding, Skipped
from secloop.deps.db import AdvisoryDB
from secloop.deps.health import HealthReport, assess_health
from secloop.deps.model import NPM, PYPI, Package, package
from secloop.deps.registry import Lookup, Missing, PackageInfo, parse_npm, parse_pypi
from secloop.deps.registry_check import security_fix_from
from secloop.deps.settings import Policy
from tests.deps.conftest import REGISTRY_FIXTURES

NOW = datetime(2026, 6, 1, tzinfo=UTC)
LOCKED = datetime(2026, 5, 30, tzinfo=UTC)


def info(ecosystem: str, name: str, downloads: int | None = None) -> PackageInfo:
    if ecosystem == PYPI:
        data = json.loads((REGISTRY_FIXTURES / "pypi" / f"{name}.json").read_text())
        return parse_pypi(name, data, "fixture", NOW)
    data = json.loads((REGISTRY_FIXTURES / "npm" / f"{name.replace('/', '%2F')}.json").read_text())
    parsed = parse_npm(name, data, "fixture", NOW)
    return PackageInfo(
        parsed.ecosystem,
        parsed.name,
        parsed.releases,
        parsed.latest,
        parsed.inactive,
        parsed.maintainers,
        parsed.repository,
        downloads,
        parsed.source,
        parsed.fetched_at,
    )


def run(
    pkgs: list[Package],
    lookups: dict[tuple[str, str], Lookup],
    policy: Policy | None = None,
    db: AdvisoryDB | None = None,
) -> HealthReport:
    return assess_health(
        pkgs,
        lookups,
        {"requirements.txt": LOCKED, "package-lock.json": LOCKED},
        NOW,
        policy or Policy(),
        security_fix_from(db),
    )


def brief(findings: tuple[Finding, ...]) -> list[tuple[str, str, str]]:
    return [(f.rule_id, str(f.locations[0]), f.message) for f in findings]


def test_cooldown_flags_a_pin_published_days_before_the_lock() -> None:
    pin = package(PYPI, "examplepkg", "2.0.0", "requirements.txt", 3, direct=True)
    report = run([pin], {(PYPI, "examplepkg"): info(PYPI, "examplepkg")})
    assert brief(report.cooldown) == [
        (
            "DEP-COOLDOWN",
            "requirements.txt:3",
            "examplepkg 2.0.0 was published 2026-05-25, 4 day(s) before the lockfile was committed "
            "(2026-05-30): inside the 14-day cooldown; whether it fixes a high or critical advisory is "
            "unknown (no advisory database)",
        )
    ]
    assert report.cooldown[0].severity is Severity.MEDIUM
    assert report.cooldown[0].fix == "pin examplepkg 1.9.1 until 2.0.0 is 14 days old (2026-06-08)"


def test_cooldown_passes_an_older_pin_and_honours_the_configured_days() -> None:
    pin = package(PYPI, "examplepkg", "2.0.0", "requirements.txt", 3, direct=True)
    lookups: dict[tuple[str, str], Lookup] = {(PYPI, "examplepkg"): info(PYPI, "examplepkg")}
    assert run([pin], lookups, Policy(cooldown_days=3)).cooldown == ()
    older = package(PYPI, "examplepkg", "1.9.0", "requirements.txt", 3, direct=True)
    assert run([older], lookups).cooldown == ()


def test_cooldown_exempts_a_pin_that_fixes_a_critical_advisory(db: AdvisoryDB) -> None:
    # TEST-NPM-1 (CVSS 9.8) affects lodash < 4.17.21: 4.17.21, five days old when locked, is the fix.
    pin = package(NPM, "lodash", "4.17.21", "package-lock.json", 7, direct=True)
    lodash = info(NPM, "lodash", 50_000_000)
    locked = {"package-lock.json": datetime(2021, 2, 25, tzinfo=UTC)}
    report = assess_health([pin], {(NPM, "lodash"): lodash}, locked, NOW, Policy(), security_fix_from(db))
    assert report.cooldown == ()
    assert report.exempt == (
        "lodash 4.17.21: inside the cooldown, but it fixes TEST-NPM-1 (high or critical) of 4.17.20",
    )
    # The database covers PyPI but no advisory affects examplepkg 1.9.1: no exemption, and no doubt.
    pin = package(PYPI, "examplepkg", "2.0.0", "requirements.txt", 3, direct=True)
    flagged = run([pin], {(PYPI, "examplepkg"): info(PYPI, "examplepkg")}, db=db)
    assert [f.message for f in flagged.cooldown] == [
        "examplepkg 2.0.0 was published 2026-05-25, 4 day(s) before the lockfile was committed (2026-05-30): "
        "inside the 14-day cooldown"
    ]


def test_freshness_counts_releases_behind_and_libyears_and_flags_a_direct_pin() -> None:
    direct = package(PYPI, "PyYAML", "5.3.1", "requirements.txt", 1, direct=True)
    report = run([direct], {(PYPI, "pyyaml"): info(PYPI, "pyyaml")})
    (row,) = report.rows
    # 6.0.3rc1 (a pre-release, and inside the cooldown) is not a target.
    assert (row.behind, row.newest.version if row.newest else None, row.libyears) == (5, "6.0.2", 4.39)
    assert brief(report.freshness) == [
        (
            "DEP-OUTDATED",
            "requirements.txt:1",
            "pyyaml 5.3.1 (2020-03-18) is 5 release(s) behind 6.0.2 (2024-08-06), 1601 days newer; "
            "4.39 libyears",
        )
    ]
    assert report.libyears == 4.39


def test_freshness_does_not_flag_transitive_or_recent_gaps() -> None:
    transitive = package(PYPI, "PyYAML", "5.3.1", "requirements.txt", 1, direct=False)
    assert run([transitive], {(PYPI, "pyyaml"): info(PYPI, "pyyaml")}).freshness == ()
    newest = package(PYPI, "PyYAML", "6.0.1", "requirements.txt", 1, direct=True)
    report = run([newest], {(PYPI, "pyyaml"): info(PYPI, "pyyaml")}, Policy(update_days=400))
    assert (report.rows[0].behind, report.freshness) == (1, ())


def test_health_unmaintained_inactive_yanked_deprecated_little_used() -> None:
    pins = [
        package(PYPI, "oldpkg", "1.0", "requirements.txt", 1, direct=True),
        package(PYPI, "inactivepkg", "3.1", "requirements.txt", 2, direct=True),
        package(PYPI, "examplepkg", "1.9.1", "requirements.txt", 3, direct=True),
        package(NPM, "left-pad", "1.3.0", "package-lock.json", 4, direct=True),
        package(NPM, "@scope/tiny-lib", "0.1.0", "package-lock.json", 5, direct=True),
    ]
    lookups: dict[tuple[str, str], Lookup] = {
        (PYPI, "oldpkg"): info(PYPI, "oldpkg"),
        (PYPI, "inactivepkg"): info(PYPI, "inactivepkg"),
        (PYPI, "examplepkg"): info(PYPI, "examplepkg"),
        (NPM, "left-pad"): info(NPM, "left-pad", 2_500_000),
        (NPM, "@scope/tiny-lib"): info(NPM, "@scope/tiny-lib", 12),
    }
    report = run(pins, lookups)
    assert brief(report.health) == [
        (
            "DEP-UNMAINTAINED",
            "package-lock.json:4",
            "left-pad is no longer maintained: deprecated: use String.prototype.padStart()",
        ),
        (
            "DEP-YANKED",
            "package-lock.json:4",
            "left-pad 1.3.0 is deprecated on npm: 'use String.prototype.padStart()'",
        ),
        (
            "DEP-LITTLE-USED",
            "package-lock.json:5",
            "@scope/tiny-lib has 12 downloads a week (npm downloads API), fewer than 1,000",
        ),
        (
            "DEP-UNMAINTAINED",
            "requirements.txt:1",
            "oldpkg has had no release for 2310 days (last: 2020-02-02); the limit is 730",
        ),
        (
            "DEP-UNMAINTAINED",
            "requirements.txt:2",
            "inactivepkg is no longer maintained: classifier 'Development Status :: 7 - Inactive'",
        ),
        ("DEP-YANKED", "requirements.txt:3", "examplepkg 1.9.1 is yanked on PyPI"),
    ]


def test_healthy_packages_raise_nothing_and_missing_metadata_is_listed() -> None:
    pins = [
        package(NPM, "lodash", "4.17.21", "package-lock.json", 2, direct=True),
        package(PYPI, "requests", "2.32.3", "requirements.txt", 1, direct=True),
    ]
    report = run(
        pins,
        {
            (NPM, "lodash"): info(NPM, "lodash", 50_000_000),
            (PYPI, "requests"): Missing(
                PYPI, "requests", "no cached PyPI metadata and registry access is off"
            ),
        },
        Policy(unmaintained_days=3650),  # lodash's last release (2021-02-20) is older than two years
    )
    assert (report.cooldown, report.freshness, report.health, report.checked) == ((), (), (), 1)
    assert report.missing == (
        Skipped(
            "requirements.txt",
            "1 package(s) without registry metadata: no cached PyPI metadata and registry access is off",
        ),
    )
