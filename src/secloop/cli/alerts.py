"""`secloop alerts generate|replay`: SLO burn-rate alert rules, and how they would have behaved."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import typer

from secloop.core.baseline import write_atomic
from secloop.core.errors import EXIT_GATE_FAILED, InputError, UsageError, place_of

FORMATS = ("terminal", "json", "sarif")

REPLAY_HELP = """Evaluate RULES (a Prometheus rule file) natively on recorded metrics and report, per alert
rule, when it fired and, against labelled incidents, its precision, recall, detection time and reset
time.

METRICS is JSON: Prometheus range-query output (`/api/v1/query_range`, resultType matrix), or
{"start": RFC 3339 or Unix seconds, "step": "15s", "series": [{"metric": {"__name__": ..., labels},
"values": [numbers, null for a missing scrape]}]}. INCIDENTS is YAML: `incidents:` a list of
{name, start, end, alerts: [alert names it should trigger; default all]}.

PromQL subset: numbers; selectors with =, !=, =~, !~; rate, increase, avg/min/max/sum_over_time over
a range selector; vector(); sum, min, max, avg, count with by/without; + - * / %; == != > < >= <=
(with or without bool); and, or, unless; on(...)/ignoring(...); parentheses; `for:` durations.
Anything else (offset, @, subqueries, group_left/right, other functions) is an input error naming
the rule.

-f sarif (needs --labels) reports as findings, at the alert's line in RULES, every alert that fired
outside all labelled incidents (ALERT-REPLAY-NOISE) and every alert that missed incidents it should
catch (ALERT-REPLAY-MISSED); with --min-precision/--min-recall only those below the bar. The run's
time is SOURCE_DATE_EPOCH when set.

Exit codes: 0 done; 1 an alert missed --min-precision or --min-recall; 2 usage or input error
(file:line); 3 internal error."""


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", place=place_of(path)) from None


def _created() -> datetime:
    """The run's time in SARIF: SOURCE_DATE_EPOCH when set (reproducible reports), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Alert rules from SLOs: multi-window multi-burn-rate rules, replayed on recorded metrics.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="alerts")

    @group.command("generate")
    def generate_command(
        slo_file: Path = typer.Argument(..., help="The SLO file (YAML).", dir_okay=False),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the rule file here (atomically); default stdout."
        ),
        check: bool = typer.Option(
            False,
            "--check",
            help="Do not write: fail (exit 1) when --output differs from what would be generated.",
        ),
    ) -> None:
        """Turn an SLO file into a Prometheus rule file: error-ratio recordings over 5m, 30m, 1h, 2h, 6h,
        1d and 3d, a page alert (14.4x burn over 1h and 5m, or 6x over 6h and 30m) and a ticket alert
        (3x over 1d and 2h, or 1x over 3d and 6h) per SLO, each labelled with the owning team and the
        service. Validate the result with `promtool check rules`.

        Exit codes: 0 written (or in sync with --check); 1 --check found the file out of date; 2 the
        SLO file is malformed (file:line) or usage error; 3 internal error.
        """
        from secloop.alerts.generate import render_rules
        from secloop.alerts.slo import parse_slo_file

        text = _read(slo_file)
        rendered = render_rules(parse_slo_file(text, slo_file.as_posix()), text)
        if check:
            if output is None:
                raise UsageError("--check needs --output, the rule file to compare")
            current = output.read_text(encoding="utf-8") if output.is_file() else None
            if current != rendered:
                typer.echo(
                    f"{output}: out of date with {slo_file}; "
                    f"run: secloop alerts generate {slo_file} -o {output}"
                )
                raise typer.Exit(EXIT_GATE_FAILED)
            typer.echo(f"{output}: in sync with {slo_file}")
            return
        if output is None:
            typer.echo(rendered, nl=False)
            return
        write_atomic(output, rendered)
        typer.echo(f"wrote {output}; check it with: promtool check rules {output}")

    @group.command("replay", help=REPLAY_HELP)
    def replay_command(
        rules_file: Path = typer.Argument(..., help="The Prometheus rule file.", dir_okay=False),
        metrics: Path = typer.Option(..., "--metrics", help="Recorded metrics (JSON).", dir_okay=False),
        labels: Path | None = typer.Option(
            None, "--labels", help="Labelled incidents (YAML).", dir_okay=False
        ),
        step: str = typer.Option("30s", "--interval", help="Rule evaluation interval."),
        fmt: str = typer.Option(
            "terminal",
            "--format",
            "-f",
            help="terminal, json (secloop.alerts-replay/v1) or sarif (needs --labels).",
        ),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the report here (atomically)."
        ),
        webhook_out: Path | None = typer.Option(
            None, "--webhook-out", help="Write the Alertmanager webhook payloads (JSON list) here."
        ),
        post_url: str | None = typer.Option(
            None, "--post", help="POST each webhook payload to this URL (loopback or --allow-host only)."
        ),
        allow_host: list[str] = typer.Option(
            [], "--allow-host", help="A non-loopback host --post may send to."
        ),
        min_precision: float | None = typer.Option(
            None, "--min-precision", help="Fail when an alert is below."
        ),
        min_recall: float | None = typer.Option(None, "--min-recall", help="Fail when an alert is below."),
    ) -> None:
        from secloop.alerts import webhook
        from secloop.alerts.promql import PromQLError, parse_duration
        from secloop.alerts.render import render_json, render_text
        from secloop.alerts.replay import load_incidents, load_metrics, load_rules, replay, score

        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        if fmt == "sarif" and labels is None:
            raise UsageError(
                "-f sarif needs --labels: without labelled incidents no firing is noise and no silence "
                "a miss",
                hint="give --labels incidents.yml, or use -f json for the firing intervals",
            )
        try:
            interval = parse_duration(step)
        except PromQLError:
            raise UsageError(f"--interval: not a duration: {step!r}", hint="e.g. 30s or 1m") from None
        if interval <= 0:
            raise UsageError("--interval must be positive")
        target = webhook.check_target(post_url, tuple(allow_host)) if post_url else None
        rules = load_rules(_read(rules_file), rules_file.as_posix())
        store = load_metrics(_read(metrics), metrics.as_posix())
        incidents = load_incidents(_read(labels), labels.as_posix()) if labels else []
        result = replay(rules, store, interval)
        scores = score(rules, result, incidents)
        below = [
            s.alert
            for s in scores
            if (min_precision is not None and s.precision is not None and s.precision < min_precision)
            or (min_recall is not None and s.recall is not None and s.recall < min_recall)
        ]
        if fmt == "sarif":
            from secloop.alerts import sarif

            path = rules_file.as_posix()
            found = sarif.findings(rules, scores, path, min_precision, min_recall)
            report = sarif.render_sarif(found, path, _created(), below)
        else:
            render = render_json if fmt == "json" else render_text
            report = render(result, scores, incidents)
        if output is not None:
            write_atomic(output, report)
        else:
            typer.echo(report, nl=False)
        payloads = webhook.notifications(result)
        if webhook_out is not None:
            write_atomic(webhook_out, webhook.dumps(payloads))
        if target is not None:
            sent = webhook.post(target, payloads)
            typer.echo(f"posted {sent}/{len(payloads)} webhook payload(s) to {target}", err=True)
        if below:
            typer.echo(f"below the --min-precision/--min-recall bar: {', '.join(below)}", err=True)
            raise typer.Exit(EXIT_GATE_FAILED)
