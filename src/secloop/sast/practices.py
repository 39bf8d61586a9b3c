"""Engine-backed evaluators: `build.sast` and `code.input-validation` keep what the repository-content
evaluators detect (SAST tools in CI, validation libraries) and add the SAST engine's findings."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from secloop.core.enums import Severity, Status
from secloop.core.model import Finding, PracticeResult
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators import build, code
from secloop.sast.model import SastScan
from secloop.sast.rules import TAINT_PREFIX
from secloop.sast.scan import scan_cached

MAX_LISTED = 8
_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def severity_summary(findings: Sequence[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    return ", ".join(f"{counts[s]} {s.value}" for s in _ORDER if counts[s])


def scan_evidence(scan: SastScan) -> list[str]:
    shown = ", ".join(scan.files[:3]) + (f" (+{len(scan.files) - 3} more)" if len(scan.files) > 3 else "")
    lines = [f"{' + '.join(scan.engines)}: {_plural(len(scan.files), 'Python file')} checked ({shown})"]
    if scan.skipped:
        lines.append(f"{_plural(len(scan.skipped), 'file')} not checked (listed)")
    lines += scan.notes
    return lines


def _listed(findings: Sequence[Finding]) -> list[str]:
    return [f"{f.primary}: {f.rule_id} {f.message}" for f in findings[:MAX_LISTED]]


def sast_result(
    ctx: Context, scan: SastScan, evidence: Sequence[str] = (), *, ci: bool = True
) -> PracticeResult:
    """The engine's verdict: fail on high or critical findings; pass otherwise when SAST runs in CI."""
    lines = [*evidence, *scan_evidence(scan)]
    findings = scan.findings
    serious = [f for f in findings if f.severity.at_least(Severity.HIGH)]
    files = _plural(len(scan.files), "Python file")
    if serious:
        summary = (
            f"{_plural(len(serious), 'high or critical finding')} in {files} ({severity_summary(findings)})"
        )
        return ctx.result(Status.FAIL, summary, [*lines, *_listed(serious)], findings, scan.skipped)
    lesser = (
        f"; {_plural(len(findings), 'lesser finding')} ({severity_summary(findings)})" if findings else ""
    )
    if not ci:
        summary = f"no high or critical finding in {files}{lesser}, but no SAST tool runs in CI or pre-commit"
        return ctx.result(Status.PARTIAL, summary, lines, findings, scan.skipped)
    return ctx.result(
        Status.PASS, f"no high or critical finding in {files}{lesser}", lines, findings, scan.skipped
    )


def evaluate_sast(ctx: Context) -> PracticeResult:
    base = build.evaluate_sast(ctx)
    scan = scan_cached(ctx.repo, audit=ctx.config.audit)
    if not scan.files and not scan.skipped:
        return base  # no Python outside tests: only a configured tool can cover other languages
    ci = base.status is Status.PASS
    note = (
        "CI: a SAST tool runs in CI or pre-commit" if ci else "CI: no SAST tool runs; add `secloop scan sast`"
    )
    result = sast_result(ctx, scan, [*base.evidence, note], ci=ci)
    if base.skipped:
        return ctx.result(
            result.status, result.summary, result.evidence, result.findings, [*base.skipped, *result.skipped]
        )
    return result


def evaluate_input_validation(ctx: Context) -> PracticeResult:
    base = code.evaluate_input_validation(ctx)
    if base.status is Status.NOT_APPLICABLE:
        return base
    scan = scan_cached(ctx.repo, audit=ctx.config.audit)
    if not scan.web_files:
        if scan.files:
            note = (
                f"SAST engine: no Flask, Django or FastAPI code in {_plural(len(scan.files), 'Python file')}"
            )
            return ctx.result(base.status, base.summary, [*base.evidence, note], skipped=scan.skipped)
        return base
    tainted = [f for f in scan.findings if f.rule_id.startswith(TAINT_PREFIX)]
    web = _plural(len(scan.web_files), "web module")
    if tainted:
        kinds = ", ".join(sorted({f.rule_id.removeprefix(TAINT_PREFIX).lower() for f in tainted}))
        verb = "reaches" if len(tainted) == 1 else "reach"
        summary = (
            f"{_plural(len(tainted), 'request input')} {verb} a dangerous call without validation ({kinds})"
        )
        return ctx.result(
            Status.FAIL, summary, [*base.evidence, *_listed(tainted)][: MAX_LISTED * 2], tainted, scan.skipped
        )
    summary = (
        f"no request data reaches a SQL, command, code, path, URL, redirect, HTML, deserialisation, LDAP "
        f"or XPath sink, the session or a type conversion unvalidated in {web} (followed into helpers)"
    )
    return ctx.result(Status.PASS, summary, [*base.evidence, *scan_evidence(scan)], skipped=scan.skipped)


EVALUATORS: dict[str, Evaluator] = {
    "build.sast": evaluate_sast,
    "code.input-validation": evaluate_input_validation,
}
