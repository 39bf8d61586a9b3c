"""`secloop scan pipeline PATH`: the CI/CD pipeline audits on their own (OWASP Top 10 CI/CD risks)."""

from __future__ import annotations

from pathlib import Path

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

TITLE = "secloop scan pipeline "


def register_scan(scan: typer.Typer) -> None:
    @scan.command("pipeline")
    def pipeline_command(
        path: Path = typer.Argument(Path("."), help="Repository whose CI/CD configuration to audit."),
        fmt: str = FORMAT_OPTION,
        output: Path | None = OUTPUT_OPTION,
        fail_on: str | None = FAIL_ON_OPTION,
        config: Path | None = CONFIG_OPTION,
        no_baseline: bool = NO_BASELINE_OPTION,
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

        check_format(fmt)
        check_fail_on(fail_on)
        prepared = with_fail_on(prepare(path, config, use_baseline=not no_baseline), fail_on)
        results = [
            EVALUATORS[practice.id](Context(prepared.repo, prepared.config, practice))
            for practice in load_catalog()
            if practice.id in EVALUATORS
        ]
        emit(engine_assessment(prepared, results, "secloop scan pipeline"), fmt, output, TITLE)
