"""`secloop scan iac PATH`: check Terraform, CloudFormation, Kubernetes, Dockerfiles and compose files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from secloop.cli.options import (
    CONFIG_OPTION,
    FAIL_ON_OPTION,
    FORMAT_OPTION,
    NO_BASELINE_OPTION,
    OUTPUT_OPTION,
    check_fail_on,
    check_format,
    with_fail_on,
)
from secloop.core.errors import UsageError

if TYPE_CHECKING:
    from datetime import date

    from secloop.core.model import Assessment, PracticeResult, Skipped
    from secloop.core.rules import RuleRegistry
    from secloop.iac.model import IacScan
    from secloop.inputs import Prepared

PRACTICE = "build.iac-scanning"
TITLE = "secloop scan iac "


def _registry() -> RuleRegistry:
    # The engine's own rules: every finding of this command comes from them. Reading
    # secloop.registry would import every engine (most of the start-up time).
    from secloop.core.rules import RuleRegistry
    from secloop.iac.rules import RULES

    return RuleRegistry(RULES)


def scan_result(prepared: Prepared, scan: IacScan) -> PracticeResult:
    from secloop.iac.verdict import iac_result
    from secloop.practices.base import Context
    from secloop.practices.catalog import load_catalog

    practice = next((p for p in load_catalog() if p.id == PRACTICE), None)
    if practice is None:  # pragma: no cover - the catalog always has it
        raise UsageError(f"the catalog has no {PRACTICE} practice")
    return iac_result(Context(prepared.repo, prepared.config, practice), scan)


def assessment_of(prepared: Prepared, result: PracticeResult, today: date | None = None) -> Assessment:
    """What `secloop.assess.engine_assessment` makes, without importing `secloop.assess` (which
    loads every practice's evaluator: about half a second of start-up). tests/iac/test_cli.py keeps
    the two equal."""
    from datetime import UTC, datetime
    from datetime import date as date_type

    from secloop import __version__
    from secloop.core.model import Assessment
    from secloop.core.policy import apply_policy

    repo = prepared.repo
    lines: dict[str, list[str]] = {}

    def read_line(rel: str, number: int) -> str | None:
        if rel not in lines:
            lines[rel] = (repo.read_text(rel) or "").splitlines()
        found = lines[rel]
        return found[number - 1] if 0 < number <= len(found) else None

    outcome = apply_policy(
        [result],
        prepared.config,
        read_line=read_line,
        suppressions=prepared.suppressions,
        baseline=prepared.baseline,
        today=today or date_type.today(),
        rank=lambda _r: None,
    )
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        created = datetime.fromtimestamp(int(epoch), tz=UTC)
    else:
        created = repo.head_time() or datetime.now(tz=UTC).replace(microsecond=0)
    first: dict[tuple[str, int | None], Skipped] = {}
    for item in (*(s for r in outcome.results for s in r.skipped), *outcome.notes):
        first.setdefault((item.path, item.line), item)
    return Assessment(
        target=repo.root.name,
        commit=repo.head(),
        created_at=created,
        tool_version=__version__,
        config_digest=prepared.config.digest(),
        results=outcome.results,
        metrics_reason="not measured by `secloop scan iac`",
        skipped=tuple(sorted(first.values(), key=lambda s: (s.path, s.line or 0, s.reason))),
        gate=outcome.gate,
    )


def _with_findings_at(prepared: Prepared, ref: str, include_fixtures: bool) -> Prepared:
    """`prepared` whose baseline also holds the findings the repository had at `ref`: fingerprints
    carry no line numbers, so a finding REF already had stays "unchanged" wherever it moved."""
    import tempfile
    from dataclasses import replace

    from secloop.core.baseline import Baseline
    from secloop.iac.scan import scan_iac
    from secloop.sources.repo import Repo
    from secloop.sources.revisions import export_tree, resolve_commit

    if not prepared.repo.is_git:
        raise UsageError("--since needs a git repository", hint=f"{prepared.repo.root} is not one")
    commit = resolve_commit(prepared.repo.root, ref)
    with tempfile.TemporaryDirectory(prefix="secloop-since-") as tmp:
        export_tree(prepared.repo.root, commit, Path(tmp))
        then = scan_iac(Repo(Path(tmp), exclude=prepared.config.exclude), include_fixtures=include_fixtures)
    entries = {e.fingerprint: e for e in Baseline.from_findings(then.findings).entries}
    if prepared.baseline is not None:
        entries.update({e.fingerprint: e for e in prepared.baseline.entries})
    return replace(prepared, baseline=Baseline(tuple(entries.values())))


def register_scan(scan: typer.Typer) -> None:
    @scan.command("iac")
    def iac_command(
        path: Path = typer.Argument(Path("."), help="Repository or folder whose IaC files to check."),
        fmt: str = FORMAT_OPTION,
        output: Path | None = OUTPUT_OPTION,
        fail_on: str | None = FAIL_ON_OPTION,
        config: Path | None = CONFIG_OPTION,
        no_baseline: bool = NO_BASELINE_OPTION,
        include_fixtures: bool = typer.Option(
            False,
            "--include-fixtures",
            help="Also check files under test, fixture, example and docs folders.",
        ),
        no_cache: bool = typer.Option(
            False, "--no-cache", help="Check every file again instead of reusing unchanged results."
        ),
        since: str | None = typer.Option(
            None,
            "--since",
            help="Only findings new since this git revision fail the gate (the ones REF had are "
            "reported as unchanged).",
        ),
        checkov: bool = typer.Option(
            False,
            "--with-checkov",
            help="Also run Checkov (from PATH or $SECLOOP_CHECKOV, offline) and add the checks "
            "secloop has no policy for.",
        ),
    ) -> None:
        """Check Terraform, CloudFormation, Kubernetes manifests, Dockerfiles and docker-compose files
        against secloop's IaC policies, offline.

        A file that cannot be parsed is listed as not checked; the others are still checked.
        Exit codes: 0 the gate passed; 1 the gate failed; 2 usage or input error; 3 internal error.
        """
        from secloop.cli.scanout import emit
        from secloop.iac.scan import scan_iac
        from secloop.inputs import prepare

        check_format(fmt)
        check_fail_on(fail_on)
        prepared = prepare(path, config, use_baseline=not no_baseline)
        prepared = with_fail_on(prepared, fail_on)
        if since is not None:
            prepared = _with_findings_at(prepared, since, include_fixtures)
        scan = scan_iac(prepared.repo, include_fixtures=include_fixtures, cache=not no_cache)
        if checkov:
            from secloop.iac.checkov import with_checkov

            scan = with_checkov(scan, prepared.repo, include_fixtures=include_fixtures)
        assessment = assessment_of(prepared, scan_result(prepared, scan))
        emit(assessment, fmt, output, TITLE, registry=_registry())
