"""`secloop dora|trunk|flow PATH` (DORA, trunk-based, flow metrics) and `secloop events record …`."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

from secloop.cli.options import CONFIG_OPTION
from secloop.core.baseline import write_atomic
from secloop.core.config import Config, load_config
from secloop.core.errors import UsageError
from secloop.delivery import Options, dora, load_sources
from secloop.delivery.cadence import parse_working_hours
from secloop.delivery.events import Events, append_event
from secloop.delivery.flow import flow
from secloop.delivery.git import inspect, resolve
from secloop.delivery.metrics import DoraReport
from secloop.delivery.model import (
    DEPLOYMENT_STATUSES,
    PRODUCTION,
    Deployment,
    DeploymentSource,
    Incident,
    PullRequest,
    WorkItem,
    WorkType,
)
from secloop.delivery.render import render_json, render_terminal
from secloop.delivery.tiers import reports
from secloop.delivery.trunk import trunk_report
from secloop.delivery.views import (
    render_flow_json,
    render_flow_terminal,
    render_trunk_json,
    render_trunk_terminal,
)
from secloop.sources.repo import Repo

FORMATS = ("terminal", "json")
DORA_FORMATS = (*FORMATS, "html")
EVENTS_OPTION = typer.Option(
    None, "--events", dir_okay=False, help="Events file (JSON lines) instead of the configured one."
)
GITHUB_OPTION = typer.Option(
    None, "--github", help="Also read OWNER/REPO from the GitHub API (needs GITHUB_TOKEN; read-only, cached)."
)
GITLAB_OPTION = typer.Option(
    None,
    "--gitlab",
    help="Also read GROUP/PROJECT from the GitLab API (needs GITLAB_TOKEN; read-only, cached).",
)
API_URL_OPTION = typer.Option(
    None, "--api-url", help="API base URL (GitHub Enterprise, self-managed GitLab); default the public one."
)
INCIDENT_LABEL_OPTION = typer.Option(
    "incident", "--incident-label", help="Issues with this label are incidents (API sources)."
)
API_PAGES_OPTION = typer.Option(5, "--api-pages", min=1, help="Pages of 100 read per API list, newest first.")


def parse_scope(scope: str | None) -> str | None:
    """The --path value as a path from the repository root ("./a/b/" -> "a/b")."""
    if scope is None:
        return None
    sliced = scope.strip().removeprefix("./").strip("/")
    if not sliced:
        raise UsageError("--path: give a directory or file path such as services/api")
    return sliced


def api_events(
    repo: Repo, github: str | None, gitlab: str | None, api_url: str | None, label: str, pages: int
) -> tuple[Events | None, tuple[str, ...]]:
    """Events from the API sources asked for (none unless a flag names one)."""
    if not github and not gitlab:
        return None, ()
    from secloop.delivery.api import ApiOptions, combined, read_api

    def tag_commit(name: str) -> str | None:
        return resolve(repo.root, [f"refs/tags/{name}"]).get(f"refs/tags/{name}")

    reads = read_api(github, gitlab, ApiOptions(label, pages, api_url), tag_commit)
    return combined(reads)


def parse_moment(value: str, option: str) -> datetime:
    """An ISO 8601 date or time; without a zone it is UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"{option}: not an ISO 8601 date or time: {value!r}",
            hint='e.g. "2026-09-23T10:25:00Z" or "2026-09-23"',
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(tz=UTC).replace(microsecond=0)


def _open(path: Path, config_file: Path | None) -> tuple[Repo, Config]:
    probe = Repo(path)
    config, _ = load_config(probe.root, config_file)
    return Repo(probe.root, exclude=config.exclude), config


def render(report: DoraReport, target: str, fmt: str, *, width: int | None = None, color: bool = True) -> str:
    if fmt == "json":
        return render_json(report, target)
    if fmt == "html":
        from secloop.delivery.paradox import render_html

        return render_html(report, target)
    buffer = io.StringIO()
    console = Console(file=buffer, width=width or 120, no_color=not color, color_system=None, highlight=False)
    render_terminal(report, target, console)
    return buffer.getvalue()


def _events_path(repo: Repo, config: Config, events: Path | None) -> Path:
    return events if events is not None else repo.root / config.events_file


def _commit(repo: Repo, sha: str | None, option: str) -> str:
    info = inspect(repo.root, repo.is_git)
    if sha is None:
        if info.head is None:
            raise UsageError(
                f"{option} is needed: the repository has no HEAD commit", hint=f"give {option} SHA"
            )
        return info.head
    if not info.is_git:
        return sha.lower()
    full = resolve(repo.root, [sha]).get(sha)
    if full is None:
        raise UsageError(
            f"{option}: commit {sha} is not in the repository", hint="fetch it first or give its full id"
        )
    return full


