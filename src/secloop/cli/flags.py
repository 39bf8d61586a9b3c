"""`secloop flags validate|eval|list|stale|gen-tests|export`: feature flags as code."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import typer

from secloop.core.baseline import write_atomic
from secloop.core.errors import EXIT_GATE_FAILED, UsageError
from secloop.release.flags.engine import Engine, Evaluation
from secloop.release.flags.loader import DEFAULT_PATHS, find_flags_file, load_flags
from secloop.release.flags.model import DEFAULT_ENVIRONMENT, FlagsFile, FlagType
from secloop.release.flags.stale import find_stale, stale_json
from secloop.release.flags.testgen import render_tests
from secloop.release.flags.unleash import to_unleash

FORMATS = ("terminal", "json")
FILE_OPTION = typer.Option(
    None, "--file", help=f"The flags file (default: {' or '.join(DEFAULT_PATHS)} under --root)."
)
ROOT_OPTION = typer.Option(Path("."), "--root", help="The repository root.", file_okay=False)
FORMAT_OPTION = typer.Option("terminal", "--format", "-f", help="terminal or json.")
ENV_OPTION = typer.Option(DEFAULT_ENVIRONMENT, "--env", "-e", help="The environment to evaluate in.")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")


def _display(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def resolve_file(file: Path | None, root: Path) -> Path:
    if file is not None:
        return file
    found = find_flags_file(root)
    if found is None:
        raise UsageError(
            f"no flags file under {root}",
            hint=f"create {DEFAULT_PATHS[0]} (or {DEFAULT_PATHS[1]}), or pass --file",
        )
    return found


def open_flags(file: Path | None, root: Path) -> tuple[FlagsFile, Path]:
    path = resolve_file(file, root)
    return load_flags(path, _display(path, root)), path


def parse_context(pairs: list[str]) -> dict[str, str]:
    context: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--context expects key=value, got {pair!r}", hint="e.g. --context userId=42")
        context[key.strip()] = value
    return context


def evaluation_json(result: Evaluation, environment: str) -> dict[str, object]:
    return {
        "flag": result.flag,
        "environment": environment,
        "enabled": result.enabled,
        "reason": result.reason,
        "variant": result.variant,
        "payload": None
        if result.payload is None
        else {"type": result.payload.type, "value": result.payload.value},
        "strategy": result.strategy,
        "error": result.error,
    }


def _summary(flags: FlagsFile) -> str:
    counts = Counter(flag.type for flag in flags.flags)
    by_type = ", ".join(f"{t.value} {counts[t]}" for t in FlagType if counts[t])
    envs = ", ".join(flags.environments()) or "none"
    return (
        f"{len(flags.flags)} flag(s) ({by_type or 'none'}), {len(flags.segments)} segment(s), "
        f"environments: {envs}"
    )


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Feature flags as code: validate, evaluate (Unleash-compatible), find stale flags.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="flags")

    @group.command("validate")
    def validate_command(
        file: Path | None = typer.Argument(None, help="The flags file (default: discovered under --root)."),
        root: Path = ROOT_OPTION,
    ) -> None:
        """Check the flags file: every problem is reported with file:line.

        Exit codes: 0 valid; 2 the file is malformed or missing; 3 internal error.
        """
        flags, _ = open_flags(file, root)
        typer.echo(f"{flags.path}: valid: {_summary(flags)}")

    @group.command("eval")
    def eval_command(
        flag: str = typer.Argument(..., help="The flag's name."),
        context: list[str] = typer.Option([], "--context", "-c", help="A context field, key=value (repeat)."),
        env: str = ENV_OPTION,
        file: Path | None = FILE_OPTION,
        root: Path = ROOT_OPTION,
        fmt: str = FORMAT_OPTION,
    ) -> None:
        """Evaluate one flag for a context: enabled, variant and the reason.

        Bucketing is Unleash's (murmur3 of "groupId:stickiness"), so the answer is the one an Unleash
        SDK gives for the same flag and context. Exit codes: 0 evaluated; 2 unknown flag or malformed
        file; 3 internal error.
        """
        _check_format(fmt)
        flags, _ = open_flags(file, root)
        if flag not in flags.by_name:
            known = ", ".join(f.name for f in flags.flags) or "none"
            raise UsageError(f"no flag '{flag}' in {flags.path}", hint=f"known flags: {known}")
        result = Engine(flags, env).evaluate(flag, parse_context(context))
        if fmt == "json":
            typer.echo(json.dumps(evaluation_json(result, env), indent=2))
            return
        state = "enabled" if result.enabled else "disabled"
        typer.echo(f"{flag} [{env}]: {state} ({result.reason})")
        if result.strategy is not None:
            strategy = flags.by_name[flag].environment(env)
            assert strategy is not None
            typer.echo(f"  strategy: #{result.strategy + 1} {strategy.strategies[result.strategy].name}")
        if result.variant is not None:
            payload = f" payload {result.payload.type}: {result.payload.value}" if result.payload else ""
            typer.echo(f"  variant: {result.variant}{payload}")

    @group.command("list")
    def list_command(
        file: Path | None = FILE_OPTION, root: Path = ROOT_OPTION, fmt: str = FORMAT_OPTION
    ) -> None:
        """List the flags with type, owner, creation date and their state per environment.

        Exit codes: 0 listed; 2 malformed or missing file; 3 internal error.
        """
        _check_format(fmt)
        flags, _ = open_flags(file, root)
        if fmt == "json":
            rows = [
                {
                    "name": f.name,
                    "type": f.type.value,
                    "owner": f.owner,
                    "created": f.created.isoformat(),
                    "line": f.line,
                    "environments": {
                        e.name: {"enabled": e.enabled, "strategies": [s.name for s in e.strategies]}
                        for e in f.environments
                    },
                }
                for f in flags.flags
            ]
            typer.echo(json.dumps({"flags_file": flags.path, "flags": rows}, indent=2))
            return
        for f in flags.flags:
            states = " ".join(f"{e.name}:{'on' if e.enabled else 'off'}" for e in f.environments)
            typer.echo(f"{f.name:<32} {f.type.value:<12} {f.owner:<20} {f.created.isoformat()}  {states}")
        typer.echo(_summary(flags))

    @group.command("stale")
    def stale_command(
        file: Path | None = FILE_OPTION,
        root: Path = ROOT_OPTION,
        fmt: str = FORMAT_OPTION,
        as_of: str | None = typer.Option(
            None, "--as-of", help="Judge lifetimes as of YYYY-MM-DD (default today)."
        ),
        fail_on_stale: bool = typer.Option(False, "--fail-on-stale", help="Exit 1 when any flag is stale."),
        code_search: bool = typer.Option(
            True,
            "--code-search/--no-code-search",
            help="Look for each flag's name in the repository's files.",
        ),
    ) -> None:
        """Stale flags as technical-debt work items: past the type's expected lifetime (release and
        experiment 40 days, operational 7; kill-switch and permission never), on for everyone in every
        environment, or not mentioned by any file of the repository other than the flags file.

        Exit codes: 0 listed (or none stale); 1 stale flags and --fail-on-stale; 2 malformed or missing
        file, bad --as-of; 3 internal error.
        """
        from secloop.sources.repo import Repo

        _check_format(fmt)
        today = _as_of(as_of)
        flags, path = open_flags(file, root)
        repo = Repo(root) if code_search else None
        items = find_stale(flags, today, repo, _display(path, root))
        if fmt == "json":
            typer.echo(stale_json(items, flags, today, code_search), nl=False)
        else:
            for item in items:
                typer.echo(
                    f"{item.path}:{item.flag.line}: {item.flag.name} ({item.flag.type.value}) is stale"
                )
                for reason in item.reasons:
                    typer.echo(f"  - {reason.kind}: {reason.detail}")
                typer.echo(f"  work item: {item.action}")
            typer.echo(f"{len(items)} of {len(flags.flags)} flag(s) stale as of {today.isoformat()}")
        if items and fail_on_stale:
            raise typer.Exit(EXIT_GATE_FAILED)

    @group.command("gen-tests")
    def gen_tests_command(
        file: Path | None = FILE_OPTION,
        root: Path = ROOT_OPTION,
        out: Path = typer.Option(
            Path("tests/test_flag_kill_switches.py"), "--out", "-o", help="The pytest file to write."
        ),
    ) -> None:
        """Write a pytest file asserting that each kill-switch flag, switched off, is off for every
        context in a representative set built from the flags file (its constraint values, user lists,
        overrides, and synthetic user and session ids).

        Exit codes: 0 written (or no kill switch to test); 2 malformed or missing file; 3 internal error.
        """
        flags, path = open_flags(file, root)
        text, cases = render_tests(flags, path, out)
        if not cases:
            typer.echo(f"{flags.path}: no kill-switch flag; nothing written")
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out, text)
        typer.echo(f"wrote {out}: {cases} case(s) (kill switch x environment); run: pytest {out}")

    @group.command("export")
    def export_command(
        env: str = ENV_OPTION, file: Path | None = FILE_OPTION, root: Path = ROOT_OPTION
    ) -> None:
        """Print one environment as Unleash's client features document (JSON), e.g. to bootstrap an
        Unleash SDK with the same flags.

        Exit codes: 0 printed; 2 malformed or missing file; 3 internal error.
        """
        flags, _ = open_flags(file, root)
        typer.echo(json.dumps(to_unleash(flags, env), indent=2))


def _as_of(value: str | None) -> date:
    if value is None:
        return datetime.now(tz=UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of: not a date: {value!r}", hint="use YYYY-MM-DD") from None
