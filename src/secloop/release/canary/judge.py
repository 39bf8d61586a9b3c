"""Judge a canary: classify each metric, score the groups, decide promote, rollback or pause.

Kayenta's core (Mann-Whitney U with a Hodges-Lehmann interval, effect-size gates, weighted groups,
critical metrics) plus what it lacks: exact tests for sparse counts and rates, a spread check, a
minimum-sample guard with "no data means pause", and a sample-ratio check of the traffic split.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from secloop.release.canary.bluegreen import cut_over
from secloop.release.canary.model import (
    Check,
    Classification,
    Decision,
    Direction,
    GroupScore,
    JudgeConfig,
    MetricResult,
    MetricSpec,
    NanStrategy,
    OutlierStrategy,
    Samples,
    Verdict,
)
from secloop.release.stats.counts import Alternative, poisson_rate_test, two_proportions
from secloop.release.stats.outliers import remove_outliers
from secloop.release.stats.ranks import mann_whitney
from secloop.release.stats.spread import brown_forsythe, sample_ratio_mismatch

_ALTERNATIVE: dict[Direction, Alternative] = {
    Direction.INCREASE: "greater",
    Direction.DECREASE: "less",
    Direction.EITHER: "two-sided",
}


def _clean(values: Sequence[float] | None, strategy: NanStrategy) -> list[float] | None:
    if values is None:
        return None
    if strategy is NanStrategy.REPLACE:
        return [0.0 if math.isnan(v) else v for v in values]
    return [v for v in values if not math.isnan(v)]


def _ratio(canary: float, baseline: float) -> float:
    if baseline != 0:
        return canary / baseline
    return 1.0 if canary == 0 else math.inf


def _fmt(value: float) -> str:
    return "inf" if math.isinf(value) else f"{value:.4g}"


def _direction_verdict(spec: MetricSpec, high: bool, low: bool) -> tuple[Classification, bool]:
    if high:
        return Classification.HIGH, spec.direction in (Direction.INCREASE, Direction.EITHER)
    if low:
        return Classification.LOW, spec.direction in (Direction.DECREASE, Direction.EITHER)
    return Classification.PASS, False


def _no_data(spec: MetricSpec, reason: str, nb: int = 0, nc: int = 0) -> MetricResult:
    return MetricResult(spec, Classification.NODATA, reason, False, nb, nc)


def _continuous(spec: MetricSpec, base: list[float], canary: list[float]) -> MetricResult:
    mw = mann_whitney(canary, base, confidence=spec.confidence)
    mean_b, mean_c = math.fsum(base) / len(base), math.fsum(canary) / len(canary)
    ratio = _ratio(mean_c, mean_b)
    high = mw.ci_low > 0 and ratio > spec.allowed_increase
    low = mw.ci_high < 0 and ratio < spec.allowed_decrease
    cls, failed = _direction_verdict(spec, high, low)
    pct = f"{spec.confidence:.0%}"
    ci = f"[{_fmt(mw.ci_low)}, {_fmt(mw.ci_high)}]"
    if cls is Classification.PASS:
        if mw.ci_low > 0 or mw.ci_high < 0:
            gate = spec.allowed_increase if mw.ci_low > 0 else spec.allowed_decrease
            reason = (
                f"shift {_fmt(mw.estimate)} is significant ({pct} CI {ci}) "
                f"but mean ratio {_fmt(ratio)} is within {_fmt(gate)}"
            )
        else:
            reason = f"no significant shift: {pct} CI {ci} contains 0 (p={mw.p_value:.3g})"
    elif failed:
        word = "higher" if high else "lower"
        reason = f"{word} than baseline: shift {_fmt(mw.estimate)}, {pct} CI {ci}, mean ratio {_fmt(ratio)}"
    else:
        word = "higher" if high else "lower"
        reason = (
            f"{word} than baseline (shift {_fmt(mw.estimate)}), allowed by direction {spec.direction.value}"
        )
    test = "mann-whitney-exact" if mw.exact else "mann-whitney"
    result = MetricResult(
        spec,
        cls,
        reason,
        failed,
        len(base),
        len(canary),
        mean_b,
        mean_c,
        ratio,
        mw.p_value,
        mw.estimate,
        (mw.ci_low, mw.ci_high),
        test,
    )
    if failed or not spec.variance_check or len(base) < 2 or len(canary) < 2:
        return result
    spread = brown_forsythe(base, canary)
    if spread.p_increase < 1 - spec.confidence and spread.ratio > spec.allowed_spread_increase:
        reason = (
            f"spread grew x{_fmt(spread.ratio)} (Brown-Forsythe p={spread.p_increase:.3g}) "
            f"while the location did not move significantly"
        )
        return MetricResult(
            spec, Classification.HIGH, reason, True, len(base), len(canary), mean_b, mean_c, ratio,
            spread.p_increase, mw.estimate, (mw.ci_low, mw.ci_high), "brown-forsythe",
        )  # fmt: skip
    return result


def _series_sum(samples: Samples, name: str | None, strategy: NanStrategy) -> tuple[float, int] | None:
    values = _clean(samples.values.get(name or ""), strategy)
    if not values:
        return None
    return math.fsum(values), len(values)


def _count(spec: MetricSpec, base: Samples, canary: Samples) -> MetricResult:
    name = spec.numerator or spec.name
    b, c = _series_sum(base, name, spec.nan_strategy), _series_sum(canary, name, spec.nan_strategy)
    if b is None or c is None:
        return _no_data(spec, f"no {'baseline' if b is None else 'canary'} samples of '{name}'")
    if b[1] < spec.min_samples or c[1] < spec.min_samples:
        return _no_data(
            spec,
            f"too few intervals (baseline {b[1]}, canary {c[1]}; minimum {spec.min_samples})",
            b[1],
            c[1],
        )
    exposure_b, exposure_c = float(b[1]), float(c[1])
    unit = "interval"
    if spec.exposure:
        eb, ec = (
            _series_sum(base, spec.exposure, spec.nan_strategy),
            _series_sum(canary, spec.exposure, spec.nan_strategy),
        )
        if eb is None or ec is None or eb[0] <= 0 or ec[0] <= 0:
            return _no_data(spec, f"no traffic in exposure series '{spec.exposure}'", b[1], c[1])
        exposure_b, exposure_c, unit = eb[0], ec[0], spec.exposure
    if b[0] != int(b[0]) or c[0] != int(c[0]) or b[0] < 0 or c[0] < 0:
        return MetricResult(
            spec, Classification.ERROR, "count totals must be non-negative whole numbers", False, b[1], c[1]
        )
    test = poisson_rate_test(int(b[0]), exposure_b, int(c[0]), exposure_c, _ALTERNATIVE[spec.direction])
    alpha = 1 - spec.confidence
    significant = test.p_value < alpha
    high = significant and test.canary_rate > test.baseline_rate and test.ratio > spec.allowed_increase
    low = significant and test.canary_rate < test.baseline_rate and test.ratio < spec.allowed_decrease
    cls, failed = _direction_verdict(spec, high, low)
    rates = f"rate per {unit} {_fmt(test.canary_rate)} vs {_fmt(test.baseline_rate)}"
    counts = f"{int(c[0])} vs {int(b[0])} events ({rates})"
    verdict = "significant" if significant else "not significant"
    reason = (
        f"{counts}; exact Poisson p={test.p_value:.3g} ({verdict} at {alpha:.3g}), ratio {_fmt(test.ratio)}"
    )
    return MetricResult(
        spec,
        cls,
        reason,
        failed,
        b[1],
        c[1],
        test.baseline_rate,
        test.canary_rate,
        test.ratio,
        test.p_value,
        test="poisson-exact",
    )


def _proportion(spec: MetricSpec, base: Samples, canary: Samples) -> MetricResult:
    parts = []
    for side in (base, canary):
        hits = _series_sum(side, spec.numerator, spec.nan_strategy)
        total = _series_sum(side, spec.denominator, spec.nan_strategy)
        parts.append((hits, total))
    (bh, bt), (ch, ct) = parts
    if bh is None or bt is None or ch is None or ct is None:
        return _no_data(spec, f"missing '{spec.numerator}' or '{spec.denominator}' on one side")
    if bt[0] < spec.min_samples or ct[0] < spec.min_samples:
        return _no_data(
            spec,
            f"too few {spec.denominator} (baseline {bt[0]:g}, canary {ct[0]:g}; minimum {spec.min_samples})",
            bt[1],
            ct[1],
        )
    values = (bh[0], bt[0], ch[0], ct[0])
    if any(v != int(v) or v < 0 for v in values) or bh[0] > bt[0] or ch[0] > ct[0]:
        return MetricResult(
            spec,
            Classification.ERROR,
            f"'{spec.numerator}' must be whole counts no larger than '{spec.denominator}'",
            False,
            bt[1],
            ct[1],
        )
    test = two_proportions(int(bh[0]), int(bt[0]), int(ch[0]), int(ct[0]), _ALTERNATIVE[spec.direction])
    ratio = _ratio(test.canary, test.baseline)
    alpha = 1 - spec.confidence
    significant = test.p_value < alpha
    high = significant and test.canary > test.baseline and ratio > spec.allowed_increase
    low = significant and test.canary < test.baseline and ratio < spec.allowed_decrease
    cls, failed = _direction_verdict(spec, high, low)
    how = "Fisher exact" if test.exact else "two-proportion z"
    reason = (
        f"{int(ch[0])}/{int(ct[0])} vs {int(bh[0])}/{int(bt[0])} ({test.canary:.3%} vs {test.baseline:.3%}); "
        f"{how} p={test.p_value:.3g} ({'significant' if significant else 'not significant'} at {alpha:.3g})"
    )
    name = "fisher-exact" if test.exact else "two-proportion-z"
    return MetricResult(
        spec, cls, reason, failed, bt[1], ct[1], test.baseline, test.canary, ratio, test.p_value, test=name
    )


def _sized(spec: MetricSpec, b: list[float], c: list[float]) -> MetricResult:
    if len(b) < spec.min_samples or len(c) < spec.min_samples:
        return _no_data(
            spec,
            f"too few samples (baseline {len(b)}, canary {len(c)}; minimum {spec.min_samples})",
            len(b),
            len(c),
        )
    return _continuous(spec, b, c)


def classify(spec: MetricSpec, base: Samples, canary: Samples) -> MetricResult:
    try:
        if spec.kind.is_ratio:
            return _proportion(spec, base, canary)
        if spec.kind.is_count:
            return _count(spec, base, canary)
        b = _clean(base.values.get(spec.name), spec.nan_strategy)
        c = _clean(canary.values.get(spec.name), spec.nan_strategy)
        if not b or not c:
            return _no_data(
                spec, f"no {'baseline' if not b else 'canary'} samples", len(b or ()), len(c or ())
            )
        if spec.outliers is OutlierStrategy.KEEP:
            return _sized(spec, b, c)
        # Kayenta's order: NaNs first, then outliers, each side against its own quartiles
        trimmed_b, trimmed_c = (
            remove_outliers(b, spec.outlier_factor),
            remove_outliers(c, spec.outlier_factor),
        )
        result = _sized(spec, trimmed_b.kept, trimmed_c.kept)
        return replace(result, baseline_outliers=trimmed_b.removed, canary_outliers=trimmed_c.removed)
    except (ValueError, ArithmeticError, OverflowError) as exc:
        return MetricResult(spec, Classification.ERROR, f"could not be judged: {exc}", False)


def _scores(
    config: JudgeConfig, results: Sequence[MetricResult]
) -> tuple[float | None, tuple[GroupScore, ...]]:
    groups: list[GroupScore] = []
    total = weighted = 0.0
    for name, weight in config.groups:
        judged = [
            r
            for r in results
            if r.spec.group == name and r.classification not in (Classification.NODATA, Classification.ERROR)
        ]
        passed = [r for r in judged if not r.failed]
        mass = math.fsum(r.spec.weight for r in judged)
        score = math.fsum(r.spec.weight for r in passed) / mass if mass > 0 else None
        groups.append(GroupScore(name, weight, score, len(passed), len(judged)))
        if score is not None:
            total += weight
            weighted += weight * score
    return (100.0 * weighted / total if total > 0 else None), tuple(groups)


def _srm(
    config: JudgeConfig, base: Samples, canary: Samples
) -> tuple[tuple[float, float] | None, str | None]:
    split = config.traffic
    if split is None or split.metric is None:
        return None, None
    b = _series_sum(base, split.metric, NanStrategy.REMOVE)
    c = _series_sum(canary, split.metric, NanStrategy.REMOVE)
    if b is None or c is None:
        return None, f"traffic metric '{split.metric}' has no samples: the split cannot be checked"
    srm = sample_ratio_mismatch([b[0], c[0]], [split.baseline, split.canary])
    if srm.p_value < split.alpha:
        share = c[0] / (b[0] + c[0]) if b[0] + c[0] else 0.0
        expected = split.canary / (split.baseline + split.canary)
        return (srm.chi2, srm.p_value), (
            f"sample-ratio mismatch: canary got {share:.2%} of '{split.metric}', expected {expected:.2%} "
            f"(chi-square p={srm.p_value:.3g} < {split.alpha:g}); the comparison is not trustworthy"
        )
    return (srm.chi2, srm.p_value), None


def judge(config: JudgeConfig, base: Samples, canary: Samples, checklist: Sequence[Check] = ()) -> Verdict:
    results = tuple(classify(spec, base, canary) for spec in config.metrics)
    score, groups = _scores(config, results)
    srm, srm_problem = _srm(config, base, canary)
    reasons: list[str] = []
    decision: Decision | None = None
    critical = [r for r in results if r.failed and r.spec.critical]
    if critical:
        decision = Decision.ROLLBACK
        reasons += [
            f"critical metric '{r.spec.name}' is {r.classification.value}: {r.reason}" for r in critical
        ]
    if srm_problem:
        reasons.append(srm_problem)
        decision = decision or Decision.PAUSE
    missing = [r for r in results if r.classification in (Classification.NODATA, Classification.ERROR)]
    blocking = [r for r in missing if config.nodata == "pause" or r.spec.critical]
    if blocking:
        reasons += [f"metric '{r.spec.name}' is {r.classification.value}: {r.reason}" for r in blocking]
        decision = decision or Decision.PAUSE
    if score is None:
        reasons.append("no metric could be judged")
        decision = decision or Decision.PAUSE
    elif decision is None:
        if score >= config.pass_threshold:
            decision = Decision.PROMOTE
            reasons.append(f"score {score:.1f} >= pass threshold {config.pass_threshold:g}")
        elif score < config.marginal_threshold:
            decision = Decision.ROLLBACK
            reasons.append(f"score {score:.1f} < marginal threshold {config.marginal_threshold:g}")
        else:
            decision = Decision.PAUSE
            reasons.append(
                f"score {score:.1f} is marginal "
                f"({config.marginal_threshold:g} <= score < {config.pass_threshold:g})"
            )
    if config.mode == "bluegreen":
        decision, items, extra = cut_over(decision, checklist or config.checklist)
        reasons += extra
        return Verdict(decision, score, tuple(reasons), results, groups, srm, "bluegreen", items)
    return Verdict(decision, score, tuple(reasons), results, groups, srm, config.mode)
