"""Ratio metrics (sum of a numerator over sum of a denominator) in `secloop experiment analyze`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli import experiment
from secloop.core.errors import InputError
from secloop.release.experiment.analyze import analyze, parse_experiment
from secloop.release.experiment.statistics import Ratio, SampleMean

RATIO = """variations:
  - {name: control, users: 4}
  - {name: b, users: 4}
metrics:
  - name: revenue_per_order
    type: ratio
    variations:
      control: {sum: 60, sum_squares: 1400, denominator_sum: 4, denominator_sum_squares: 6, sum_products: 90}
      b: {sum: 80, sum_squares: 2200, denominator_sum: 4, denominator_sum_squares: 6, sum_products: 110}
"""


def test_ratio_moments_follow_the_delta_method() -> None:
    # units (revenue, orders): (10, 1), (30, 2), (0, 0), (20, 1)
    stat = Ratio(4, SampleMean(4, 60.0, 1400.0), SampleMean(4, 4.0, 6.0), 90.0)
    assert stat.mean == 15.0  # 60 / 4, not the mean of per-unit ratios
    assert stat.covariance == 10.0  # (90 - 60 * 4 / 4) / 3
    # var(m)/d^2 - 2 cov m / d^3 + m^2 var(d) / d^4 with m = 15, d = 1
    assert stat.variance == pytest.approx(500 / 3 - 300 + 225 * 2 / 3, abs=1e-12)
    assert Ratio(4, SampleMean(4, 60.0, 1400.0), SampleMean(4, 0.0, 0.0), 0.0).mean == 0.0
    assert Ratio(1, SampleMean(1, 6.0, 36.0), SampleMean(1, 2.0, 4.0), 12.0).variance == 0.0


def test_parse_reads_a_ratio_metric() -> None:
    exp = parse_experiment(RATIO, "exp.yaml")
    (metric,) = exp.metrics
    assert metric.type == "ratio" and not metric.cuped
    assert metric.stats[0] == Ratio(4, SampleMean(4, 60.0, 1400.0), SampleMean(4, 4.0, 6.0), 90.0)
    assert metric.stats[1] == Ratio(4, SampleMean(4, 80.0, 2200.0), SampleMean(4, 4.0, 6.0), 110.0)


def test_two_sided_relative_and_absolute_lift() -> None:
    relative = analyze(parse_experiment(RATIO, "exp.yaml")).metrics[0]
    assert relative.baseline_mean == 15.0
    comp = relative.comparisons[0]
    assert comp.mean == 20.0
    assert comp.frequentist.expected == pytest.approx(1 / 3, abs=1e-12)  # (20 - 15) / 15
    absolute = analyze(parse_experiment("difference: absolute\n" + RATIO, "exp.yaml")).metrics[0]
    assert absolute.comparisons[0].frequentist.expected == pytest.approx(5.0, abs=1e-12)
    assert absolute.comparisons[0].frequentist.error is None


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (RATIO.replace("type: ratio", "type: median"), 6, "'type' must be mean, proportion or ratio"),
        (
            RATIO.replace(
                "denominator_sum: 4, denominator_sum_squares: 6, sum_products: 90", "sum_products: 90"
            ),
            8,
            "missing 'denominator_sum'",
        ),
        (
            RATIO.replace("sum_products: 110}", "sum_products: 110, pre_sum: 70}"),
            9,
            "unknown key 'pre_sum' in metric 'revenue_per_order', variation 'b'",
        ),
        (
            RATIO.replace(
                "denominator_sum_squares: 6, sum_products: 110",
                "denominator_sum_squares: -6, sum_products: 110",
            ),
            9,
            "'denominator_sum_squares' must be a number >= 0",
        ),
    ],
)
def test_ratio_input_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_experiment(text, "exp.yaml")
    assert info.value.place is not None
    assert (info.value.place.path, info.value.place.line) == ("exp.yaml", line)
    assert message in info.value.message
    assert info.value.exit_code == 2


def test_a_mean_metric_rejects_denominator_sums() -> None:
    text = RATIO.replace("    type: ratio\n", "")
    with pytest.raises(InputError) as info:
        parse_experiment(text, "exp.yaml")
    assert info.value.place is not None and info.value.place.line == 7
    assert "unknown key 'denominator_sum'" in info.value.message


def test_cli_reports_the_ratio_metric(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(RATIO)
    app = typer.Typer()
    experiment.register(app)
    result = CliRunner().invoke(app, ["experiment", "analyze", str(path), "-f", "json"])
    assert result.exit_code == 0, result.output
    metric = json.loads(result.output)["metrics"][0]
    assert (metric["name"], metric["type"], metric["cuped"]) == ("revenue_per_order", "ratio", False)
    assert metric["baseline"]["mean"] == 15.0
    assert metric["comparisons"][0]["mean"] == 20.0
    assert metric["comparisons"][0]["frequentist"]["expected"] == pytest.approx(1 / 3, abs=1e-12)
