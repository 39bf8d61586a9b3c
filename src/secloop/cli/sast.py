"""`secloop scan sast PATH`: Bandit and secloop's taint checks on the project's Python code, offline."""

from __future__ import annotations

import io
from collections.abc import Sequence
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
from secloop.core.errors import EXIT_GATE_FAILED, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from secloop.core.model import Assessment, PracticeResult
    from secloop.core.rules import Rule, RuleRegistry
    from secloop.inputs import Prepared
    from secloop.sast.model import SastScan
    from secloop.sast.sarif_import import ImportedSarif

PRACTICE = "build.sast"


def _registry(extra: Sequence[Rule] = ()) -> RuleRegistry:
    from secloop.core.rules import RuleRegistry
    from secloop.registry import REGISTRY
    from secloop.sast.rules import RULES

    wanted = [*RULES, *extra]
    if all(rule.id in REGISTRY for rule in wanted):
        return REGISTRY
    return RuleRegistry([*REGISTRY, *(r for r in wanted if r.id not in REGISTRY)])


def scan_result(prepared: Prepared, scan: SastScan, evidence: Sequence[str] = ()) -> PracticeResult:
    from secloop.practices.base import Context
    from secloop.practices.catalog import load_catalog
    from secloop.sast.practices import sast_result

    practice = next((p for p in load_catalog() if p.id == PRACTICE), None)
    if practice is None:  # pragma: no cover - the catalog always has it
        raise UsageError(f"the catalog has no {PRACTICE} practice")
    return sast_result(Context(prepared.repo, prepared.config, practice), scan, evidence)


def assessment_of(prepared: Prepared, result: PracticeResult) -> Assessment:
    from secloop.assess import engine_assessment

    return engine_assessment(prepared, [result], "secloop scan sast")


def render_terminal(assessment: Assessment, console: Console, title: str = "secloop scan sast ") -> None:
    from secloop.report.terminal import render_scan

    render_scan(assessment, console, title, fixes=False)


def render(
    assessment: Assessment, fmt: str, *, width: int = 120, color: bool = True, extra: Sequence[Rule] = ()
) -> str:
    from rich.console import Console

    from secloop.practices.catalog import load_catalog
    from secloop.report.formats import FORMATS as RENDERERS
    from secloop.report.interface import RenderInput

    if fmt == "terminal":
        buffer = io.StringIO()
        render_terminal(assessment, Console(file=buffer, width=width, no_color=not color, highlight=False))
        return buffer.getvalue()
    return RENDERERS[fmt](RenderInput(assessment, _registry(extra), load_catalog()))


def register_scan(scan: typer.Typer) -> None:
    @scan.command("sast")
    def sast_command(
        path: Path = typer.Argument(Path("."), help="Repository or folder whose code to check."),
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
        since: str | None = typer.Option(
            None,
            "--since",
            metavar="REF",
            help="Diff-aware: only findings new since the git REF (branch, tag, commit) fail the gate.",
        ),
        no_cache: bool = typer.Option(
            False,
            "--no-cache",
            help="Analyse every file again (ignore the analysis, Bandit and Semgrep caches).",
        ),
    ) -> None:
        """Check the project's Python code with Bandit and secloop's own rules, offline: taint from
        Flask, Django and FastAPI requests (followed into helper functions and methods) to SQL,
        shell, eval, file, URL, redirect, HTML, deserialisation, LDAP and XPath sinks, the session
        and type conversions; weak crypto and randomness; secrets written to logs. When Semgrep is
        installed (SECLOOP_SEMGREP or PATH) it runs too, with secloop's own pack, also on
        JavaScript/TypeScript.

        A file that cannot be parsed is listed as not checked, with its line; the others are still
        checked. Every engine's results are cached per file content; --since REF compares with the
        findings at REF.
        The configuration's audit mode also makes Bandit ignore `# nosec`. Exit codes: 0 the gate
        passed; 1 the gate failed; 2 usage or input error; 3 internal error.
        """
        from dataclasses import replace

        from rich.console import Console

        from secloop.core.baseline import Baseline, write_atomic
        from secloop.inputs import prepare
        from secloop.sast.cache import AnalysisCache
        from secloop.sast.scan import read_files, scan_texts
        from secloop.sast.since import scan_since

        check_format(fmt)
        check_fail_on(fail_on)
        prepared = prepare(path, config, use_baseline=not no_baseline)
        prepared = with_fail_on(prepared, fail_on)
        audit = prepared.config.audit
        cache = AnalysisCache(enabled=not no_cache)
        texts, unread = read_files(prepared.repo, include_fixtures=include_fixtures, scripts=True)
        scan = scan_texts(prepared.repo.root, texts, unread, audit=audit, cache=cache)
        evidence: list[str] = []
        if audit:
            evidence.append("audit mode: `# nosec` and inline suppressions are ignored")
        if since is not None:
            then = scan_since(
                prepared.repo.root, since, texts, include_fixtures=include_fixtures, audit=audit, cache=cache
            )
            known = {e.fingerprint for e in then.baseline.entries}
            new = sum(f.fingerprint not in known for f in scan.findings)
            evidence.append(
                f"--since {since} ({then.commit[:12]}): {len(then.changed)} source file(s) changed; "
                f"{new} finding(s) new, {len(scan.findings) - new} already there"
            )
            entries = (*(prepared.baseline.entries if prepared.baseline else ()), *then.baseline.entries)
            prepared = replace(prepared, baseline=Baseline(tuple(dict.fromkeys(entries))))
        assessment = assessment_of(prepared, scan_result(prepared, scan, evidence))
        if output is not None:
            write_atomic(output, render(assessment, fmt, color=False))
        elif fmt == "terminal":
            render_terminal(assessment, Console(highlight=False))
        else:
            typer.echo(render(assessment, fmt), nl=False)
        if assessment.gate is not None and not assessment.gate.passed:
            raise typer.Exit(EXIT_GATE_FAILED)


