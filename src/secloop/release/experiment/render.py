"""Experiment results as JSON (`secloop.experiment/v1`) and as a terminal table."""

from __future__ import annotations

import io
import json
import math
from typing import Any

from rich.console import Console
from rich.table import Table

from secloop.release.experiment.analyze import Analysis

SCHEMA = "secloop.experiment/v1"


def _num(value: float) -> float | str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return round(value, 12)


def to_json(analysis: Analysis) -> dict[str, Any]:
    exp = analysis.experiment
    return {
        "schema": SCHEMA,
        "experiment": exp.path,
        "settings": {
            "alpha": exp.alpha,
            "difference": "relative" if exp.relative else "absolute",
            "test": exp.test.value,
            "sequential_tuning": exp.tuning,
        },
        "srm": {"p_value": _num(analysis.srm_p), "mismatch": analysis.srm},
        "variations": [{"name": v.name, "users": v.users, "weight": v.weight} for v in exp.variations],
        "metrics": [
            {
                "name": m.metric.name,
                "type": m.metric.type,
                "cuped": m.metric.cuped,
                "inverse": m.metric.inverse,
                "baseline": {"mean": _num(m.baseline_mean), "stddev": _num(m.baseline_stddev)},
                "comparisons": [
                    {
                        "variation": c.variation,
                        "mean": _num(c.mean),
                        "stddev": _num(c.stddev),
                        "frequentist": {
                            "expected": _num(c.frequentist.expected),
                            "ci": [_num(v) for v in c.frequentist.ci],
                            "p_value": _num(c.frequentist.p_value),
                            "uplift_stddev": _num(c.frequentist.uplift_stddev),
                            "error": c.frequentist.error,
                        },
                        "bayesian": {
                            "chance_to_win": _num(c.bayesian.chance_to_win),
                            "expected": _num(c.bayesian.expected),
                            "ci": [_num(v) for v in c.bayesian.ci],
                            "risk": {
                                "baseline": _num(c.bayesian.risk[0]),
                                "variation": _num(c.bayesian.risk[1]),
                            },
                            "uplift_stddev": _num(c.bayesian.uplift_stddev),
                            "error": c.bayesian.error,
                        },
                    }
                    for c in m.comparisons
                ],
            }
            for m in analysis.metrics
        ],
    }


def render_json(analysis: Analysis) -> str:
    return json.dumps(to_json(analysis), indent=2) + "\n"


def _pct(value: float, relative: bool) -> str:
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:+.2%}" if relative else f"{value:+.4g}"


def render_terminal(analysis: Analysis, console: Console) -> None:
    exp = analysis.experiment
    if analysis.srm:
        users = ", ".join(f"{v.name} {v.users}" for v in exp.variations)
        console.print(
            f"[bold red]SAMPLE-RATIO MISMATCH[/] p={analysis.srm_p:.3g} < 0.001 ({users}): "
            "the assignment is broken, do not trust these results"
        )
    else:
        console.print(f"sample ratio: p={analysis.srm_p:.3g} (no mismatch)")
    table = Table(show_edge=False, pad_edge=False)
    for column in (
        "metric",
        "variation",
        "change",
        f"{1 - exp.alpha:.0%} CI",
        "p-value",
        "chance to win",
        "risk",
    ):
        table.add_column(column, overflow="fold")
    for m in analysis.metrics:
        label = m.metric.name + (" (CUPED)" if m.metric.cuped else "")
        for c in m.comparisons:
            f, b = c.frequentist, c.bayesian
            ci = f"[{_pct(f.ci[0], exp.relative)}, {_pct(f.ci[1], exp.relative)}]"
            error = f.error or b.error
            table.add_row(
                label,
                c.variation,
                error or _pct(f.expected, exp.relative),
                "" if error else ci,
                "" if error else f"{f.p_value:.3g}",
                "" if error else f"{b.chance_to_win:.1%}",
                "" if error else f"{b.risk[1]:.3g}",
            )
    console.print(table)
    console.print(
        f"frequentist test: {exp.test.value}; Bayesian risk is the expected loss of shipping the variation"
    )


def render_text(analysis: Analysis, *, width: int = 120) -> str:
    buffer = io.StringIO()
    render_terminal(
        analysis, Console(file=buffer, width=width, no_color=True, color_system=None, highlight=False)
    )
    return buffer.getvalue()
