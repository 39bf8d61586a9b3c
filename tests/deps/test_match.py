"""Exact OSV semantics: sorted events, introduced "0", fixed, last_affected, limit, versions lists."""

from __future__ import annotations

from secloop.deps.db import AdvisoryDB
from secloop.deps.match import Verdict, evaluate, minimal_fix, ranges_affect
from secloop.deps.osv import Advisory, Affected, Range
from secloop.deps.vulns import canonical_id, merge_aliases, vulnerabilities

Events = tuple[tuple[str, str], ...]


def affected(*ranges: tuple[str, Events], versions: tuple[str, ...] = (), ident: str = "TEST-1") -> Affected:
    advisory = Advisory(ident, (), "", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", (), "")
    return Affected(advisory, tuple(Range(t, ev) for t, ev in ranges), frozenset(versions))


def hits(ecosystem: str, item: Affected, versions: list[str]) -> list[str]:
    return [v for v in versions if evaluate(ecosystem, v, item).affected]


def test_introduced_zero_and_fixed() -> None:
    item = affected(("ECOSYSTEM", (("introduced", "0"), ("fixed", "5.4"))))
    assert hits("PyPI", item, ["0.1", "5.3.1", "5.4", "5.4.1", "6.0"]) == ["0.1", "5.3.1"]


def test_events_are_sorted_before_evaluation() -> None:
    # Listed out of order: evaluated as listed, 3.0.5 would end "not affected" after `fixed: 1.5`.
    item = affected(
        ("ECOSYSTEM", (("introduced", "3.0"), ("fixed", "3.1"), ("introduced", "1.0"), ("fixed", "1.5")))
    )
    assert hits("PyPI", item, ["0.9", "1.0", "1.4", "1.5", "2.0", "3.0", "3.0.5", "3.1"]) == [
        "1.0",
        "1.4",
        "3.0",
        "3.0.5",
    ]


def test_last_affected_is_inclusive() -> None:
    item = affected(("ECOSYSTEM", (("introduced", "0"), ("last_affected", "1.11.0"))))
    assert hits("PyPI", item, ["1.10.0", "1.11.0", "1.11.1"]) == ["1.10.0", "1.11.0"]


def test_limit_bounds_the_range_and_star_is_no_limit() -> None:
    limited = affected(("SEMVER", (("introduced", "1.0.0"), ("limit", "1.3.0"))))
    assert hits("npm", limited, ["0.9.0", "1.0.0", "1.2.9", "1.3.0", "2.0.0"]) == ["1.0.0", "1.2.9"]
    two = affected(("SEMVER", (("introduced", "1.0.0"), ("limit", "1.3.0"), ("limit", "2.5.0"))))
    assert hits("npm", two, ["1.3.0", "2.4.0", "2.5.0"]) == ["1.3.0", "2.4.0"]
    star = affected(("SEMVER", (("introduced", "1.0.0"), ("limit", "*"))))
    assert hits("npm", star, ["0.9.0", "1.0.0", "99.0.0"]) == ["1.0.0", "99.0.0"]


def test_ties_keep_adjacent_ranges_affected_and_single_point_ranges() -> None:
    adjacent = affected(
        ("ECOSYSTEM", (("introduced", "0"), ("fixed", "3.1.1"), ("introduced", "3.1.1"), ("fixed", "3.1.3")))
    )
    assert hits("PyPI", adjacent, ["3.1.0", "3.1.1", "3.1.2", "3.1.3"]) == ["3.1.0", "3.1.1", "3.1.2"]
    point = affected(("ECOSYSTEM", (("introduced", "2.0"), ("last_affected", "2.0"))))
    assert hits("PyPI", point, ["1.9", "2.0", "2.0.1"]) == ["2.0"]


def test_semver_range_orders_prereleases() -> None:
    item = affected(("SEMVER", (("introduced", "0"), ("fixed", "2.0.0-rc.2"))))
    assert hits("npm", item, ["1.9.9", "2.0.0-rc.1", "2.0.0-rc.2", "2.0.0"]) == ["1.9.9", "2.0.0-rc.1"]


def test_versions_list_matches_exactly_even_where_ranges_cannot() -> None:
    git_only = affected(("GIT", (("introduced", "0"), ("fixed", "a" * 40))), versions=("1.0", "0.7.1.fix1"))
    assert evaluate("PyPI", "1.0", git_only) == Verdict(True)
    assert evaluate("PyPI", "0.7.1.fix1", git_only) == Verdict(True)
    assert evaluate("PyPI", "1.1", git_only) == Verdict(False)
    assert ranges_affect("PyPI", "1.0", git_only) is False


def test_undecidable_is_unknown_with_the_reason_never_not_affected() -> None:
    bad_event = affected(("ECOSYSTEM", (("introduced", "0"), ("fixed", "not a version!"))), ident="TEST-BAD")
    assert evaluate("PyPI", "1.0", bad_event) == Verdict(
        None, "range event fixed 'not a version!' is not a PEP 440 version"
    )
    item = affected(("ECOSYSTEM", (("introduced", "0"), ("fixed", "2.0"))))
    assert evaluate("PyPI", "0.7.4.svn.r2010", item) == Verdict(
        None, "version '0.7.4.svn.r2010' is not a valid PEP 440 version"
    )
    assert evaluate("Hex", "1.0", item) == Verdict(
        None, "no version ordering for ECOSYSTEM ranges of Hex yet"
    )
    # One decidable range that affects the version is enough.
    mixed = affected(
        ("ECOSYSTEM", (("introduced", "0"), ("fixed", "x!"))), ("SEMVER", (("introduced", "0"),))
    )
    assert evaluate("PyPI", "1.0.0", mixed) == Verdict(True)


def test_minimal_fix_prefers_final_releases_the_advisories_name(db: AdvisoryDB) -> None:
    entries = db.lookup("PyPI", "pyyaml")
    by_id = {e.advisory.id: e for e in entries}
    # PYSEC-2020-176 is fixed in 5.2b1; 5.2 (listed by PYSEC-2020-96) is the first final release after it.
    assert minimal_fix("PyPI", "5.1", [by_id["PYSEC-2020-176"]]) == "5.2b1"
    assert minimal_fix("PyPI", "5.1", [by_id["PYSEC-2020-176"]], entries) == "5.2"
    assert minimal_fix("PyPI", "5.1", entries) == "5.4"
    assert minimal_fix("PyPI", "5.3.1", [by_id["PYSEC-2021-142"]]) == "5.4"
    unfixed = affected(("ECOSYSTEM", (("introduced", "0"),)))
    assert minimal_fix("PyPI", "1.0", [unfixed]) is None


def test_aliases_merge_into_one_vulnerability(db: AdvisoryDB) -> None:
    entries = db.lookup("npm", "lodash")
    assert sorted(e.advisory.id for e in entries) == ["GHSA-test-0000-0001", "TEST-NPM-1"]
    groups = merge_aliases(entries)
    assert [[e.advisory.id for e in g] for g in groups] == [["GHSA-test-0000-0001", "TEST-NPM-1"]]
    vulns, problems = vulnerabilities("npm", "lodash", "4.17.19", entries)
    assert problems == []
    assert [
        (v.id, v.records, v.aliases, v.rated.severity.value, v.rated.source, v.fixed, v.upgrade)
        for v in vulns
    ] == [
        (
            "GHSA-test-0000-0001",
            ("GHSA-test-0000-0001", "TEST-NPM-1"),
            ("CVE-2099-1001",),
            "critical",
            "CVSS_V3 9.8",
            "4.17.21",
            "4.17.21",
        )
    ]
    only_one, _ = vulnerabilities("npm", "lodash", "4.17.20", entries)
    assert [(v.id, v.records, v.aliases) for v in only_one] == [
        ("TEST-NPM-1", ("TEST-NPM-1",), ("CVE-2099-1001",))
    ]
    assert vulnerabilities("npm", "lodash", "4.17.21", entries) == ([], [])


def test_canonical_id_prefers_ghsa_then_pysec_then_others_then_cve() -> None:
    assert canonical_id(["CVE-2020-14343", "PYSEC-2021-142", "GHSA-8q59-q68h-6hv4"]) == "GHSA-8q59-q68h-6hv4"
    assert canonical_id(["CVE-2020-14343", "PYSEC-2021-142"]) == "PYSEC-2021-142"
    assert canonical_id(["CVE-2020-1", "RUSTSEC-2020-1"]) == "RUSTSEC-2020-1"
