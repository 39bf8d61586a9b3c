"""Severity of an advisory: its CVSS vectors scored with `cvss`, else the database's own word.

An advisory with neither is treated as high: a known vulnerability nobody scored is not a low one
(most PyPI advisories carry no vector), and the gate should rather stop than wave it through.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]
from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

from secloop.core.enums import Severity
from secloop.deps.osv import Advisory

UNSCORED = Severity.HIGH
_WORDS = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}
# Newest CVSS version first: it is the one the database most recently stated.
_ORDER = ("CVSS_V4", "CVSS_V3", "CVSS_V2")


@dataclass(frozen=True, slots=True)
class Rated:
    severity: Severity
    source: str  # e.g. "CVSS_V3 9.8", "database: MODERATE", "unscored"
    score: float | None = None


def from_score(score: float) -> Severity:
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


@lru_cache(maxsize=4096)
def cvss_score(kind: str, vector: str) -> float | None:
    try:
        if kind == "CVSS_V4":
            return float(CVSS4(vector).base_score)
        if kind == "CVSS_V3":
            return float(CVSS3(vector).scores()[0])
        if kind == "CVSS_V2":
            return float(CVSS2(vector).scores()[0])
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return None


def rate(advisory: Advisory) -> Rated:
    by_kind = dict(advisory.severity)
    for kind in _ORDER:
        vector = by_kind.get(kind)
        if vector is None:
            continue
        score = cvss_score(kind, vector)
        if score is not None:
            return Rated(from_score(score), f"{kind} {score:.1f}", score)
    word = advisory.fallback_severity.strip().upper()
    if word in _WORDS:
        return Rated(_WORDS[word], f"database: {word}")
    return Rated(UNSCORED, f"unscored (treated as {UNSCORED.value})")
