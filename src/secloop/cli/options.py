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
