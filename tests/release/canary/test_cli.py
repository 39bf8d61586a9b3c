from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from secloop.cli import canary
from secloop.core.errors import InputError, UsageError

from .conftest import normal

CONFIG = """baseline: baseline.csv
canary: canary.csv
groups: {latency: 70, errors: 30}
metrics:
  - {name: latency_ms, group: latency, allowed_increase: 1.05}
  - {name: errors, kind: count, critical: true, group: errors, confidence: 0.95}
"""


def _app() -> typer.Typer:
    app = typer.Typer()
    canary.register(app)
    return app


def _write(tmp: Path, latency: list[float], errors: list[int]) -> None:
    base = ["metric,value,time"] + [f"latency_ms,{v},{i}" for i, v in enumerate(normal(100, 5, 60, 1))]
    base += [f"errors,0,{i}" for i in range(10)]
    (tmp / "baseline.csv").write_text("\n".join(base) + "\n")
    rows = [f"latency_ms,{v}" for v in latency] + [f"errors,{e}" for e in errors]
    (tmp / "canary.csv").write_text("\n".join(rows) + "\n")
    (tmp / "judge.yaml").write_text(CONFIG)


def test_promote_exits_0_and_writes_the_decision_log(tmp_path: Path) -> None:
    _write(tmp_path, normal(100, 5, 60, 7), [0] * 10)
    log = tmp_path / "decision.json"
    result = CliRunner().invoke(_app(), ["canary", "judge", str(tmp_path / "judge.yaml"), "--log", str(log)])
    assert result.exit_code == 0, result.output
    body = json.loads(log.read_text())
    assert body["schema"] == "secloop.canary-decision/v1"
    assert (body["decision"], body["exit_code"], body["score"]) == ("promote", 0, 100.0)
    assert [(m["name"], m["classification"], m["test"]) for m in body["metrics"]] == [
        ("latency_ms", "Pass", "mann-whitney"),
        ("errors", "Pass", "poisson-exact"),
    ]
    assert body["reasons"] == ["score 100.0 >= pass threshold 95"]


def test_rollback_exits_1_on_sparse_errors(tmp_path: Path) -> None:
    _write(tmp_path, normal(100, 5, 60, 2), [0, 2, 0, 1, 0, 0, 2, 0, 0, 0])
    result = CliRunner().invoke(_app(), ["canary", "judge", str(tmp_path / "judge.yaml"), "-f", "json"])
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["decision"] == "rollback"
    assert body["reasons"][0].startswith("critical metric 'errors' is High: 5 vs 0 events")


def test_pause_exits_4_on_too_few_samples(tmp_path: Path) -> None:
    _write(tmp_path, normal(100, 5, 4, 2), [0] * 10)
    result = CliRunner().invoke(_app(), ["canary", "judge", str(tmp_path / "judge.yaml")])
    assert result.exit_code == 4
    assert "PAUSE" in result.output
    assert "metric 'latency_ms' is NoData: too few samples (baseline 60, canary 4; minimum 10)" in " ".join(
        result.output.split()
    )


def test_explicit_files_override_and_bad_input_exits_2(tmp_path: Path) -> None:
    _write(tmp_path, normal(100, 5, 60, 2), [0] * 10)
    other = tmp_path / "other.csv"
    other.write_text("latency_ms,1\nlatency_ms,oops\n")
    result = CliRunner().invoke(
        _app(), ["canary", "judge", str(tmp_path / "judge.yaml"), "--canary", str(other)]
    )
    # run_app maps a SecloopError to its exit code; CliRunner hands us the exception itself
    assert isinstance(result.exception, InputError) and result.exception.exit_code == 2
    assert str(result.exception.place) == f"{other}:2"


def test_bluegreen_prints_the_checklist(tmp_path: Path) -> None:
    _write(tmp_path, normal(100, 5, 60, 2), [0] * 10)
    args = ["canary", "bluegreen", str(tmp_path / "judge.yaml"), "-f", "json"]
    checks = ["health=done", "db-migrations-backward-compatible=done", "rollback-path=done"]
    result = CliRunner().invoke(_app(), args + [a for c in checks for a in ("--check", c)])
    assert result.exit_code == 4
    body = json.loads(result.output)
    assert body["mode"] == "bluegreen"
    assert [(c["item"], c["state"]) for c in body["checklist"]] == [
        ("health", "done"),
        ("smoke-tests", "done"),
        ("db-migrations-backward-compatible", "done"),
        ("rollback-path", "done"),
        ("session-draining", "pending"),
    ]
    done = CliRunner().invoke(
        _app(), args + [a for c in [*checks, "session-draining=done"] for a in ("--check", c)]
    )
    assert done.exit_code == 0
    bad = CliRunner().invoke(_app(), [*args, "--check", "health=maybe"])
    assert isinstance(bad.exception, UsageError) and bad.exception.exit_code == 2


def test_one_prometheus_response_for_both_sides(tmp_path: Path) -> None:
    def series(track: str, values: list[float]) -> dict[str, object]:
        return {
            "metric": {"__name__": "latency_ms", "track": track},
            "values": [[1700000000 + 15 * i, str(v)] for i, v in enumerate(values)],
        }

    body = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [series("stable", normal(100, 5, 40, 1)), series("canary", normal(100, 5, 40, 2))],
        },
    }
    (tmp_path / "range.json").write_text(json.dumps(body))
    (tmp_path / "judge.yaml").write_text(
        "prometheus: {label: track, baseline: stable, canary: canary}\nmetrics:\n  - name: latency_ms\n"
    )
    result = CliRunner().invoke(
        _app(),
        [
            "canary",
            "judge",
            str(tmp_path / "judge.yaml"),
            "--data",
            str(tmp_path / "range.json"),
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    metric = json.loads(result.output)["metrics"][0]
    assert (metric["baseline_n"], metric["canary_n"], metric["classification"]) == (40, 40, "Pass")
