"""Engine-backed evaluators: `build.iac-scanning`, `operate.immutable-infrastructure` and
`operate.no-humans-in-production` keep what the repository-content evaluators detect and add the
IaC engine's findings and facts."""

from __future__ import annotations

from collections.abc import Sequence

from secloop.core.enums import Status
from secloop.core.model import Finding, PracticeResult
from secloop.iac.scan import NOT_PROJECT, VENDORED, scan_cached
from secloop.iac.verdict import iac_result, plural, scan_evidence, severity_summary, worst
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators import build, operate
from secloop.sources.manifests import inventory

MAX_LISTED = 8
#: findings that show a human way into servers or containers
REMOTE_ACCESS = frozenset(
    {
        "IAC-AWS-SG-OPEN-SSH",
        "IAC-AWS-SG-OPEN-RDP",
        "IAC-AZURE-NSG-OPEN-SSH-RDP",
        "IAC-GCP-FIREWALL-OPEN-SSH-RDP",
    }
)
EXEC_RIGHTS = frozenset({"IAC-K8S-RBAC-EXEC"})
#: findings that let what runs drift from what was built and reviewed
MUTABLE = frozenset({"IAC-K8S-IMAGE-TAG", "IAC-AWS-ECR-TAG-MUTABLE"})
__all__ = ["EVALUATORS", "iac_result", "scan_evidence", "severity_summary", "worst"]


def evaluate_iac_scanning(ctx: Context) -> PracticeResult:
    base = build.evaluate_iac_scanning(ctx)
    if base.status is Status.NOT_APPLICABLE:
        return base
    scan = scan_cached(ctx.repo)
    if not scan.files and not scan.skipped:
        inv = inventory(ctx.repo)
        found = [f for _, files in inv.iac for f in files] + list(inv.dockerfiles)
        if found and all(NOT_PROJECT.search(f) or VENDORED.search(f) for f in found):
            return ctx.result(
                Status.NOT_APPLICABLE,
                "infrastructure as code only in test, fixture, example or docs folders, not the project's",
                [
                    f"not the project's: {', '.join(sorted(found)[:3])}"
                    + (f" (+{len(found) - 3} more)" if len(found) > 3 else "")
                ],
            )
        return base  # Bicep, Pulumi, …: only a configured scanner can cover them
    if base.status is Status.PASS:
        ci = "an IaC scanner runs in CI or pre-commit"
    else:
        ci = f"not scanned in CI or pre-commit ({base.summary}): add `secloop scan iac` to CI"
    return iac_result(ctx, scan, [*base.evidence, f"CI: {ci}"])


def _with(
    ctx: Context,
    base: PracticeResult,
    status: Status,
    summary: str,
    extra: Sequence[str],
    found: Sequence[Finding],
) -> PracticeResult:
    seen = {f.fingerprint for f in base.findings}
    findings = [*base.findings, *(f for f in found if f.fingerprint not in seen)]
    evidence = [*base.evidence, *extra][: MAX_LISTED * 2]
    return ctx.result(status, summary, evidence, findings, base.skipped)


def _evidence(findings: Sequence[Finding]) -> list[str]:
    return [f"{f.primary}: {f.message}" for f in findings[:MAX_LISTED]]


def evaluate_immutable_infrastructure(ctx: Context) -> PracticeResult:
    base = operate.evaluate_immutable_infrastructure(ctx)
    scan = scan_cached(ctx.repo)
    remote = [f for f in scan.findings if f.rule_id in REMOTE_ACCESS | EXEC_RIGHTS]
    mutable = [f for f in scan.findings if f.rule_id in MUTABLE]
    if base.status is Status.NOT_APPLICABLE or not (remote or mutable):
        if scan.resources and base.status is not Status.NOT_APPLICABLE:
            checked = plural(len(scan.resources), "resource")
            note = f"IaC ({checked}): no open SSH/RDP, exec rights or mutable tags"
            return _with(ctx, base, base.status, base.summary, [note], [])
        return base
    problems = []
    if remote:
        problems.append(f"{plural(len(remote), 'way')} to change running servers or containers by hand")
    if mutable:
        problems.append(f"{plural(len(mutable), 'mutable image tag')} in deployment definitions")
    status = Status.FAIL if base.status is Status.FAIL else Status.PARTIAL
    summary = "; ".join([base.summary, *problems]) if base.status is not Status.PASS else "; ".join(problems)
    return _with(ctx, base, status, summary, _evidence(remote + mutable), remote + mutable)


def evaluate_no_humans_in_production(ctx: Context) -> PracticeResult:
    base = operate.evaluate_no_humans_in_production(ctx)
    scan = scan_cached(ctx.repo)
    remote = [f for f in scan.findings if f.rule_id in REMOTE_ACCESS]
    exec_rights = [f for f in scan.findings if f.rule_id in EXEC_RIGHTS]
    if not (remote or exec_rights):
        if scan.resources and base.status is Status.UNKNOWN:
            note = (
                f"IaC ({plural(len(scan.resources), 'resource')}): no SSH/RDP open to the internet "
                "and no role grants exec into pods"
            )
            return _with(ctx, base, base.status, base.summary, [note], [])
        return base
    parts = []
    if remote:
        parts.append(f"the infrastructure opens SSH/RDP to the internet ({plural(len(remote), 'rule')})")
    if exec_rights:
        parts.append(f"exec into running pods is granted by {plural(len(exec_rights), 'role rule')}")
    summary = "; ".join(([base.summary] if base.status is Status.FAIL else []) + parts)
    return _with(ctx, base, Status.FAIL, summary, _evidence(remote + exec_rights), remote + exec_rights)


EVALUATORS: dict[str, Evaluator] = {
    "build.iac-scanning": evaluate_iac_scanning,
    "operate.immutable-infrastructure": evaluate_immutable_infrastructure,
    "operate.no-humans-in-production": evaluate_no_humans_in_production,
}
