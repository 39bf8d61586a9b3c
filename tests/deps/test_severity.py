"""Severity from CVSS v4/v3 vectors (scored by `cvss`), the database's word, or unscored = high."""

from __future__ import annotations

import pytest

from secloop.core.enums import Severity
from secloop.deps.db import AdvisoryDB
from secloop.deps.osv import Advisory
from secloop.deps.severity import Rated, from_score, rate


def advisory(severity: tuple[tuple[str, str], ...] = (), word: str = "") -> Advisory:
    return Advisory("TEST-1", (), "", "", "", severity, word)


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (10.0, Severity.CRITICAL),
        (9.0, Severity.CRITICAL),
        (8.9, Severity.HIGH),
        (7.0, Severity.HIGH),
        (6.9, Severity.MEDIUM),
        (4.0, Severity.MEDIUM),
        (3.9, Severity.LOW),
        (0.1, Severity.LOW),
        (0.0, Severity.INFO),
    ],
)
def test_score_thresholds(score: float, expected: Severity) -> None:
    assert from_score(score) is expected


def test_cvss_v3_vector_is_scored() -> None:
    rated = rate(advisory((("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),)))
    assert rated == Rated(Severity.HIGH, "CVSS_V3 7.5", 7.5)


def test_cvss_v4_is_preferred_over_v3() -> None:
    rated = rate(
        advisory(
            (
                ("CVSS_V3", "CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:N"),
                ("CVSS_V4", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            )
        )
    )
    assert rated == Rated(Severity.CRITICAL, "CVSS_V4 9.3", 9.3)


def test_database_word_is_the_fallback_and_a_broken_vector_is_ignored() -> None:
    assert rate(advisory(word="MODERATE")) == Rated(Severity.MEDIUM, "database: MODERATE")
    assert rate(advisory((("CVSS_V3", "CVSS:3.1/AV:Z"),), word="low")) == Rated(Severity.LOW, "database: LOW")


def test_unscored_counts_as_high() -> None:
    assert rate(advisory()) == Rated(Severity.HIGH, "unscored (treated as high)")


def test_real_records_from_the_fixture_database(db: AdvisoryDB) -> None:
    (mkdocs,) = db.lookup("PyPI", "mkdocs")
    assert rate(mkdocs.advisory) == Rated(Severity.HIGH, "CVSS_V3 7.5", 7.5)
    (uuid,) = db.lookup("PyPI", "cdo-local-uuid")
    assert rate(uuid.advisory) == Rated(Severity.LOW, "CVSS_V3 2.8", 2.8)
    (chat,) = db.lookup("PyPI", "chuanhuchatgpt")
    assert rate(chat.advisory) == Rated(Severity.MEDIUM, "CVSS_V3 6.1", 6.1)
