from __future__ import annotations

import pytest

from secloop.core.errors import ConfigError
from secloop.release.canary.model import Direction, Kind, NanStrategy

from .conftest import config


def test_defaults_and_security_kinds() -> None:
    cfg = config(
        "metrics:\n"
        "  - name: latency_ms\n"
        "  - {name: denied, kind: security_rate, numerator: d, denominator: req}\n"
        "  - {name: logons, kind: security_count, critical: false}\n"
    )
    latency, denied, logons = cfg.metrics
    assert (latency.kind, latency.direction, latency.confidence, latency.min_samples) == (
        Kind.CONTINUOUS,
        Direction.INCREASE,
        0.98,
        10,
    )
    assert latency.nan_strategy is NanStrategy.REMOVE and latency.variance_check and not latency.critical
    assert (denied.critical, denied.group, denied.confidence, denied.min_samples) == (
        True,
        "security",
        0.95,
        100,
    )
    assert not logons.critical
    assert cfg.groups == (("default", 1.0), ("security", 1.0))
    assert cfg.series == frozenset({"latency_ms", "d", "req", "logons"})
    assert (cfg.pass_threshold, cfg.marginal_threshold, cfg.nodata) == (95.0, 75.0, "pause")


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("metrics:\n  - name: a\n    colour: red\n", 3, "unknown key 'colour' in metric"),
        ("metrics:\n  - {name: r, kind: ratio, numerator: x}\n", 2, "needs 'numerator' and 'denominator'"),
        (
            "groups: {a: 1}\nmetrics:\n  - name: x\n    group: b\n",
            3,
            "group 'b', which 'groups' does not weigh",
        ),
        ("metrics:\n  - name: a\n  - name: a\n", 3, "metric 'a' declared twice"),
        (
            "metrics:\n  - name: a\n    direction: up\n",
            3,
            "'direction' must be one of increase, decrease, either",
        ),
        ("thresholds: {pass: 50, marginal: 80}\nmetrics: [{name: a}]\n", 1, "0 <= marginal <= pass <= 100"),
        ("metrics: []\n", 1, "'metrics' must be a non-empty list"),
        ("metrics:\n  - name: a\n    allowed_increase: lots\n", 3, "'allowed_increase' must be a number"),
        ("speed: 3\nmetrics: [{name: a}]\n", 1, "unknown key 'speed' in the judge config"),
        ("metrics: [\n", 2, "not valid YAML"),
    ],
)
def test_config_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        config(text)
    assert info.value.place is not None
    assert (info.value.place.path, info.value.place.line) == ("judge.yaml", line)
    assert message in info.value.message
    assert info.value.exit_code == 2


def test_counts_default_to_95_percent_and_continuous_to_the_top_level() -> None:
    cfg = config("confidence: 0.99\nmetrics:\n  - name: latency\n  - {name: errors, kind: count}\n")
    assert [m.confidence for m in cfg.metrics] == [0.99, 0.95]
