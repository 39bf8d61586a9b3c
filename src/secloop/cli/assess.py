"""`secloop assess PATH`: the whole loop, judged practice by practice."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from secloop.cli.options import CONFIG_OPTION, DB_OPTION, with_fail_on
from secloop.core.baseline import write_atomic
from secloop.core.errors import EXIT_GATE_FAILED, UsageError

if TYPE_CHECKING:
    from secloop.core.model import Assessment
    from secloop.inputs import Prepared

# The engines load only when a command runs, so `secloop --help` and the hooks start fast.
FORMAT_NAMES = ("terminal", "html", "json", "junit", "markdown", "sarif")


def apply_overrides(
    prepared: Prepared, fail_on: str | None, fail_on_unknown: bool | None, audit: bool
) -> Prepared:
    prepared = with_fail_on(prepared, fail_on)
    update: dict[str, object] = {}
    if fail_on_unknown is not None:
        update["fail_on_unknown"] = fail_on_unknown
    if audit:
        update["audit"] = True
    if not update:
        return prepared
    return replace(prepared, config=prepared.config.model_copy(update=update))


def render(assessment: Assessment, fmt: str, *, width: int | None = None, color: bool = True) -> str:
    from secloop.practices.catalog import load_catalog
    from secloop.registry import REGISTRY
    from secloop.report.formats import FORMATS
    from secloop.report.interface import RenderInput
    from secloop.report.terminal import render_terminal

    data = RenderInput(assessment, REGISTRY, load_catalog())
    if fmt == "terminal":
        buffer = io.StringIO()
        console = Console(
            file=buffer, width=width or 120, no_color=not color, color_system=None, highlight=False
        )
        render_terminal(data, console)
        return buffer.getvalue()
    return FORMATS[fmt](data)


def register(app: typer.Typer) -> None:
    @app.command("assess")
    def assess_command(
        path: Path = typer.Argument(Path("."), help="Repository to assess."),
        fmt: str = typer.Option("terminal", "--format", "-f", help=f"One of: {', '.join(FORMAT_NAMES)}."),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the report to FILE (atomically)."
        ),
        config: Path | None = CONFIG_OPTION,
        fail_on: str | None = typer.Option(
            None, "--fail-on", help="Gate threshold: critical, high, medium, low, info or none."
        ),
        fail_on_unknown: bool | None = typer.Option(
            None,
            "--fail-on-unknown/--no-fail-on-unknown",
            help="Fail closed when a required practice is unknown.",
        ),
        audit: bool = typer.Option(False, "--audit", help="Audit mode: ignore inline suppressions."),
        no_baseline: bool = typer.Option(False, "--no-baseline", help="Ignore the baseline file."),
        db: str | None = DB_OPTION,
        no_store: bool = typer.Option(False, "--no-store", help="Do not save the assessment in the store."),
    ) -> None:
        """Evaluate every practice of the loop against a repository and print the loop.

        Exit codes: 0 the gate passed; 1 the gate failed; 2 usage or input error; 3 internal error.
        """
        if fmt not in FORMAT_NAMES:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMAT_NAMES)}")
        from secloop.assess import assess
        from secloop.inputs import prepare
        from secloop.practices.catalog import load_catalog
        from secloop.registry import REGISTRY
        from secloop.report import json_v1
        from secloop.report.interface import RenderInput
        from secloop.report.terminal import render_terminal

        prepared = apply_overrides(
            prepare(path, config, use_baseline=not no_baseline), fail_on, fail_on_unknown, audit
        )
        result = assess(prepared)
        if output is not None:
            write_atomic(output, render(result, fmt, color=False))
        elif fmt == "terminal":
            render_terminal(RenderInput(result, REGISTRY, load_catalog()), Console(highlight=False))
        else:
            typer.echo(render(result, fmt), nl=False)
        if not no_store:
            from secloop.store import default_url, open_store

            store = open_store(db or default_url())
            try:
                document = json_v1.render(RenderInput(result, REGISTRY, load_catalog()))
                store.save(result, document, str(prepared.repo.root))
            finally:
                store.close()
        if result.gate is not None and not result.gate.passed:
            raise typer.Exit(EXIT_GATE_FAILED)