def imported_result(prepared: Prepared, imported: ImportedSarif) -> PracticeResult:
    from secloop.core.enums import Severity, Status
    from secloop.practices.base import Context
    from secloop.practices.catalog import load_catalog
    from secloop.sast.practices import severity_summary

    practice = next((p for p in load_catalog() if p.id == PRACTICE), None)
    if practice is None:  # pragma: no cover - the catalog always has it
        raise UsageError(f"the catalog has no {PRACTICE} practice")
    ctx = Context(prepared.repo, prepared.config, practice)
    findings = imported.findings
    tools = ", ".join(imported.tools) or "an unnamed tool"
    evidence = [f"imported from SARIF: {tools}"]
    count = f"{len(findings)} finding{'' if len(findings) == 1 else 's'}"
    if any(f.severity.at_least(Severity.HIGH) for f in findings):
        summary = f"{count} imported, high or critical among them ({severity_summary(findings)})"
        return ctx.result(Status.FAIL, summary, evidence, findings, imported.skipped)
    detail = f" ({severity_summary(findings)})" if findings else ""
    return ctx.result(
        Status.PASS, f"{count} imported, none high or critical{detail}", evidence, findings, imported.skipped
    )


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Bring other tools' results into secloop.", no_args_is_help=True)
    app.add_typer(group, name="import")

    @group.command("sarif")
    def sarif_command(
        file: Path = typer.Argument(..., help="A SARIF 2.1.0 log from any producer."),
        root: Path = typer.Option(Path("."), "--root", help="The repository the results refer to."),
        fmt: str = FORMAT_OPTION,
        output: Path | None = OUTPUT_OPTION,
        fail_on: str | None = FAIL_ON_OPTION,
        config: Path | None = CONFIG_OPTION,
        no_baseline: bool = NO_BASELINE_OPTION,
    ) -> None:
        """Import the results of any SARIF 2.1.0 producer (CodeQL, Semgrep, ESLint, …) as secloop
        findings, under secloop's suppressions, baseline and gate.

        Rule ids become SARIF-<TOOL>-<RULE>. Results the producer marks as suppressed are listed as
        not counted (audit mode counts them). Exit codes: 0 the gate passed; 1 the gate failed;
        2 usage or input error (not JSON, not SARIF 2.1.0); 3 internal error.
        """
        from rich.console import Console

        from secloop.core.baseline import write_atomic
        from secloop.inputs import prepare
        from secloop.sast.sarif_import import load_sarif

        check_format(fmt)
        check_fail_on(fail_on)
        prepared = prepare(root, config, use_baseline=not no_baseline)
        prepared = with_fail_on(prepared, fail_on)
        imported = load_sarif(file, prepared.repo.root, audit=prepared.config.audit)
        assessment = assessment_of(prepared, imported_result(prepared, imported))
        if output is not None:
            write_atomic(output, render(assessment, fmt, color=False, extra=imported.rules))
        elif fmt == "terminal":
            render_terminal(assessment, Console(highlight=False), title="secloop import sarif ")
        else:
            typer.echo(render(assessment, fmt, extra=imported.rules), nl=False)
        if assessment.gate is not None and not assessment.gate.passed:
            raise typer.Exit(EXIT_GATE_FAILED)
