"""Experiment statistics against GrowthBook's gbstats 0.8.0 on the same inputs.

    .venv/bin/python bench/bench_experiment.py            # compare, time, (re)write the reference
    bench/.work/venv-peers/bin/python bench/bench_experiment.py --reference   # used by the above

The reference run happens in the peers venv (pip install gbstats==0.8.0 scipy); it writes
tests/fixtures/release/gbstats_reference.json, which the tests read (they never import gbstats).
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "fixtures" / "release" / "gbstats_reference.json"
PEERS = ROOT / "bench" / ".work" / "venv-peers" / "bin" / "python"
TOLERANCE = 1e-5


def _sums(rng: random.Random, n: int, mean: float, sd: float, pre_corr: float | None) -> dict[str, float]:
    post: list[float] = []
    pre: list[float] = []
    for _ in range(n):
        x = rng.gauss(mean, sd)
        post.append(max(0.0, x))
        if pre_corr is not None:
            pre.append(max(0.0, pre_corr * x + (1 - pre_corr) * rng.gauss(mean, sd)))
    out = {"sum": round(sum(post), 6), "sum_squares": round(sum(v * v for v in post), 6)}
    if pre_corr is not None:
        out["pre_sum"] = round(sum(pre), 6)
        out["pre_sum_squares"] = round(sum(v * v for v in pre), 6)
        out["sum_products"] = round(sum(a * b for a, b in zip(post, pre, strict=True)), 6)
    return out


def _props(rng: random.Random, n: int, p: float, pre: bool) -> dict[str, float]:
    post = [rng.random() < p for _ in range(n)]
    out: dict[str, float] = {"count": sum(post)}
    if pre:
        before = [a if rng.random() < 0.7 else rng.random() < p for a in post]
        out["pre_count"] = sum(before)
        out["sum_products"] = sum(1 for a, b in zip(post, before, strict=True) if a and b)
    return out


def _ratio_sums(rng: random.Random, n: int, lift: float, per_unit: float) -> dict[str, float]:
    """Per-unit numerator (revenue over a user's orders) and denominator (orders), summed."""
    num: list[float] = []
    den: list[float] = []
    for _ in range(n):
        orders = sum(1 for _ in range(6) if rng.random() < per_unit / 6)
        den.append(float(orders))
        num.append(sum(max(0.0, rng.gauss(30 * lift, 12)) for _ in range(orders)))
    return {
        "sum": round(sum(num), 6),
        "sum_squares": round(sum(v * v for v in num), 6),
        "denominator_sum": sum(den),
        "denominator_sum_squares": sum(v * v for v in den),
        "sum_products": round(sum(a * b for a, b in zip(num, den, strict=True)), 6),
    }


def ratio_cases() -> list[dict[str, Any]]:
    """Ratio metrics (gbstats RatioStatistic); a separate stream keeps the older cases unchanged."""
    rng = random.Random(20261128)
    out: list[dict[str, Any]] = []
    settings = [
        ("two-sided", "relative"),
        ("two-sided", "absolute"),
        ("one-sided", "relative"),
        ("sequential", "relative"),
    ]
    for index, (test, difference) in enumerate(settings):
        names = ["control", "b"] + (["c"] if index % 2 else [])
        users = [rng.randint(300, 3000) for _ in names]
        lift = [1.0] + [rng.uniform(0.95, 1.1) for _ in names[1:]]
        metrics: list[dict[str, Any]] = [
            {
                "name": "revenue_per_order",
                "type": "ratio",
                "variations": {
                    n: _ratio_sums(rng, u, k, 1.5) for n, u, k in zip(names, users, lift, strict=True)
                },
            },
            {
                "name": "revenue_per_order_sparse",
                "type": "ratio",
                "inverse": index == 2,
                "prior": {"mean": 0.0, "stddev": 0.2, "proper": index % 2 == 0},
                "variations": {
                    n: _ratio_sums(rng, u, k, 0.3) for n, u, k in zip(names, users, lift, strict=True)
                },
            },
        ]
        variations = [{"name": n, "users": u, "weight": 1.0} for n, u in zip(names, users, strict=True)]
        out.append({"test": test, "difference": difference, "variations": variations, "metrics": metrics})
    # a baseline without orders (gbstats: mean 0 -> baseline error) and a constant ratio (zero variance)
    none = {"sum": 0, "sum_squares": 0, "denominator_sum": 0, "denominator_sum_squares": 0, "sum_products": 0}
    flat = {"sum": 2000, "sum_squares": 4000, "denominator_sum": 1000, "denominator_sum_squares": 1000}
    out.append(
        {
            "test": "two-sided",
            "difference": "relative",
            "variations": [
                {"name": "control", "users": 1000, "weight": 1.0},
                {"name": "b", "users": 1000, "weight": 1.0},
            ],
            "metrics": [
                {
                    "name": "no_orders",
                    "type": "ratio",
                    "variations": {"control": none, "b": {**flat, "sum_products": 2000}},
                },
                {
                    "name": "constant_ratio",
                    "type": "ratio",
                    "variations": {
                        "control": {**flat, "sum_products": 2000},
                        "b": {**flat, "sum_products": 2000},
                    },
                },
            ],
        }
    )
    return out


def cases() -> list[dict[str, Any]]:
    rng = random.Random(20261127)
    out: list[dict[str, Any]] = []
    settings = [
        ("two-sided", "relative"),
        ("one-sided", "relative"),
        ("sequential", "relative"),
        ("two-sided", "absolute"),
        ("sequential", "absolute"),
        ("one-sided", "absolute"),
    ]
    for index, (test, difference) in enumerate(settings):
        names = ["control", "b"] + (["c"] if index % 2 else [])
        users = [rng.randint(300, 3000) for _ in names]
        variations = [{"name": n, "users": u, "weight": 1.0} for n, u in zip(names, users, strict=True)]
        metrics: list[dict[str, Any]] = []
        lift = [1.0] + [rng.uniform(0.95, 1.1) for _ in names[1:]]
        metrics.append(
            {
                "name": "revenue",
                "type": "mean",
                "variations": {
                    n: _sums(rng, u, 20 * k, 8, None) for n, u, k in zip(names, users, lift, strict=True)
                },
            }
        )
        metrics.append(
            {
                "name": "revenue_cuped",
                "type": "mean",
                "prior": {"mean": 0.01, "stddev": 0.05, "proper": True},
                "variations": {
                    n: _sums(rng, u, 20 * k, 8, 0.7) for n, u, k in zip(names, users, lift, strict=True)
                },
            }
        )
        metrics.append(
            {
                "name": "conversion",
                "type": "proportion",
                "inverse": index == 3,
                "variations": {
                    n: _props(rng, u, 0.1 * k, False) for n, u, k in zip(names, users, lift, strict=True)
                },
            }
        )
        metrics.append(
            {
                "name": "conversion_cuped",
                "type": "proportion",
                "prior": {"mean": 0.0, "stddev": 0.3, "proper": index % 2 == 0},
                "variations": {
                    n: _props(rng, u, 0.2 * k, True) for n, u, k in zip(names, users, lift, strict=True)
                },
            }
        )
        out.append(
            {
                "test": test,
                "difference": difference,
                "alpha": 0.05 if index < 4 else 0.1,
                "variations": variations,
                "metrics": metrics,
            }
        )
    out += ratio_cases()
    # edge cases: a baseline with no conversions, zero variance, a large experiment, a mismatched split
    out.append(
        {
            "test": "two-sided",
            "difference": "relative",
            "variations": [
                {"name": "control", "users": 5000, "weight": 0.5},
                {"name": "b", "users": 5400, "weight": 0.5},
            ],
            "metrics": [
                {
                    "name": "zero_baseline",
                    "type": "proportion",
                    "variations": {"control": {"count": 0}, "b": {"count": 3}},
                },
                {
                    "name": "constant",
                    "type": "mean",
                    "variations": {
                        "control": {"sum": 5000, "sum_squares": 5000},
                        "b": {"sum": 5400, "sum_squares": 5400},
                    },
                },
                {
                    "name": "large",
                    "type": "mean",
                    "variations": {
                        "control": {"n": 2_000_000, "sum": 2.0e7, "sum_squares": 2.5e8},
                        "b": {"n": 2_000_000, "sum": 2.002e7, "sum_squares": 2.51e8},
                    },
                },
            ],
        }
    )
    return out


def reference() -> None:
    """Run gbstats 0.8.0 on every case (peers venv only)."""
    from gbstats.bayesian.tests import (  # type: ignore[import-not-found]
        EffectBayesianABTest,
        EffectBayesianConfig,
        GaussianPrior,
    )
    from gbstats.frequentist.tests import (  # type: ignore[import-not-found]
        FrequentistConfig,
        OneSidedTreatmentGreaterTTest,
        SequentialConfig,
        SequentialTwoSidedTTest,
        TwoSidedTTest,
    )
    from gbstats.models.statistics import (  # type: ignore[import-not-found]
        ProportionStatistic,
        RatioStatistic,
        RegressionAdjustedStatistic,
        SampleMeanStatistic,
    )
    from gbstats.utils import check_srm  # type: ignore[import-not-found]

    def stat(kind: str, users: int, data: dict[str, float]) -> Any:
        n = int(data.get("n", users))
        if kind == "ratio":
            return RatioStatistic(
                n=n,
                m_statistic=SampleMeanStatistic(n=n, sum=data["sum"], sum_squares=data["sum_squares"]),
                d_statistic=SampleMeanStatistic(
                    n=n, sum=data["denominator_sum"], sum_squares=data["denominator_sum_squares"]
                ),
                m_d_sum_of_products=data["sum_products"],
            )
        if kind == "proportion":
            post = ProportionStatistic(n=n, sum=data["count"])
            if "pre_count" not in data:
                return post
            pre = ProportionStatistic(n=n, sum=data["pre_count"])
        else:
            post = SampleMeanStatistic(n=n, sum=data["sum"], sum_squares=data["sum_squares"])
            if "pre_sum" not in data:
                return post
            pre = SampleMeanStatistic(n=n, sum=data["pre_sum"], sum_squares=data["pre_sum_squares"])
        return RegressionAdjustedStatistic(
            n=n,
            post_statistic=post,
            pre_statistic=pre,
            post_pre_sum_of_products=data["sum_products"],
            theta=0,
        )

    def num(x: float) -> float | str:
        return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")

    results = []
    for case in cases():
        users = {v["name"]: v["users"] for v in case["variations"]}
        alpha, diff = case.get("alpha", 0.05), case["difference"]
        metrics = []
        for metric in case["metrics"]:
            base_name = case["variations"][0]["name"]
            rows = []
            for var in case["variations"][1:]:
                name = var["name"]

                def pair(
                    metric: dict[str, Any] = metric,
                    name: str = name,
                    base: str = base_name,
                    users: dict[str, int] = users,
                ) -> tuple[Any, Any]:
                    # fresh objects for every test: gbstats writes CUPED's theta into them
                    return (
                        stat(metric["type"], users[base], metric["variations"][base]),
                        stat(metric["type"], users[name], metric["variations"][name]),
                    )

                if case["test"] == "sequential":
                    freq = SequentialTwoSidedTTest(
                        *pair(), SequentialConfig(alpha=alpha, difference_type=diff)
                    )
                elif case["test"] == "one-sided":
                    freq = OneSidedTreatmentGreaterTTest(
                        *pair(), FrequentistConfig(alpha=alpha, difference_type=diff)
                    )
                else:
                    freq = TwoSidedTTest(*pair(), FrequentistConfig(alpha=alpha, difference_type=diff))
                f = freq.compute_result()
                prior = metric.get("prior", {})
                config = EffectBayesianConfig(
                    alpha=alpha,
                    difference_type=diff,
                    inverse=metric.get("inverse", False),
                    prior_effect=GaussianPrior(
                        mean=prior.get("mean", 0.0),
                        variance=prior.get("stddev", 0.1) ** 2,
                        proper=prior.get("proper", False),
                    ),
                    prior_type="relative",
                )
                b = EffectBayesianABTest(*pair(), config).compute_result()
                rows.append(
                    {
                        "variation": name,
                        "frequentist": {
                            "expected": f.expected,
                            "ci": [num(float(c)) for c in f.ci],
                            "p_value": float(f.p_value),
                            "uplift_stddev": float(f.uplift.stddev),
                            "error": f.error_message,
                        },
                        "bayesian": {
                            "chance_to_win": float(b.chance_to_win),
                            "expected": float(b.expected),
                            "ci": [float(c) for c in b.ci],
                            "risk": [float(r) for r in b.risk],
                            "uplift_stddev": float(b.uplift.stddev),
                            "error": b.error_message,
                        },
                    }
                )
            metrics.append({"name": metric["name"], "comparisons": rows})
        srm = float(
            check_srm([v["users"] for v in case["variations"]], [v["weight"] for v in case["variations"]])
        )
        results.append({"input": case, "srm_p": srm, "metrics": metrics})
    body = {
        "tool": "gbstats 0.8.0",
        "generated_by": "bench/bench_experiment.py --reference",
        "cases": results,
    }
    REFERENCE.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n")


def _value(x: Any) -> float:
    return float(x) if not isinstance(x, str) else (math.inf if x == "inf" else -math.inf)


def _gap(a: float, r: Any) -> float:
    ref = _value(r)
    if math.isinf(ref) or math.isinf(a):
        return 0.0 if a == ref else math.inf
    return abs(a - ref)


def compare() -> dict[str, tuple[int, float]]:
    """Run secloop on every reference case; per metric type: (values compared, worst absolute gap)."""
    sys.path.insert(0, str(ROOT / "src"))
    from secloop.release.experiment.analyze import analyze, parse_experiment

    body = json.loads(REFERENCE.read_text())
    out: dict[str, tuple[int, float]] = {}

    def record(kind: str, pairs: list[tuple[float, Any]]) -> None:
        count, worst = out.get(kind, (0, 0.0))
        out[kind] = (count + len(pairs), max([worst, *(_gap(a, r) for a, r in pairs)]))

    for case in body["cases"]:
        result = analyze(parse_experiment(json.dumps(case["input"]), "case.json"))
        record("srm", [(result.srm_p, case["srm_p"])])
        for mine, ref in zip(result.metrics, case["metrics"], strict=True):
            for comp, rc in zip(mine.comparisons, ref["comparisons"], strict=True):
                f, b = comp.frequentist, comp.bayesian
                rf, rb = rc["frequentist"], rc["bayesian"]
                pairs: list[tuple[float, Any]] = [
                    (f.expected, rf["expected"]),
                    (f.p_value, rf["p_value"]),
                    (f.uplift_stddev, rf["uplift_stddev"]),
                    *zip(f.ci, rf["ci"], strict=True),
                    (b.chance_to_win, rb["chance_to_win"]),
                    (b.expected, rb["expected"]),
                    (b.uplift_stddev, rb["uplift_stddev"]),
                    *zip(b.ci, rb["ci"], strict=True),
                    *zip(b.risk, rb["risk"], strict=True),
                ]
                record(mine.metric.type, pairs)
    return out


def main() -> None:
    if "--reference" in sys.argv:
        reference()
        return
    start = time.perf_counter()
    subprocess.run([str(PEERS), __file__, "--reference"], check=True)
    peer = time.perf_counter() - start
    gaps = compare()
    count = sum(c for c, _ in gaps.values())
    worst = max(w for _, w in gaps.values())
    from secloop.release.experiment.analyze import analyze, parse_experiment

    inputs = [json.dumps(c["input"]) for c in json.loads(REFERENCE.read_text())["cases"]]
    start = time.perf_counter()
    for _ in range(100):
        for text in inputs:
            analyze(parse_experiment(text, "case.json"))
    ours = (time.perf_counter() - start) / 100
    print(
        f"cases: {len(inputs)}; values compared: {count}; "
        f"worst absolute difference: {worst:.3g} (goal <= {TOLERANCE:g})"
    )
    for kind in sorted(gaps):
        print(f"  {kind}: {gaps[kind][0]} values, worst absolute difference {gaps[kind][1]:.3g}")
    print(f"secloop: {ours * 1000:.2f} ms for all cases; gbstats reference run incl. start-up: {peer:.2f} s")
    if worst > TOLERANCE:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
