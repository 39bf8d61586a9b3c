"""`secloop experiment analyze FILE`: A/B test statistics (frequentist, Bayesian, CUPED, SRM)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from secloop.core.baseline import write_atomic
from secloop.core.errors import EXIT_GATE_FAILED, UsageError
from secloop.release.experiment.analyze import analyze, load_experiment
from secloop.release.experiment.render import render_json, render_terminal, render_text

FORMATS = ("terminal", "json")


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="A/B test statistics: frequentist, Bayesian, CUPED, sample-ratio mismatch.", no_args_is_help=True
    )
    app.add_typer(group, name="experiment")

    @group.command("analyze")
    def analyze_command(
        file: Path = typer.Argument(..., dir_okay=False, help="Experiment summary (YAML or JSON)."),
        fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json."),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the report to FILE (atomically)."
        ),
    ) -> None:
        """Compare every variation with the baseline, per metric, from summary statistics.

        Input per variation: users, and per metric the sum and sum of squares (or the count of
        conversions, or for a ratio metric the numerator's and denominator's sums and the sum of
        their products), plus pre-period sums for CUPED. Frequentist (two-sided, one-sided or
        sequential t-test) and Bayesian (chance to win, expected loss, credible interval) results
        follow GrowthBook's gbstats 0.8.0; the split is checked for a sample-ratio mismatch.

        Exit codes: 0 analysed; 1 sample-ratio mismatch (chi-square p < 0.001 with 8+ users per
        variation: the results are not trustworthy); 2 usage or input error (file:line);
        3 internal error.
        """
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        analysis = analyze(load_experiment(file))
        text = render_json(analysis) if fmt == "json" else render_text(analysis)
        if output is not None:
            write_atomic(output, text)
        elif fmt == "terminal":
            render_terminal(analysis, Console(highlight=False))
        else:
            typer.echo(text, nl=False)
        if analysis.srm:
            raise typer.Exit(EXIT_GATE_FAILED)
