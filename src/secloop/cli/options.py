"""Options shared by several commands."""

from __future__ import annotations

from pathlib import Path

import typer

DB_OPTION = typer.Option(
    None,
    "--db",
    envvar="SECLOOP_DB",
    help="Database URL (default: SQLite under the user's data directory; postgresql+psycopg://… works).",
)
CONFIG_OPTION = typer.Option(
    None, "--config", exists=False, dir_okay=False, help="Config file (secloop.toml or a pyproject.toml)."
)


def path_argument(help_text: str = "Repository to assess.") -> Path:
    return typer.Argument(Path("."), help=help_text)  # type: ignore[no-any-return]
