"""`secloop threatmodel check|init|tests|diagram|rules`: threat modelling as code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import typer
from rich.console import Console

from secloop.cli.options import check_fail_on
from secloop.core.baseline import write_atomic
from secloop.core.enums import Severity
from secloop.core.errors import EXIT_GATE_FAILED, UsageError
from secloop.threatmodel import Analysis, check_file, paused_gc
from secloop.threatmodel.diagram import render_diagram
from secloop.threatmodel.render import FORMAT_NAMES, render, render_terminal
from secloop.threatmodel.rulebook import load_rulebook
from secloop.threatmodel.testgen import write_tests

STARTERS = ("web", "cicd")
DIAGRAM_FORMATS = ("mermaid", "dot")

MODEL_ARGUMENT = typer.Argument(..., help="The threat-model file (YAML).", dir_okay=False)
ROOT_OPTION = typer.Option(
    None, "--root", help="Root that linked test paths are relative to (default: the model's folder)."
)
AS_OF_OPTION = typer.Option(
    None, "--as-of", help="Judge expiries as of this date (YYYY-MM-DD; default today)."
)


def _as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(tz=UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of: not a date: {value!r}", hint="use YYYY-MM-DD") from None


def _fail_on(value: str) -> Severity | None:
    checked = check_fail_on(value)
    return None if checked in (None, "none") else Severity(checked)


def _display(model: Path, root: Path) -> str:
    try:
        return model.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(model)


def _check(model: Path, root: Path | None, as_of: str | None) -> Analysis:
    base = root if root is not None else model.resolve().parent
    return check_file(model, today=_as_of(as_of), root=base, display=_display(model, base))


def starter_text(name: str) -> str:
    return (resources.files("secloop.threatmodel") / "starters" / f"{name}.yaml").read_text("utf-8")


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Threat modelling as code: the four questions, rules as data, tests derived from threats.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="threatmodel")

    @group.command("check")
    def check_command(
        model: Path = MODEL_ARGUMENT,
        fmt: str = typer.Option("terminal", "--format", "-f", help=f"One of: {', '.join(FORMAT_NAMES)}."),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the report to FILE (atomically)."
        ),
        fail_on: str = typer.Option(
            "high", "--fail-on", help="Open threats at or above this severity fail the gate (or none)."
        ),
        root: Path | None = ROOT_OPTION,
        as_of: str | None = AS_OF_OPTION,
    ) -> None:
        """Validate the model, find threats with the rules and answer the four questions.

        The gate fails on open threats at or above --fail-on and on risk acceptances past their
        expiry. Exit codes: 0 the gate passed; 1 the gate failed; 2 usage error or malformed model
        (each problem with file:line:col); 3 internal error.
        """
        if fmt not in FORMAT_NAMES:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMAT_NAMES)}")
        threshold = _fail_on(fail_on)
        analysis = _check(model, root, as_of)
        with paused_gc():
            if output is not None:
                write_atomic(output, render(analysis, fmt, threshold, color=False))
            elif fmt == "terminal":
                render_terminal(analysis, threshold, Console(highlight=False))
            else:
                typer.echo(render(analysis, fmt, threshold), nl=False)
        passed, _ = analysis.gate(threshold)
        if not passed:
            raise typer.Exit(EXIT_GATE_FAILED)

    @group.command("init")
    def init_command(
        starter: str = typer.Option("web", "--starter", help=f"One of: {', '.join(STARTERS)}."),
        output: Path = typer.Option(Path("threatmodel.yaml"), "--output", "-o", help="Where to write it."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    ) -> None:
        """Write a starter model: 'web' (an application with an API and a database) or 'cicd' (the
        delivery pipeline itself: source control, runners, registry, secrets, cloud and deploy).

        Exit codes: 0 written; 2 unknown starter or the file exists (use --force); 3 internal error.
        """
        if starter not in STARTERS:
            raise UsageError(f"unknown starter {starter!r}", hint=f"use one of: {', '.join(STARTERS)}")
        if output.exists() and not force:
            raise UsageError(f"{output} already exists", hint="choose another --output or pass --force")
        write_atomic(output, starter_text(starter))
        typer.echo(f"wrote {output} (starter: {starter}); next: secloop threatmodel check {output}")

    @group.command("tests")
    def tests_command(
        model: Path = MODEL_ARGUMENT,
        out: Path = typer.Option(..., "--out", help="Folder for the generated pytest files."),
        root: Path | None = ROOT_OPTION,
        as_of: str | None = AS_OF_OPTION,
    ) -> None:
        """Generate pytest files that check the controls the model claims on HTTP flows: an
        unauthenticated request gets 401, plain HTTP is refused, a burst of requests meets 429.

        Each test is tagged with its threat id and ASVS requirement and reads the flow's base URL from
        an environment variable (SECLOOP_TM_URL_<FLOW>), falling back to the flow's base_url. Exit
        codes: 0 written; 2 usage error or malformed model; 3 internal error.
        """
        analysis = _check(model, root, as_of)
        written = write_tests(analysis, out)
        for item in written.files:
            typer.echo(f"wrote {item}")
        typer.echo(
            f"{written.tests} test(s) for {written.threats} threat(s); "
            f"{len(written.not_generated)} threat(s) on flows without a generated test"
        )
        for reason in written.not_generated[:20]:
            typer.echo(f"  no test: {reason}")

    @group.command("diagram")
    def diagram_command(
        model: Path = MODEL_ARGUMENT,
        fmt: str = typer.Option("mermaid", "--format", "-f", help="mermaid or dot."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE."),
    ) -> None:
        """Draw the data-flow diagram with trust boundaries as subgraphs (Mermaid or Graphviz DOT).

        Exit codes: 0 drawn; 2 usage error or malformed model; 3 internal error.
        """
        if fmt not in DIAGRAM_FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint="use mermaid or dot")
        analysis = _check(model, None, None)
        text = render_diagram(analysis, fmt)
        if output is not None:
            write_atomic(output, text)
        else:
            typer.echo(text, nl=False)

    @group.command("rules")
    def rules_command() -> None:
        """List the threat rules: id, category, element kind, severity and title.

        Exit codes: 0 listed; 3 internal error.
        """
        for rule in load_rulebook().rules:
            spec = rule.spec
            typer.echo(
                f"{spec.id:<40} {spec.category.value:<24} {spec.applies_to:<16} {spec.severity.value:<9} "
                f"{spec.title}"
            )
