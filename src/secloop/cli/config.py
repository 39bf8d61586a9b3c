"""`secloop config PATH`: the effective configuration, where it came from, and every option."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from secloop.cli.options import CONFIG_OPTION
from secloop.core.config import Config, load_config


def register(app: typer.Typer) -> None:
    @app.command("config")
    def config_command(
        path: Path = typer.Argument(Path("."), help="Repository whose configuration to show."),
        config: Path | None = CONFIG_OPTION,
    ) -> None:
        """Show the effective configuration, where it came from, and what every option means."""
        effective, source = load_config(path.resolve(), config)
        console = Console(highlight=False)
        typer.echo(f"configuration: {source or 'defaults (no secloop.toml or [tool.secloop] found)'}")
        table = Table(show_edge=False)
        table.add_column("option", no_wrap=True)
        table.add_column("value")
        table.add_column("meaning")
        values = effective.model_dump(mode="json")
        for name, field in Config.model_fields.items():
            table.add_row(name, json.dumps(values[name]), field.description or "")
        console.print(table)
