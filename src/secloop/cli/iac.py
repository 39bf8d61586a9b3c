"""`secloop scan iac PATH`: check Terraform, CloudFormation, Kubernetes, Dockerfiles and compose files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from secloop.cli.options import CONFIG_OPTION, check_fail_on, with_fail_on
from secloop.core.errors import UsageError

if TYPE_CHECKING:
    from secloop.core.model import Assessment, PracticeResult
    from secloop.core.rules import RuleRegistry
    from secloop.iac.model import IacScan
    from secloop.inputs import Prepared

PRACTICE = "build.iac-scanning"
FORMATS = ("terminal", "json", "sarif", "markdown", "html", "junit")
TITLE = "secloop scan iac "


def _registry() -> RuleRegistry:
    from secloop.core.rules import RuleRegistry
    from secloop.iac.rules import RULES
    from secloop.registry import REGISTRY

    if all(rule.id in REGISTRY for rule in RULES):
        return REGISTRY
    return RuleRegistry([*REGISTRY, *(r for r in RULES if r.id not in REGISTRY)])


def scan_result(prepared: Prepared, scan: IacScan) -> PracticeResult:
    from secloop.iac.practices import iac_result
    from secloop.practices.base import Context
    from secloop.practices.catalog import load_catalog

    practice = next((p for p in load_catalog() if p.id == PRACTICE), None)
    if practice is None:  # pragma: no cover - the catalog always has it
        raise UsageError(f"the catalog has no {PRACTICE} practice")
    return iac_result(Context(prepared.repo, prepared.config, practice), scan)


def assessment_of(prepared: Prepared, result: PracticeResult) -> Assessment:
    from secloop.assess import engine_assessment

    return engine_assessment(prepared, [result], "secloop scan iac")


def register_scan(scan: typer.Typer) -> None:
    @scan.command("iac")
    def iac_command(
        path: Path = typer.Argument(Path("."), help="Repository or folder whose IaC files to check."),
        fmt: str = typer.Option("terminal", "--format", "-f", help=f"One of: {', '.join(FORMATS)}."),
        output: Path | None = typer.Option(
            None, "--output", "-o", help="Write the report to FILE (atomically)."
        ),
        fail_on: str | None = typer.Option(
            None,
            "--fail-on",
            help="Gate threshold: critical, high, medium, low, info or none (default: config).",
        ),
        config: Path | None = CONFIG_OPTION,
        no_baseline: bool = typer.Option(False, "--no-baseline", help="Ignore the baseline file."),
        include_fixtures: bool = typer.Option(
            False,
            "--include-fixtures",
            help="Also check files under test, fixture, example and docs folders.",
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

        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        check_fail_on(fail_on)
        prepared = prepare(path, config, use_baseline=not no_baseline)
        prepared = with_fail_on(prepared, fail_on)
        scan = scan_iac(prepared.repo, include_fixtures=include_fixtures)
        assessment = assessment_of(prepared, scan_result(prepared, scan))
        emit(assessment, fmt, output, TITLE, registry=_registry())
