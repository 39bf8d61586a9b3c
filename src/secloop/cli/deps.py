"""`secloop scan deps PATH` and `secloop db import|status`: the offline dependency audit."""

from __future__ import annotations

import io
import json
import os
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.text import Text

from secloop.cli.options import (
    CONFIG_OPTION,
    FAIL_ON_OPTION,
    NO_BASELINE_OPTION,
    OUTPUT_OPTION,
    check_fail_on,
    check_format,
    with_fail_on,
)
from secloop.core.baseline import write_atomic
from secloop.core.errors import EXIT_GATE_FAILED, UsageError
from secloop.core.model import Assessment, PracticeResult, Skipped
from secloop.core.rules import RuleRegistry
from secloop.deps.db import (
    AdvisoryDB,
    NoDatabase,
    Snapshot,
    import_hint,
    import_osv,
    read_snapshot,
    resolve_dir,
)
from secloop.practices.base import Context
from secloop.practices.catalog import Practice, load_catalog
from secloop.report.formats import FORMATS
from secloop.report.interface import RenderInput
from secloop.report.terminal import SEVERITY_STYLE

if TYPE_CHECKING:
    from secloop.inputs import Prepared
    from secloop.sources.repo import Repo

if TYPE_CHECKING:
    from secloop.deps.registry_check import RegistryFacts
    from secloop.deps.scan import DepsScan

FORMAT_NAMES = ("terminal", *sorted(FORMATS))
PRACTICE = "build.sca"

DB_DIR_OPTION = typer.Option(
    None,
    "--db-dir",
    envvar="SECLOOP_OSV_DIR",
    help="Advisory database directory (default: the user data directory, secloop/osv).",
)


def _registry() -> RuleRegistry:
    # Only the engine's own rules: every finding of `scan deps` is a DEP-* rule, and the full registry
    # imports every engine's rule modules. Imported when a command runs, not when it is registered.
    from secloop.deps.rules import RULES

    return RuleRegistry(RULES)


def _practice(practice_id: str = PRACTICE) -> Practice:
    found = next((p for p in load_catalog() if p.id == practice_id), None)
    if found is None:  # pragma: no cover - the catalog always has it
        raise UsageError(f"the catalog has no {practice_id} practice")
    return found


