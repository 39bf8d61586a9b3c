"""Per-variation sufficient statistics, as GrowthBook's gbstats defines them.

A variation is summarised by its units, the metric's sum and sum of squares (or, for proportions,
the count of conversions), and for CUPED the pre-period covariate's sums and the sum of products.
The regression adjustment uses one theta for both variations, estimated on the pooled data.
A ratio metric (revenue per order, errors per request) divides two per-unit sums; its variance is
the delta method's, with the numerator/denominator covariance from the sum of their products.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class SampleMean:
    n: int
    sum: float
    sum_squares: float

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        if self.n <= 1:
            return 0.0
        return (self.sum_squares - self.sum**2 / self.n) / (self.n - 1)

    @property
    def unadjusted_mean(self) -> float:
        return self.mean


@dataclass(frozen=True, slots=True)
class Proportion:
    n: int
    sum: float  # conversions

    @property
    def sum_squares(self) -> float:
        return self.sum

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else 0.0

    @property
    def variance(self) -> float:
        return self.mean * (1 - self.mean)

    @property
    def unadjusted_mean(self) -> float:
        return self.mean


Base = SampleMean | Proportion


@dataclass(frozen=True, slots=True)
class RegressionAdjusted:
    """CUPED: the post-period metric adjusted by theta times the pre-period covariate."""

    n: int
    post: Base
    pre: Base
    post_pre_sum_of_products: float
    theta: float = 0.0

    @property
    def covariance(self) -> float:
        if self.n <= 1:
            return 0.0
        return (self.post_pre_sum_of_products - self.post.sum * self.pre.sum / self.n) / (self.n - 1)

    @property
    def mean(self) -> float:
        return self.post.mean - self.theta * self.pre.mean

    @property
    def unadjusted_mean(self) -> float:
        return self.post.mean

    @property
    def variance(self) -> float:
        if self.n <= 1:
            return 0.0
        return self.post.variance + self.theta**2 * self.pre.variance - 2 * self.theta * self.covariance


@dataclass(frozen=True, slots=True)
class Ratio:
    """sum(numerator) / sum(denominator) over the units, as gbstats's RatioStatistic."""

    n: int
    numerator: SampleMean
    denominator: SampleMean
    sum_of_products: float  # sum over units of numerator * denominator

    @property
    def mean(self) -> float:
        return self.numerator.sum / self.denominator.sum if self.denominator.sum else 0.0

    @property
    def unadjusted_mean(self) -> float:
        return self.mean

    @property
    def covariance(self) -> float:
        if self.n <= 1:
            return 0.0
        return (self.sum_of_products - self.numerator.sum * self.denominator.sum / self.n) / (self.n - 1)

    @property
    def variance(self) -> float:
        m, d = self.numerator.mean, self.denominator.mean
        if d == 0 or self.n <= 1:
            return 0.0
        return (
            self.numerator.variance / d**2
            - 2 * self.covariance * m / d**3
            + m**2 * self.denominator.variance / d**4
        )


Statistic = SampleMean | Proportion | RegressionAdjusted | Ratio


def stddev(stat: Statistic) -> float:
    return 0.0 if stat.variance <= 0 else math.sqrt(stat.variance)


def _joint(a: Base, b: Base, n: int) -> Base:
    if isinstance(a, Proportion) and isinstance(b, Proportion):
        return Proportion(n, a.sum + b.sum)
    if isinstance(a, SampleMean) and isinstance(b, SampleMean):
        return SampleMean(n, a.sum + b.sum, a.sum_squares + b.sum_squares)
    raise ValueError("a metric's statistics must be of the same type in every variation")


def compute_theta(a: RegressionAdjusted, b: RegressionAdjusted) -> float:
    n = a.n + b.n
    post = _joint(a.post, b.post, n)
    pre = _joint(a.pre, b.pre, n)
    if pre.variance == 0 or post.variance == 0:
        return 0.0
    joint = RegressionAdjusted(n, post, pre, a.post_pre_sum_of_products + b.post_pre_sum_of_products)
    return joint.covariance / pre.variance


def adjust_pair(a: Statistic, b: Statistic) -> tuple[Statistic, Statistic]:
    """Set the shared theta on two CUPED statistics (theta 0 falls back to the plain metric)."""
    if isinstance(a, RegressionAdjusted) and isinstance(b, RegressionAdjusted):
        theta = compute_theta(a, b)
        if theta == 0:
            return a.post, b.post
        return replace(a, theta=theta), replace(b, theta=theta)
    return a, b
