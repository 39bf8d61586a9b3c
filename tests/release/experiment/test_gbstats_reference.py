"""secloop's experiment statistics against gbstats 0.8.0's, to 1e-5, on the shared inputs.

tests/fixtures/release/gbstats_reference.json is written by `bench/bench_experiment.py --reference`
in the peers venv (gbstats==0.8.0); these tests only read it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from secloop.release.experiment.analyze import analyze, parse_experiment

REFERENCE = Path(__file__).resolve().parents[2] / "fixtures" / "release" / "gbstats_reference.json"
BODY = json.loads(REFERENCE.read_text())
TOL = 1e-5


def _value(x: Any) -> float:
    if isinstance(x, str):
        return math.inf if x == "inf" else -math.inf
    return float(x)


def _close(mine: float, ref: Any) -> bool:
    expected = _value(ref)
    if math.isinf(expected):
        return mine == expected
    return abs(mine - expected) <= TOL


def test_the_reference_names_its_tool() -> None:
    assert BODY["tool"] == "gbstats 0.8.0"
    assert len(BODY["cases"]) == 12
    ratio = [c for c in BODY["cases"] if any(m["type"] == "ratio" for m in c["input"]["metrics"])]
    assert [(c["input"]["test"], c["input"]["difference"]) for c in ratio] == [
        ("two-sided", "relative"),
        ("two-sided", "absolute"),
        ("one-sided", "relative"),
        ("sequential", "relative"),
        ("two-sided", "relative"),
    ]


@pytest.mark.parametrize("index", range(len(BODY["cases"])))
def test_case_matches_gbstats(index: int) -> None:
    case = BODY["cases"][index]
    result = analyze(parse_experiment(json.dumps(case["input"]), "case.json"))
    assert _close(result.srm_p, case["srm_p"])
    assert [m.metric.name for m in result.metrics] == [m["name"] for m in case["metrics"]]
    for mine, ref in zip(result.metrics, case["metrics"], strict=True):
        for comp, rc in zip(mine.comparisons, ref["comparisons"], strict=True):
            f, rf = comp.frequentist, rc["frequentist"]
            b, rb = comp.bayesian, rc["bayesian"]
            where = f"{ref['name']}/{rc['variation']}"
            assert comp.variation == rc["variation"]
            assert f.error == rf["error"], where
            assert b.error == rb["error"], where
            checks = [
                (f.expected, rf["expected"]),
                (f.p_value, rf["p_value"]),
                (f.uplift_stddev, rf["uplift_stddev"]),
                (f.ci[0], rf["ci"][0]),
                (f.ci[1], rf["ci"][1]),
                (b.chance_to_win, rb["chance_to_win"]),
                (b.expected, rb["expected"]),
                (b.uplift_stddev, rb["uplift_stddev"]),
                (b.ci[0], rb["ci"][0]),
                (b.ci[1], rb["ci"][1]),
                (b.risk[0], rb["risk"][0]),
                (b.risk[1], rb["risk"][1]),
            ]
            for number, (value, expected) in enumerate(checks):
                assert _close(value, expected), (where, number, value, expected)


def test_edge_cases_report_gbstats_errors() -> None:
    case = BODY["cases"][-1]
    result = analyze(parse_experiment(json.dumps(case["input"]), "case.json"))
    zero, constant, large = result.metrics
    assert zero.comparisons[0].frequentist.error == "ZERO_NEGATIVE_BASELINE_VARIATION"
    assert constant.comparisons[0].bayesian.error == "ZERO_NEGATIVE_VARIANCE"
    assert large.comparisons[0].frequentist.error is None
    assert result.srm  # 5000 against 5400 on a 50/50 split


def test_ratio_metrics_match_gbstats_ratio_statistic() -> None:
    case = BODY["cases"][6]  # two-sided, relative lift: gbstats's defaults
    result = analyze(parse_experiment(json.dumps(case["input"]), "case.json"))
    ratio = result.metrics[0]
    assert (ratio.metric.name, ratio.metric.type) == ("revenue_per_order", "ratio")
    mine = ratio.comparisons[0].frequentist
    ref = case["metrics"][0]["comparisons"][0]["frequentist"]
    assert abs(mine.expected - ref["expected"]) <= TOL
    assert abs(mine.p_value - ref["p_value"]) <= TOL
    assert mine.p_value < 0.05 and ref["p_value"] < 0.05  # the lift is significant in both tools


def test_ratio_edge_cases_report_gbstats_errors() -> None:
    case = BODY["cases"][10]
    result = analyze(parse_experiment(json.dumps(case["input"]), "case.json"))
    no_orders, constant = result.metrics
    assert no_orders.comparisons[0].frequentist.error == "ZERO_NEGATIVE_BASELINE_VARIATION"
    assert no_orders.comparisons[0].bayesian.error == "ZERO_NEGATIVE_BASELINE_VARIATION"
    assert constant.comparisons[0].frequentist.error == "ZERO_NEGATIVE_VARIANCE"
    assert constant.comparisons[0].bayesian.error == "ZERO_NEGATIVE_VARIANCE"
