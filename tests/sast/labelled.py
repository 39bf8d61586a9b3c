"""The labelled SAST set: load the cases, run a detector, score true- and false-positive rates.

A case is one file `<category>/<true|false>_NN_<framework>.py`; `true` means vulnerable. A detector
flags a case when it reports a finding of that category in the file. Shared by the test and
bench/bench_sast.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from secloop.core.model import Finding
from secloop.sast.rules import CATEGORY, FAMILIES

LABELLED = Path(__file__).resolve().parents[1] / "fixtures" / "sast" / "labelled"

#: Bandit tests that speak to a category (the rest are not about request data reaching a sink)
BANDIT_CATEGORY: dict[str, str] = {
    "B608": "SQL", "B610": "SQL", "B611": "SQL",
    "B601": "CMD", "B602": "CMD", "B604": "CMD", "B605": "CMD", "B609": "CMD",
    "B102": "CODE", "B307": "CODE",
    "B202": "PATH",
    "B310": "SSRF",
    "B308": "XSS", "B701": "XSS", "B703": "XSS", "B704": "XSS",
    "B301": "DESERIALIZE", "B302": "DESERIALIZE", "B506": "DESERIALIZE", "B614": "DESERIALIZE",
    "B303": "CRYPTO", "B304": "CRYPTO", "B305": "CRYPTO", "B311": "CRYPTO", "B324": "CRYPTO",
    "B505": "CRYPTO",
}  # fmt: skip
CATEGORIES: tuple[str, ...] = (*FAMILIES, "CRYPTO", "LOGGING")


@dataclass(frozen=True, slots=True)
class Case:
    category: str  # a taint family (SQL, CMD, ...), CRYPTO or LOGGING
    path: str  # relative to LABELLED
    vulnerable: bool


@dataclass(frozen=True, slots=True)
class Score:
    category: str
    tp: int
    fn: int
    fp: int
    tn: int

    @property
    def tpr(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def fpr(self) -> float:
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else 0.0

    @property
    def youden(self) -> float:
        """TPR - FPR: positive means better than chance (the issue's "positive score")."""
        return self.tpr - self.fpr


def cases() -> list[Case]:
    out = []
    for path in sorted(LABELLED.glob("*/*.py")):
        out.append(
            Case(
                path.parent.name.upper(), path.relative_to(LABELLED).as_posix(), path.stem.startswith("true")
            )
        )
    return out


def bandit_category(finding: Finding) -> str | None:
    test = dict(finding.properties).get("bandit_test")
    return BANDIT_CATEGORY.get(test) if test else None


def taint_category(finding: Finding) -> str | None:
    """The category of a finding of secloop's own rules (taint and AST checks)."""
    return CATEGORY.get(finding.rule_id)


def flagged(findings: Iterable[Finding], classify: Callable[[Finding], str | None]) -> set[tuple[str, str]]:
    """(path, category) pairs the findings flag."""
    return {
        (f.primary.path, category)
        for f in findings
        if f.primary is not None and (category := classify(f)) is not None
    }


def score(all_cases: Iterable[Case], hits: set[tuple[str, str]]) -> list[Score]:
    """One score per category, then "ALL" over every case."""
    per: dict[str, list[int]] = {}
    for case in all_cases:
        counts = per.setdefault(case.category, [0, 0, 0, 0])
        hit = (case.path, case.category) in hits
        index = (0 if hit else 1) if case.vulnerable else (2 if hit else 3)
        counts[index] += 1
        total = per.setdefault("ALL", [0, 0, 0, 0])
        total[index] += 1
    order = [*CATEGORIES, "ALL"]
    return [Score(c, *per[c]) for c in order if c in per]
