from __future__ import annotations

from secloop.release.canary.judge import classify, judge
from secloop.release.canary.model import Classification, Decision

from .conftest import config, normal, samples

LATENCY = "metrics:\n  - {name: latency_ms, allowed_increase: 1.05}\n"


def test_significant_increase_beyond_gate_is_high() -> None:
    cfg = config(LATENCY)
    result = classify(
        cfg.metrics[0],
        samples("b", latency_ms=normal(100, 5, 200, 1)),
        samples("c", latency_ms=normal(120, 5, 200, 2)),
    )
    assert result.classification is Classification.HIGH and result.failed
    assert result.test == "mann-whitney"
    assert result.ci is not None and result.ci[0] > 15
    assert result.reason == "higher than baseline: shift 19.41, 98% CI [18.23, 20.55], mean ratio 1.193"


def test_significant_but_small_shift_passes_the_effect_gate() -> None:
    cfg = config(LATENCY)
    result = classify(
        cfg.metrics[0],
        samples("b", latency_ms=normal(100, 1, 400, 1)),
        samples("c", latency_ms=normal(102, 1, 400, 2)),
    )
    assert result.classification is Classification.PASS and not result.failed
    assert "is significant" in result.reason and "is within 1.05" in result.reason


def test_direction_decrease_tolerates_an_increase() -> None:
    cfg = config("metrics:\n  - {name: throughput, direction: decrease}\n")
    result = classify(
        cfg.metrics[0],
        samples("b", throughput=normal(100, 5, 100, 3)),
        samples("c", throughput=normal(130, 5, 100, 4)),
    )
    assert result.classification is Classification.HIGH and not result.failed
    assert "allowed by direction decrease" in result.reason


def test_variance_increase_is_caught_when_the_location_holds() -> None:
    cfg = config("metrics:\n  - name: latency_ms\n")
    result = classify(
        cfg.metrics[0],
        samples("b", latency_ms=normal(100, 2, 300, 5)),
        samples("c", latency_ms=normal(100, 12, 300, 6)),
    )
    assert result.classification is Classification.HIGH and result.failed
    assert result.test == "brown-forsythe"
    assert result.reason.startswith("spread grew x")
    off = config("metrics:\n  - {name: latency_ms, variance_check: false}\n")
    quiet = classify(
        off.metrics[0],
        samples("b", latency_ms=normal(100, 2, 300, 5)),
        samples("c", latency_ms=normal(100, 12, 300, 6)),
    )
    assert quiet.classification is Classification.PASS


def test_sparse_errors_zero_against_five_fail_with_the_exact_test() -> None:
    cfg = config("metrics:\n  - {name: errors, kind: count, confidence: 0.95}\n")
    result = classify(
        cfg.metrics[0], samples("b", errors=[0.0] * 10), samples("c", errors=[0, 2, 0, 1, 0, 0, 2, 0, 0, 0])
    )
    assert result.classification is Classification.HIGH and result.failed
    assert (
        result.p_value is not None and abs(result.p_value - 0.03125) < 1e-12
    )  # binomtest(5, 5, 0.5, "greater")
    assert result.reason == (
        "5 vs 0 events (rate per interval 0.5 vs 0); exact Poisson p=0.0313 (significant at 0.05), ratio inf"
    )


def test_count_with_exposure_uses_traffic_share() -> None:
    cfg = config("metrics:\n  - {name: errors, kind: count, exposure: requests}\n")
    base = samples("b", errors=[3.0, 3.0], requests=[900.0, 900.0])
    canary = samples("c", errors=[0.0, 1.0], requests=[100.0, 100.0])
    result = classify(cfg.metrics[0], base, canary)
    assert result.classification is Classification.PASS
    assert "rate per requests 0.005 vs 0.003333" in result.reason


def test_security_rate_uses_fisher_exact() -> None:
    cfg = config("metrics:\n  - {name: denied, kind: security_rate, numerator: d, denominator: req}\n")
    base = samples("b", d=[3.0], req=[1000.0])
    canary = samples("c", d=[12.0], req=[1000.0])
    result = classify(cfg.metrics[0], base, canary)
    assert result.classification is Classification.HIGH and result.failed and result.spec.critical
    assert result.test == "fisher-exact"
    assert (
        result.p_value is not None and abs(result.p_value - 0.017245712699026104) < 1e-12
    )  # fisher_exact greater
    bad = classify(cfg.metrics[0], samples("b", d=[300.0], req=[200.0]), canary)
    assert bad.classification is Classification.ERROR


def test_minimum_samples_and_missing_data_are_nodata() -> None:
    cfg = config("metrics:\n  - {name: latency_ms, min_samples: 5}\n")
    few = classify(cfg.metrics[0], samples("b", latency_ms=[1.0] * 5), samples("c", latency_ms=[1.0, 2.0]))
    assert few.classification is Classification.NODATA
    assert few.reason == "too few samples (baseline 5, canary 2; minimum 5)"
    none = classify(cfg.metrics[0], samples("b", latency_ms=[1.0] * 5), samples("c"))
    assert none.reason == "no canary samples"


