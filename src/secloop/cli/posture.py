"""`secloop posture [PATH]`: the hosted repository's settings (GitHub / GitLab API), read-only."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from secloop.cli.options import check_fail_on
from secloop.core.enums import Severity
from secloop.core.errors import EXIT_GATE_FAILED, UsageError

FORMATS = ("terminal", "json")


def register(app: typer.Typer) -> None:
    @app.command("posture")
    def posture_command(
        path: Path = typer.Argument(
            Path("."), help="Repository whose git remote names the hosted repository."
        ),
        repo: str | None = typer.Option(
            None, "--repo", help="OWNER/NAME (GitLab: GROUP/PROJECT); default: from the git remote."
        ),
        platform: str | None = typer.Option(
            None, "--platform", help="github or gitlab (default: from the remote's host)."
        ),
        api_url: str | None = typer.Option(
            None,
            "--api-url",
            help="API base URL (default https://api.github.com or https://gitlab.com/api/v4; "
            "GitHub Enterprise: https://HOST/api/v3).",
        ),
        token_env: str | None = typer.Option(
            None,
            "--token-env",
            help="Environment variable holding a read-only token (default GITHUB_TOKEN / GITLAB_TOKEN).",
        ),
        branch: str | None = typer.Option(
            None, "--branch", help="Branch to check (default: the default branch)."
        ),
        cache: Path | None = typer.Option(
            None, "--cache", file_okay=False, help="HTTP cache directory (ETags; default: the user cache)."
        ),
        save: bool = typer.Option(
            True, "--save/--no-save", help="Save the fetched facts for `secloop assess`."
        ),
        fmt: str = typer.Option(
            "terminal", "--format", "-f", help="terminal or json (secloop.posture-report/v1)."
        ),
        fail_on: str = typer.Option(
            "high", "--fail-on", help="Failing checks at or above this severity fail the gate (or none)."
        ),
    ) -> None:
        """Check branch protection (scored with OpenSSF Scorecard's Branch-Protection tiers), required
        reviews, secret scanning, the default workflow token, runners, webhooks, outside
        collaborators and 2FA through the host's API, and review and maintenance activity from git.

        The API is used only when the token variable is set; without it every API check is unknown
        and says so. Only GET requests are made, with an ETag cache. The fetched facts are saved
        (atomically) under the user cache directory, keyed by host and repository, where
        `secloop assess` reads them offline.

        Exit codes: 0 the gate passed; 1 a failing check at or above --fail-on; 2 usage error or the
        API could not be used (unreachable, token rejected, repository not found); 3 internal error.
        """
        from secloop.pipeline.posture.render import failing, render_json, render_terminal
        from secloop.pipeline.posture.run import Request, run_posture

        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        checked = check_fail_on(fail_on)
        threshold = None if checked in (None, "none") else Severity(checked)
        request = Request(path, repo, platform, api_url, token_env, branch, cache, save)
        outcome = run_posture(request)
        if fmt == "json":
            typer.echo(render_json(outcome), nl=False)
        else:
            render_terminal(outcome, Console(highlight=False))
        if failing(outcome, threshold):
            raise typer.Exit(EXIT_GATE_FAILED)
