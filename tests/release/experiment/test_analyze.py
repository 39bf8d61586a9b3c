from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli import experiment
from secloop.core.errors import InputError
from secloop.release.experiment.analyze import Variation, analyze, parse_experiment, srm_check
from secloop.release.experiment.engines import FrequentistTest
from secloop.release.experiment.statistics import Proportion, RegressionAdjusted, SampleMean

GOOD = """test: sequential
difference: absolute
alpha: 0.1
variations:
  - {name: control, users: 1000}
  - {name: b, users: 1010}
metrics:
  - name: revenue
    variations:
      control: {sum: 2000, sum_squares: 9000, pre_sum: 1900, pre_sum_squares: 8000, sum_products: 8200}
      b: {sum: 2100, sum_squares: 9500, pre_sum: 1950, pre_sum_squares: 8100, sum_products: 8400}
  - name: signup
    type: proportion
    inverse: true
    variations:
      control: {count: 100}
      b: {count: 120, n: 1000}
"""


def test_parse_reads_settings_cuped_and_proportions() -> None:
    exp = parse_experiment(GOOD, "exp.yaml")
    assert (exp.test, exp.relative, exp.alpha) == (FrequentistTest.SEQUENTIAL, False, 0.1)
    revenue, signup = exp.metrics
    assert revenue.cuped and isinstance(revenue.stats[0], RegressionAdjusted)
    assert revenue.stats[0].post == SampleMean(1000, 2000.0, 9000.0)
    assert signup.stats == (Proportion(1000, 100.0), Proportion(1000, 120.0))
    assert signup.inverse and not signup.cuped


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            GOOD.replace("test: sequential", "test: bayes"),
            1,
            "'test' must be two-sided, one-sided or sequential",
        ),
        (
            GOOD.replace("      b: {count: 120, n: 1000}", "      c: {count: 120}"),
            17,
            "unknown variation 'c'",
        ),
        (GOOD.replace("{count: 100}", "{count: 1001}"), 16, "count 1001 exceeds the 1000 units"),
        (GOOD.replace("sum: 2100,", "sum: lots,"), 11, "'sum' must be a number"),
        (
            GOOD.replace(", pre_sum: 1950, pre_sum_squares: 8100, sum_products: 8400", ""),
            10,
            "for every variation or for none",
        ),
        (GOOD.replace("  - {name: b, users: 1010}\n", ""), 4, "at least one variation"),
        (GOOD.replace("inverse: true", "colour: red"), 14, "unknown key 'colour' in metric"),
    ],
)
def test_input_errors_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(InputError) as info:
        parse_experiment(text, "exp.yaml")
    assert info.value.place is not None and (info.value.place.path, info.value.place.line) == (
        "exp.yaml",
        line,
    )
    assert message in info.value.message


def test_srm_needs_a_small_p_and_eight_users_everywhere() -> None:
    p, flagged = srm_check((Variation("a", 5000, 1.0), Variation("b", 5400, 1.0)))
    assert flagged and p == pytest.approx(
        8.769942375590228e-05, rel=1e-9
    )  # scipy.stats.chisquare([5000, 5400])
    p_small, flagged_small = srm_check((Variation("a", 7, 1.0), Variation("b", 60, 1.0)))
    assert p_small < 0.001 and not flagged_small
    _, balanced = srm_check((Variation("a", 900, 9.0), Variation("b", 105, 1.0)))
    assert not balanced


def _app() -> typer.Typer:
    app = typer.Typer()
    experiment.register(app)
    return app


def test_cli_json_and_srm_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "exp.yaml"
    path.write_text(GOOD)
    result = CliRunner().invoke(_app(), ["experiment", "analyze", str(path), "-f", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["schema"] == "secloop.experiment/v1"
    assert body["settings"]["test"] == "sequential"
    assert [m["name"] for m in body["metrics"]] == ["revenue", "signup"]
    assert body["metrics"][0]["cuped"] is True
    assert body["srm"]["mismatch"] is False
    skewed = tmp_path / "skewed.yaml"
    skewed.write_text(GOOD.replace("users: 1010", "users: 1400"))
    srm = CliRunner().invoke(_app(), ["experiment", "analyze", str(skewed)])
    assert srm.exit_code == 1
    assert "SAMPLE-RATIO MISMATCH" in srm.output


def test_direct_analysis_matches_expected_direction() -> None:
    result = analyze(parse_experiment(GOOD.replace("test: sequential", "test: two-sided"), "exp.yaml"))
    signup = result.metrics[1].comparisons[0]
    assert signup.frequentist.expected == pytest.approx(0.02)  # absolute: 12% - 10%
    assert signup.bayesian.chance_to_win < 0.1  # inverse metric: more signups "lose"


def test_terminal_report_rows() -> None:
    from secloop.release.experiment.render import render_text

    text = GOOD.replace("test: sequential", "test: two-sided").replace(
        "difference: absolute", "difference: relative"
    )
    lines = [
        " ".join(line.split()) for line in render_text(analyze(parse_experiment(text, "e.yaml"))).splitlines()
    ]
    assert lines[0] == "sample ratio: p=0.823 (no mismatch)"
    assert "revenue (CUPED) │ b │ +2.42% │ [-0.66%, +5.50%] │ 0.196 │ 90.2% │ 0.000863" in lines
    assert "signup │ b │ +20.00% │ [-5.24%, +45.24%] │ 0.192 │ 9.6% │ 0.207" in lines