def test_no_data_pauses_and_ignore_scores_the_rest() -> None:
    text = "metrics:\n  - name: latency_ms\n  - name: cpu\n"
    base = samples("b", latency_ms=normal(10, 1, 50, 1))
    canary = samples("c", latency_ms=normal(10, 1, 50, 2))
    verdict = judge(config(text), base, canary)
    assert verdict.decision is Decision.PAUSE and verdict.exit_code == 4
    assert "metric 'cpu' is NoData: no baseline samples" in verdict.reasons
    ignored = judge(config("nodata: ignore\n" + text), base, canary)
    assert ignored.decision is Decision.PROMOTE and ignored.score == 100.0


def test_weighted_group_score_and_thresholds() -> None:
    text = (
        "groups: {latency: 60, errors: 40}\nthresholds: {pass: 90, marginal: 50}\nmetrics:\n"
        "  - {name: a, group: latency}\n  - {name: b, group: latency, weight: 3}\n"
        "  - {name: e, group: errors}\n"
    )
    good, bad = normal(10, 1, 60, 1), normal(30, 1, 60, 2)
    base = samples("b", a=good, b=good, e=good)
    verdict = judge(config(text), base, samples("c", a=bad, b=normal(10, 1, 60, 3), e=normal(10, 1, 60, 4)))
    # latency: weight 3 of 4 passes -> 0.75; errors: 1.0; score = (60*0.75 + 40*1) / 100
    assert verdict.score == 85.0
    assert verdict.decision is Decision.PAUSE
    assert verdict.reasons == ("score 85.0 is marginal (50 <= score < 90)",)
    low = judge(config(text), base, samples("c", a=bad, b=bad, e=normal(10, 1, 60, 4)))
    assert low.score == 40.0 and low.decision is Decision.ROLLBACK


def test_critical_failure_rolls_back_regardless_of_score() -> None:
    text = (
        "thresholds: {pass: 10, marginal: 5}\nmetrics:\n  - {name: a}\n  - {name: b}\n  - {name: c}\n"
        "  - {name: logons, kind: security_count}\n"
    )
    same = normal(10, 1, 30, 1)
    base = samples("b", a=same, b=same, c=same, logons=[0.0] * 30)
    canary = samples("c", a=same, b=same, c=same, logons=[1.0] * 30)
    verdict = judge(config(text), base, canary)
    assert verdict.decision is Decision.ROLLBACK and verdict.exit_code == 1
    assert verdict.score == 50.0  # default group 100%, security group 0%, equal weights
    assert verdict.reasons[0].startswith("critical metric 'logons' is High: 30 vs 0 events")


def test_sample_ratio_mismatch_pauses() -> None:
    text = "traffic: {baseline: 90, canary: 10, metric: requests}\nmetrics:\n  - name: a\n"
    same = normal(10, 1, 30, 1)
    verdict = judge(
        config(text), samples("b", a=same, requests=[800.0]), samples("c", a=same, requests=[200.0])
    )
    assert verdict.decision is Decision.PAUSE
    assert verdict.srm is not None and verdict.srm[1] < 1e-20
    assert verdict.reasons[0].startswith(
        "sample-ratio mismatch: canary got 20.00% of 'requests', expected 10.00%"
    )
    fine = judge(config(text), samples("b", a=same, requests=[905.0]), samples("c", a=same, requests=[95.0]))
    assert fine.decision is Decision.PROMOTE
    assert (
        fine.srm is not None and abs(fine.srm[0] - 0.2777777777777778) < 1e-12
    )  # chisquare([905, 95], [900, 100])


def test_direction_either_fails_a_decrease_with_the_exact_test() -> None:
    cfg = config("metrics:\n  - {name: throughput, direction: either}\n")
    result = classify(
        cfg.metrics[0],
        samples("b", throughput=normal(100, 3, 20, 7)),
        samples("c", throughput=normal(80, 3, 20, 8)),
    )
    assert result.classification is Classification.LOW and result.failed
    assert result.test == "mann-whitney-exact"
    assert result.reason.startswith("lower than baseline: shift -")


def test_count_decrease_direction_uses_the_lower_tail() -> None:
    cfg = config("metrics:\n  - {name: orders, kind: count, direction: decrease, confidence: 0.95}\n")
    result = classify(cfg.metrics[0], samples("b", orders=[50.0, 52.0]), samples("c", orders=[30.0, 28.0]))
    assert result.classification is Classification.LOW and result.failed
    assert result.p_value is not None and result.p_value < 0.01


def test_zero_against_five_errors_fails_by_default() -> None:
    cfg = config("metrics:\n  - {name: errors, kind: count}\n")
    result = classify(cfg.metrics[0], samples("b", errors=[0.0] * 5), samples("c", errors=[1.0] * 5))
    assert result.classification is Classification.HIGH and result.failed
