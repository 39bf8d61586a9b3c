"""Entry point: the typer app, the command groups and the exit-code contract."""

from __future__ import annotations

import sys
import traceback

import typer

from secloop import __version__
from secloop.core.errors import EXIT_INTERNAL, SecloopError

HELP = """secloop: security in every stage of the DevOps loop, with delivery measured as it goes.

Exit codes: 0 clean; 1 the gate failed; 2 usage or input error; 3 internal error."""

app = typer.Typer(
    name="secloop",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"secloop {__version__}")
        raise typer.Exit(0)


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """secloop: security in every stage of the DevOps loop."""


def _register() -> None:
    from secloop.cli import (
        assess,
        baseline,
        catalog,
        config,
        deps,
        dora,
        history,
        iac,
        sast,
        secrets,
        server,
        threatmodel,
    )

    assess.register(app)
    baseline.register(app)
    history.register(app)
    catalog.register(app)
    config.register(app)
    dora.register(app)
    scan = typer.Typer(help="Run one engine on its own: secrets, deps, iac, sast.", no_args_is_help=True)
    app.add_typer(scan, name="scan")
    secrets.register(scan)
    deps.register_scan(scan)
    iac.register_scan(scan)
    sast.register_scan(scan)
    sast.register(app)
    deps.register(app)
    threatmodel.register(app)
    server.register(app)


_register()


def run(argv: list[str] | None = None) -> None:
    """Run the CLI and map every outcome to the documented exit codes."""
    try:
        # Outside standalone mode click returns the exit code of typer.Exit instead of raising it.
        code = app(args=argv, standalone_mode=False)
    except SecloopError as exc:
        typer.echo(exc.render(), err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(EXIT_INTERNAL)
    except typer.TyperException as exc:
        # Usage errors (unknown option, bad value) raised by typer's bundled click: exit 2.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc}", err=True)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except Exception as exc:
        traceback.print_exc()
        typer.echo(f"internal error: {type(exc).__name__}: {exc} (please report it)", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else 0)
