"""`secloop threatmodel check|init|tests|requirements|diff|import|diagram|rules`: threat modelling as code."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import typer
from rich.console import Console

from secloop.cli.options import check_fail_on
from secloop.core.baseline import write_atomic
from secloop.core.enums import Severity
from secloop.core.errors import EXIT_GATE_FAILED, UsageError
from secloop.threatmodel import Analysis, StalePolicy, check_file, paused_gc
from secloop.threatmodel.diagram import render_diagram
from secloop.threatmodel.diff import diff_models, read_version
from secloop.threatmodel.diff import render_json as render_diff_json
from secloop.threatmodel.diff import render_text as render_diff_text
from secloop.threatmodel.junit import read_junit, verify
from secloop.threatmodel.loader import parse_model
from secloop.threatmodel.otm import import_model
from secloop.threatmodel.render import FORMAT_NAMES, render, render_terminal
from secloop.threatmodel.reportlink import SecloopReport, read_report
from secloop.threatmodel.requirements import FORMATS as REQUIREMENT_FORMATS
from secloop.threatmodel.requirements import model_level, render_requirements
from secloop.threatmodel.rulebook import load_rulebook
from secloop.threatmodel.staleness import DEFAULT_COMMITS, DEFAULT_DAYS
from secloop.threatmodel.svg import render_svg
from secloop.threatmodel.testgen import write_tests

STARTERS = ("web", "cicd")
DIAGRAM_FORMATS = ("mermaid", "dot", "svg")

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


def _check(model: Path, root: Path | None, as_of: str | None, stale: StalePolicy | None = None) -> Analysis:
    base = root if root is not None else model.resolve().parent
    return check_file(model, today=_as_of(as_of), root=base, display=_display(model, base), stale=stale)


def _stored(
    model: Path,
    report: Path | None,
    db: str | None,
    repository: str | None,
    commit: str | None,
    as_of: str | None,
) -> SecloopReport | None:
    """The store's assessment as a report when --db, --repository or --commit asks for it."""
    if db is None and repository is None and commit is None:
        return None
    if report is not None:
        raise UsageError(
            "--report and the store (--db, --repository, --commit) both judge sast/iac links",
            hint="give one of them",
        )
    from secloop.store import default_url
    from secloop.threatmodel.storelink import default_repository, read_stored

    url = db or os.environ.get("SECLOOP_DB") or default_url()
    name = repository if repository is not None else default_repository(model)
    stored, checked = read_stored(url, name, commit, _as_of(as_of))
    typer.echo(f"verifying against {stored.describe()}", err=True)
    return checked


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
        junit: Path | None = typer.Option(
            None,
            "--junit",
            dir_okay=False,
            help="JUnit XML of the latest test run: linked tests that passed verify their threat; "
            "a failure reopens it.",
        ),
        report: Path | None = typer.Option(
            None,
            "--report",
            dir_okay=False,
            help="secloop JSON report (assess or scan sast|iac -f json): a mitigation's linked sast/iac "
            "rule without an active finding verifies its threat; an active finding reopens it.",
        ),
        db: str | None = typer.Option(
            None,
            "--db",
            help="Store to verify against instead of --report: the latest assessment saved there for "
            "--repository (as `secloop serve`, its workers and `secloop assess` save them), with its "
            "triage. Default with --repository or --commit: $SECLOOP_DB, else the local store.",
        ),
        repository: str | None = typer.Option(
            None,
            "--repository",
            help="Repository in the store: its root path, clone URL or name (default: the git root of "
            "the model file).",
        ),
        commit: str | None = typer.Option(
            None,
            "--commit",
            help="Use the assessment of this commit (SHA or prefix; default: the newest assessment).",
        ),
        stale_commits: int = typer.Option(
            DEFAULT_COMMITS,
            "--stale-commits",
            min=0,
            help="Commits to the model's code since it changed that make it stale (0: off).",
        ),
        stale_days: int = typer.Option(
            DEFAULT_DAYS,
            "--stale-days",
            min=0,
            help="Days from the model's last change to its code's newest change that make it stale (0: off).",
        ),
    ) -> None:
        """Validate the model, find threats with the rules and answer the four questions.

        With --junit, a threat whose linked tests (mitigations[].tests, or generated tests named after
        its id) passed in that run is verified; a failure reopens it with the failure as the reason;
        otherwise it is unverified. With --report (a `secloop assess -f json` or `secloop scan
        sast|iac -f json` file), a mitigation's `sast:`/`iac:` rule (scoped by its `path` glob) with
        no active finding verifies the threat, an active finding reopens it with the finding's
        location, and a rule the report did not check leaves it unverified; both may be given.
        With --db, --repository or --commit the same judgement is made on the newest assessment
        saved in the store (or the one of --commit) instead of a --report file, and the store's
        triage applies: a finding triaged false-positive or fixed is not active, an accepted risk
        leaves the mitigation unverified ("accepted until DATE") until its expiry passes.
        The gate fails on open threats at or above --fail-on, on risk
        acceptances past their expiry
        and on a stale model (TM-MODEL-STALE: the code named in system.code or components[].code
        changed in git since the model's last commit, by --stale-commits commits or --stale-days
        days). Exit codes: 0 the gate passed; 1 the gate failed; 2 usage error or malformed model
        (each problem with file:line:col); 3 internal error.
        """
        if fmt not in FORMAT_NAMES:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMAT_NAMES)}")
        threshold = _fail_on(fail_on)
        analysis = _check(model, root, as_of, StalePolicy(stale_commits, stale_days))
        checked = _stored(model, report, db, repository, commit, as_of)
        if junit is not None or report is not None or checked is not None:
            cases = read_junit(junit) if junit is not None else None
            if report is not None:
                checked = read_report(report)
            analysis = verify(analysis, cases, junit.name if junit is not None else "", checked)
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
        """Generate pytest files that check the controls against the model's threats: over HTTP (401
        without credentials, TLS only, 429 on a burst, security headers, injection probes, ...) and in
        the repository (pinned actions, SBOM, signing, non-root containers, ...).

        HTTP tests read the flow's base URL from SECLOOP_TM_URL_<FLOW> (falling back to its base_url);
        repository tests read SECLOOP_TM_REPO (default --root). Tests of open threats are strict
        xfails: they fail the run once the control works, so the model gets updated. Exit codes: 0
        written; 2 usage error or malformed model; 3 internal error.
        """
        analysis = _check(model, root, as_of)
        base = root if root is not None else model.resolve().parent
        written = write_tests(analysis, out, base)
        for item in written.files:
            typer.echo(f"wrote {item}")
        share = f"{written.share:.0%}" if written.share is not None else "n/a"
        typer.echo(
            f"{written.tests} test(s) for {written.threats} of {written.total_threats} threat(s) ({share}); "
            f"{written.expected_to_fail} expected to fail while their threat is open; "
            f"{len(written.not_generated)} testable threat(s) without a test"
        )
        for reason in written.not_generated[:20]:
            typer.echo(f"  no test: {reason}")

    @group.command("requirements")
    def requirements_command(
        model: Path = MODEL_ARGUMENT,
        level: int | None = typer.Option(
            None, "--level", help="ASVS level 1, 2 or 3 (default: the highest level of the model's assets)."
        ),
        fmt: str = typer.Option("csv", "--format", "-f", help=f"One of: {', '.join(REQUIREMENT_FORMATS)}."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE (atomically)."),
    ) -> None:
        """List the OWASP ASVS 5.0 requirements the model's data assets call for, as work items.

        Each data asset gets an ASVS level: its asvs_level, or from its C-I-A ratings (any critical ->
        L3, any high -> L2, else L1); the model's level is the highest. A level includes the levels
        below it (L1 70, L2 253, L3 345 requirements). Each item names the assets that need it and the
        threats that cite it. Formats: csv, json, github-issues (a JSON array of {title, body,
        labels}). Exit codes: 0 listed; 2 usage error or malformed model; 3 internal error.
        """
        if fmt not in REQUIREMENT_FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(REQUIREMENT_FORMATS)}")
        if level is not None and level not in (1, 2, 3):
            raise UsageError(f"--level must be 1, 2 or 3 (got {level})", hint="ASVS 5.0 has three levels")
        analysis = _check(model, None, None)
        chosen = level if level is not None else model_level(analysis.loaded.model)
        text = render_requirements(analysis, chosen, fmt)
        if output is not None:
            write_atomic(output, text)
        else:
            typer.echo(text, nl=False)

    @group.command("diff")
    def diff_command(
        old: str = typer.Argument(..., help="The old model: a file or git:REF:PATH."),
        new: str = typer.Argument(..., help="The new model: a file or git:REF:PATH."),
        fmt: str = typer.Option("terminal", "--format", "-f", help="terminal or json."),
        fail_on: str = typer.Option(
            "high", "--fail-on", help="Newly open threats at or above this severity fail the gate (or none)."
        ),
        repo: Path | None = typer.Option(
            None, "--repo", help="Git repository for git:REF:PATH (default: here)."
        ),
        as_of: str | None = AS_OF_OPTION,
    ) -> None:
        """Compare two versions of a model: elements, flows and threats added, removed or changed.

        Threats keep their content-addressed ids across versions, so a status change shows as a change,
        not as one removed and one added. The gate for pull requests fails on threats that are open at
        or above --fail-on in NEW and were not open at that level in OLD. Exit codes: 0 the gate
        passed; 1 newly open threats; 2 usage error or malformed model; 3 internal error.
        """
        if fmt not in ("terminal", "json"):
            raise UsageError(f"unknown format {fmt!r}", hint="use terminal or json")
        threshold = _fail_on(fail_on)
        today = _as_of(as_of)
        with paused_gc():
            result = diff_models(
                read_version(old, today=today, repo=repo),
                read_version(new, today=today, repo=repo),
                threshold,
            )
        typer.echo(render_diff_json(result) if fmt == "json" else render_diff_text(result), nl=False)
        if not result.passed:
            raise typer.Exit(EXIT_GATE_FAILED)

    @group.command("import")
    def import_command(
        source: Path = typer.Argument(
            ...,
            help="An Open Threat Model (OTM) JSON file, a TM-BOM JSON file, pytm's JSON output "
            "(tm.py --json), or a Threagile model (YAML).",
            dir_okay=False,
        ),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write the model to FILE."),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
    ) -> None:
        """Import an Open Threat Model (OTM) JSON file, a TM-BOM, a pytm model from its JSON output, or
        a Threagile model.

        OTM: trust zones become trust boundaries, components processes, data stores or external
        entities (by type and tags), data flows flows (protocol from their tags), assets data assets
        (0-100 C-I-A risk -> low/medium/high/critical), component threats hand-written threats with
        their mitigations. pytm: elements, actors, boundaries, flows and data, with its true controls
        as properties (its findings are not imported; secloop derives its own threats). TM-BOM (the
        OWASP Threat Model Library JSON schema): trust zones, actors, components, data stores, data
        sets, data flows, assumptions, and threats with their controls (active -> mitigated) and
        risk scores (-> severity). Threagile (threagile.yaml, told by its technical_assets):
        technical assets become components, communication links flows, data assets data assets
        (five-step C-I-A -> low/medium/high/critical), trust boundaries trust boundaries (nested
        ones get a parent), individual risks hand-written threats (mitigated and false-positive
        risk tracking -> mitigated and not-applicable). What cannot be imported is listed in
        comments at the top. The result is validated like any model. Exit codes: 0 written; 2
        unreadable input (with file:line), a reference to an element that does not exist, an
        existing --output without --force, or a model that does not validate; 3 internal error.
        """
        text = import_model(source)
        parse_model(text, str(output or source.with_suffix(".yaml")), load_rulebook().ids)
        if output is None:
            typer.echo(text, nl=False)
            return
        if output.exists() and not force:
            raise UsageError(f"{output} already exists", hint="choose another --output or pass --force")
        write_atomic(output, text)
        typer.echo(f"wrote {output}; next: secloop threatmodel check {output}")

    @group.command("diagram")
    def diagram_command(
        model: Path = MODEL_ARGUMENT,
        fmt: str = typer.Option("mermaid", "--format", "-f", help="mermaid, dot or svg."),
        output: Path | None = typer.Option(None, "--output", "-o", help="Write to FILE."),
    ) -> None:
        """Draw the data-flow diagram with trust boundaries as subgraphs (Mermaid or Graphviz DOT), or
        as a self-contained SVG (no Graphviz needed; trust boundaries as columns).

        Exit codes: 0 drawn; 2 usage error or malformed model; 3 internal error.
        """
        if fmt not in DIAGRAM_FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint="use mermaid, dot or svg")
        analysis = _check(model, None, None)
        text = render_svg(analysis) if fmt == "svg" else render_diagram(analysis, fmt)
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
