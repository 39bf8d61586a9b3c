"""`secloop canary judge|bluegreen CONFIG`: judge a canary (or green) against its baseline (or blue)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer
from rich.console import Console

from secloop.core.baseline import write_atomic
from secloop.core.errors import UsageError
from secloop.release.canary.config import CHECK_STATES, load_config
from secloop.release.canary.inputs import load_samples, split_prometheus
from secloop.release.canary.judge import judge
from secloop.release.canary.model import Check, JudgeConfig, Samples, Verdict
from secloop.release.canary.render import render_json, render_terminal, render_text

FORMATS = ("terminal", "json")


def _sides(
    config: JudgeConfig, baseline: Path | None, canary: Path | None, data: Path | None
) -> tuple[Samples, Samples]:
    root = Path(config.path).parent
    if data is not None:
        return split_prometheus(data, config)
    base_path = baseline or (root / config.baseline if config.baseline else None)
    canary_path = canary or (root / config.canary if config.canary else None)
    if base_path is None or canary_path is None:
        raise UsageError(
            "no samples: give --baseline and --canary (or --data for one Prometheus response)",
            hint="or name them in the config: baseline: baseline.csv, canary: canary.csv",
        )
    return load_samples(base_path, config, "baseline"), load_samples(canary_path, config, "canary")


def _checks(values: list[str]) -> tuple[Check, ...]:
    checks: list[Check] = []
    for value in values:
        name, _, state = value.partition("=")
        if not name or state not in CHECK_STATES:
            raise UsageError(
                f"--check {value!r}: expected ITEM=STATE", hint=f"STATE is one of {', '.join(CHECK_STATES)}"
            )
        checks.append(Check(name, state))
    return tuple(checks)


def _emit(verdict: Verdict, config: JudgeConfig, fmt: str, output: Path | None, log: Path | None) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
    if log is not None:
        write_atomic(log, render_json(verdict, config))
    text = render_json(verdict, config) if fmt == "json" else render_text(verdict)
    if output is not None:
        write_atomic(output, text)
    elif fmt == "terminal":
        render_terminal(verdict, Console(highlight=False))
    else:
        typer.echo(text, nl=False)


def _run(
    config_path: Path,
    mode: str | None,
    baseline: Path | None,
    canary: Path | None,
    data: Path | None,
    checks: list[str],
    fmt: str,
    output: Path | None,
    log: Path | None,
) -> None:
    config = load_config(config_path)
    if mode is not None:
        if mode not in ("canary", "bluegreen"):
            raise UsageError(f"--mode must be canary or bluegreen (got {mode!r})")
        config = replace(config, mode=mode)
    base, can = _sides(config, baseline, canary, data)
    verdict = judge(config, base, can, config.checklist + _checks(checks))
    _emit(verdict, config, fmt, output, log)
    raise typer.Exit(verdict.exit_code)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Automated canary and blue/green judge: promote, roll back or pause from metrics.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="canary")
    baseline_opt = typer.Option(None, "--baseline", dir_okay=False, help="Baseline samples (CSV or JSON).")
    canary_opt = typer.Option(None, "--canary", dir_okay=False, help="Canary samples (CSV or JSON).")
    data_opt = typer.Option(
        None, "--data", dir_okay=False, help="One Prometheus range-query response holding both sides."
    )
    fmt_opt = typer.Option("terminal", "--format", "-f", help="terminal or json (the decision log).")
    output_opt = typer.Option(None, "--output", "-o", help="Write the report to FILE (atomically).")
    log_opt = typer.Option(None, "--log", help="Also write the JSON decision log to FILE.")
    check_opt = typer.Option(
        [], "--check", help="Checklist item state, ITEM=done|pending|failed|n/a (repeatable)."
    )

    @group.command("judge")
    def judge_command(
        config: Path = typer.Argument(..., dir_okay=False, help="Judge config (YAML or JSON)."),
        mode: str | None = typer.Option(None, "--mode", help="canary (default) or bluegreen."),
        baseline: Path | None = baseline_opt,
        canary: Path | None = canary_opt,
        data: Path | None = data_opt,
        check: list[str] = check_opt,
        fmt: str = fmt_opt,
        output: Path | None = output_opt,
        log: Path | None = log_opt,
    ) -> None:
        """Judge the canary's metrics against the baseline's and decide promote, rollback or pause.

        Each metric is classified Pass, High, Low, NoData or Error with its reason; groups are
        scored Kayenta-style; a failing critical metric rolls back whatever the score.

        Exit codes: 0 promote; 1 rollback; 2 usage or input error (file:line); 3 internal error;
        4 pause (no data, too few samples, sample-ratio mismatch or a marginal score: hold the
        rollout and look again).
        """
        _run(config, mode, baseline, canary, data, check, fmt, output, log)

    @group.command("bluegreen")
    def bluegreen_command(
        config: Path = typer.Argument(..., dir_okay=False, help="Judge config (YAML or JSON)."),
        baseline: Path | None = typer.Option(
            None, "--blue", "--baseline", dir_okay=False, help="Blue's metrics."
        ),
        canary: Path | None = typer.Option(
            None, "--green", "--canary", dir_okay=False, help="Green's smoke metrics."
        ),
        data: Path | None = data_opt,
        check: list[str] = check_opt,
        fmt: str = fmt_opt,
        output: Path | None = output_opt,
        log: Path | None = log_opt,
    ) -> None:
        """Judge green's smoke metrics against blue before the switch, and print the cut-over checklist.

        Checklist: health, smoke-tests (from the judge), db-migrations-backward-compatible,
        rollback-path, session-draining; states from the config's `checklist:` or --check.

        Exit codes: 0 switch to green; 1 keep blue (green failed or a checklist item failed);
        2 usage or input error (file:line); 3 internal error; 4 hold (no data, a marginal score
        or a pending checklist item).
        """
        _run(config, "bluegreen", baseline, canary, data, check, fmt, output, log)
