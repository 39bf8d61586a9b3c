"""Variance increase and sample-ratio mismatch.

The variance check is Brown-Forsythe's (Levene's test centred on the median): latency and error
samples are skewed and heavy-tailed, and the classic F-test of variances is exact only for normal
data (it rejects far too often otherwise), while Brown-Forsythe keeps its level on skewed data.
With two groups its statistic is the square of a pooled t on the absolute deviations from each
group's median, which also gives the one-sided "canary spreads more" p-value Kayenta lacks.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from secloop.release.stats.special import chi2_sf, f_sf, t_sf


@dataclass(frozen=True, slots=True)
class SpreadTest:
    statistic: float  # Brown-Forsythe W (= F with 1 and n1+n2-2 degrees of freedom)
    p_value: float  # two-sided, as scipy.stats.levene(center="median")
    p_increase: float  # one-sided: the canary's spread is larger
    ratio: float  # canary mean absolute deviation / baseline's (inf if the baseline has none)


def brown_forsythe(baseline: Sequence[float], canary: Sequence[float]) -> SpreadTest:
    n1, n2 = len(baseline), len(canary)
    if n1 < 2 or n2 < 2:
        raise ValueError("each sample needs at least two values")
    med1, med2 = statistics.median(baseline), statistics.median(canary)
    z1 = [abs(v - med1) for v in baseline]
    z2 = [abs(v - med2) for v in canary]
    m1, m2 = math.fsum(z1) / n1, math.fsum(z2) / n2
    dof = n1 + n2 - 2
    within = math.fsum((v - m1) ** 2 for v in z1) + math.fsum((v - m2) ** 2 for v in z2)
    ratio = m2 / m1 if m1 > 0 else (math.inf if m2 > 0 else 1.0)
    if within == 0:
        same = m1 == m2
        return SpreadTest(0.0 if same else math.inf, 1.0 if same else 0.0, 1.0 if m2 <= m1 else 0.0, ratio)
    pooled = within / dof
    t = (m2 - m1) / math.sqrt(pooled * (1 / n1 + 1 / n2))
    w = t * t
    return SpreadTest(w, f_sf(w, 1, dof), t_sf(t, dof), ratio)


def f_test(baseline: Sequence[float], canary: Sequence[float]) -> tuple[float, float]:
    """Variance ratio canary/baseline and its one-sided p-value (normal data only)."""
    v1, v2 = statistics.variance(baseline), statistics.variance(canary)
    if v1 == 0:
        return (math.inf if v2 > 0 else 1.0), (0.0 if v2 > 0 else 1.0)
    ratio = v2 / v1
    return ratio, f_sf(ratio, len(canary) - 1, len(baseline) - 1)


@dataclass(frozen=True, slots=True)
class SampleRatio:
    chi2: float
    p_value: float
    expected: tuple[float, ...]


def sample_ratio_mismatch(observed: Sequence[float], weights: Sequence[float]) -> SampleRatio:
    """Chi-square goodness of fit of observed counts to the expected split (gbstats's check_srm)."""
    if len(observed) != len(weights) or len(observed) < 2:
        raise ValueError("need one weight per group and at least two groups")
    total = math.fsum(observed)
    total_weight = math.fsum(weights)
    if total == 0 or total_weight <= 0:
        return SampleRatio(0.0, 1.0, tuple(0.0 for _ in observed))
    expected = tuple(w / total_weight * total for w in weights)
    x = math.fsum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True) if e > 0)
    return SampleRatio(x, chi2_sf(x, len(observed) - 1), expected)
