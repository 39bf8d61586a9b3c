"""The evaluator seam: one function per practice, reading the repository and returning a result.

Evaluators that need an engine which does not exist yet return `unknown` with the reason; the engine
issues replace them with engine-backed evaluators registered under the same practice id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from secloop.core.config import Config
from secloop.core.enums import Status
from secloop.core.model import Finding, PracticeResult, Skipped
from secloop.practices.catalog import Practice
from secloop.sources.repo import Repo

_DEFAULT_SCORE = {
    Status.PASS: 100,
    Status.PARTIAL: 50,
    Status.FAIL: 0,
    Status.UNKNOWN: 0,
    Status.NOT_APPLICABLE: 100,
}


@dataclass(frozen=True)
class Context:
    repo: Repo
    config: Config
    practice: Practice

    def result(
        self,
        status: Status,
        summary: str,
        evidence: Iterable[str] = (),
        findings: Sequence[Finding] = (),
        skipped: Sequence[Skipped] = (),
        score: int | None = None,
    ) -> PracticeResult:
        return PracticeResult(
            practice_id=self.practice.id,
            stage=self.practice.stage,
            status=status,
            score=_DEFAULT_SCORE[status] if score is None else score,
            summary=summary,
            evidence=tuple(evidence),
            findings=tuple(sorted(findings, key=Finding.sort_key)),
            skipped=tuple(skipped),
        )

    def unknown(self, reason: str, evidence: Iterable[str] = ()) -> PracticeResult:
        return self.result(Status.UNKNOWN, reason, evidence)


Evaluator = Callable[[Context], PracticeResult]
