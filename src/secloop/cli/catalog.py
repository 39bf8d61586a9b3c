"""`secloop rules` and `secloop practices`: what secloop knows, straight from the registry and catalog."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table


def register(app: typer.Typer) -> None:
    @app.command("rules")
    def rules() -> None:
        """List every rule: id, stage, default severity and confidence, references."""
        from secloop.registry import REGISTRY

        table = Table(show_edge=False)
        table.add_column("id", no_wrap=True)
        for col in ("stage", "severity", "confidence", "references", "title"):
            table.add_column(col)
        for rule in REGISTRY:
            table.add_row(
                rule.id,
                rule.stage.value,
                rule.severity.value,
                rule.confidence.value,
                ", ".join(rule.references),
                rule.title,
            )
        Console(highlight=False).print(table)

    @app.command("practices")
    def practices() -> None:
        """List every practice of the loop: id, stage, effort, impact and title."""
        from secloop.practices.catalog import load_catalog

        table = Table(show_edge=False)
        table.add_column("id", no_wrap=True)
        for col in ("stage", "effort", "impact", "title"):
            table.add_column(col)
        for p in load_catalog():
            table.add_row(p.id, p.stage.value, p.effort.value, p.impact.value, p.title)
        Console(highlight=False).print(table)
