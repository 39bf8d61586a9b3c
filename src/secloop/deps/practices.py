"""Engine-backed evaluators: `build.sca` keeps the configured-scanner evidence and adds the scan."""

from __future__ import annotations

from secloop.core.enums import Severity, Status
from secloop.core.errors import InputError
from secloop.core.model import PracticeResult
from secloop.deps.db import NoDatabase, default_dir, import_hint
from secloop.deps.scan import DepsScan, scan_cached
from secloop.deps.vulns import worst
from secloop.practices.base import Context, Evaluator

_MAX_LISTED = 10


def _scan_evidence(scan: DepsScan) -> list[str]:
    evidence = [f"advisory database: {scan.snapshot.label()}"]
    evidence += [
        f"{lf.path}: {lf.format}, {lf.packages} pinned package(s)" for lf in scan.lockfiles[:_MAX_LISTED]
    ]
    if len(scan.lockfiles) > _MAX_LISTED:
        evidence.append(f"… and {len(scan.lockfiles) - _MAX_LISTED} more lockfile(s)")
    return evidence


def _vulnerable(scan: DepsScan) -> str:
    packages = sorted(
        {dict(f.properties)["package"] + " " + dict(f.properties)["version"] for f in scan.findings}
    )
    shown = ", ".join(packages[:5]) + (f" and {len(packages) - 5} more" if len(packages) > 5 else "")
    top = worst(scan.findings)
    return (
        f"{len(scan.findings)} known vulnerabilit{'y' if len(scan.findings) == 1 else 'ies'} in "
        f"{len(packages)} pinned package version(s) (worst: {top.value if top else '?'}): {shown}"
    )


def vulnerability_result(
    ctx: Context, scan: DepsScan, *, scanning: list[str] | None = None
) -> PracticeResult:
    """The result of the vulnerability part; ``scanning`` is the evidence of scanners configured in CI
    (None: not judged, as in `secloop scan deps` which is the scan itself)."""
    evidence = [*(scanning or []), *_scan_evidence(scan)]
    not_checked = f"; {len(scan.skipped)} item(s) not checked (listed)" if scan.skipped else ""
    if scan.findings:
        top = worst(scan.findings)
        status = Status.FAIL if top is not None and top.at_least(Severity.HIGH) else Status.PARTIAL
        return ctx.result(status, _vulnerable(scan) + not_checked, evidence, scan.findings, scan.skipped)
    if scan.checked == 0:
        if not scan.lockfiles and not scan.skipped:
            return ctx.result(Status.NOT_APPLICABLE, "no lockfile pins any dependency", evidence)
        return ctx.result(
            Status.UNKNOWN,
            "no pinned dependency could be checked against the advisory database" + not_checked,
            evidence,
            skipped=scan.skipped,
        )
    clean = f"{scan.checked} pinned package version(s) have no known vulnerability{not_checked}"
    if scanning is not None and not scanning:
        return ctx.result(
            Status.PARTIAL,
            f"{clean}, but nothing scans the dependencies on every change "
            "(no Dependabot, Renovate or scanner in CI)",
            evidence,
            skipped=scan.skipped,
        )
    summary = f"dependency scanning is configured and {clean}" if scanning else clean
    return ctx.result(Status.PASS, summary, evidence, skipped=scan.skipped)


def evaluate_sca(ctx: Context) -> PracticeResult:
    # Imported here: the evaluator registry imports this module, and this one builds on build.py.
    from secloop.practices.evaluators import build

    base = build.evaluate_sca(ctx)
    if base.status is Status.NOT_APPLICABLE:
        return base
    scanning = (
        [line for line in base.evidence if line != build.DEPS_ENGINE] if base.status is Status.PASS else []
    )
    try:
        scan = scan_cached(ctx.repo, default_dir())
    except (NoDatabase, InputError) as exc:
        missing = f"known vulnerabilities not checked: {exc.message}; {exc.hint or import_hint()}"
        if base.status is Status.FAIL:
            return ctx.result(Status.FAIL, base.summary, [*base.evidence, missing], skipped=base.skipped)
        return ctx.result(
            Status.UNKNOWN,
            "dependency scanning is configured, but whether the pinned versions have known vulnerabilities "
            "is unknown: no advisory database is imported (run `secloop db import PyPI-all.zip`, one OSV "
            "export per ecosystem)",
            [*scanning, missing],
            skipped=base.skipped,
        )
    result = vulnerability_result(ctx, scan, scanning=scanning)
    if base.skipped:
        return ctx.result(
            result.status,
            result.summary,
            result.evidence,
            result.findings,
            (*result.skipped, *base.skipped),
            result.score,
        )
    return result


EVALUATORS: dict[str, Evaluator] = {"build.sca": evaluate_sca}
