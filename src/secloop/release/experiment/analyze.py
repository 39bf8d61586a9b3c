"""`secloop experiment analyze FILE`: read the experiment's summary statistics, compare, check SRM.

```yaml
alpha: 0.05
difference: relative            # relative | absolute
test: two-sided                 # two-sided | one-sided | sequential
variations:                     # the first is the baseline
  - {name: control, users: 5000, weight: 0.5}
  - {name: new-checkout, users: 5100, weight: 0.5}
metrics:
  - name: revenue
    type: mean                  # mean (sum, sum_squares) | proportion (count) | ratio (below)
    prior: {mean: 0, stddev: 0.1, proper: false}
    variations:
      control: {sum: 61000, sum_squares: 1900000, pre_sum: 59000, pre_sum_squares: 1800000,
                sum_products: 1700000}
      new-checkout: {sum: 64000, sum_squares: 2000000, pre_sum: 60000, pre_sum_squares: 1800000,
                     sum_products: 1800000}
```
With `pre_sum` (and `pre_sum_squares`, `sum_products`) in every variation the metric is CUPED-adjusted.
A ratio metric (e.g. revenue per order) gives, per variation, the numerator's `sum` and `sum_squares`,
the denominator's `denominator_sum` and `denominator_sum_squares`, and `sum_products`, the sum over
units of numerator x denominator (gbstats's `main_denominator_sum_product`); it has no CUPED form.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secloop.core.errors import InputError, place_of
from secloop.release.experiment.engines import (
    BayesianResult,
    FrequentistResult,
    FrequentistTest,
    Prior,
    bayesian,
    frequentist,
)
from secloop.release.experiment.statistics import (
    Proportion,
    Ratio,
    RegressionAdjusted,
    SampleMean,
    Statistic,
    adjust_pair,
    stddev,
)
from secloop.release.stats.spread import sample_ratio_mismatch
from secloop.sources.yaml_lines import YamlMap, load_yaml

SRM_P = 0.001
SRM_MIN_USERS = 8


@dataclass(frozen=True, slots=True)
class Variation:
    name: str
    users: int
    weight: float


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    type: str  # mean | proportion | ratio
    inverse: bool
    prior: Prior
    stats: tuple[Statistic, ...]  # one per variation, in variation order

    @property
    def cuped(self) -> bool:
        return isinstance(self.stats[0], RegressionAdjusted)


@dataclass(frozen=True, slots=True)
class Experiment:
    path: str
    variations: tuple[Variation, ...]
    metrics: tuple[MetricSpec, ...]
    alpha: float = 0.05
    relative: bool = True
    test: FrequentistTest = FrequentistTest.TWO_SIDED
    tuning: float = 5000.0


@dataclass(frozen=True, slots=True)
class Comparison:
    variation: str
    mean: float
    stddev: float
    frequentist: FrequentistResult
    bayesian: BayesianResult


@dataclass(frozen=True, slots=True)
class MetricAnalysis:
    metric: MetricSpec
    baseline_mean: float
    baseline_stddev: float
    comparisons: tuple[Comparison, ...]


@dataclass(frozen=True, slots=True)
class Analysis:
    experiment: Experiment
    srm_p: float
    srm: bool  # a sample-ratio mismatch: the split is not what it should be
    metrics: tuple[MetricAnalysis, ...]


def _fail(path: str, line: int | None, message: str, hint: str | None = None) -> InputError:
    return InputError(message, place=place_of(path, line), hint=hint)


def _num(path: str, node: YamlMap, key: str, default: float | None = None, low: float | None = None) -> float:
    if key not in node:
        if default is None:
            raise _fail(path, node.line, f"missing '{key}'")
        return default
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int | float) or (low is not None and value < low):
        bound = f" >= {low:g}" if low is not None else ""
        raise _fail(path, node.line_of(key), f"'{key}' must be a number{bound} (got {value!r})")
    return float(value)


def _keys(path: str, node: YamlMap, allowed: set[str], what: str) -> None:
    for key in node:
        if key not in allowed:
            raise _fail(
                path,
                node.line_of(key),
                f"unknown key '{key}' in {what}",
                f"allowed: {', '.join(sorted(allowed))}",
            )


_STAT_KEYS = {"n", "sum", "sum_squares", "count", "pre_sum", "pre_sum_squares", "pre_count", "sum_products"}
_RATIO_KEYS = {"n", "sum", "sum_squares", "denominator_sum", "denominator_sum_squares", "sum_products"}
TYPES = ("mean", "proportion", "ratio")


def _ratio(path: str, node: YamlMap, n: int) -> Ratio:
    return Ratio(
        n,
        SampleMean(n, _num(path, node, "sum"), _num(path, node, "sum_squares", low=0)),
        SampleMean(
            n, _num(path, node, "denominator_sum"), _num(path, node, "denominator_sum_squares", low=0)
        ),
        _num(path, node, "sum_products"),
    )


def _statistic(path: str, node: Any, kind: str, users: int, line: int, where: str) -> Statistic:
    if not isinstance(node, YamlMap):
        raise _fail(path, line, f"{where}: expected a mapping of sums")
    _keys(path, node, _RATIO_KEYS if kind == "ratio" else _STAT_KEYS, where)
    n = int(_num(path, node, "n", float(users), 0))
    if kind == "ratio":
        return _ratio(path, node, n)
    if kind == "proportion":
        post: SampleMean | Proportion = Proportion(n, _num(path, node, "count", low=0))
        if post.sum > n:
            raise _fail(path, node.line_of("count"), f"{where}: count {post.sum:g} exceeds the {n} units")
    else:
        post = SampleMean(n, _num(path, node, "sum"), _num(path, node, "sum_squares", low=0))
    if "pre_sum" not in node and "pre_count" not in node:
        return post
    if kind == "proportion":
        pre: SampleMean | Proportion = Proportion(n, _num(path, node, "pre_count", low=0))
    else:
        pre = SampleMean(n, _num(path, node, "pre_sum"), _num(path, node, "pre_sum_squares", low=0))
    return RegressionAdjusted(n, post, pre, _num(path, node, "sum_products"))


def _metric(path: str, node: Any, variations: tuple[Variation, ...], line: int) -> MetricSpec:
    if not isinstance(node, YamlMap):
        raise _fail(path, line, "each metric must be a mapping")
    _keys(path, node, {"name", "type", "inverse", "prior", "variations"}, "metric")
    name = node.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(path, node.line, "metric without 'name'")
    kind = node.get("type", "mean")
    if kind not in TYPES:
        raise _fail(path, node.line_of("type"), f"'type' must be mean, proportion or ratio (got {kind!r})")
    raw_prior = node.get("prior", YamlMap(node.line))
    if not isinstance(raw_prior, YamlMap):
        raise _fail(path, node.line_of("prior"), "'prior' must be {mean, stddev, proper}")
    _keys(path, raw_prior, {"mean", "stddev", "proper"}, "prior")
    prior = Prior(
        _num(path, raw_prior, "mean", 0.0),
        _num(path, raw_prior, "stddev", 0.1, 1e-12),
        bool(raw_prior.get("proper", False)),
    )
    data = node.get("variations")
    if not isinstance(data, YamlMap):
        raise _fail(
            path,
            node.line_of("variations"),
            f"metric '{name}' needs 'variations' with one entry per variation",
        )
    for key in data:
        if key not in {v.name for v in variations}:
            raise _fail(path, data.line_of(key), f"metric '{name}': unknown variation '{key}'")
    stats: list[Statistic] = []
    for variation in variations:
        if variation.name not in data:
            raise _fail(path, data.line, f"metric '{name}': no data for variation '{variation.name}'")
        where = f"metric '{name}', variation '{variation.name}'"
        stats.append(
            _statistic(path, data[variation.name], kind, variation.users, data.line_of(variation.name), where)
        )
    if len({type(s) for s in stats}) != 1:
        raise _fail(
            path, data.line, f"metric '{name}': give CUPED pre-period sums for every variation or for none"
        )
    return MetricSpec(name, kind, bool(node.get("inverse", False)), prior, tuple(stats))


def parse_experiment(text: str, path: str) -> Experiment:
    docs, skipped = load_yaml(text, path)
    if skipped is not None:
        raise InputError(skipped.reason, place=place_of(path, skipped.line, skipped.column))
    root = docs[0] if docs else None
    if not isinstance(root, YamlMap):
        raise _fail(path, 1, "an experiment file must be a mapping with 'variations' and 'metrics'")
    _keys(
        path,
        root,
        {"alpha", "difference", "test", "sequential_tuning", "variations", "metrics"},
        "the experiment",
    )
    raw_vars = root.get("variations")
    if not isinstance(raw_vars, list) or len(raw_vars) < 2:
        raise _fail(
            path, root.line_of("variations"), "'variations' must list the baseline and at least one variation"
        )
    variations: list[Variation] = []
    for raw in raw_vars:
        if not isinstance(raw, YamlMap) or not isinstance(raw.get("name"), str):
            raise _fail(path, root.line_of("variations"), "each variation needs a 'name' and 'users'")
        _keys(path, raw, {"name", "users", "weight"}, "variation")
        if any(v.name == raw["name"] for v in variations):
            raise _fail(path, raw.line, f"variation '{raw['name']}' listed twice")
        variations.append(
            Variation(raw["name"], int(_num(path, raw, "users", low=0)), _num(path, raw, "weight", 1.0, 0))
        )
    raw_metrics = root.get("metrics")
    if not isinstance(raw_metrics, list) or not raw_metrics:
        raise _fail(path, root.line_of("metrics"), "'metrics' must be a non-empty list")
    metrics = tuple(_metric(path, m, tuple(variations), root.line_of("metrics")) for m in raw_metrics)
    difference = root.get("difference", "relative")
    if difference not in ("relative", "absolute"):
        raise _fail(
            path,
            root.line_of("difference"),
            f"'difference' must be relative or absolute (got {difference!r})",
        )
    test = root.get("test", "two-sided")
    if test not in tuple(t.value for t in FrequentistTest):
        raise _fail(
            path, root.line_of("test"), f"'test' must be two-sided, one-sided or sequential (got {test!r})"
        )
    alpha = _num(path, root, "alpha", 0.05, 1e-12)
    if alpha >= 1:
        raise _fail(path, root.line_of("alpha"), f"'alpha' must be below 1 (got {alpha})")
    return Experiment(
        path,
        tuple(variations),
        metrics,
        alpha,
        difference == "relative",
        FrequentistTest(test),
        _num(path, root, "sequential_tuning", 5000.0, 1e-9),
    )


def load_experiment(path: Path) -> Experiment:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the experiment: {exc.strerror or exc}", place=place_of(path)) from None
    return parse_experiment(text, str(path))


def srm_check(variations: tuple[Variation, ...]) -> tuple[float, bool]:
    """gbstats's chi-square p of the split; flagged below 0.001 when every variation has 8+ users."""
    p = sample_ratio_mismatch([v.users for v in variations], [v.weight for v in variations]).p_value
    return p, p < SRM_P and all(v.users >= SRM_MIN_USERS for v in variations)


def analyze(experiment: Experiment) -> Analysis:
    srm_p, srm = srm_check(experiment.variations)
    analyses: list[MetricAnalysis] = []
    for metric in experiment.metrics:
        base = metric.stats[0]
        comparisons: list[Comparison] = []
        for variation, stat in zip(experiment.variations[1:], metric.stats[1:], strict=True):
            freq = frequentist(
                base,
                stat,
                test=experiment.test,
                alpha=experiment.alpha,
                relative=experiment.relative,
                tuning=experiment.tuning,
            )
            bayes = bayesian(
                base,
                stat,
                prior=metric.prior,
                alpha=experiment.alpha,
                relative=experiment.relative,
                inverse=metric.inverse,
            )
            _, adjusted = adjust_pair(base, stat)
            comparisons.append(
                Comparison(variation.name, stat.unadjusted_mean, stddev(adjusted), freq, bayes)
            )
        first = adjust_pair(base, metric.stats[1])[0]
        analyses.append(MetricAnalysis(metric, base.unadjusted_mean, stddev(first), tuple(comparisons)))
    return Analysis(experiment, srm_p, srm, tuple(analyses))
