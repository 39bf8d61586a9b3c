"""Tukey fences on the interquartile range, with the percentile Kayenta's judge uses.

Kayenta's IQR detector takes its quartiles from Apache Commons Math's default percentile
estimator (position p(n+1), interpolated between neighbours, clamped to the extremes), which
differs from numpy's default on small samples; the same estimator keeps the fences Kayenta-equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(ordered: Sequence[float], p: float) -> float:
    """The p-th percentile (0 < p <= 100) of already sorted values, Commons Math "legacy" style."""
    n = len(ordered)
    if n == 0:
        raise ValueError("percentile of no values")
    if not 0 < p <= 100:
        raise ValueError(f"percentile must be in (0, 100] (got {p})")
    pos = p * (n + 1) / 100
    if pos < 1:
        return ordered[0]
    if pos >= n:
        return ordered[-1]
    low = math.floor(pos)
    lower, upper = ordered[low - 1], ordered[low]
    return lower + (pos - low) * (upper - lower)


@dataclass(frozen=True, slots=True)
class Trimmed:
    kept: list[float]  # in the input order
    removed: int
    fences: tuple[float, float]  # values outside [low, high] were removed


def remove_outliers(values: Sequence[float], factor: float) -> Trimmed:
    """Drop the values below Q1 - factor*IQR or above Q3 + factor*IQR."""
    if factor <= 0:
        raise ValueError("the IQR factor must be greater than zero")
    if not values:
        return Trimmed([], 0, (-math.inf, math.inf))
    ordered = sorted(values)
    q1, q3 = percentile(ordered, 25), percentile(ordered, 75)
    spread = q3 - q1
    low, high = q1 - factor * spread, q3 + factor * spread
    kept = [v for v in values if low <= v <= high]
    return Trimmed(kept, len(values) - len(kept), (low, high))
