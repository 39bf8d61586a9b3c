"""The verdict of `build.iac-scanning` on a scan, and the evidence lines that describe a scan.

Kept apart from `secloop.iac.practices` (which reads the repository-content evaluators of every
stage) so that `secloop scan iac` imports only what it needs: start-up time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from secloop.core.enums import Severity, Status
from secloop.core.model import Finding, PracticeResult
from secloop.iac.model import Framework, IacScan
from secloop.practices.base import Context

_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def worst(findings: Iterable[Finding]) -> Severity | None:
    ranked = [f.severity for f in findings]
    return max(ranked, key=lambda s: s.rank) if ranked else None


def severity_summary(findings: Sequence[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    return ", ".join(f"{counts[s]} {s.value}" for s in _ORDER if counts[s])


def scan_evidence(scan: IacScan) -> list[str]:
    """One line per framework: how many files and resources the engine read."""
    resources = Counter(r.framework for r in scan.resources)
    lines = []
    for framework, files in sorted(scan.frameworks().items(), key=lambda kv: kv[0].value):
        shown = ", ".join(files[:3]) + (f" (+{len(files) - 3} more)" if len(files) > 3 else "")
        lines.append(
            f"{framework.value}: {plural(len(files), 'file')}, "
            f"{plural(resources[framework], 'resource')} checked ({shown})"
        )
    if scan.skipped:
        places = len({s.path for s in scan.skipped})
        lines.append(
            f"{plural(len(scan.skipped), 'IaC item')} in {plural(places, 'file')} "
            "not checked or checked only in part (listed)"
        )
    return lines


def iac_result(ctx: Context, scan: IacScan, evidence: Sequence[str] = ()) -> PracticeResult:
    """The engine's verdict: fail on high or critical findings, pass otherwise."""
    lines = [*evidence, *scan_evidence(scan)]
    if not scan.files:
        if scan.skipped:
            return ctx.result(
                Status.UNKNOWN, "no IaC file could be read (listed)", lines, skipped=scan.skipped
            )
        kinds = ", ".join(f.value for f in Framework)
        return ctx.result(Status.NOT_APPLICABLE, f"no infrastructure as code secloop reads ({kinds})", lines)
    findings = scan.findings
    top = worst(findings)
    resources = plural(len(scan.resources), "resource")
    if top is not None and top.at_least(Severity.HIGH):
        summary = f"{plural(len(findings), 'misconfiguration')} in {resources} ({severity_summary(findings)})"
        return ctx.result(Status.FAIL, summary, lines, findings, scan.skipped)
    if findings:
        summary = (
            f"no high or critical misconfiguration in {resources}; "
            f"{plural(len(findings), 'lesser finding')} ({severity_summary(findings)})"
        )
        return ctx.result(Status.PASS, summary, lines, findings, scan.skipped)
    return ctx.result(Status.PASS, f"no misconfiguration in {resources}", lines, skipped=scan.skipped)
