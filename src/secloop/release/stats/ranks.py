"""Mann-Whitney U and the Hodges-Lehmann shift with its confidence interval, as R's wilcox.test.

Normal approximation with tie and continuity correction when a sample has 50 values or more or the
data have ties; the exact null distribution otherwise. The Hodges-Lehmann estimate is the median of
the pairwise differences canary - baseline; it is found by selection over the implicit sorted
difference matrix, never by building all n*m differences, so 1,000 x 1,000 points cost milliseconds.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import Literal

from secloop.release.stats.special import norm_cdf, norm_ppf, norm_sf

Alternative = Literal["two-sided", "greater", "less"]
EXACT_LIMIT = 50  # R's default: exact below 50 values per sample, when there are no ties


@dataclass(frozen=True, slots=True)
class MannWhitney:
    """U of the first sample (``x``); p-value; Hodges-Lehmann shift x - y with its interval."""

    u: float
    p_value: float
    exact: bool
    estimate: float
    ci_low: float
    ci_high: float
    confidence: float


def _ranks(x: Sequence[float], y: Sequence[float]) -> tuple[float, float]:
    """Sum of the ranks of ``x`` in the pooled sample, and the tie term sum(t^3 - t)."""
    pooled = sorted([(v, 0) for v in x] + [(v, 1) for v in y])
    rank_sum = 0.0
    ties = 0.0
    i = 0
    total = len(pooled)
    while i < total:
        j = i
        value = pooled[i][0]
        while j + 1 < total and pooled[j + 1][0] == value:
            j += 1
        count = j - i + 1
        mid = (i + j) / 2.0 + 1.0
        if count > 1:
            ties += count**3 - count
            rank_sum += mid * sum(1 for k in range(i, j + 1) if pooled[k][1] == 0)
        elif pooled[i][1] == 0:
            rank_sum += mid
        i = j + 1
    return rank_sum, ties


def _u_distribution(n: int, m: int) -> list[int]:
    """Counts of each U value under H0: coefficients of the Gaussian binomial [n+m choose n]_q."""
    size = n * m + 1
    poly = [0] * size
    poly[0] = 1
    for i in range(1, n + 1):
        # multiply by (1 - q^(m+i)) then divide by (1 - q^i); both exact in integers
        shift = m + i
        for k in range(size - 1, shift - 1, -1):
            poly[k] -= poly[k - shift]
        for k in range(i, size):
            poly[k] += poly[k - i]
    return poly


def _exact_p(u: float, n: int, m: int, alternative: Alternative) -> float:
    counts = _u_distribution(n, m)
    total = math.comb(n + m, n)
    q = round(u)

    def cdf(k: int) -> float:
        return sum(counts[: k + 1]) / total if k >= 0 else 0.0

    def sf_inclusive(k: int) -> float:
        return sum(counts[k:]) / total if k <= n * m else 0.0

    if alternative == "greater":
        return sf_inclusive(q)
    if alternative == "less":
        return cdf(q)
    p = sf_inclusive(q) if q > n * m / 2 else cdf(q)
    return min(1.0, 2.0 * p)


class _Differences:
    """Order statistics of x_i - y_j without materialising the n*m matrix.

    A "cut" holds, per x_i, the first j with x_i - y_j <= t; the pairs at or after it are the
    differences <= t. Selection narrows a (lo, hi) pair of cuts around the wanted rank with pivots
    sampled from the pairs still between them, then sorts the few thousand left. Cuts are kept, so
    the median and both interval bounds share the work.
    """

    def __init__(self, x: Sequence[float], y: Sequence[float]) -> None:
        self.x = sorted(x)
        self.y = sorted(y)
        self.m = len(self.y)
        self.total = len(self.x) * self.m
        # a fixed seed keeps the pivots, and so the run time, reproducible; no security role
        self._random = random.Random(0x5EC100F)  # noqa: S311  # nosec B311
        self._known: list[tuple[int, list[int]]] = [
            (0, [self.m] * len(self.x)),
            (self.total, [0] * len(self.x)),
        ]
        self._sorted: tuple[int, int, list[float]] | None = None  # (lo_count, hi_count, differences)

    def _cut(self, t: float) -> tuple[int, list[int]]:
        cut = list(map(bisect_left, repeat(self.y), [xi - t for xi in self.x]))
        return self.total - sum(cut), cut

    def kth(self, k: int) -> float:
        """The k-th smallest difference (1-based)."""
        if self._sorted is not None and self._sorted[0] < k <= self._sorted[1]:
            return self._sorted[2][k - self._sorted[0] - 1]
        lo_count, lo_cut = max((c for c in self._known if c[0] < k), key=lambda c: c[0])
        hi_count, hi_cut = min((c for c in self._known if c[0] >= k), key=lambda c: c[0])
        rand = self._random.random
        while hi_count - lo_count > 4096:
            span = [(i, a, b) for i, (a, b) in enumerate(zip(hi_cut, lo_cut, strict=True)) if b > a]
            picks = self._random.choices(span, cum_weights=list(accumulate(b - a for _, a, b in span)), k=256)
            sample = sorted(self.x[i] - self.y[a + int(rand() * (b - a))] for i, a, b in picks)
            share = (k - lo_count) / (hi_count - lo_count)
            margin = 2.5 * math.sqrt(share * (1 - share) / len(sample)) + 4.0 / len(sample)
            pivots = (
                sample[max(0, int((share - margin) * len(sample)))],
                sample[min(len(sample) - 1, int((share + margin) * len(sample)))],
            )
            moved = False
            for t in pivots:
                count, cut = self._cut(t)
                self._known.append((count, cut))
                if lo_count < count < k:
                    lo_cut, lo_count, moved = cut, count, True
                elif k <= count < hi_count:
                    hi_cut, hi_count, moved = cut, count, True
            if not moved:
                break
        # The lo set holds the lo_count smallest differences, so the k-th is among the rest.
        x, y = self.x, self.y
        between = sorted(
            x[i] - yj for i, (a, b) in enumerate(zip(hi_cut, lo_cut, strict=True)) for yj in y[a:b]
        )
        self._sorted = (lo_count, hi_count, between)
        return between[k - lo_count - 1]

    def median(self) -> float:
        if self.total % 2:
            return self.kth(self.total // 2 + 1)
        return (self.kth(self.total // 2) + self.kth(self.total // 2 + 1)) / 2.0


def mann_whitney(
    x: Sequence[float],
    y: Sequence[float],
    *,
    alternative: Alternative = "two-sided",
    confidence: float = 0.98,
    correct: bool = True,
    exact: bool | None = None,
) -> MannWhitney:
    """Wilcoxon rank-sum / Mann-Whitney test of ``x`` against ``y`` (shift estimated as x - y)."""
    n, m = len(x), len(y)
    if n == 0 or m == 0:
        raise ValueError("both samples need at least one value")
    rank_sum, ties = _ranks(x, y)
    u = rank_sum - n * (n + 1) / 2.0
    use_exact = exact if exact is not None else (n < EXACT_LIMIT and m < EXACT_LIMIT and ties == 0)
    diffs = _Differences(x, y)
    alpha = 1.0 - confidence
    if use_exact and ties == 0:
        p = _exact_p(u, n, m, alternative)
        counts = _u_distribution(n, m)
        total = math.comb(n + m, n)
        # qwilcox(alpha/2): smallest q with P(U <= q) >= alpha/2
        acc, qu = 0, 0
        for qu, c in enumerate(counts):  # noqa: B007 -- qu is read after the loop
            acc += c
            if acc / total >= alpha / 2:
                break
        qu = max(qu, 1)
        ql = n * m - qu
        low, high = diffs.kth(qu), diffs.kth(ql + 1)
        return MannWhitney(u, p, True, diffs.median(), low, high, confidence)
    z = u - n * m / 2.0
    sigma = math.sqrt((n * m / 12.0) * ((n + m + 1) - ties / ((n + m) * (n + m - 1))))
    if sigma == 0:
        return MannWhitney(u, 1.0, False, diffs.median(), diffs.kth(1), diffs.kth(diffs.total), confidence)
    correction = 0.0
    if correct:
        correction = {"two-sided": math.copysign(0.5, z) if z else 0.0, "greater": 0.5, "less": -0.5}[
            alternative
        ]
    zc = (z - correction) / sigma
    if alternative == "greater":
        p = norm_sf(zc)
    elif alternative == "less":
        p = norm_cdf(zc)
    else:
        p = min(1.0, 2.0 * min(norm_cdf(zc), norm_sf(zc)))
    low, high = _asymptotic_interval(diffs, sigma, alpha, correct)
    return MannWhitney(u, p, False, diffs.median(), low, high, confidence)


def _asymptotic_interval(
    diffs: _Differences, sigma: float, alpha: float, correct: bool
) -> tuple[float, float]:
    """The differences at which R's uniroot finds the standardised statistic crossing the quantiles.

    The statistic is a step function of the shift that only jumps at pairwise differences, so the
    root R reports (to uniroot's tolerance) is one of them: the r-th smallest with
    r = floor(nm/2 - z*sigma - c) + 1 for the lower bound, symmetrically for the upper one.
    R recomputes the tie term of sigma at every trial shift; here it is the observed samples'
    tie term, which is the same for continuous data and differs by a tie count otherwise.
    """
    nm = diffs.total
    zq = norm_ppf(1.0 - alpha / 2.0)
    c = 0.5 if correct else 0.0
    r_low = math.floor(nm / 2.0 - zq * sigma - c) + 1
    r_high = math.ceil(nm / 2.0 + zq * sigma + c)
    r_low = min(max(r_low, 1), nm)
    r_high = min(max(r_high, 1), nm)
    return diffs.kth(r_low), diffs.kth(r_high)
