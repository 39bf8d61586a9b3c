"""Typed values of the canary judge: metric specs, the judge config, per-metric results, the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    CONTINUOUS = "continuous"  # latency, CPU: Mann-Whitney + Hodges-Lehmann + spread
    COUNT = "count"  # events per interval: exact Poisson rate test
    RATIO = "ratio"  # numerator / denominator totals: exact two-proportion test
    SECURITY_RATE = "security_rate"  # 401/403 share of requests: a ratio, critical by default
    SECURITY_COUNT = "security_count"  # failed logons: a count, critical by default

    @property
    def is_security(self) -> bool:
        return self in (Kind.SECURITY_RATE, Kind.SECURITY_COUNT)

    @property
    def is_ratio(self) -> bool:
        return self in (Kind.RATIO, Kind.SECURITY_RATE)

    @property
    def is_count(self) -> bool:
        return self in (Kind.COUNT, Kind.SECURITY_COUNT)


class Direction(StrEnum):
    INCREASE = "increase"  # only an increase is a failure
    DECREASE = "decrease"  # only a decrease is a failure
    EITHER = "either"


class NanStrategy(StrEnum):
    REMOVE = "remove"
    REPLACE = "replace"  # with zero, as Kayenta's "replace"


class OutlierStrategy(StrEnum):
    KEEP = "keep"
    REMOVE = "remove"  # Tukey fences: outside outlier_factor x IQR, each side on its own


class Classification(StrEnum):
    PASS = "Pass"  # noqa: S105 -- a verdict, not a password  # nosec B105
    HIGH = "High"
    LOW = "Low"
    NODATA = "NoData"
    ERROR = "Error"


class Decision(StrEnum):
    PROMOTE = "promote"
    ROLLBACK = "rollback"
    PAUSE = "pause"


# Exit codes of `secloop canary judge`; 2 and 3 keep their project-wide meaning.
EXIT_PROMOTE = 0
EXIT_ROLLBACK = 1
EXIT_PAUSE = 4
EXIT_CODES = {Decision.PROMOTE: EXIT_PROMOTE, Decision.ROLLBACK: EXIT_ROLLBACK, Decision.PAUSE: EXIT_PAUSE}


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    kind: Kind = Kind.CONTINUOUS
    direction: Direction = Direction.INCREASE
    allowed_increase: float = 1.0  # canary/baseline ratio at or below which an increase is tolerated
    allowed_decrease: float = 1.0  # ratio at or above which a decrease is tolerated
    critical: bool = False
    group: str = "default"
    weight: float = 1.0  # weight of the metric inside its group
    min_samples: int = 10
    nan_strategy: NanStrategy = NanStrategy.REMOVE
    confidence: float = 0.98
    numerator: str | None = None  # ratio kinds: metric names whose totals are compared
    denominator: str | None = None
    exposure: str | None = None  # count kinds: metric whose totals measure the traffic
    variance_check: bool = True
    allowed_spread_increase: float = 1.5
    line: int | None = None  # where the metric is declared in the config
    outliers: OutlierStrategy = OutlierStrategy.KEEP  # continuous kind only
    outlier_factor: float = 3.0

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the data series this metric reads."""
        if self.kind.is_ratio:
            return tuple(n for n in (self.numerator, self.denominator) if n)
        names = [self.name] if self.numerator is None else [self.numerator]
        if self.exposure:
            names.append(self.exposure)
        return tuple(names)


@dataclass(frozen=True, slots=True)
class TrafficSplit:
    baseline: float
    canary: float
    metric: str | None = None  # a count metric whose totals measure each side's traffic
    alpha: float = 0.001


@dataclass(frozen=True, slots=True)
class Check:
    """One item of the blue/green cut-over checklist, stated in the config."""

    name: str
    state: str  # done | pending | failed | n/a
    detail: str = ""


@dataclass(frozen=True, slots=True)
class JudgeConfig:
    path: str
    metrics: tuple[MetricSpec, ...]
    groups: tuple[tuple[str, float], ...]  # group -> weight (in declaration order)
    pass_threshold: float = 95.0
    marginal_threshold: float = 75.0
    nodata: str = "pause"  # pause | ignore
    mode: str = "canary"  # canary | bluegreen
    baseline: str | None = None
    canary: str | None = None
    prometheus_label: str | None = None
    prometheus_baseline: str = "baseline"
    prometheus_canary: str = "canary"
    traffic: TrafficSplit | None = None
    checklist: tuple[Check, ...] = ()

    def metric(self, name: str) -> MetricSpec | None:
        return next((m for m in self.metrics if m.name == name), None)

    @property
    def series(self) -> frozenset[str]:
        names = {n for m in self.metrics for n in m.inputs}
        if self.traffic is not None and self.traffic.metric:
            names.add(self.traffic.metric)
        return frozenset(names)


@dataclass(frozen=True, slots=True)
class Samples:
    """Values per series name for one side (baseline or canary), with where they came from."""

    source: str
    values: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MetricResult:
    spec: MetricSpec
    classification: Classification
    reason: str
    failed: bool  # counts as a failure given the metric's direction
    baseline_n: int = 0
    canary_n: int = 0
    baseline_stat: float | None = None  # mean, rate or proportion of the baseline
    canary_stat: float | None = None
    ratio: float | None = None
    p_value: float | None = None
    estimate: float | None = None  # Hodges-Lehmann shift canary - baseline
    ci: tuple[float, float] | None = None
    test: str = ""
    baseline_outliers: int = 0  # samples removed as outliers before the test
    canary_outliers: int = 0


@dataclass(frozen=True, slots=True)
class GroupScore:
    name: str
    weight: float
    score: float | None  # share of passing metric weight, None when no metric had data
    passed: int
    judged: int


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    score: float | None
    reasons: tuple[str, ...]
    results: tuple[MetricResult, ...]
    groups: tuple[GroupScore, ...]
    srm: tuple[float, float] | None = None  # (chi-square, p) of the traffic split
    mode: str = "canary"
    checklist: tuple[Check, ...] = ()

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.decision]
