"""`secloop scan pipeline PATH`: the CI/CD pipeline audits on their own (OWASP Top 10 CI/CD risks)."""

from __future__ import annotations

from pathlib import Path

import typer

from secloop.cli.options import CONFIG_OPTION, check_fail_on, with_fail_on
from secloop.core.errors import UsageError

FORMATS = ("terminal", "json", "sarif", "markdown", "html", "junit")
TITLE = "secloop scan pipeline "


def register_scan(scan: typer.Typer) -> None:
    @scan.command("pipeline")
    def pipeline_command(
        path: Path = typer.Argument(Path("."), help="Repository whose CI/CD configuration to audit."),
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
    ) -> None:
        """Audit GitHub Actions workflows and composite actions, GitLab CI, Jenkinsfiles, Bitbucket
        Pipelines and the Dependabot configuration, offline, as the pipeline.* practices
        (one per OWASP Top 10 CI/CD Security Risk, plus least-privilege tokens, managed runners and
        scoped secrets).

        A file that cannot be parsed is listed as not checked; the others are still checked.
        Exit codes: 0 the gate passed; 1 the gate failed; 2 usage or input error; 3 internal error.
        """
        from secloop.assess import engine_assessment
        from secloop.cli.scanout import emit
        from secloop.inputs import prepare
        from secloop.practices.base import Context
        from secloop.practices.catalog import load_catalog
        from secloop.practices.evaluators.pipeline import EVALUATORS

        if fmt not in FORMATS:
            raise UsageError(f"unknown format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
        check_fail_on(fail_on)
        prepared = with_fail_on(prepare(path, config, use_baseline=not no_baseline), fail_on)
        results = [
            EVALUATORS[practice.id](Context(prepared.repo, prepared.config, practice))
            for practice in load_catalog()
            if practice.id in EVALUATORS
        ]
        emit(engine_assessment(prepared, results, "secloop scan pipeline"), fmt, output, TITLE)
