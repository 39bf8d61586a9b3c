"""The small closed vocabularies: stages, severities, confidences and practice statuses."""

from __future__ import annotations

from enum import Enum


class Stage(str, Enum):
    PLAN = "plan"
    CODE = "code"
    BUILD = "build"
    TEST = "test"
    DEPLOY = "deploy"
    RELEASE = "release"
    OPERATE = "operate"
    MONITOR = "monitor"
    PIPELINE = "pipeline"

    @property
    def order(self) -> int:
        return list(Stage).index(self)


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe: critical=4 … info=0."""
        return _SEVERITY_RANK[self]

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank

    @property
    def sarif_level(self) -> str:
        if self.rank >= 3:
            return "error"
        if self is Severity.MEDIUM:
            return "warning"
        return "note"


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Confidence(str, Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Status(str, Enum):
    PASS = "pass"  # noqa: S105  # nosec B105
    PARTIAL = "partial"
    FAIL = "fail"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not-applicable"


class Level(str, Enum):
    """Effort and impact of a practice, used to rank the next steps."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def weight(self) -> int:
        return {"low": 1, "medium": 2, "high": 3}[self.value]


class BaselineState(str, Enum):
    """SARIF's baselineState vocabulary."""

    NEW = "new"
    UNCHANGED = "unchanged"
    ABSENT = "absent"
