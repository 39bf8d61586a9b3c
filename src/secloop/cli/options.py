"""Options shared by several commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from secloop.core.errors import UsageError

if TYPE_CHECKING:
    from secloop.inputs import Prepared

SEVERITIES = ("critical", "high", "medium", "low", "info", "none")

DB_OPTION = typer.Option(
    None,
    "--db",
    envvar="SECLOOP_DB",
    help="Database URL (default: SQLite under the user's data directory; postgresql+psycopg://… works).",
)
CONFIG_OPTION = typer.Option(
    None, "--config", exists=False, dir_okay=False, help="Config file (secloop.toml or a pyproject.toml)."
)
# The report options of the single-engine scan commands.
REPORT_FORMATS = ("terminal", "json", "sarif", "markdown", "html", "junit")
FORMAT_OPTION = typer.Option("terminal", "--format", "-f", help=f"One of: {', '.join(REPORT_FORMATS)}.")
OUTPUT_OPTION = typer.Option(None, "--output", "-o", help="Write the report to FILE (atomically).")
FAIL_ON_OPTION = typer.Option(
    None, "--fail-on", help="Gate threshold: critical, high, medium, low, info or none (default: config)."
)
NO_BASELINE_OPTION = typer.Option(False, "--no-baseline", help="Ignore the baseline file.")


def check_format(fmt: str, formats: tuple[str, ...] = REPORT_FORMATS) -> None:
    if fmt not in formats:
        raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(formats)}")


def check_fail_on(fail_on: str | None) -> str | None:
    """The `--fail-on` value, lower-cased, or a usage error (exit 2) naming the allowed ones."""
    if fail_on is None:
        return None
    if fail_on.lower() not in SEVERITIES:
        raise UsageError(f"--fail-on must be one of {', '.join(SEVERITIES)} (got {fail_on!r})")
    return fail_on.lower()


def with_fail_on(prepared: Prepared, fail_on: str | None) -> Prepared:
    """``prepared`` with the gate threshold given on the command line, if any."""
    from dataclasses import replace

    value = check_fail_on(fail_on)
    if value is None:
        return prepared
    return replace(prepared, config=prepared.config.model_copy(update={"fail_on": value}))
