"""Output of the single-engine scan commands: one renderer call, written atomically or printed."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from secloop.core.errors import EXIT_GATE_FAILED

if TYPE_CHECKING:
    from secloop.core.model import Assessment
    from secloop.core.rules import RuleRegistry


def render(
    assessment: Assessment,
    fmt: str,
    title: str,
    *,
    registry: RuleRegistry | None = None,
    width: int = 120,
    color: bool = True,
) -> str:
    """`fmt` of the assessment; `title` heads the terminal view (e.g. "secloop scan iac ")."""
    from rich.console import Console

    from secloop.practices.catalog import load_catalog
    from secloop.report.formats import FORMATS as RENDERERS
    from secloop.report.interface import RenderInput
    from secloop.report.terminal import render_scan

    if fmt == "terminal":
        buffer = io.StringIO()
        render_scan(assessment, Console(file=buffer, width=width, no_color=not color, highlight=False), title)
        return buffer.getvalue()
    if registry is None:
        from secloop.registry import REGISTRY

        registry = REGISTRY
    return RENDERERS[fmt](RenderInput(assessment, registry, load_catalog()))


def emit(
    assessment: Assessment,
    fmt: str,
    output: Path | None,
    title: str,
    *,
    registry: RuleRegistry | None = None,
) -> None:
    """Write or print the report, then exit 1 when the gate failed."""
    from rich.console import Console

    from secloop.core.baseline import write_atomic
    from secloop.report.terminal import render_scan

    if output is not None:
        write_atomic(output, render(assessment, fmt, title, registry=registry, color=False))
    elif fmt == "terminal":
        render_scan(assessment, Console(highlight=False), title)
    else:
        typer.echo(render(assessment, fmt, title, registry=registry), nl=False)
    if assessment.gate is not None and not assessment.gate.passed:
        raise typer.Exit(EXIT_GATE_FAILED)
