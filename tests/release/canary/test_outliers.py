"""Outlier removal (`outliers: remove`, Tukey fences at `outlier_factor` x IQR) in the canary judge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from secloop.cli import canary as canary_cli
from secloop.core.errors import ConfigError
from secloop.release.canary.judge import classify, judge
from secloop.release.canary.model import Classification, Decision, OutlierStrategy
from secloop.release.canary.render import decision_log, render_text

from .conftest import config, normal, samples

KEEP = "metrics:\n  - {name: latency_ms, allowed_increase: 1.05}\n"
REMOVE = "metrics:\n  - {name: latency_ms, allowed_increase: 1.05, outliers: remove}\n"
SPIKE = 4000.0


def _base() -> list[float]:
    return normal(100, 1, 60, 1)


def _canary() -> list[float]:
    # slightly slower (significant, but within the 1.05 gate) plus one spike
    return [*normal(102, 1, 59, 2), SPIKE]


def test_one_canary_spike_fails_with_keep_and_passes_with_remove() -> None:
    base, can = samples("b", latency_ms=_base()), samples("c", latency_ms=_canary())
    kept = classify(config(KEEP).metrics[0], base, can)
    assert (kept.classification, kept.failed) == (Classification.HIGH, True)
    assert kept.reason == "higher than baseline: shift 1.563, 98% CI [1.135, 2.003], mean ratio 1.664"
    assert (kept.baseline_n, kept.canary_n, kept.baseline_outliers, kept.canary_outliers) == (60, 60, 0, 0)
    removed = classify(config(REMOVE).metrics[0], base, can)
    assert (removed.classification, removed.failed) == (Classification.PASS, False)
    assert removed.reason == (
        "shift 1.54 is significant (98% CI [1.115, 1.959]) but mean ratio 1.015 is within 1.05"
    )
    assert (removed.baseline_n, removed.canary_n) == (60, 59)
    assert (removed.baseline_outliers, removed.canary_outliers) == (0, 1)
    assert removed.canary_stat is not None and removed.canary_stat < 103


def test_each_side_is_trimmed_against_its_own_quartiles() -> None:
    base = samples("b", latency_ms=[*_base(), 0.0, 0.5])  # two dips in the baseline only
    result = classify(config(REMOVE).metrics[0], base, samples("c", latency_ms=_canary()))
    assert (result.baseline_outliers, result.canary_outliers) == (2, 1)
    assert (result.baseline_n, result.canary_n) == (60, 59)
    wide = config("metrics:\n  - {name: latency_ms, outliers: remove, outlier_factor: 10000}\n")
    loose = classify(wide.metrics[0], base, samples("c", latency_ms=_canary()))
    assert (loose.baseline_outliers, loose.canary_outliers) == (0, 0)


def test_removal_happens_before_the_minimum_sample_guard() -> None:
    spiky = [10.0] * 8 + [90.0]  # positions 2.5 and 7.5 both fall on 10: IQR 0, so 90 goes
    base = samples("b", latency_ms=[10.0] * 9)
    strict = config("metrics:\n  - {name: latency_ms, min_samples: 9, outliers: remove}\n")
    short = classify(strict.metrics[0], base, samples("c", latency_ms=spiky))
    assert short.classification is Classification.NODATA
    assert short.reason == "too few samples (baseline 9, canary 8; minimum 9)"
    assert (short.baseline_outliers, short.canary_outliers) == (0, 1)
    lenient = config("metrics:\n  - {name: latency_ms, min_samples: 8, outliers: remove}\n")
    judged = classify(lenient.metrics[0], base, samples("c", latency_ms=spiky))
    assert (judged.classification, judged.canary_n, judged.canary_outliers) == (Classification.PASS, 8, 1)


def test_keep_is_the_default_and_changes_nothing() -> None:
    explicit = config(
        "metrics:\n  - {name: latency_ms, allowed_increase: 1.05, outliers: keep, outlier_factor: 1.5}\n"
    )
    spec = config(KEEP).metrics[0]
    assert (spec.outliers, spec.outlier_factor) == (OutlierStrategy.KEEP, 3.0)
    base, can = samples("b", latency_ms=_base()), samples("c", latency_ms=_canary())
    default = classify(spec, base, can)
    stated = classify(explicit.metrics[0], base, can)
    fields = ("classification", "reason", "failed", "baseline_n", "canary_n", "p_value", "estimate", "ci")
    assert [getattr(stated, f) for f in fields] == [getattr(default, f) for f in fields]
    verdict = judge(config(KEEP), base, can)
    assert "outliers" not in render_text(verdict)
    metric = decision_log(verdict, config(KEEP))["metrics"][0]
    assert metric["outliers"] == {
        "strategy": "keep",
        "factor": None,
        "removed": {"baseline": 0, "canary": 0},
    }


def test_the_report_says_how_many_were_removed_per_side() -> None:
    cfg = config(REMOVE)
    verdict = judge(cfg, samples("b", latency_ms=_base()), samples("c", latency_ms=_canary()))
    assert verdict.decision is Decision.PROMOTE
    text = " ".join(render_text(verdict).split())
    assert "outliers latency_ms (outside 3 x IQR): removed 0 baseline, 1 canary" in text
    metric = decision_log(verdict, cfg)["metrics"][0]
    assert metric["outliers"] == {
        "strategy": "remove",
        "factor": 3.0,
        "removed": {"baseline": 0, "canary": 1},
    }
    assert (metric["baseline_n"], metric["canary_n"]) == (60, 59)


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        ("    outliers: trim\n", "'outliers' must be one of keep, remove (got 'trim')"),
        ("    outliers: remove\n    outlier_factor: 0\n", "'outlier_factor' must be greater than 0 (got 0)"),
        ("    outlier_factor: -1\n", "'outlier_factor' must be a number >= 0 (got -1)"),
        (
            "    kind: count\n    outliers: remove\n",
            "'outliers: remove' only applies to continuous metrics (metric 'a' is count)",
        ),
    ],
)
def test_bad_outlier_options_name_the_line(metric: str, message: str) -> None:
    text = "metrics:\n  - name: a\n" + metric
    with pytest.raises(ConfigError) as info:
        config(text)
    line = len(text.splitlines())  # the offending key is the last line
    assert info.value.place is not None
    assert (info.value.place.path, info.value.place.line) == ("judge.yaml", line)
    assert info.value.message == message
    assert info.value.exit_code == 2


def _app() -> typer.Typer:
    app = typer.Typer()
    canary_cli.register(app)
    return app


def _write(tmp: Path, metric: str) -> Path:
    (tmp / "baseline.csv").write_text("".join(f"latency_ms,{v}\n" for v in _base()))
    (tmp / "canary.csv").write_text("".join(f"latency_ms,{v}\n" for v in _canary()))
    path = tmp / "judge.yaml"
    path.write_text(f"baseline: baseline.csv\ncanary: canary.csv\nmetrics:\n  - {metric}\n")
    return path


def test_cli_rolls_back_with_keep_and_promotes_with_remove(tmp_path: Path) -> None:
    keep = _write(tmp_path, "{name: latency_ms, allowed_increase: 1.05}")
    result = CliRunner().invoke(_app(), ["canary", "judge", str(keep), "-f", "json"])
    assert result.exit_code == 1, result.output
    body = json.loads(result.output)
    assert (body["decision"], body["metrics"][0]["classification"]) == ("rollback", "High")
    remove = _write(tmp_path, "{name: latency_ms, allowed_increase: 1.05, outliers: remove}")
    result = CliRunner().invoke(_app(), ["canary", "judge", str(remove)])
    assert result.exit_code == 0, result.output
    assert "outliers latency_ms (outside 3 x IQR): removed 0 baseline, 1 canary" in " ".join(
        result.output.split()
    )


def test_cli_bad_outlier_option_exits_2_with_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "{name: latency_ms, outliers: clip}")
    result = CliRunner().invoke(_app(), ["canary", "judge", str(path)])
    # run_app maps a SecloopError to its exit code; CliRunner hands us the exception itself
    assert isinstance(result.exception, ConfigError) and result.exception.exit_code == 2
    assert str(result.exception.place) == f"{path}:4"
    assert result.exception.message == "'outliers' must be one of keep, remove (got 'clip')"
