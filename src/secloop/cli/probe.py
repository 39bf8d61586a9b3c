"""`secloop probe URL --openapi SPEC`: negative authentication probes and response checks."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import typer

from secloop.cli.options import check_fail_on
from secloop.core.baseline import write_atomic
from secloop.core.errors import EXIT_GATE_FAILED, UsageError

FORMATS = ("terminal", "json", "sarif")

HELP = """Probe a running service: for every operation of the OpenAPI document that requires credentials
(global or per-operation `security`; `security: []` or an empty alternative means optional and is
not probed), send a request without credentials, one per security scheme with malformed credentials
and one with the expired credentials the --config file supplies, and expect 401 or 403 (configurable
per operation). A 2xx answer is a finding. Also checks the base URL's security headers, cookie
flags and CORS, and for https the certificate and that TLS 1.0/1.1 are refused.

With -f sarif every finding is a SARIF result with its rule id, located in the OpenAPI document (at
the operation's line for an operation that accepted bad credentials) with the probed URL as related
location; the run's time is SOURCE_DATE_EPOCH when set.

Safety: only loopback hosts and hosts listed under `allow_hosts:` in the --config file are ever
probed (anything else is refused before a request is sent); only GET, HEAD and OPTIONS unless
--methods allows more; requests are rate-limited and bounded in number and time. SPEC is a file
(JSON or YAML) or a URL on the probed host.

Exit codes: 0 no finding at or above --fail-on; 1 the gate failed; 2 usage or input error (a host
that may not be probed, a malformed SPEC or config with file:line); 3 internal error."""


def _created() -> datetime:
    """The run's time in SARIF: SOURCE_DATE_EPOCH when set (reproducible reports), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def register(app: typer.Typer) -> None:
    @app.command("probe", help=HELP)
    def probe_command(
        url: str = typer.Argument(..., help="Base URL of the service, e.g. http://127.0.0.1:8000"),
        openapi: str = typer.Option(
            ..., "--openapi", help="The OpenAPI 3 document: a file or a URL on the host."
        ),
        config_file: Path | None = typer.Option(
            None, "--config", help="Probe configuration (YAML).", dir_okay=False
        ),
        methods: str | None = typer.Option(
            None, "--methods", help="Comma-separated methods to probe (default GET,HEAD,OPTIONS)."
        ),
        rate: float | None = typer.Option(None, "--rate", help="Requests per second (default 10)."),
        max_requests: int | None = typer.Option(None, "--max-requests", help="Request budget (default 500)."),
        time_budget: float | None = typer.Option(
            None, "--time-budget", help="Seconds for the whole run (default 120)."
        ),
        fmt: str = typer.Option(
            "terminal", "--format", "-f", help="terminal, json (secloop.probe/v1) or sarif (SARIF 2.1.0)."
        ),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the report here (atomically)."
        ),
        fail_on: str = typer.Option(
            "high", "--fail-on", help="Findings at or above this severity fail (or none)."
        ),
    ) -> None:
        from secloop.probe.render import render_json, render_text
        from secloop.probe.run import probe

        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        threshold = check_fail_on(fail_on)
        for name, value in (
            ("--rate", rate),
            ("--max-requests", max_requests),
            ("--time-budget", time_budget),
        ):
            if value is not None and value <= 0:
                raise UsageError(f"{name} must be positive")
        report = probe(url, openapi, config_file, methods, rate, max_requests, time_budget)
        if fmt == "sarif":
            from secloop.core.enums import Severity
            from secloop.probe.sarif import render_sarif

            bar_or_none = Severity(threshold) if threshold not in (None, "none") else None
            text = render_sarif(report, bar_or_none, _created())
        else:
            text = render_json(report) if fmt == "json" else render_text(report)
        if output is not None:
            write_atomic(output, text)
        else:
            typer.echo(text, nl=False)
        if threshold not in (None, "none"):
            from secloop.core.enums import Severity

            bar = Severity(threshold)
            if any(f.severity.rank >= bar.rank for f in report.findings):
                raise typer.Exit(EXIT_GATE_FAILED)
