"""Frequentist and Bayesian comparisons of one variation against the baseline (gbstats 0.8.0 maths).

Frequentist: Welch t-tests on the relative (delta method) or absolute difference, two-sided,
one-sided "treatment greater", and the sequential two-sided test of Waudby-Smith et al. (2023) whose
intervals stay valid however often the experiment is peeked at. Bayesian: a normal posterior of
the effect under a flat or a Gaussian ("informative") prior, with chance to win, credible interval
and expected loss (risk) of either choice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from secloop.release.experiment.statistics import Statistic, adjust_pair
from secloop.release.stats.special import norm_cdf, norm_pdf, norm_ppf, t_ppf, t_sf

BASELINE_ZERO = "ZERO_NEGATIVE_BASELINE_VARIATION"
ZERO_VARIANCE = "ZERO_NEGATIVE_VARIANCE"
NO_UNITS = "NO_UNITS_IN_VARIATION"


class FrequentistTest(StrEnum):
    TWO_SIDED = "two-sided"
    ONE_SIDED = "one-sided"  # the treatment is greater
    SEQUENTIAL = "sequential"


@dataclass(frozen=True, slots=True)
class FrequentistResult:
    expected: float
    ci: tuple[float, float]
    p_value: float
    uplift_mean: float
    uplift_stddev: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class BayesianResult:
    chance_to_win: float
    expected: float
    ci: tuple[float, float]
    risk: tuple[float, float]  # expected loss of choosing the baseline, of choosing the variation
    uplift_mean: float
    uplift_stddev: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Prior:
    mean: float = 0.0
    stddev: float = 0.1
    proper: bool = False  # False: a flat prior, the posterior is the data's normal approximation


def _diff(a: Statistic, b: Statistic, relative: bool) -> float:
    mean_a_unadjusted = a.unadjusted_mean or a.mean
    return (b.mean - a.mean) / mean_a_unadjusted if relative else b.mean - a.mean


def _variance(a: Statistic, b: Statistic, relative: bool) -> float:
    if relative:
        mean_a, mean_b = a.unadjusted_mean, b.unadjusted_mean
        return b.variance / (mean_a**2 * b.n) + a.variance * mean_b**2 / (mean_a**4 * a.n)
    return b.variance / b.n + a.variance / a.n


def _welch_dof(a: Statistic, b: Statistic) -> float:
    va, vb = a.variance, b.variance
    return (vb / b.n + va / a.n) ** 2 / (vb**2 / (b.n**2 * (b.n - 1)) + va**2 / (a.n**2 * (a.n - 1)))


def _zero_variance(a: Statistic, b: Statistic) -> bool:
    return a.variance <= 0 or b.variance <= 0


def frequentist(
    a: Statistic,
    b: Statistic,
    *,
    test: FrequentistTest = FrequentistTest.TWO_SIDED,
    alpha: float = 0.05,
    relative: bool = True,
    test_value: float = 0.0,
    tuning: float = 5000.0,
) -> FrequentistResult:
    a, b = adjust_pair(a, b)
    if a.mean == 0 or a.unadjusted_mean == 0:
        return FrequentistResult(0.0, (0.0, 0.0), 1.0, 0.0, 0.0, BASELINE_ZERO)
    if _zero_variance(a, b):
        return FrequentistResult(0.0, (0.0, 0.0), 1.0, 0.0, 0.0, ZERO_VARIANCE)
    variance = _variance(a, b, relative)
    estimate = _diff(a, b, relative)
    sd = math.sqrt(variance)
    if test is FrequentistTest.SEQUENTIAL:
        n = a.n + b.n
        rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)
        width = math.sqrt(variance * n) * math.sqrt(
            2 * (n * rho**2 + 1) * math.log(math.sqrt(n * rho**2 + 1) / alpha) / (n * rho) ** 2
        )
        st2 = (estimate - test_value) ** 2 * n / variance
        tr2p1 = n * rho**2 + 1
        log_evalue = rho**2 * st2 / (2 * tr2p1) - 0.5 * math.log(tr2p1)
        p = min(math.exp(-log_evalue), 1.0) if log_evalue > -700 else 1.0
        return FrequentistResult(estimate, (estimate - width, estimate + width), p, estimate, sd)
    dof = _welch_dof(a, b)
    critical = (estimate - test_value) / sd
    if test is FrequentistTest.ONE_SIDED:
        width = t_ppf(1 - alpha, dof) * sd
        return FrequentistResult(estimate, (estimate - width, math.inf), t_sf(critical, dof), estimate, sd)
    width = t_ppf(1 - alpha / 2, dof) * sd
    p = 2 * t_sf(abs(critical), dof)
    return FrequentistResult(estimate, (estimate - width, estimate + width), p, estimate, sd)


def _risk(mu: float, sigma: float) -> tuple[float, float]:
    """Expected loss of keeping the baseline and of shipping the variation, in closed form.

    gbstats multiplies P(effect < 0) by the truncated normal's mean; the product is
    mu * Phi(a) - sigma * phi(a) with a = -mu/sigma, which needs no division by a tiny tail mass.
    """
    a = -mu / sigma
    below = norm_cdf(a)
    density = norm_pdf(a)
    risk_control = mu * (1 - below) + sigma * density
    risk_treatment = sigma * density - mu * below
    return risk_control, risk_treatment


def bayesian(
    a: Statistic,
    b: Statistic,
    *,
    prior: Prior = Prior(),
    alpha: float = 0.05,
    relative: bool = True,
    inverse: bool = False,
) -> BayesianResult:
    a, b = adjust_pair(a, b)
    default_risk = (0.0, 0.0)
    if relative and (a.mean == 0 or a.unadjusted_mean == 0):
        return BayesianResult(0.5, 0.0, (0.0, 0.0), default_risk, 0.0, 0.0, BASELINE_ZERO)
    if a.n == 0 or b.n == 0:
        return BayesianResult(0.5, 0.0, (0.0, 0.0), default_risk, 0.0, 0.0, NO_UNITS)
    if _zero_variance(a, b):
        return BayesianResult(0.5, 0.0, (0.0, 0.0), default_risk, 0.0, 0.0, ZERO_VARIANCE)
    prior_mean, prior_variance = prior.mean, prior.stddev**2
    if not relative:  # the prior is stated on the relative scale, as gbstats's runner does
        prior_mean *= abs(a.unadjusted_mean)
        prior_variance *= a.unadjusted_mean**2
    data_variance = _variance(a, b, relative)
    data_mean = _diff(a, b, relative)
    precision = 1 / data_variance + (1 / prior_variance if prior.proper else 0.0)
    mean = (
        (data_mean / data_variance + prior_mean / prior_variance) / precision if prior.proper else data_mean
    )
    sd = math.sqrt(1 / precision)
    win = norm_cdf(mean / sd)
    if inverse:
        win = 1 - win
    ci = (mean + sd * norm_ppf(alpha / 2), mean + sd * norm_ppf(1 - alpha / 2))
    risk = _risk(mean, sd)
    if inverse:
        risk = (risk[1], risk[0])
    return BayesianResult(win, mean, ci, risk, mean, sd)