def _as_of(repo: Repo) -> datetime:
    """`secloop.assess.as_of`: HEAD's commit time (or SOURCE_DATE_EPOCH), the same output per commit."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return repo.head_time() or datetime.now(tz=UTC).replace(microsecond=0)


def _assessment(prepared: Prepared, results: list[PracticeResult], snapshot: Snapshot) -> Assessment:
    """What `secloop.assess.engine_assessment` builds, without importing secloop.assess: that module
    imports every evaluator of every engine (about half of this command's start-up). A test keeps the
    two equal."""
    from secloop import __version__
    from secloop.core.policy import apply_policy

    repo = prepared.repo
    split: dict[str, list[str]] = {}

    def read_line(rel: str, number: int) -> str | None:
        if rel not in split:
            split[rel] = (repo.read_text(rel) or "").splitlines()
        lines = split[rel]
        return lines[number - 1] if 0 < number <= len(lines) else None

    outcome = apply_policy(
        results,
        prepared.config,
        read_line=read_line,
        suppressions=prepared.suppressions,
        baseline=prepared.baseline,
        today=date.today(),
        rank=lambda _r: None,
    )
    first: dict[tuple[str, int | None], Skipped] = {}
    for item in (*(s for r in outcome.results for s in r.skipped), *outcome.notes):
        first.setdefault((item.path, item.line), item)
    return Assessment(
        target=repo.root.name,
        commit=repo.head(),
        created_at=_as_of(repo),
        tool_version=__version__,
        config_digest=prepared.config.digest(),
        results=outcome.results,
        metrics_reason="not measured by `secloop scan deps`",
        snapshots=snapshot.pairs(),
        skipped=tuple(sorted(first.values(), key=lambda s: (s.path, s.line or 0, s.reason))),
        gate=outcome.gate,
    )


def registry_results(prepared: Prepared, facts: RegistryFacts) -> list[PracticeResult]:
    from secloop.deps.practices import cooldown_result, freshness_result, health_result

    results = []
    for practice_id, part in (
        ("build.dependency-cooldown", cooldown_result),
        ("build.dependency-freshness", freshness_result),
        ("build.component-health", health_result),
    ):
        result = part(Context(prepared.repo, prepared.config, _practice(practice_id)), facts)
        if facts.since is not None:
            added = sorted({f"{p.name} {p.version}" for p in facts.considered})
            note = (
                f"{len(added)} dependenc(ies) added since {facts.since} ({(facts.since_commit or '')[:12]})"
            )
            note += ": " + ", ".join(added[:20]) + (" …" if len(added) > 20 else "") if added else ""
            result = replace(result, evidence=(note, *result.evidence))
        results.append(result)
    return results


def _render_result(result: PracticeResult, console: Console) -> None:
    console.print(Text(f"{result.status.value}: {result.summary}"))
    for f in result.findings:
        line = Text("  ")
        line.append(f"{f.severity.value:<8}", style=SEVERITY_STYLE[f.severity.value])
        line.append(f" {f.rule_id} ", style="bold")
        line.append(" ".join(str(loc) for loc in f.locations) + " ", style="blue")
        line.append(f.message)
        if f.suppression is not None:
            line.append(f"  [suppressed ({f.suppression.kind}): {f.suppression.reason}]", style="dim")
        elif not f.active:
            line.append("  [in baseline]", style="dim")
        console.print(line)
        if f.fix:
            console.print(Text(f"           fix: {f.fix}", style="dim"))


def render_terminal(assessment: Assessment, scan: DepsScan, console: Console) -> None:
    console.print(Text.assemble(("secloop scan deps ", "bold"), (assessment.target, "bold cyan")))
    console.print(Text(f"advisories: {scan.snapshot.label()}", style="dim"))
    for lockfile in scan.lockfiles:
        console.print(
            Text(f"lockfile: {lockfile.path} ({lockfile.format}, {lockfile.packages} pinned)", style="dim")
        )
    for result in assessment.results:
        if len(assessment.results) > 1:
            console.print(Text(result.practice_id, style="bold"))
        if result.practice_id != PRACTICE:  # the registry practices: what was looked up, and from where
            for line in result.evidence:
                console.print(Text(f"  {line}", style="dim"))
        _render_result(result, console)
    if assessment.skipped:
        console.print(Text("not checked:", style="bold"))
        for s in assessment.skipped:
            where = s.path + (f":{s.line}" if s.line is not None else "")
            console.print(Text(f"  {where}: {s.reason}"))
    gate = assessment.gate
    if gate is not None:
        if gate.passed:
            console.print(Text("gate: passed", style="bold green"))
        else:
            console.print(Text("gate: FAILED — " + "; ".join(gate.reasons), style="bold red"))


def render(assessment: Assessment, scan: DepsScan, fmt: str, *, width: int = 120, color: bool = True) -> str:
    if fmt == "terminal":
        buffer = io.StringIO()
        render_terminal(
            assessment,
            scan,
            Console(file=buffer, width=width, no_color=not color, highlight=False, soft_wrap=True),
        )
        return buffer.getvalue()
    return FORMATS[fmt](RenderInput(assessment, _registry(), load_catalog()))


def register_scan(scan: typer.Typer) -> None:
    @scan.command("deps")
    def deps_command(
        path: Path = typer.Argument(
            Path("."), help="Repository or folder whose lockfiles to check, or one lockfile."
        ),
        fmt: str = typer.Option("terminal", "--format", "-f", help=f"One of: {', '.join(FORMAT_NAMES)}."),
        output: Path | None = OUTPUT_OPTION,
        fail_on: str | None = FAIL_ON_OPTION,
        db_dir: Path | None = DB_DIR_OPTION,
        config: Path | None = CONFIG_OPTION,
        no_baseline: bool = NO_BASELINE_OPTION,
        include_fixtures: bool = typer.Option(
            False,
            "--include-fixtures",
            help="Also check lockfiles under test, example, docs and vendored folders.",
        ),
        registry: bool = typer.Option(
            False,
            "--registry",
            help="Also apply the cooldown, freshness and health rules from cached registry metadata.",
        ),
        online: bool = typer.Option(
            False,
            "--online",
            help="Fetch registry metadata (PyPI JSON API, npm registry) and the GitHub repository state "
            "into the cache; implies --registry.",
        ),
        since: str | None = typer.Option(
            None,
            "--since",
            metavar="REF",
            help="New-dependency gate: list dependencies added since the git REF and apply the registry "
            "rules to them only; implies --registry.",
        ),
        registry_cache: Path | None = typer.Option(
            None,
            "--registry-cache",
            envvar="SECLOOP_REGISTRY_CACHE",
            help="Registry metadata cache directory (default: registry/ under SECLOOP_CACHE_DIR, "
            "else under the user cache directory).",
        ),
    ) -> None:
        """Check every lockfile against the offline OSV advisory database.

        Advisory ignores (`[[ignore]]` with id, package, reason and expiry) and the policy are read
        from .secloop/deps.toml. With --registry, --online or --since the registry-backed rules run
        too: DEP-COOLDOWN, DEP-OUTDATED, DEP-UNMAINTAINED, DEP-YANKED, DEP-LITTLE-USED and
        DEP-ARCHIVED (the GitHub API; GITHUB_TOKEN is sent when set).

        Exit codes: 0 the gate passed; 1 the gate failed; 2 usage or input error, or no advisory
        database imported (nothing could be checked); 3 internal error.
        """
        check_format(fmt, FORMAT_NAMES)
        check_fail_on(fail_on)
        from secloop.deps.ignores import apply_ignores
        from secloop.deps.practices import vulnerability_result
        from secloop.deps.scan import scan_repo
        from secloop.deps.settings import load_settings, now_utc

        db = AdvisoryDB.open(resolve_dir(db_dir))
        only = None
        if path.is_file():  # one lockfile: its folder is the repository, the file the only input
            only, path = path.name, path.parent
        # secloop.assess loads every evaluator: only when the command runs.
        from secloop.inputs import prepare

        prepared = prepare(path, config, use_baseline=not no_baseline)
        prepared = with_fail_on(prepared, fail_on)
        scan = scan_repo(prepared.repo, db, include_fixtures=include_fixtures, only=only)
        today = now_utc().date()
        loaded = load_settings(prepared.repo.root, today=today)
        applied = apply_ignores(scan.findings, loaded, today)
        prepared = replace(prepared, suppressions=prepared.suppressions + applied.entries)
        ctx = Context(prepared.repo, prepared.config, _practice())
        results = [vulnerability_result(ctx, scan, ignores=applied)]
        if registry or online or since is not None:
            from secloop.deps.registry_check import registry_facts

            facts = registry_facts(
                prepared.repo,
                scan.inventory,
                loaded,
                online=online,
                db=db,
                now=now_utc(),
                since=since,
                cache_dir=registry_cache,
            )
            results += registry_results(prepared, facts)
        assessment = _assessment(prepared, results, db.snapshot)
        if output is not None:
            write_atomic(output, render(assessment, scan, fmt, color=False))
        elif fmt == "terminal":
            render_terminal(assessment, scan, Console(highlight=False, soft_wrap=True))
        else:
            typer.echo(render(assessment, scan, fmt), nl=False)
        if assessment.gate is not None and not assessment.gate.passed:
            raise typer.Exit(EXIT_GATE_FAILED)


def _status_document(snapshot: Snapshot) -> dict[str, object]:
    return {
        "directory": str(snapshot.directory),
        "content_hash": snapshot.content_hash,
        "newest_modified": snapshot.newest_modified,
        "imported_at": snapshot.imported_at,
        "ecosystems": [
            {
                "name": e.name,
                "advisories": e.advisories,
                "withdrawn_ignored": e.withdrawn,
                "packages": e.packages,
                "content_hash": e.content_hash,
                "newest_modified": e.newest_modified,
                "source": e.source,
            }
            for e in snapshot.ecosystems
        ],
    }


SBOM_FORMATS = ("cyclonedx-json", "spdx-json")


def register_sbom(app: typer.Typer) -> None:
    @app.command("sbom")
    def sbom_command(
        path: Path = typer.Argument(
            Path("."), help="Repository or folder whose lockfiles to list, or one lockfile."
        ),
        fmt: str = typer.Option(
            "cyclonedx-json",
            "--format",
            "-f",
            help="cyclonedx-json (CycloneDX 1.6) or spdx-json (SPDX 2.3).",
        ),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the SBOM to FILE (atomically)."
        ),
        config: Path | None = CONFIG_OPTION,
        include_fixtures: bool = typer.Option(
            False,
            "--include-fixtures",
            help="Also list lockfiles under test, example, docs and vendored folders.",
        ),
    ) -> None:
        """Write a CycloneDX 1.6 or SPDX 2.3 SBOM of every dependency the lockfiles pin.

        One component per package version, with its purl, direct or transitive, and the lockfiles
        that pin it. The same commit gives byte-identical output. Dependencies that are not pinned
        (editable, URL, unpinned) are not components: they are listed on stderr.

        Exit codes: 0 written; 2 usage or input error; 3 internal error.
        """
        if fmt not in SBOM_FORMATS:
            raise UsageError(
                f"unknown SBOM format {fmt!r}",
                hint=f"use one of: {', '.join(SBOM_FORMATS)}",
            )
        from secloop.deps.sbom import build
        from secloop.deps.scan import inventory

        only = None
        if path.is_file():  # one lockfile: its folder is the repository, the file the only input
            only, path = path.name, path.parent
        from secloop.inputs import prepare

        prepared = prepare(path, config, use_baseline=False)
        repo = prepared.repo
        inv = inventory(repo, include_fixtures=include_fixtures, only=only)
        if fmt == "spdx-json":
            from secloop.deps.spdx import build_spdx

            sbom = build_spdx(inv, repo.root.name, _as_of(repo))
        else:
            sbom = build(inv, repo.root.name, _as_of(repo))
        if output is not None:
            write_atomic(output, sbom.text)
        else:
            typer.echo(sbom.text, nl=False)
        if not inv.lockfiles:
            typer.echo(f"note: no lockfile found in {repo.root}: the SBOM lists no components", err=True)
        for s in sbom.skipped:
            where = s.path + (f":{s.line}" if s.line is not None else "")
            typer.echo(f"not in the SBOM: {where}: {s.reason}", err=True)
        if output is not None:
            typer.echo(f"wrote {output}: {sbom.components} component(s)", err=True)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="The offline advisory database: OSV exports imported into a compact index.", no_args_is_help=True
    )
    app.add_typer(group, name="db")
    register_sbom(app)

    @group.command("import")
    def import_command(
        source: Path = typer.Argument(..., help="An OSV all.zip export, or a folder of OSV records or zips."),
        db_dir: Path | None = DB_DIR_OPTION,
    ) -> None:
        """Import an OSV export (e.g. PyPI-all.zip), replacing the data of the ecosystems it holds.

        Exit codes: 0 imported; 2 the file is missing or not an OSV export; 3 internal error.
        """
        report = import_osv(source, resolve_dir(db_dir))
        for eco in report.imported:
            typer.echo(
                f"imported {eco.name}: {eco.advisories:,} advisories ({eco.withdrawn} withdrawn, ignored), "
                f"{eco.packages:,} packages, {eco.content_hash[:19]}, "
                f"newest modified {eco.newest_modified[:10]}"
            )
        for problem in report.problems[:10]:
            typer.echo(f"warning: not imported: {problem}", err=True)
        if len(report.problems) > 10:
            typer.echo(f"warning: … and {len(report.problems) - 10} more record(s) not imported", err=True)
        typer.echo(f"snapshot: {report.snapshot.label()} in {report.snapshot.directory}")

    @group.command("sync")
    def sync_command(
        ecosystem: list[str] = typer.Option(
            [],
            "--ecosystem",
            "-e",
            help="OSV ecosystem to download (repeatable; default: the ecosystems already imported).",
        ),
        url: list[str] = typer.Option(
            [], "--url", help="Download this all.zip instead (repeatable; e.g. a mirror or an internal copy)."
        ),
        base_url: str | None = typer.Option(
            None,
            "--base-url",
            envvar="SECLOOP_OSV_URL",
            help="Base of the OSV exports (default: the official osv-vulnerabilities bucket).",
        ),
        db_dir: Path | None = DB_DIR_OPTION,
    ) -> None:
        """Download the OSV export of each ecosystem (network, opt-in) and import it.

        Unchanged exports are not downloaded again (ETag / If-Modified-Since). A failed or incomplete
        download leaves the previous snapshot in place.

        Exit codes: 0 synced or already current; 2 download failed, not an OSV export, or nothing to
        sync; 3 internal error.
        """
        from secloop.deps.sync import sync, targets

        directory = resolve_dir(db_dir)
        for done in sync(directory, targets(directory, ecosystem, url, base_url)):
            if done.report is None:
                typer.echo(f"{done.url}: not modified")
                continue
            for eco in done.report.imported:
                typer.echo(
                    f"{done.url}: {done.size:,} bytes; imported {eco.name}: {eco.advisories:,} advisories, "
                    f"{eco.content_hash[:19]}, newest modified {eco.newest_modified[:10]}"
                )
        snapshot = read_snapshot(directory)
        if snapshot is not None:
            typer.echo(f"snapshot: {snapshot.label()} in {snapshot.directory}")

    @group.command("status")
    def status_command(
        db_dir: Path | None = DB_DIR_OPTION,
        fmt: str = typer.Option("text", "--format", "-f", help="text or json."),
    ) -> None:
        """Show the imported snapshot: advisories per ecosystem, content hash, newest `modified`.

        Exit codes: 0 a database is imported; 2 none is (nothing could be checked); 3 internal error.
        """
        if fmt not in ("text", "json"):
            raise UsageError(f"unknown format {fmt!r}", hint="use text or json")
        directory = resolve_dir(db_dir)
        snapshot = read_snapshot(directory)
        if snapshot is None or not snapshot.ecosystems:
            raise NoDatabase(f"no advisory database in {directory}", hint=import_hint())
        if fmt == "json":
            typer.echo(json.dumps(_status_document(snapshot), indent=2))
            return
        typer.echo(f"advisory database: {snapshot.directory}")
        typer.echo(f"snapshot: {snapshot.content_hash}")
        typer.echo(f"newest modified: {snapshot.newest_modified or 'unknown'}")
        typer.echo(f"imported at: {snapshot.imported_at}")
        for e in snapshot.ecosystems:
            typer.echo(
                f"  {e.name}: {e.advisories:,} advisories ({e.withdrawn} withdrawn, ignored), {e.packages:,} "
                f"packages, {e.content_hash[:19]}, newest modified {e.newest_modified[:10]}, from {e.source}"
            )
