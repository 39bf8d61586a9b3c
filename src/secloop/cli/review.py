"""`secloop review PATH` (review flow) and `secloop churn PATH` (lines added and removed)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from secloop.cli.dora import (
    API_PAGES_OPTION,
    API_URL_OPTION,
    EVENTS_OPTION,
    FORMATS,
    GITHUB_OPTION,
    GITLAB_OPTION,
    _open,
    api_events,
    parse_scope,
)
from secloop.cli.options import CONFIG_OPTION
from secloop.core.errors import UsageError


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")


def register(app: typer.Typer) -> None:
    @app.command("review")
    def review_command(
        path: Path = typer.Argument(
            Path("."), help="Repository to measure (a work tree or a bare repository)."
        ),
        fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json (secloop.review/v1)."),
        window_days: int = typer.Option(90, "--window-days", min=1, help="Days of history analysed."),
        scope: str | None = typer.Option(
            None,
            "--path",
            help="Monorepo slice: only changes whose commits change something under this path (from "
            "the repository root); a pull request counts when its trunk commit is found.",
        ),
        events: Path | None = EVENTS_OPTION,
        github: str | None = GITHUB_OPTION,
        gitlab: str | None = GITLAB_OPTION,
        api_url: str | None = API_URL_OPTION,
        api_pages: int = API_PAGES_OPTION,
        config: Path | None = CONFIG_OPTION,
    ) -> None:
        """Review flow: pull-request size, time to first review and to merge, changes merged unreviewed.

        Pull requests come from the API (--github / --gitlab), else from pull_request events in the
        events file, else from git alone (trunk commits; Reviewed-by / Approved-by trailers as review
        evidence). The report names the basis it used. The window ends at the newest event.

        Exit codes: 0 measured (or nothing to measure, with the reason); 2 usage or input error.
        """
        from secloop.delivery import load_sources
        from secloop.delivery.review import review_report
        from secloop.delivery.review_render import render_review_json, render_review_terminal

        _check(fmt)
        sliced = parse_scope(scope)
        repo, cfg = _open(path, config)
        extra, described = api_events(repo, github, gitlab, api_url, "incident", api_pages)
        report = review_report(load_sources(repo, cfg, events, extra, described), window_days, sliced)
        if fmt == "json":
            typer.echo(render_review_json(report, repo.root.name), nl=False)
        else:
            render_review_terminal(report, repo.root.name, Console(highlight=False))

    @app.command("churn")
    def churn_command(
        path: Path = typer.Argument(Path("."), help="Repository (a work tree or a bare repository)."),
        fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json (secloop.churn/v1)."),
        revision: str = typer.Option("HEAD", "--rev", help="Commits reachable from this revision."),
        since: str | None = typer.Option(
            None, "--since", help="Only commits after this date (git's --since)."
        ),
        only: list[str] = typer.Option([], "--path", help="Only changes under this path (repeatable)."),
        top: int = typer.Option(20, "--top", min=0, help="Files listed, most churned first (0: all)."),
    ) -> None:
        """Lines added and removed per file and per commit, from one `git log --numstat` stream.

        Each commit counts against its first parent, renames followed; merge commits count 0 (their
        lines are counted in the commits they merged). Needs file contents: bare clones work, blobless
        clones are refused with a hint.

        Exit codes: 0 measured; 2 usage or input error (not a git repository, partial clone).
        """
        from secloop.core.errors import InputError
        from secloop.delivery.churn import churn
        from secloop.delivery.git import inspect
        from secloop.delivery.review_render import render_churn_json, render_churn_terminal
        from secloop.sources.repo import Repo

        _check(fmt)
        if revision.startswith("-"):
            raise UsageError(f"--rev: {revision!r} is not a revision", hint="e.g. --rev HEAD or --rev v2.0.0")
        repo = Repo(path)
        if not inspect(repo.root, repo.is_git).is_git:
            raise InputError("not a git repository", hint="give a work tree or a bare repository")
        result = churn(repo.root, [revision], paths=only, since=since)
        if fmt == "json":
            typer.echo(render_churn_json(result, repo.root.name, top, revision, since), nl=False)
        else:
            render_churn_terminal(result, repo.root.name, top or len(result.files), Console(highlight=False))
