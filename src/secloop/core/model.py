"""Frozen, typed values that travel between layers. No dicts cross a layer boundary."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from secloop.core.enums import BaselineState, Confidence, Severity, Stage, Status


@dataclass(frozen=True, slots=True)
class Location:
    path: str
    start_line: int | None = None
    start_column: int | None = None
    end_line: int | None = None
    end_column: int | None = None
    commit: str | None = None
    blob: str | None = None
    snippet: str | None = None

    def __str__(self) -> str:
        text = self.path
        if self.start_line is not None:
            text += f":{self.start_line}"
            if self.start_column is not None:
                text += f":{self.start_column}"
        return text


@dataclass(frozen=True, slots=True)
class Suppression:
    """Why a finding does not count: where the suppression came from and until when."""

    kind: str  # "inline" | "config" | "baseline"
    reason: str
    expires: date | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    severity: Severity
    confidence: Confidence
    message: str
    locations: tuple[Location, ...]
    fingerprint: str
    properties: tuple[tuple[str, str], ...] = ()
    fix: str | None = None
    suppression: Suppression | None = None
    baseline_state: BaselineState = BaselineState.NEW

    @property
    def primary(self) -> Location | None:
        return self.locations[0] if self.locations else None

    @property
    def active(self) -> bool:
        """A finding counts for the gate when it is neither suppressed nor already in the baseline."""
        return self.suppression is None and self.baseline_state is BaselineState.NEW

    def with_policy(self, suppression: Suppression | None, state: BaselineState) -> Finding:
        return replace(self, suppression=suppression, baseline_state=state)

    def sort_key(self) -> tuple[str, int, int, str, str]:
        loc = self.primary
        return (
            loc.path if loc else "",
            (loc.start_line or 0) if loc else 0,
            (loc.start_column or 0) if loc else 0,
            self.rule_id,
            self.fingerprint,
        )


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something an engine could not read or check, shown to the user with the reason."""

    path: str
    reason: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class PracticeResult:
    practice_id: str
    stage: Stage
    status: Status
    score: int
    summary: str
    evidence: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.score <= 100:
            raise ValueError(f"score {self.score} out of range for {self.practice_id}")


@dataclass(frozen=True, slots=True)
class Metric:
    """A named measurement with its definition; value None means it could not be measured."""

    id: str
    title: str
    value: float | None
    unit: str
    definition: str
    reason: str | None = None
    tier: str | None = None
    samples: int = 0


@dataclass(frozen=True, slots=True)
class NextStep:
    practice_id: str
    title: str
    stage: Stage
    status: Status
    effort: str
    impact: str
    why: str


@dataclass(frozen=True, slots=True)
class Assessment:
    target: str
    commit: str | None
    created_at: datetime
    tool_version: str
    config_digest: str
    results: tuple[PracticeResult, ...]
    metrics: tuple[Metric, ...] = ()
    metrics_reason: str | None = None
    snapshots: tuple[tuple[str, str], ...] = ()
    next_steps: tuple[NextStep, ...] = ()
    skipped: tuple[Skipped, ...] = field(default=())
    gate: GateOutcome | None = None

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for r in self.results for f in r.findings)


@dataclass(frozen=True, slots=True)
class GateOutcome:
    passed: bool
    fail_on: Severity | None
    fail_on_unknown: bool
    reasons: tuple[str, ...]
