"""`secloop serve`, `secloop worker`, `secloop admin …` and `secloop org scan`: the server's commands."""

from __future__ import annotations

import getpass
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from secloop.cli.options import DB_OPTION
from secloop.core.errors import EXIT_INTERNAL, UsageError

if TYPE_CHECKING:  # imported lazily: the server's libraries cost time `secloop --help` need not spend
    from sqlalchemy import Engine

    from secloop.server.accounts import Accounts

SERVER_CONFIG = typer.Option(
    None,
    "--config",
    envvar="SECLOOP_SERVER_CONFIG",
    dir_okay=False,
    help="Server configuration file (TOML, a [server] table; never secrets).",
)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _accounts(db: str | None) -> tuple[Engine, Accounts]:
    from secloop.server.accounts import Accounts
    from secloop.server.crypto import Signer, random_id
    from secloop.store import default_url
    from secloop.store.engine import build_engine, migrate, parse_url

    engine = build_engine(parse_url(db or default_url()))
    migrate(engine)
    # The signer only keys the API's in-memory token cache; these commands never use it.
    return engine, Accounts(engine, Signer(random_id()))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise UsageError("no password on standard input", hint="pipe the password, one line")
        return value
    if not sys.stdin.isatty():
        raise UsageError(
            "no terminal to ask for the password", hint="use --password-stdin and pipe the password in"
        )
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise UsageError("the two passwords differ")
    return first


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
        workers: int = typer.Option(1, "--workers", min=1, max=64, help="Server processes."),
        config: Path | None = SERVER_CONFIG,
        ssl_certfile: Path | None = typer.Option(None, "--ssl-certfile", help="TLS certificate (PEM)."),
        ssl_keyfile: Path | None = typer.Option(None, "--ssl-keyfile", help="TLS private key (PEM)."),
        no_access_log: bool = typer.Option(False, "--no-access-log", help="Do not log each request."),
        forwarded_allow_ips: str | None = typer.Option(
            None,
            "--forwarded-allow-ips",
            help="Proxies trusted for X-Forwarded-Proto/For (comma-separated), e.g. 127.0.0.1.",
        ),
    ) -> None:
        """Run the dashboard, the API (/api/v1) and the webhooks.

        Settings come from the environment: SECLOOP_SECRET_KEY (required, or SECLOOP_SECRET_KEY_FILE),
        SECLOOP_DB, SECLOOP_WEBHOOK_SECRET, SECLOOP_GITLAB_TOKEN, SECLOOP_ALERTMANAGER_TOKEN,
        SECLOOP_PAGERDUTY_SECRET, SECLOOP_BROKER_URL (scans of pushes), SECLOOP_REDIS_URL (shared
        rate limits); options also from --config.
        Exit codes: 0 stopped cleanly; 2 bad settings; 3 internal error.
        """
        from secloop.server.serve import run
        from secloop.server.settings import load_settings

        settings = load_settings(os.environ, config)
        if (ssl_certfile is None) != (ssl_keyfile is None):
            raise UsageError("--ssl-certfile and --ssl-keyfile go together")
        run(
            settings,
            config,
            host,
            port,
            workers,
            proxy_headers=forwarded_allow_ips is not None,
            forwarded_allow_ips=forwarded_allow_ips,
            server_header=False,
            access_log=not no_access_log,
            ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
            ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        )

    @app.command("worker")
    def worker(
        concurrency: int = typer.Option(
            0, "--concurrency", min=0, max=256, help="Scan processes (0: one per core)."
        ),
        pool: str = typer.Option("prefork", "--pool", help="prefork, solo or threads."),
        loglevel: str = typer.Option("info", "--loglevel", help="debug, info, warning or error."),
    ) -> None:
        """Run a Celery worker that scans repositories.

        Broker SECLOOP_BROKER_URL, queue SECLOOP_QUEUE (default secloop), store SECLOOP_DB.
        """
        if pool not in ("prefork", "solo", "threads"):
            raise UsageError(f"unknown pool {pool!r}", hint="use prefork, solo or threads")
        from secloop.worker.app import celery_app, queue

        argv = ["worker", "--queues", queue(), "--pool", pool, "--loglevel", loglevel]
        if concurrency:
            argv += ["--concurrency", str(concurrency)]
        celery_app.worker_main(argv)

    admin = typer.Typer(help="Administer the server's users and API tokens.", no_args_is_help=True)
    app.add_typer(admin, name="admin")

    @admin.command("create-user")
    def create_user(
        name: str = typer.Argument(..., help="User name."),
        is_admin: bool = typer.Option(False, "--admin", help="May read the audit trail."),
        password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from stdin."),
        db: str | None = DB_OPTION,
    ) -> None:
        """Create a dashboard user; the password is asked for (or read from stdin), never defaulted."""
        password = _password(password_stdin)
        engine, accounts = _accounts(db)
        try:
            user = accounts.create_user(name, password, is_admin=is_admin, actor=_actor())
        finally:
            engine.dispose()
        typer.echo(f"created user {user.username}{' (admin)' if user.is_admin else ''}")

    @admin.command("create-token")
    def create_token(
        name: str = typer.Argument(..., help="What the token is for, e.g. ci-upload."),
        scope: list[str] = typer.Option(["read"], "--scope", help="read, write or admin (repeatable)."),
        user: str | None = typer.Option(None, "--user", help="The user the token belongs to."),
        expires_days: int | None = typer.Option(None, "--expires-days", help="Expire after N days."),
        db: str | None = DB_OPTION,
    ) -> None:
        """Create an API token and print it once: only its argon2 hash is kept."""
        from secloop.server.crypto import Scope

        known = {s.value: s for s in Scope}
        wrong = [s for s in scope if s not in known]
        if wrong:
            raise UsageError(f"unknown scope {wrong[0]!r}", hint="use read, write or admin")
        engine, accounts = _accounts(db)
        try:
            value = accounts.create_token(
                name,
                tuple(known[s] for s in scope),
                actor=_actor(),
                username=user,
                expires_days=expires_days,
            )
        finally:
            engine.dispose()
        typer.echo("This token is shown once; store it in your secret manager.", err=True)
        typer.echo(value)

    @admin.command("revoke-token")
    def revoke_token(
        prefix: str = typer.Argument(..., help="The token's prefix (the 12 hex digits after slp_)."),
        db: str | None = DB_OPTION,
    ) -> None:
        """Revoke an API token."""
        engine, accounts = _accounts(db)
        try:
            done = accounts.revoke_token(prefix, actor=_actor())
        finally:
            engine.dispose()
        if not done:
            raise UsageError(f"no active token with prefix {prefix!r}")
        typer.echo(f"revoked token {prefix}")

    org = typer.Typer(help="Work on many repositories at once.", no_args_is_help=True)
    app.add_typer(org, name="org")

    @org.command("scan")
    def org_scan(
        targets: list[str] = typer.Argument(
            None, help="Repositories: git working trees, or https:// clone URLs (fetched by the workers)."
        ),
        github_org: str | None = typer.Option(
            None,
            "--github-org",
            help="Also every repository of this GitHub organisation (token: GITHUB_TOKEN).",
        ),
        github_api_url: str = typer.Option(
            "https://api.github.com",
            "--github-api-url",
            envvar="SECLOOP_GITHUB_API_URL",
            help="GitHub API base URL (GitHub Enterprise: https://host/api/v3).",
        ),
        include_archived: bool = typer.Option(
            False, "--include-archived", help="Scan archived repositories too."
        ),
        allow_file_urls: bool = typer.Option(
            False, "--allow-file-urls", help="Accept file:// clone URLs (local mirrors, tests)."
        ),
        wait: bool = typer.Option(False, "--wait", help="Wait until every scan is done."),
        timeout: float = typer.Option(3600.0, "--timeout", min=1, help="With --wait: give up after N s."),
        db: str | None = DB_OPTION,
    ) -> None:
        """Enqueue one scan per repository (and commit) for the workers; a commit scanned before is skipped.

        A clone URL is resolved to the commit its HEAD names now (git ls-remote); a worker fetches that
        one commit (shallow, hooks disabled) into a temporary directory. Exit codes: 0 enqueued (or,
        with --wait, all done); 2 a path is not a git repository, a URL is refused or unreachable, or the
        GitHub API refused; 3 a scan failed or --wait timed out.
        """
        from rich.progress import Progress

        from secloop.worker.app import REMOTE_TASK, TASK, make_celery, store_for
        from secloop.worker.jobs import DONE, FAILED, target
        from secloop.worker.remote import check_url, is_url, remote_head

        wanted = list(targets or [])
        if github_org is not None:
            from secloop.worker.github import org_repositories

            token = os.environ.get("GITHUB_TOKEN") or os.environ.get("SECLOOP_GITHUB_TOKEN")
            listed = org_repositories(github_org, token, github_api_url)
            wanted += [r.clone_url for r in listed if include_archived or not r.archived]
            typer.echo(f"{github_org}: {len(listed)} repositories", err=True)
        if not wanted:
            raise UsageError("nothing to scan", hint="give paths or clone URLs, or --github-org ORG")
        keys: list[tuple[str, str]] = []
        remote: set[tuple[str, str]] = set()
        for item in wanted:
            if is_url(item):
                check_url(item, allow_file=allow_file_urls)
                key = (item, remote_head(item, allow_file=allow_file_urls))
                remote.add(key)
            else:
                key = target(item)
            if key not in keys:
                keys.append(key)
        _, jobs = store_for(db)
        celery_app = make_celery()  # the broker as the environment names it now
        quiet = not sys.stderr.isatty()
        done_before = 0
        with Progress(disable=quiet, transient=True) as progress:
            queued = progress.add_task("enqueueing", total=len(keys))
            for root, commit in keys:
                if jobs.ensure(root, commit).status == DONE:
                    done_before += 1
                elif (root, commit) in remote:
                    celery_app.send_task(REMOTE_TASK, args=(root, commit, allow_file_urls))
                else:
                    celery_app.send_task(TASK, args=(root, commit))
                progress.advance(queued)
        celery_app.close()
        typer.echo(f"enqueued {len(keys) - done_before} scan(s); {done_before} commit(s) were scanned before")
        if not wait:
            return
        deadline = time.monotonic() + timeout
        with Progress(disable=quiet, transient=True) as progress:
            bar = progress.add_task("scanning", total=len(keys))
            while True:
                found = jobs.statuses(keys)
                finished = [j for j in found.values() if j.status in (DONE, FAILED)]
                progress.update(bar, completed=len(finished))
                if len(finished) == len(keys) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
        failed = [j for j in found.values() if j.status == FAILED]
        for job in failed:
            typer.echo(f"failed: {job.root} at {job.commit[:12]}: {job.error}", err=True)
        if failed or len(finished) < len(keys):
            if len(finished) < len(keys):
                typer.echo(f"timed out: {len(keys) - len(finished)} scan(s) still running", err=True)
            raise typer.Exit(EXIT_INTERNAL)
        typer.echo(f"scanned {len(keys)} repositories")
