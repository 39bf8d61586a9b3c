"""The decision log: JSON (`secloop.canary-decision/v1`) and a terminal table, one reason per metric."""

from __future__ import annotations

import io
import json
import math
from typing import Any

from rich.console import Console
from rich.table import Table

from secloop.release.canary.model import (
    Classification,
    Decision,
    JudgeConfig,
    MetricResult,
    OutlierStrategy,
    Verdict,
)

SCHEMA = "secloop.canary-decision/v1"
_STYLE = {
    Classification.PASS: "green",
    Classification.HIGH: "red",
    Classification.LOW: "red",
    Classification.NODATA: "yellow",
    Classification.ERROR: "magenta",
}
_DECISION_STYLE = {
    Decision.PROMOTE: "bold green",
    Decision.ROLLBACK: "bold red",
    Decision.PAUSE: "bold yellow",
}
_BLUEGREEN_WORD = {
    Decision.PROMOTE: "switch to green",
    Decision.ROLLBACK: "keep blue",
    Decision.PAUSE: "hold",
}


def _num(value: float | None) -> float | str | None:
    if value is None or math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return round(value, 12)


def _outliers(r: MetricResult) -> dict[str, Any]:
    remove = r.spec.outliers is OutlierStrategy.REMOVE
    return {
        "strategy": r.spec.outliers.value,
        "factor": r.spec.outlier_factor if remove else None,
        "removed": {"baseline": r.baseline_outliers, "canary": r.canary_outliers},
    }


def decision_log(verdict: Verdict, config: JudgeConfig) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schema": SCHEMA,
        "config": config.path,
        "mode": verdict.mode,
        "decision": verdict.decision.value,
        "exit_code": verdict.exit_code,
        "score": _num(verdict.score),
        "thresholds": {"pass": config.pass_threshold, "marginal": config.marginal_threshold},
        "reasons": list(verdict.reasons),
        "groups": [
            {
                "name": g.name,
                "weight": g.weight,
                "score": _num(g.score),
                "passed": g.passed,
                "judged": g.judged,
            }
            for g in verdict.groups
        ],
        "metrics": [
            {
                "name": r.spec.name,
                "group": r.spec.group,
                "kind": r.spec.kind.value,
                "direction": r.spec.direction.value,
                "critical": r.spec.critical,
                "classification": r.classification.value,
                "failed": r.failed,
                "reason": r.reason,
                "test": r.test,
                "baseline_n": r.baseline_n,
                "canary_n": r.canary_n,
                "baseline": _num(r.baseline_stat),
                "canary": _num(r.canary_stat),
                "ratio": _num(r.ratio),
                "p_value": _num(r.p_value),
                "estimate": _num(r.estimate),
                "ci": [_num(r.ci[0]), _num(r.ci[1])] if r.ci else None,
                "outliers": _outliers(r),
            }
            for r in verdict.results
        ],
    }
    if verdict.srm is not None:
        body["sample_ratio"] = {"chi2": _num(verdict.srm[0]), "p_value": _num(verdict.srm[1])}
    if verdict.mode == "bluegreen":
        body["checklist"] = [
            {"item": c.name, "state": c.state, "detail": c.detail} for c in verdict.checklist
        ]
    return body


def render_json(verdict: Verdict, config: JudgeConfig) -> str:
    return json.dumps(decision_log(verdict, config), indent=2, sort_keys=False) + "\n"


def render_terminal(verdict: Verdict, console: Console) -> None:
    word = verdict.decision.value
    if verdict.mode == "bluegreen":
        word = f"{word} ({_BLUEGREEN_WORD[verdict.decision]})"
    score = "n/a" if verdict.score is None else f"{verdict.score:.1f}"
    console.print(
        f"[{_DECISION_STYLE[verdict.decision]}]{word.upper()}[/] score {score} (exit {verdict.exit_code})"
    )
    for reason in verdict.reasons:
        console.print(f"  - {reason}", markup=False)
    table = Table(show_edge=False, pad_edge=False)
    for column in ("metric", "group", "kind", "result", "reason"):
        table.add_column(column, overflow="fold")
    for r in verdict.results:
        mark = " (critical)" if r.spec.critical else ""
        style = (
            _STYLE[r.classification] if r.failed or r.classification is not Classification.PASS else "green"
        )
        table.add_row(
            r.spec.name + mark,
            r.spec.group,
            r.spec.kind.value,
            f"[{style}]{r.classification.value}[/]",
            r.reason,
        )
    console.print(table)
    for r in verdict.results:
        if r.spec.outliers is OutlierStrategy.REMOVE:
            console.print(
                f"  outliers {r.spec.name} (outside {r.spec.outlier_factor:g} x IQR): removed "
                f"{r.baseline_outliers} baseline, {r.canary_outliers} canary",
                markup=False,
            )
    for g in verdict.groups:
        share = "no data" if g.score is None else f"{100 * g.score:.0f}%"
        console.print(
            f"  group {g.name} (weight {g.weight:g}): {share}, {g.passed}/{g.judged} passed", markup=False
        )
    if verdict.mode == "bluegreen":
        console.print("cut-over checklist:")
        for item in verdict.checklist:
            console.print(f"  [{item.state}] {item.name}: {item.detail}", markup=False)


def render_text(verdict: Verdict, *, width: int = 120) -> str:
    buffer = io.StringIO()
    render_terminal(
        verdict, Console(file=buffer, width=width, no_color=True, color_system=None, highlight=False)
    )
    return buffer.getvalue()