def register(app: typer.Typer) -> None:
    @app.command("dora")
    def dora_command(
        path: Path = typer.Argument(
            Path("."), help="Repository to measure (a work tree or a bare repository)."
        ),
        fmt: str = typer.Option(
            "terminal",
            "--format",
            "-f",
            help="terminal, json (secloop.dora/v1) or html (speed against stability per month, one page).",
        ),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the report to FILE (atomically)."
        ),
        window_days: int = typer.Option(90, "--window-days", min=1, help="Days of history analysed."),
        failure_window_days: int = typer.Option(
            14,
            "--failure-window-days",
            min=1,
            help="Days after a deployment in which a failure is charged to it.",
        ),
        environment: str = typer.Option(
            PRODUCTION, "--environment", help="Environment whose deployments count."
        ),
        tiers: str = typer.Option(
            "2021", "--tiers", help="DORA report whose tier table classifies: 2021, 2023, 2024."
        ),
        until: str | None = typer.Option(
            None, "--until", help="End the window at this ISO 8601 time instead of the newest event."
        ),
        scope: str | None = typer.Option(
            None,
            "--path",
            help="Monorepo slice: only changes under this path (from the repository root), the "
            "deployments that shipped one and the incidents linked to those.",
        ),
        events: Path | None = EVENTS_OPTION,
        github: str | None = GITHUB_OPTION,
        gitlab: str | None = GITLAB_OPTION,
        api_url: str | None = API_URL_OPTION,
        incident_label: str = INCIDENT_LABEL_OPTION,
        api_pages: int = API_PAGES_OPTION,
        config: Path | None = CONFIG_OPTION,
    ) -> None:
        """Measure the DORA keys from git (release tags), the events file and, when asked, the APIs.

        The window ends at the newest event (deployment, incident, work item or HEAD's commit), never at
        the wall clock, so the same history gives the same report.

        Exit codes: 0 measured (or nothing to measure, with the reason); 2 usage or input error.
        """
        if fmt not in DORA_FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(DORA_FORMATS)}")
        if tiers not in reports():
            raise UsageError(
                f"unknown tier table {tiers!r}", hint=f"use one of: {', '.join(sorted(reports()))}"
            )
        end = parse_moment(until, "--until") if until is not None else None
        repo, cfg = _open(path, config)
        working = parse_working_hours(cfg.working_hours, cfg.working_days, cfg.timezone)
        sliced = parse_scope(scope)
        options = Options(window_days, failure_window_days, environment, tiers, end, working, sliced)
        extra, described = api_events(repo, github, gitlab, api_url, incident_label, api_pages)
        report = dora(repo, cfg, options, events, extra, described)
        if output is not None:
            write_atomic(output, render(report, repo.root.name, fmt, color=False))
        elif fmt == "terminal":
            render_terminal(report, repo.root.name, Console(highlight=False))
        else:
            typer.echo(render(report, repo.root.name, fmt), nl=False)

    @app.command("trunk")
    def trunk_command(
        path: Path = typer.Argument(
            Path("."), help="Repository to measure (a work tree or a bare repository)."
        ),
        fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json (secloop.trunk/v1)."),
        window_days: int = typer.Option(90, "--window-days", min=1, help="Days of history analysed."),
        scope: str | None = typer.Option(
            None,
            "--path",
            help="Monorepo slice: only integrations whose commits change something under this path "
            "(from the repository root), and active branches with such a commit.",
        ),
        events: Path | None = EVENTS_OPTION,
        github: str | None = GITHUB_OPTION,
        gitlab: str | None = GITLAB_OPTION,
        api_url: str | None = API_URL_OPTION,
        api_pages: int = API_PAGES_OPTION,
        config: Path | None = CONFIG_OPTION,
    ) -> None:
        """Trunk-based development: integrations per weekday, branch lifetimes, active branches.

        The window ends at the newest event (as for `secloop dora`). A merged branch lived from its
        first commit not reachable from the trunk to the merge. Squash and rebase merges are measured
        from pull requests (--github / --gitlab, or pull_request events): first commit (else
        creation) to merge; git alone only counts them. The report names its sources. Thresholds from
        trunkbaseddevelopment.com give the verdict.

        Exit codes: 0 measured (or nothing to measure, with the reason); 2 usage or input error.
        """
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        sliced = parse_scope(scope)
        repo, cfg = _open(path, config)
        extra, described = api_events(repo, github, gitlab, api_url, "incident", api_pages)
        sources = load_sources(repo, cfg, events, extra, described)
        report = trunk_report(sources, window_days, sliced)
        if fmt == "json":
            typer.echo(render_trunk_json(report, repo.root.name), nl=False)
        else:
            render_trunk_terminal(report, repo.root.name, Console(highlight=False))

    @app.command("flow")
    def flow_command(
        path: Path = typer.Argument(Path("."), help="Repository whose events file holds the work items."),
        fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json (secloop.flow/v1)."),
        window_days: int = typer.Option(90, "--window-days", min=1, help="Days of history analysed."),
        events: Path | None = EVENTS_OPTION,
        config: Path | None = CONFIG_OPTION,
    ) -> None:
        """Flow distribution of features, defects, risks and debts, flow time, load and velocity.

        Work items come from the events file; the window ends at the newest event. The check is
        "risk + debt >= 20%" of the items completed, over the window and per 4-week period.

        Exit codes: 0 measured (or no work items, with the reason); 2 usage or input error.
        """
        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        repo, cfg = _open(path, config)
        sources = load_sources(repo, cfg, events)
        end = sources.newest()
        report, reason = None, None
        if not sources.work_items or end is None:
            where = sources.events_path or cfg.events_file
            reason = (
                f"no work items in {where}: record them (secloop events record work-item) or export them "
                "from the issue tracker"
            )
        else:
            report = flow(sources.work_items, end, window_days)
            if not report.done:
                reason = f"{report.items} work item(s) but none completed in the window"
        if fmt == "json":
            typer.echo(
                render_flow_json(report, repo.root.name, window_days, reason, sources.skipped), nl=False
            )
        else:
            render_flow_terminal(
                report, repo.root.name, window_days, reason, sources.skipped, Console(highlight=False)
            )

    events_app = typer.Typer(
        help="Delivery events: deployments, incidents and work items (recorded or imported).",
        no_args_is_help=True,
    )
    record_app = typer.Typer(help="Append one event to the events file.", no_args_is_help=True)
    events_app.add_typer(record_app, name="record")
    app.add_typer(events_app, name="events")
    from secloop.cli.workitems import register_import

    register_import(events_app)

    def _append(
        repo: Repo, config: Config, events: Path | None, event: Deployment | Incident | WorkItem | PullRequest
    ) -> None:
        target = _events_path(repo, config, events)
        line = append_event(target, event)
        typer.echo(f"{target}: {line}")

    @record_app.command("deploy")
    def record_deploy(
        path: Path = typer.Argument(Path("."), help="Repository."),
        sha: str | None = typer.Option(None, "--sha", help="Commit deployed (default: HEAD)."),
        environment: str = typer.Option(PRODUCTION, "--environment", help="Environment deployed to."),
        version: str | None = typer.Option(None, "--version", help="Version deployed, e.g. v1.2.0."),
        time: str | None = typer.Option(None, "--time", help="When it went live (ISO 8601; default: now)."),
        status: str = typer.Option("success", "--status", help=f"One of: {', '.join(DEPLOYMENT_STATUSES)}."),
        events: Path | None = EVENTS_OPTION,
        config: Path | None = CONFIG_OPTION,
    ) -> None:
        """Record a deployment in the events file."""
        if status not in DEPLOYMENT_STATUSES:
            raise UsageError(
                f"--status: unknown status {status!r}", hint=f"use one of: {', '.join(DEPLOYMENT_STATUSES)}"
            )
        repo, cfg = _open(path, config)
        moment = parse_moment(time, "--time") if time else _now()
        commit = _commit(repo, sha, "--sha")
        origin = str(_events_path(repo, cfg, events))
        _append(
            repo,
            cfg,
            events,
            Deployment(environment, commit, version, moment, status, DeploymentSource.EVENTS, origin),
        )

    @record_app.command("incident")
    def record_incident(
        path: Path = typer.Argument(Path("."), help="Repository."),
        incident_id: str = typer.Option(..., "--id", help="Incident id, e.g. INC-7."),
        opened: str | None = typer.Option(
            None, "--opened", help="When it was opened (ISO 8601; default: now)."
        ),
        resolved: str | None = typer.Option(None, "--resolved", help="When service was restored (ISO 8601)."),
        deployment_sha: str | None = typer.Option(
            None, "--deployment-sha", help="The deployment that caused it."
        ),
        root_cause_sha: str | None = typer.Option(
            None, "--root-cause-sha", help="The commit that caused it."
        ),
        severity: str | None = typer.Option(None, "--severity", help="Severity, e.g. high."),
        title: str | None = typer.Option(None, "--title", help="One line on what happened."),
        environment: str = typer.Option(PRODUCTION, "--environment", help="Environment affected."),
        events: Path | None = EVENTS_OPTION,
        config: Path | None = CONFIG_OPTION,
    ) -> None:
        """Record an incident in the events file."""
        repo, cfg = _open(path, config)
        start = parse_moment(opened, "--opened") if opened else _now()
        end = parse_moment(resolved, "--resolved") if resolved else None
        if end is not None and end < start:
            raise UsageError("--resolved is before --opened")
        deployed = _commit(repo, deployment_sha, "--deployment-sha") if deployment_sha else None
        cause = _commit(repo, root_cause_sha, "--root-cause-sha") if root_cause_sha else None
        origin = str(_events_path(repo, cfg, events))
        incident = Incident(incident_id, start, end, deployed, cause, severity, title, environment, origin)
        _append(repo, cfg, events, incident)

    @record_app.command("work-item")
    def record_work_item(
        path: Path = typer.Argument(Path("."), help="Repository."),
        item_id: str = typer.Option(..., "--id", help="Work item id, e.g. PROJ-12."),
        work_type: str = typer.Option(..., "--type", help="feature, defect, risk or debt."),
        created: str | None = typer.Option(
            None, "--created", help="When it was created (ISO 8601; default: now)."
        ),
        started: str | None = typer.Option(None, "--started", help="When work started (ISO 8601)."),
        done: str | None = typer.Option(None, "--done", help="When it was completed (ISO 8601)."),
        title: str | None = typer.Option(None, "--title", help="Its title."),
        events: Path | None = EVENTS_OPTION,
        config: Path | None = CONFIG_OPTION,
    ) -> None:
        """Record a work item (feature, defect, risk or debt) in the events file."""
        if work_type not in {t.value for t in WorkType}:
            raise UsageError(
                f"--type: unknown work item type {work_type!r}", hint="use feature, defect, risk or debt"
            )
        repo, cfg = _open(path, config)
        item = WorkItem(
            item_id,
            WorkType(work_type),
            parse_moment(created, "--created") if created else _now(),
            parse_moment(started, "--started") if started else None,
            parse_moment(done, "--done") if done else None,
            title,
            str(_events_path(repo, cfg, events)),
        )
        _append(repo, cfg, events, item)

    @record_app.command("pull-request")
    def record_pull_request(
        path: Path = typer.Argument(Path("."), help="Repository."),
        number: int = typer.Option(..., "--number", help="Pull (merge) request number, e.g. 12."),
        created: str | None = typer.Option(
            None, "--created", help="When it was opened (ISO 8601; default: now)."
        ),
        merged: str | None = typer.Option(None, "--merged", help="When it was merged (ISO 8601)."),
        first_review: str | None = typer.Option(
            None, "--first-review", help="When someone other than the author first reviewed it (ISO 8601)."
        ),
        first_commit: str | None = typer.Option(
            None, "--first-commit", help="When its branch's first commit was made (ISO 8601)."
        ),
        additions: int | None = typer.Option(None, "--additions", help="Lines added."),
        deletions: int | None = typer.Option(None, "--deletions", help="Lines removed."),
        author: str | None = typer.Option(None, "--author", help="Who opened it."),
        reviewers: list[str] = typer.Option(
            [], "--reviewer", help="Someone other than the author who reviewed it (repeatable)."
        ),
        merge_sha: str | None = typer.Option(
            None, "--merge-sha", help="The commit that landed it on the trunk (merge, squash or rebase)."
        ),
        title: str | None = typer.Option(None, "--title", help="Its title."),
        events: Path | None = EVENTS_OPTION,
        config: Path | None = CONFIG_OPTION,
    ) -> None:
        """Record a pull (merge) request in the events file (read by secloop review and secloop trunk)."""
        if number <= 0:
            raise UsageError(f"--number: {number} is not a positive whole number", hint="e.g. --number 12")
        for option, count in (("--additions", additions), ("--deletions", deletions)):
            if count is not None and count < 0:
                raise UsageError(f"{option}: {count} is not a number of lines (0 or more)")
        repo, cfg = _open(path, config)
        opened = parse_moment(created, "--created") if created else _now()
        landed = parse_moment(merged, "--merged") if merged else None
        review = parse_moment(first_review, "--first-review") if first_review else None
        first = parse_moment(first_commit, "--first-commit") if first_commit else None
        for option, moment in (("--merged", landed), ("--first-review", review)):
            if moment is not None and moment < opened:
                raise UsageError(f"{option} is before --created")
        if landed is not None and first is not None and landed < first:
            raise UsageError("--merged is before --first-commit")
        sha = _commit(repo, merge_sha, "--merge-sha") if merge_sha else None
        pull = PullRequest(
            number=number,
            created=opened,
            merged=landed,
            first_review=review,
            additions=additions,
            deletions=deletions,
            author=author,
            reviewers=tuple(reviewers),
            merge_sha=sha,
            origin=str(_events_path(repo, cfg, events)),
            title=title,
            first_commit=first,
        )
        _append(repo, cfg, events, pull)
