"""Statistics core against literal reference values computed with SciPy 1.17.1 (bench/.work/venv-peers).

Each literal names the call that produced it. Tests never import SciPy.
"""

from __future__ import annotations

import math

import pytest

from secloop.release.stats.counts import binomial_test, fisher_exact, poisson_rate_test, two_proportions
from secloop.release.stats.ranks import mann_whitney
from secloop.release.stats.special import betainc, chi2_sf, f_sf, gammaincc, t_ppf, t_sf
from secloop.release.stats.spread import brown_forsythe, f_test, sample_ratio_mismatch

X = [12.1, 14.3, 11.8, 15.2, 13.3, 12.9, 14.8, 13.7, 12.4, 16.1]
Y = [13.9, 15.8, 14.2, 16.9, 15.1, 14.7, 17.3, 15.5, 16.2, 14.9, 15.0, 16.4]
XT = [1, 2, 2, 3, 3, 3, 4, 5, 5, 6] * 6
YT = [2, 3, 3, 4, 4, 5, 5, 5, 6, 7] * 6
# numpy.random.default_rng(7).normal(100, 10, 80) and (104, 10, 70), rounded to 3 decimals
A = [
    100.012,
    102.987,
    97.259,
    91.094,
    95.453,
    90.084,
    100.601,
    113.402,
    95.078,
    93.795,
    104.898,
    103.569,
    101.054,
    90.695,
    99.707,
    106.953,
    86.558,
    95.424,
    80.988,
    87.105,
    81.583,
    97.649,
    87.326,
    102.713,
    101.568,
    98.131,
    74.832,
    94.613,
    99.515,
    101.133,
    84.699,
    95.222,
    90.215,
    91.912,
    110.609,
    91.925,
    99.675,
    108.844,
    94.164,
    98.883,
    101.105,
    100.638,
    87.749,
    100.761,
    113.588,
    84.529,
    108.594,
    101.194,
    93.585,
    120.004,
    107.623,
    88.007,
    100.745,
    105.767,
    98.112,
    106.829,
    99.335,
    106.672,
    114.385,
    93.243,
    102.031,
    95.367,
    101.273,
    88.128,
    94.207,
    98.038,
    108.988,
    111.452,
    86.765,
    92.054,
    106.469,
    80.076,
    95.368,
    99.027,
    112.57,
    106.894,
    96.728,
    96.314,
    97.498,
    115.235,
]
B = [
    99.72,
    100.963,
    107.526,
    102.792,
    102.027,
    92.859,
    103.885,
    99.564,
    115.661,
    110.531,
    103.759,
    110.684,
    100.601,
    114.521,
    103.946,
    109.834,
    91.091,
    107.467,
    87.118,
    83.647,
    100.955,
    95.001,
    105.641,
    126.448,
    95.683,
    97.761,
    106.054,
    108.93,
    102.236,
    101.941,
    111.025,
    109.199,
    93.663,
    103.208,
    104.353,
    93.455,
    106.598,
    95.42,
    113.721,
    105.927,
    104.893,
    98.09,
    102.814,
    84.023,
    92.686,
    107.628,
    82.714,
    112.466,
    86.539,
    111.567,
    95.545,
    111.79,
    105.31,
    88.632,
    116.491,
    118.417,
    103.342,
    101.261,
    102.401,
    94.248,
    114.986,
    98.571,
    103.488,
    96.067,
    97.739,
    91.223,
    116.571,
    102.459,
    113.659,
    104.133,
]


def test_distribution_functions_match_scipy() -> None:
    assert t_sf(2.1, 7.5) == pytest.approx(0.035618535729039044, rel=1e-10)  # scipy.stats.t.sf(2.1, 7.5)
    assert t_ppf(0.975, 13.2) == pytest.approx(
        2.1570459741131427, rel=1e-10
    )  # scipy.stats.t.ppf(0.975, 13.2)
    assert t_ppf(0.99, 2.5e6) == pytest.approx(2.3263493656714536, rel=1e-9)  # scipy.stats.t.ppf(0.99, 2.5e6)
    assert chi2_sf(25.5, 2) == pytest.approx(
        2.9023204086504045e-06, rel=1e-10
    )  # scipy.stats.chi2.sf(25.5, 2)
    assert f_sf(3.2, 1, 19) == pytest.approx(0.08959452111953893, rel=1e-10)  # scipy.stats.f.sf(3.2, 1, 19)
    assert betainc(2.5, 4.0, 0.3) == pytest.approx(0.3521975859067672, rel=1e-12)  # scipy.special.betainc
    assert gammaincc(3.5, 2.0) == pytest.approx(0.779777408475716, rel=1e-12)  # scipy.special.gammaincc


def test_mann_whitney_exact_small_samples() -> None:
    result = mann_whitney(X, Y)
    assert result.exact
    assert result.u == 19.0
    # scipy.stats.mannwhitneyu(X, Y, alternative="two-sided", method="exact")
    assert result.p_value == pytest.approx(0.005644510288473137, abs=1e-12)
    # numpy.median(numpy.subtract.outer(X, Y))
    assert result.estimate == pytest.approx(-1.85, abs=1e-12)
    # R's exact interval: sorted differences at qwilcox(0.01, 10, 12) = 25 and 120 - 25 + 1
    # (null distribution enumerated by brute force over all C(22, 10) rank sets)
    assert (result.ci_low, result.ci_high) == pytest.approx((-3.3, -0.3), abs=1e-12)
    greater = mann_whitney(X, Y, alternative="greater")
    assert greater.p_value == pytest.approx(0.9977854962375086, abs=1e-12)  # alternative="greater"


