"""`secloop scan secrets` for the benchmark, whether or not the `scan` group is wired into secloop's CLI yet.

Usage: python bench/bench_secrets_cli.py ARGS...   (the arguments of `secloop scan secrets`)
"""

from __future__ import annotations

import sys

import typer

from secloop.cli import secrets
from secloop.core.errors import SecloopError


def main() -> None:
    app = typer.Typer(add_completion=False)
    scan = typer.Typer()
    app.add_typer(scan, name="scan")
    secrets.register(scan)
    try:
        code = app(args=["scan", "secrets", *sys.argv[1:]], standalone_mode=False)
    except SecloopError as exc:
        print(exc.render(), file=sys.stderr)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
