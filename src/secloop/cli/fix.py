"""`secloop fix pipeline PATH`: pin actions, drop persisted checkout credentials, add permissions."""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path

import typer

from secloop.core.errors import EXIT_GATE_FAILED, InputError, Place, UsageError

DEFAULT_API = "https://api.github.com"


def _load_pins(path: Path) -> dict[tuple[str, str], str]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the pins file: {exc}", place=Place(str(path))) from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON: {exc.msg}", place=Place(str(path), exc.lineno, exc.colno)
        ) from None
    if not isinstance(data, dict):
        raise InputError('expected an object {"owner/action@ref": "<40-hex sha>"}', place=Place(str(path), 1))
    pins: dict[tuple[str, str], str] = {}
    for key, sha in data.items():
        if not isinstance(sha, str) or "@" not in key:
            raise InputError(f'entry {key!r}: expected "owner/action@ref": "<sha>"', place=Place(str(path)))
        action, ref = key.rsplit("@", 1)
        pins[(action.lower(), ref)] = sha.lower()
    return pins


def _save_pins(path: Path, pins: dict[tuple[str, str], str]) -> None:
    from secloop.core.baseline import write_atomic

    data = {f"{action}@{ref}": sha for (action, ref), sha in sorted(pins.items())}
    write_atomic(path, json.dumps(data, indent=2) + "\n")


def register(app: typer.Typer) -> None:
    fix = typer.Typer(help="Apply the mechanical fixes of an engine's findings.", no_args_is_help=True)
    app.add_typer(fix, name="fix")

    @fix.command("pipeline")
    def pipeline_command(
        path: Path = typer.Argument(Path("."), help="Repository whose workflows to fix."),
        write: bool = typer.Option(False, "--write", help="Write the fixed files (default: show a diff)."),
        pins: Path | None = typer.Option(
            None,
            "--pins",
            dir_okay=False,
            help='JSON {"owner/action@ref": "<sha>"}; --resolve adds to it.',
        ),
        resolve: bool = typer.Option(
            False, "--resolve", help="Ask the GitHub API for SHAs no pin names (read-only)."
        ),
        api_url: str = typer.Option(DEFAULT_API, "--api-url", help="GitHub API base URL."),
        token_env: str = typer.Option(
            "GITHUB_TOKEN",
            "--token-env",
            help="Variable holding a token for --resolve (optional).",
        ),
    ) -> None:
        """Fix GitHub Actions workflows in place: pin actions to commit SHAs (keeping the ref in a
        comment), set `persist-credentials: false` on actions/checkout, and add
        `permissions: contents: read` to workflows that declare no permissions.

        SHAs come from pins already in the repository, from --pins, or with --resolve from the GitHub
        API; nothing is sent anywhere without --resolve. Only the edited spans change; a file is
        written only when the result parses and re-scans without the fixed findings.
        Exit codes: 0 nothing to fix, or fixed with --write; 1 fixes are available (shown as a diff);
        2 usage or input error; 3 internal error.
        """
        from secloop.core.baseline import write_atomic
        from secloop.pipeline.engine import workflow_paths
        from secloop.pipeline.fix import fix_workflow, github_resolver, known_pins, resolver
        from secloop.sources.repo import Repo

        repo = Repo(path)
        paths = workflow_paths(repo)
        texts = {p: repo.read_text(p) for p in paths}
        table = known_pins(t for t in texts.values() if t is not None)
        file_pins = _load_pins(pins) if pins is not None else {}
        table.update(file_pins)
        errors: list[str] = []
        fallback = None
        if resolve:
            try:
                fallback = github_resolver(api_url, os.environ.get(token_env), errors)
            except ValueError as exc:
                raise UsageError(str(exc), hint="use an https:// API URL") from None
        resolve_ref = resolver(table, fallback)
        changed = 0
        for rel in paths:
            text = texts[rel]
            if text is None:
                typer.echo(f"{rel}: not readable as text, not fixed", err=True)
                continue
            result = fix_workflow(rel, text, resolve_ref)
            for note in result.left:
                typer.echo(note, err=True)
            if not result.changed:
                continue
            changed += 1
            if write:
                write_atomic(repo.root / rel, result.after)
                typer.echo(f"{rel}: {len(result.applied)} fix(es) written")
            else:
                diff = difflib.unified_diff(
                    result.before.splitlines(keepends=True),
                    result.after.splitlines(keepends=True),
                    f"a/{rel}",
                    f"b/{rel}",
                )
                typer.echo("".join(diff), nl=False)
        for error in errors:
            typer.echo(f"--resolve: {error}", err=True)
        if pins is not None and resolve and table != file_pins:
            _save_pins(pins, table)
        if changed == 0:
            typer.echo("nothing to fix")
        elif not write:
            raise typer.Exit(EXIT_GATE_FAILED)
