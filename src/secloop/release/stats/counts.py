"""Exact tests for sparse counts: binomial, Poisson rates (conditional binomial), two proportions.

A normal approximation says nothing useful about 0 errors against 5; these tests do. The two-sided
p-values follow the "sum of every outcome at most as likely as the observed one" convention of
R's binom.test and fisher.test (and SciPy's binomtest / fisher_exact), with the same 1e-7 relative
tolerance for outcomes exactly as likely as the observed one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from secloop.release.stats.special import binom_cdf, binom_pmf, binom_sf, log_binom_pmf, norm_cdf, norm_sf

Alternative = Literal["two-sided", "greater", "less"]
_RERR = 1.0 + 1e-7


def binomial_test(k: int, n: int, p: float, alternative: Alternative = "two-sided") -> float:
    """P-value of k successes in n trials under success probability p."""
    if not 0 <= k <= n:
        raise ValueError(f"k={k} must lie in 0..n={n}")
    if alternative == "greater":
        return binom_sf(k - 1, n, p)
    if alternative == "less":
        return binom_cdf(k, n, p)
    if n == 0:
        return 1.0
    d = binom_pmf(k, n, p)
    mode = p * n
    if k == mode:
        return 1.0
    if k < mode:
        # first index above the mode whose probability is <= d (pmf decreases there)
        lo, hi = math.ceil(mode), n
        if binom_pmf(hi, n, p) > d * _RERR:
            return min(1.0, binom_cdf(k, n, p))
        while lo < hi:
            mid = (lo + hi) // 2
            if binom_pmf(mid, n, p) <= d * _RERR:
                hi = mid
            else:
                lo = mid + 1
        return min(1.0, binom_cdf(k, n, p) + binom_sf(lo - 1, n, p))
    lo, hi = 0, math.floor(mode)
    if binom_pmf(lo, n, p) > d * _RERR:
        return min(1.0, binom_sf(k - 1, n, p))
    # last index below the mode whose probability is <= d (pmf increases there)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if binom_pmf(mid, n, p) <= d * _RERR:
            lo = mid
        else:
            hi = mid - 1
    return min(1.0, binom_cdf(lo, n, p) + binom_sf(k - 1, n, p))


@dataclass(frozen=True, slots=True)
class RateTest:
    """Canary rate against baseline rate (events per unit of exposure)."""

    baseline_rate: float
    canary_rate: float
    ratio: float  # canary / baseline; inf when the baseline saw no events and the canary did
    p_value: float


def poisson_rate_test(
    baseline_count: int,
    baseline_exposure: float,
    canary_count: int,
    canary_exposure: float,
    alternative: Alternative = "two-sided",
) -> RateTest:
    """Exact conditional test of two Poisson rates (R's poisson.test with two samples).

    Given the total, the canary's count is binomial with p = canary exposure / total exposure;
    ``greater`` asks whether the canary's rate is higher.
    """
    if baseline_exposure <= 0 or canary_exposure <= 0:
        raise ValueError("exposures must be positive")
    total = baseline_count + canary_count
    share = canary_exposure / (baseline_exposure + canary_exposure)
    p = binomial_test(canary_count, total, share, alternative) if total else 1.0
    base_rate = baseline_count / baseline_exposure
    canary_rate = canary_count / canary_exposure
    ratio = canary_rate / base_rate if base_rate > 0 else (math.inf if canary_rate > 0 else 1.0)
    return RateTest(base_rate, canary_rate, ratio, p)


def _hypergeom_logpmf(k: int, good: int, bad: int, draws: int) -> float:
    def log_comb(a: int, b: int) -> float:
        return math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1)

    return log_comb(good, k) + log_comb(bad, draws - k) - log_comb(good + bad, draws)


def fisher_exact(a: int, b: int, c: int, d: int, alternative: Alternative = "two-sided") -> float:
    """Fisher's exact test of the 2x2 table [[a, b], [c, d]]; ``greater`` means a/b odds higher."""
    good, bad, draws = a + c, b + d, a + b  # column totals and the first row's size
    low, high = max(0, draws - bad), min(draws, good)
    if low == high:
        return 1.0
    pmf = [math.exp(_hypergeom_logpmf(k, good, bad, draws)) for k in range(low, high + 1)]
    if alternative == "greater":
        return min(1.0, math.fsum(pmf[a - low :]))
    if alternative == "less":
        return min(1.0, math.fsum(pmf[: a - low + 1]))
    observed = pmf[a - low] * _RERR
    return min(1.0, math.fsum(p for p in pmf if p <= observed))


@dataclass(frozen=True, slots=True)
class ProportionTest:
    baseline: float
    canary: float
    p_value: float
    exact: bool


def two_proportions(
    baseline_hits: int,
    baseline_total: int,
    canary_hits: int,
    canary_total: int,
    alternative: Alternative = "two-sided",
    exact_limit: int = 20_000,
) -> ProportionTest:
    """Two proportions: Fisher's exact test up to ``exact_limit`` trials in all, else a pooled z-test.

    ``greater`` asks whether the canary's proportion is higher.
    """
    if baseline_total <= 0 or canary_total <= 0:
        raise ValueError("both groups need at least one trial")
    p_base = baseline_hits / baseline_total
    p_canary = canary_hits / canary_total
    if baseline_total + canary_total <= exact_limit:
        p = fisher_exact(
            canary_hits,
            canary_total - canary_hits,
            baseline_hits,
            baseline_total - baseline_hits,
            alternative,
        )
        return ProportionTest(p_base, p_canary, p, True)
    pooled = (baseline_hits + canary_hits) / (baseline_total + canary_total)
    se = math.sqrt(pooled * (1 - pooled) * (1 / baseline_total + 1 / canary_total))
    if se == 0:
        return ProportionTest(p_base, p_canary, 1.0, False)
    z = (p_canary - p_base) / se
    if alternative == "greater":
        p = norm_sf(z)
    elif alternative == "less":
        p = norm_cdf(z)
    else:
        p = min(1.0, 2.0 * norm_sf(abs(z)))
    return ProportionTest(p_base, p_canary, p, False)


__all__ = [
    "ProportionTest",
    "RateTest",
    "binomial_test",
    "fisher_exact",
    "log_binom_pmf",
    "poisson_rate_test",
    "two_proportions",
]
