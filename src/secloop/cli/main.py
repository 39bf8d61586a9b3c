"""Entry point: the typer app, the command groups and the exit-code contract.

`app` holds every command (for `--help`, the docs generator and tests). The console script goes
through `run`, which registers only the command group the arguments name, so a pre-commit hook does
not pay for importing every engine.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import typer

from secloop import __version__
from secloop.core.errors import EXIT_INTERNAL, SecloopError

HELP = """secloop: security in every stage of the DevOps loop, with delivery measured as it goes.

Exit codes: 0 clean; 1 the gate failed; 2 usage or input error; 3 internal error;
4 `canary judge` asks to pause (not enough data to decide)."""

# The first argument names a group; each group is registered by one function below.
GROUPS: dict[str, str] = {
    "assess": "assess",
    "baseline": "baseline",
    "history": "history",
    "rules": "catalog",
    "practices": "catalog",
    "config": "config",
    "dora": "dora",
    "events": "dora",
    "trunk": "dora",
    "flow": "dora",
    "scan": "scan",
    "import": "sast",
    "db": "deps",
    "sbom": "deps",
    "threatmodel": "threatmodel",
    "serve": "server",
    "worker": "server",
    "admin": "server",
    "org": "server",
    "fix": "fix",
    "canary": "canary",
    "experiment": "experiment",
    "flags": "flags",
    "alerts": "alerts",
    "probe": "probe",
    "posture": "posture",
    "monitor": "monitor",
    "hook": "hook",
    "review": "review",
    "churn": "review",
}
SCANNERS = ("secrets", "deps", "iac", "sast", "pipeline")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"secloop {__version__}")
        raise typer.Exit(0)


def _main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """secloop: security in every stage of the DevOps loop."""


# scanner -> (CLI module, its registering function); a module is imported only for its scanner.
SCAN_REGISTRARS: dict[str, tuple[str, str]] = {
    "secrets": ("secrets", "register"),
    "deps": ("deps", "register_scan"),
    "iac": ("iac", "register_scan"),
    "sast": ("sast", "register_scan"),
    "pipeline": ("pipeline", "register_scan"),
}


def _add_scan(target: typer.Typer, only: str | None) -> None:
    from importlib import import_module

    scan = typer.Typer(
        help="Run one engine on its own: secrets, deps, iac, sast, pipeline.", no_args_is_help=True
    )
    target.add_typer(scan, name="scan")
    for name in SCANNERS:
        if only is None or only == name:
            module, function = SCAN_REGISTRARS[name]
            getattr(import_module(f"secloop.cli.{module}"), function)(scan)


def _add(target: typer.Typer, group: str, scanner: str | None = None) -> None:
    if group == "scan":
        _add_scan(target, scanner)
        return
    from importlib import import_module

    module = import_module(f"secloop.cli.{group}")
    module.register(target)


def build_app(group: str | None = None, scanner: str | None = None) -> typer.Typer:
    """The CLI with every group, or with only ``group`` (and, for `scan`, only ``scanner``)."""
    built = typer.Typer(
        name="secloop",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )
    built.callback()(_main)
    if group == "":  # `secloop --version`: no command is needed
        return built
    if group is not None:
        _add(built, group, scanner)
        return built
    for name in dict.fromkeys(GROUPS.values()):
        _add(built, name)
    return built


def _selection(args: Sequence[str]) -> tuple[str | None, str | None]:
    words = [a for a in args if not a.startswith("-")]
    if not words and "--version" in args and "--help" not in args:
        return "", None
    if not words or words[0] not in GROUPS:
        return None, None
    group = GROUPS[words[0]]
    scanner = words[1] if group == "scan" and len(words) > 1 and words[1] in SCANNERS else None
    return group, scanner


def run(argv: list[str] | None = None) -> None:
    """Run the CLI and map every outcome to the documented exit codes."""
    args = sys.argv[1:] if argv is None else argv
    run_app(build_app(*_selection(args)), args)


def run_app(target: typer.Typer, argv: list[str]) -> None:
    try:
        # Outside standalone mode click returns the exit code of typer.Exit instead of raising it.
        code = target(args=argv, standalone_mode=False, prog_name="secloop")
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


def __getattr__(name: str) -> typer.Typer:
    """`secloop.cli.main.app`: the full CLI, built on first use (docs, tests, --help)."""
    if name == "app":
        full = build_app()
        globals()["app"] = full
        return full
    raise AttributeError(name)
