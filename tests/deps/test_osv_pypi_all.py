"""THE correctness goal: over the real PyPI export, range evaluation agrees with every advisory's own
`versions` list for every listed version (140,847 pairs), except the cases documented below."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from packaging.version import InvalidVersion, Version

from secloop.deps.db import AdvisoryDB, import_osv
from secloop.deps.match import ranges_affect
from secloop.deps.osv import entries_of, to_affected
from tests.deps.conftest import pypi_all

# Every pair where the ranges say "not affected" although the record lists the version, with why.
DOCUMENTED: dict[tuple[str, str], str] = {
    # Pre-releases: under PEP 440 3.2a1 < 3.2, so `introduced: "3.2"` starts after them; the
    # record's versions list (computed from git tags) includes them anyway.
    **{
        ("PYSEC-2023-61", v): "Django pre-release sorts before `introduced: 3.2` / `4.2` (PEP 440)"
        for v in ("3.2a1", "3.2b1", "3.2rc1", "4.2a1", "4.2b1", "4.2rc1")
    },
    # The list goes past the range: gevent 23.9.0 is `fixed`, yet 23.9.0 and its post-release are
    # listed (the list comes from the GIT range, whose fix commit is after the 23.9.0 tag).
    ("PYSEC-2023-177", "23.9.0"): "listed version equals `fixed: 23.9.0`: the record contradicts itself",
    ("PYSEC-2023-177", "23.9.0.post1"): "post-release of the fixed version, listed from the GIT range",
    # No ECOSYSTEM range at all: only a GIT range, so only the versions list can match.
    ("PYSEC-2024-1", "0.5"): "the record has only a GIT range; its versions list is the only statement",
    # Two overlapping ranges in one events array ([0, 2.11.6) and [2.11, 2.11.7)): the schema's
    # evaluation of the sorted events closes at `fixed: 2.11.6` although the second range continues.
    (
        "PYSEC-2021-114",
        "2.11.6",
    ): "overlapping ranges in one events array; the sorted evaluation closes early",
}
# Versions that are not PEP 440 (legacy version strings): ranges cannot order them, so the answer is
# "unknown" (never "not affected") and only the versions list matches them. Count per advisory.
NOT_PEP440 = {
    "PYSEC-2006-1": 1,
    "PYSEC-2008-3": 1,
    "PYSEC-2008-8": 8,
    "PYSEC-2015-24": 2,
    "PYSEC-2015-25": 2,
    "PYSEC-2017-103": 1,
    "PYSEC-2017-41": 1,
    "PYSEC-2017-46": 2,
    "PYSEC-2017-47": 2,
    "PYSEC-2018-100": 21,
    "PYSEC-2018-114": 2,
    "PYSEC-2018-115": 2,
    "PYSEC-2018-19": 8,
    "PYSEC-2019-102": 16,
    "PYSEC-2019-106": 1,
    "PYSEC-2019-126": 1,
    "PYSEC-2019-6": 10,
    "PYSEC-2020-341": 1,
    "PYSEC-2021-121": 1,
    "PYSEC-2021-338": 2,
    "PYSEC-2021-356": 1,
    "PYSEC-2021-859": 1,
    "PYSEC-2022-12": 2,
    "PYSEC-2022-166": 8,
    "PYSEC-2022-288": 7,
    "PYSEC-2022-5": 1,
    "PYSEC-2023-17": 2,
    "PYSEC-2023-22": 1,
}


def _valid(version: str) -> bool:
    try:
        Version(version)
    except InvalidVersion:
        return False
    return True


def test_ranges_agree_with_every_listed_version() -> None:
    pairs = 0
    disagree: dict[tuple[str, str], bool | None] = {}
    with zipfile.ZipFile(pypi_all()) as archive:
        for name in archive.namelist():
            record = json.loads(archive.read(name))
            for ecosystem, _, entry in entries_of(record):
                item = to_affected(entry)
                for version in entry[8]:
                    pairs += 1
                    answer = ranges_affect(ecosystem, version, item)
                    if answer is not True:
                        disagree[(item.advisory.id, version)] = answer
    assert pairs == 140_847
    undecided = {pair for pair, answer in disagree.items() if answer is None}
    assert all(not _valid(version) for _, version in undecided)
    per_advisory: dict[str, int] = {}
    for advisory_id, _ in undecided:
        per_advisory[advisory_id] = per_advisory.get(advisory_id, 0) + 1
    assert per_advisory == NOT_PEP440
    assert {pair for pair, answer in disagree.items() if answer is False} == set(DOCUMENTED)


def test_the_real_export_imports_and_matches_pyyaml(tmp_path: Path) -> None:
    report = import_osv(pypi_all(), tmp_path / "db")
    (eco,) = report.imported
    assert (eco.name, eco.advisories, eco.withdrawn, eco.packages) == ("PyPI", 2651, 10, 660)
    assert eco.newest_modified == "2024-10-10T17:22:00.587279Z"
    assert report.problems == ()
    db = AdvisoryDB.open(tmp_path / "db")
    from secloop.deps.vulns import vulnerabilities

    vulns, problems = vulnerabilities("PyPI", "pyyaml", "5.3.1", db.lookup("PyPI", "pyyaml"))
    assert problems == []
    assert [(v.id, v.records, v.aliases, v.fixed, v.upgrade) for v in vulns] == [
        ("GHSA-8q59-q68h-6hv4", ("PYSEC-2021-142",), ("CVE-2020-14343",), "5.4", "5.4")
    ]