def test_mann_whitney_normal_approximation_with_ties() -> None:
    result = mann_whitney(XT, YT)
    assert not result.exact
    assert result.u == 1170.0
    # scipy.stats.mannwhitneyu(XT, YT, use_continuity=True, method="asymptotic")
    assert result.p_value == pytest.approx(0.0007497314174874743, abs=1e-13)
    less = mann_whitney(XT, YT, alternative="less")
    assert less.p_value == pytest.approx(0.00037486570874373714, abs=1e-13)


def test_mann_whitney_hodges_lehmann_interval_at_98_percent() -> None:
    result = mann_whitney(A, B, confidence=0.98)
    assert not result.exact
    assert result.u == 1988.5  # scipy.stats.mannwhitneyu(A, B, method="asymptotic").statistic
    assert result.p_value == pytest.approx(0.002249646695274276, abs=1e-13)
    assert result.estimate == pytest.approx(-4.4585, abs=1e-9)  # numpy.median(subtract.outer(A, B))
    # R wilcox.test(A, B, conf.int=TRUE, conf.level=0.98): uniroot lands on the sorted differences
    # 2182 and 3419 (index from scipy.stats.norm.ppf(0.99) and the tie-corrected sigma)
    assert (result.ci_low, result.ci_high) == pytest.approx((-7.942, -1.146), abs=1e-9)


def test_mann_whitney_rejects_empty_sample() -> None:
    with pytest.raises(ValueError, match="at least one value"):
        mann_whitney([], [1.0])


def test_binomial_test_matches_scipy_binomtest() -> None:
    assert binomial_test(3, 40, 0.2) == pytest.approx(0.04786946338839313, abs=1e-12)
    assert binomial_test(17, 40, 0.2) == pytest.approx(0.0011239418195644387, abs=1e-12)
    assert binomial_test(9, 40, 0.2, "greater") == pytest.approx(0.40687286985161053, abs=1e-12)


def test_poisson_rate_test_zero_against_five() -> None:
    # scipy.stats.binomtest(5, 5, 0.5, alternative="greater").pvalue: Kayenta passes this canary
    test = poisson_rate_test(0, 1.0, 5, 1.0, "greater")
    assert test.p_value == pytest.approx(0.03125, abs=1e-12)
    assert test.ratio == math.inf
    assert poisson_rate_test(0, 1.0, 5, 1.0).p_value == pytest.approx(0.0625, abs=1e-12)
    # 12 events in 2 h against 30 in 3 h: scipy.stats.binomtest(30, 42, 3 / 5).pvalue
    mixed = poisson_rate_test(12, 2.0, 30, 3.0)
    assert mixed.p_value == pytest.approx(0.15650656652297795, abs=1e-12)
    assert mixed.ratio == pytest.approx(10.0 / 6.0)


def test_fisher_exact_and_two_proportions() -> None:
    # scipy.stats.fisher_exact([[3, 997], [12, 988]]).pvalue
    assert fisher_exact(3, 997, 12, 988) == pytest.approx(0.03449142539805221, abs=1e-12)
    # canary 12/1000 against baseline 3/1000, one-sided: fisher_exact([[12, 988], [3, 997]], "greater")
    test = two_proportions(3, 1000, 12, 1000, "greater")
    assert test.exact
    assert test.p_value == pytest.approx(0.017245712699026104, abs=1e-12)
    large = two_proportions(300, 100_000, 420, 100_000, "greater", exact_limit=1000)
    assert not large.exact
    assert large.p_value < 1e-5


def test_brown_forsythe_matches_levene_median() -> None:
    short = [0.8, 1.1, 0.9, 1.3, 1.0, 1.2, 0.7, 1.05, 0.95, 1.15]
    wide = [0.5, 1.9, 0.6, 2.2, 1.0, 1.6, 0.4, 1.8, 0.7, 2.5, 1.1]
    test = brown_forsythe(short, wide)
    # scipy.stats.levene(short, wide, center="median")
    assert test.statistic == pytest.approx(13.013289521584817, rel=1e-10)
    assert test.p_value == pytest.approx(0.0018766087159598494, rel=1e-9)
    assert test.p_increase == pytest.approx(0.0018766087159598494 / 2, rel=1e-9)
    assert test.ratio > 3.0
    reverse = brown_forsythe(wide, short)
    assert reverse.p_increase == pytest.approx(1 - 0.0018766087159598494 / 2, rel=1e-9)


def test_f_test_ratio() -> None:
    ratio, p = f_test([1.0, 2.0, 3.0], [1.0, 3.0, 5.0])
    assert ratio == 4.0
    assert p == pytest.approx(0.2, rel=1e-12)  # scipy.stats.f.sf(4, 2, 2) = 1 / (1 + 4)


def test_sample_ratio_mismatch_matches_chisquare() -> None:
    srm = sample_ratio_mismatch([5000, 5200, 4700], [1, 1, 1])
    # scipy.stats.chisquare([5000, 5200, 4700])
    assert srm.chi2 == pytest.approx(25.503355704697984, rel=1e-12)
    assert srm.p_value == pytest.approx(2.8974548265408666e-06, rel=1e-9)
    weighted = sample_ratio_mismatch([1100, 900], [0.5, 0.5])
    assert weighted.p_value == pytest.approx(7.744216431044088e-06, rel=1e-9)  # chisquare([1100, 900])
    assert sample_ratio_mismatch([0, 0], [1, 1]).p_value == 1.0
