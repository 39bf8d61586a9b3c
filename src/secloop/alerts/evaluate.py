"""Evaluate the supported PromQL subset at one instant over recorded series, as Prometheus does.

Vector matching and histogram_quantile() follow Prometheus 2.42 (promtool is the reference in tests).
rate() and increase() extrapolate like Prometheus (counter resets corrected, extrapolation to the
window edges limited to 1.1 average sample intervals and never below zero); an instant selector
takes the newest sample within the 5-minute lookback unless that sample is a staleness marker.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from secloop.alerts.promql import (
    COMPARISONS,
    Aggregate,
    Binary,
    Call,
    Expr,
    Matcher,
    Negate,
    Number,
    PromQLError,
    Selector,
)

Labels = tuple[tuple[str, str], ...]
Vector = dict[Labels, float]
Value = float | Vector
LOOKBACK_S = 300.0
_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def _divide(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or math.isnan(a) else math.copysign(math.inf, a)
    return a / b


def _modulo(a: float, b: float) -> float:
    return math.nan if b == 0 else math.fmod(a, b)


_ARITH["/"] = _divide
_ARITH["%"] = _modulo


@dataclass
class Series:
    """One series: sorted sample times (seconds) and values; None is a staleness marker."""

    labels: Labels
    times: list[float] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)
    dense: bool = True  # no staleness marker: a window's samples are a plain index range
    _resets: list[float] = field(default_factory=list)

    def add(self, time: float, value: float | None) -> None:
        if self.times and time <= self.times[-1]:
            raise ValueError(f"samples of {dict(self.labels)} out of order at {time}")
        self.times.append(time)
        self.values.append(value)
        if value is None:
            self.dense = False

    def reset_prefix(self) -> list[float]:
        """Cumulative counter-reset corrections, so increase() over any window costs O(log n)."""
        if len(self._resets) != len(self.values):
            out = [0.0] * len(self.values)
            previous: float | None = None
            total = 0.0
            for i, value in enumerate(self.values):
                if value is not None:
                    if previous is not None and value < previous:
                        total += previous
                    previous = value
                out[i] = total
            self._resets = out
        return self._resets


class Store:
    """Every series by metric name, with recorded rules written back as new series."""

    def __init__(self) -> None:
        self._by_name: dict[str, dict[Labels, Series]] = {}
        # Selections are cached until a new series appears (recordings add series only at first).
        self._selected: dict[tuple[Matcher, ...], list[Series]] = {}

    def series(self, labels: Labels) -> Series:
        name = dict(labels).get("__name__", "")
        bucket = self._by_name.setdefault(name, {})
        found = bucket.get(labels)
        if found is None:
            found = bucket[labels] = Series(labels)
            self._selected.clear()
        return found

    def all_series(self) -> Iterable[Series]:
        for bucket in self._by_name.values():
            yield from bucket.values()

    def select(self, matchers: tuple[Matcher, ...]) -> list[Series]:
        cached = self._selected.get(matchers)
        if cached is None:
            cached = self._selected[matchers] = self._match(matchers)
        return cached

    def _match(self, matchers: tuple[Matcher, ...]) -> list[Series]:
        names = [m.value for m in matchers if m.name == "__name__" and m.op == "="]
        pool: Iterable[Series]
        pool = self._by_name.get(names[0], {}).values() if names else self.all_series()
        out = []
        for series in pool:
            labels = dict(series.labels)
            if all(m.matches(labels.get(m.name, "")) for m in matchers):
                out.append(series)
        return out

    def time_range(self) -> tuple[float, float] | None:
        times = [t for s in self.all_series() for t in (s.times[0], s.times[-1]) if s.times]
        return (min(times), max(times)) if times else None


def _drop_name(labels: Labels) -> Labels:
    return tuple(item for item in labels if item[0] != "__name__")


def _window(series: Series, start: float, end: float) -> tuple[int, int]:
    # Prometheus range selectors are left-open: (start, end].
    return bisect_right(series.times, start), bisect_right(series.times, end)


def _extrapolated(series: Series, start: float, end: float, is_rate: bool) -> float | None:
    lo, hi = _window(series, start, end)
    if series.dense:
        first_i, last_i, count = lo, hi - 1, hi - lo
    else:
        kept = [i for i in range(lo, hi) if series.values[i] is not None]
        first_i, last_i, count = (kept[0], kept[-1], len(kept)) if kept else (0, 0, 0)
    if count < 2:
        return None
    first_t, last_t = series.times[first_i], series.times[last_i]
    first_v, last_v = series.values[first_i], series.values[last_i]
    assert first_v is not None and last_v is not None
    resets = series.reset_prefix()
    result = last_v - first_v + resets[last_i] - resets[first_i]
    sampled = last_t - first_t
    to_start, to_end = first_t - start, end - last_t
    average = sampled / (count - 1)
    if result > 0 and first_v >= 0:
        to_start = min(to_start, sampled * (first_v / result))
    threshold = average * 1.1
    interval = sampled
    interval += to_start if to_start < threshold else average / 2
    interval += to_end if to_end < threshold else average / 2
    result *= interval / sampled
    return result / (end - start) if is_rate else result


def _over_time(series: Series, start: float, end: float, func: str) -> float | None:
    lo, hi = _window(series, start, end)
    values = [v for v in series.values[lo:hi] if v is not None]
    if not values:
        return None
    if func == "avg_over_time":
        return sum(values) / len(values)
    if func == "sum_over_time":
        return sum(values)
    return max(values) if func == "max_over_time" else min(values)


class Evaluator:
    def __init__(self, store: Store) -> None:
        self.store = store

    def instant(self, expr: Expr, time: float) -> Value:
        if isinstance(expr, Number):
            return expr.value
        if isinstance(expr, Negate):
            inner = self.instant(expr.expr, time)
            if isinstance(inner, float):
                return -inner
            return {_drop_name(k): -v for k, v in inner.items()}
        if isinstance(expr, Selector):
            if expr.range_s is not None:
                raise PromQLError("a range selector must be the argument of a function such as rate()")
            return self._select(expr, time)
        if isinstance(expr, Call):
            return self._call(expr, time)
        if isinstance(expr, Aggregate):
            return self._aggregate(expr, time)
        return self._binary(expr, time)

    def _select(self, expr: Selector, time: float) -> Vector:
        out: Vector = {}
        for series in self.store.select(expr.matchers):
            index = bisect_right(series.times, time) - 1
            if index < 0 or series.times[index] <= time - LOOKBACK_S:
                continue
            value = series.values[index]
            if value is not None:
                out[series.labels] = value
        return out

    def _call(self, expr: Call, time: float) -> Value:
        if expr.func == "vector":
            scalar = self.instant(expr.args[0], time)
            if not isinstance(scalar, float):
                raise PromQLError("vector() takes a scalar")
            return {(): scalar}
        if expr.func == "histogram_quantile":
            q = self.instant(expr.args[0], time)
            buckets = self.instant(expr.args[1], time)
            if not isinstance(q, float) or isinstance(buckets, float):
                raise PromQLError("histogram_quantile() takes a scalar quantile and a vector of buckets")
            return histogram_quantile(q, buckets)
        arg = expr.args[0]
        assert isinstance(arg, Selector) and arg.range_s is not None
        start = time - arg.range_s
        out: Vector = {}
        for series in self.store.select(arg.matchers):
            if expr.func in ("rate", "increase"):
                value = _extrapolated(series, start, time, expr.func == "rate")
            else:
                value = _over_time(series, start, time, expr.func)
            if value is not None:
                out[_drop_name(series.labels)] = value
        return out

    def _aggregate(self, expr: Aggregate, time: float) -> Vector:
        inner = self.instant(expr.expr, time)
        if isinstance(inner, float):
            raise PromQLError(f"{expr.op}() needs a vector, not a scalar")
        groups: dict[Labels, list[float]] = {}
        for labels, value in inner.items():
            if expr.without:
                key = tuple(i for i in labels if i[0] not in expr.labels and i[0] != "__name__")
            else:
                key = tuple(i for i in labels if i[0] in expr.labels)
            groups.setdefault(key, []).append(value)
        out: Vector = {}
        for key, values in groups.items():
            if expr.op == "sum":
                out[key] = math.fsum(values) if not any(math.isnan(v) for v in values) else math.nan
            elif expr.op == "count":
                out[key] = float(len(values))
            elif expr.op == "avg":
                out[key] = sum(values) / len(values)
            else:
                real = [v for v in values if not math.isnan(v)] or values
                out[key] = max(real) if expr.op == "max" else min(real)
        return out

    def _binary(self, expr: Binary, time: float) -> Value:
        lhs = self.instant(expr.lhs, time)
        rhs = self.instant(expr.rhs, time)
        if expr.op in ("and", "or", "unless"):
            if isinstance(lhs, float) or isinstance(rhs, float):
                raise PromQLError(f"`{expr.op}` needs vectors on both sides")
            return _set_op(expr, lhs, rhs)
        if isinstance(lhs, float) and isinstance(rhs, float):
            if expr.op in COMPARISONS:
                if not expr.bool_mode:
                    raise PromQLError("comparisons between scalars need `bool`")
                return float(_COMPARE[expr.op](lhs, rhs))
            return _ARITH[expr.op](lhs, rhs)
        if isinstance(lhs, float) or isinstance(rhs, float):
            if expr.group is not None:
                raise PromQLError(f"group_{expr.group} is only allowed between two vectors")
            return _scalar_vector(expr, lhs, rhs)
        return _vector_vector(expr, lhs, rhs)


def _signature(labels: Labels, expr: Binary) -> Labels:
    if expr.on is not None:
        return tuple(i for i in labels if i[0] in expr.on)
    return tuple(i for i in labels if i[0] not in expr.ignoring and i[0] != "__name__")


def _set_op(expr: Binary, lhs: Vector, rhs: Vector) -> Vector:
    right = {_signature(k, expr) for k in rhs}
    if expr.op == "and":
        return {k: v for k, v in lhs.items() if _signature(k, expr) in right}
    if expr.op == "unless":
        return {k: v for k, v in lhs.items() if _signature(k, expr) not in right}
    left = {_signature(k, expr) for k in lhs}
    out = dict(lhs)
    out.update({k: v for k, v in rhs.items() if _signature(k, expr) not in left})
    return out


def _apply(expr: Binary, a: float, b: float, keep: float) -> float | None:
    """The result of one pair: a number, or None when a filtering comparison drops it."""
    if expr.op in COMPARISONS:
        hit = _COMPARE[expr.op](a, b)
        if expr.bool_mode:
            return float(hit)
        return keep if hit else None
    return _ARITH[expr.op](a, b)


def _scalar_vector(expr: Binary, lhs: Value, rhs: Value) -> Vector:
    out: Vector = {}
    vector = lhs if isinstance(lhs, dict) else rhs
    assert isinstance(vector, dict)
    scalar = rhs if isinstance(lhs, dict) else lhs
    assert isinstance(scalar, float)
    for labels, value in vector.items():
        a, b = (value, scalar) if isinstance(lhs, dict) else (scalar, value)
        result = _apply(expr, a, b, value)
        if result is not None:
            keep_name = expr.op in COMPARISONS and not expr.bool_mode
            out[labels if keep_name else _drop_name(labels)] = result
    return out


def _result_labels(expr: Binary, many: Labels, one: Labels) -> Labels:
    """The labels of one result sample, as Prometheus builds them (resultMetric)."""
    out = dict(many)
    if expr.op not in COMPARISONS or expr.bool_mode:
        out.pop("__name__", None)
    if expr.group is None:
        if expr.on is not None:
            out = {k: v for k, v in out.items() if k in expr.on}
        else:
            for name in expr.ignoring:
                out.pop(name, None)
    values = dict(one)
    for name in expr.include:  # copied from the "one" side; an empty value removes the label
        if values.get(name):
            out[name] = values[name]
        else:
            out.pop(name, None)
    return tuple(sorted(out.items()))


def _text(labels: Labels) -> str:
    name = dict(labels).get("__name__", "")
    return name + "{" + ", ".join(f'{k}="{v}"' for k, v in labels if k != "__name__") + "}"


def _vector_vector(expr: Binary, lhs: Vector, rhs: Vector) -> Vector:
    # group_right is group_left with the sides swapped; values keep their operand order.
    right_many = expr.group == "right"
    many, one = (rhs, lhs) if right_many else (lhs, rhs)
    ones: dict[Labels, tuple[Labels, float]] = {}
    for labels, value in one.items():
        sig = _signature(labels, expr)
        if sig in ones:
            side = "left" if right_many else "right"
            raise PromQLError(
                f"found duplicate series for the match group {_text(sig)} on the {side} hand-side of the "
                f"operation ({expr.op}): {_text(labels)} and {_text(ones[sig][0])}; many-to-many matching "
                "is not allowed: matching labels must be unique on one side"
            )
        ones[sig] = (labels, value)
    out: Vector = {}
    matched: set[Labels] = set()
    for labels, value in many.items():
        sig = _signature(labels, expr)
        found = ones.get(sig)
        if found is None:
            continue
        other_labels, other = found
        a, b = (other, value) if right_many else (value, other)
        result = _apply(expr, a, b, a)
        if result is None:
            continue
        if expr.group is None:
            if sig in matched:
                raise PromQLError(
                    f"multiple matches for labels {_text(sig)} ({expr.op}): many-to-one matching must be "
                    "explicit (group_left/group_right)"
                )
            matched.add(sig)
        metric = _result_labels(expr, labels, other_labels)
        if metric in out:
            raise PromQLError(
                f"multiple matches for labels {_text(metric)} ({expr.op}): grouping labels must ensure "
                "unique matches"
            )
        out[metric] = result
    return out


def histogram_quantile(q: float, buckets: Vector) -> Vector:
    """Prometheus' histogram_quantile over classic `le` buckets, one result per bucket set."""
    sets: dict[Labels, list[tuple[float, float]]] = {}
    for labels, value in buckets.items():
        le = dict(labels).get("le")
        if le is None or le != le.strip() or "_" in le:
            continue  # Go's ParseFloat refuses these; Prometheus skips the sample
        try:
            bound = float(le)
        except ValueError:
            continue
        key = tuple(item for item in labels if item[0] != "le")
        sets.setdefault(key, []).append((bound, value))
    out: Vector = {}
    for key, found in sets.items():
        metric = _drop_name(key)
        if metric in out:
            raise PromQLError(f"histogram_quantile(): two bucket sets give the same labels {_text(metric)}")
        out[metric] = bucket_quantile(q, found)
    return out


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Linear interpolation within the bucket holding rank q * count, as Prometheus 2.42 does."""
    if math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(buckets, key=lambda b: b[0])
    if ordered[-1][0] != math.inf:
        return math.nan
    bounds: list[float] = []
    counts: list[float] = []
    for bound, count in ordered:  # the same bound twice (le="1" and le="1.0") is one bucket
        if bounds and bounds[-1] == bound:
            counts[-1] += count
        else:
            bounds.append(bound)
            counts.append(count)
    top = -math.inf
    for i, count in enumerate(counts):  # a count below an earlier one (scrape races) is raised to it
        if count > top:
            top = count
        elif count < top:
            counts[i] = top
    if len(counts) < 2:
        return math.nan
    observations = counts[-1]
    if observations == 0:
        return math.nan
    rank = q * observations
    lo, hi = 0, len(counts) - 1  # Go's sort.Search over all but the +Inf bucket
    while lo < hi:
        mid = (lo + hi) // 2
        if not counts[mid] >= rank:
            lo = mid + 1
        else:
            hi = mid
    b = lo
    if b == len(counts) - 1:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start, end, count = 0.0, bounds[b], counts[b]
    if b > 0:
        start = bounds[b - 1]
        count -= counts[b - 1]
        rank -= counts[b - 1]
    return start + (end - start) * (rank / count)
