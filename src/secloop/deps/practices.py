"""Engine-backed evaluators: `build.sca` keeps the configured-scanner evidence and adds the scan;
`build.dependency-cooldown`, `build.dependency-freshness` and `build.component-health` keep the
update-tool evidence of build.py and add the registry facts of the pins (cached metadata; online only
with SECLOOP_REGISTRY_ONLINE=1)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from secloop.core.enums import Severity, Status
from secloop.core.errors import InputError
from secloop.core.model import Finding, PracticeResult
from secloop.deps.db import AdvisoryDB, NoDatabase, default_dir, import_hint
from secloop.deps.ignores import Applied, apply_ignores
from secloop.deps.scan import DepsScan, inventory, scan_cached
from secloop.deps.settings import load_settings, now_utc
from secloop.deps.vulns import worst
from secloop.practices.base import Context, Evaluator
from secloop.sources.repo import Repo

if TYPE_CHECKING:  # the registry client is imported when a registry practice runs, not at start-up
    from secloop.deps.health import HealthReport
    from secloop.deps.registry_check import RegistryFacts

_MAX_LISTED = 10


def _scan_evidence(scan: DepsScan) -> list[str]:
    evidence = [f"advisory database: {scan.snapshot.label()}"]
    evidence += [
        f"{lf.path}: {lf.format}, {lf.packages} pinned package(s)" for lf in scan.lockfiles[:_MAX_LISTED]
    ]
    if len(scan.lockfiles) > _MAX_LISTED:
        evidence.append(f"… and {len(scan.lockfiles) - _MAX_LISTED} more lockfile(s)")
    return evidence


def _vulnerable(scan: DepsScan, findings: Sequence[Finding]) -> str:
    packages = sorted({dict(f.properties)["package"] + " " + dict(f.properties)["version"] for f in findings})
    shown = ", ".join(packages[:5]) + (f" and {len(packages) - 5} more" if len(packages) > 5 else "")
    top = worst(findings)
    return (
        f"{len(findings)} known vulnerabilit{'y' if len(findings) == 1 else 'ies'} in "
        f"{len(packages)} pinned package version(s) (worst: {top.value if top else '?'}): {shown}"
    )


def vulnerability_result(
    ctx: Context,
    scan: DepsScan,
    *,
    scanning: list[str] | None = None,
    ignores: Applied | None = None,
) -> PracticeResult:
    """The result of the vulnerability part; ``scanning`` is the evidence of scanners configured in CI
    (None: not judged, as in `secloop scan deps` which is the scan itself); ``ignores`` the advisory
    ignores applied to the scan's findings (ignored findings stay listed, marked, and do not decide)."""
    evidence = [*(scanning or []), *_scan_evidence(scan)]
    findings = ignores.findings if ignores is not None else scan.findings
    live = [f for f in findings if f.suppression is None]
    expired = ignores.expired if ignores is not None else ()
    if ignores is not None:
        evidence += [f"{s.source}: {s.reason}" for f in findings if (s := f.suppression) is not None]
        evidence += list(ignores.unused)
    not_checked = f"; {len(scan.skipped)} item(s) not checked (listed)" if scan.skipped else ""
    ignored = len(findings) - len(live)
    if ignored:
        not_checked += f"; {ignored} ignored with a reason and an expiry"
    if expired:
        not_checked += f"; {len(expired)} ignore(s) expired"
    every = [*findings, *expired]
    if live:
        top = worst(live)
        status = Status.FAIL if top is not None and top.at_least(Severity.HIGH) else Status.PARTIAL
        return ctx.result(status, _vulnerable(scan, live) + not_checked, evidence, every, scan.skipped)
    if scan.checked == 0:
        if not scan.lockfiles and not scan.skipped:
            return ctx.result(Status.NOT_APPLICABLE, "no lockfile pins any dependency", evidence, every)
        return ctx.result(
            Status.UNKNOWN,
            "no pinned dependency could be checked against the advisory database" + not_checked,
            evidence,
            every,
            skipped=scan.skipped,
        )
    clean = f"{scan.checked} pinned package version(s) have no known vulnerability{not_checked}"
    if scanning is not None and not scanning:
        return ctx.result(
            Status.PARTIAL,
            f"{clean}, but nothing scans the dependencies on every change "
            "(no Dependabot, Renovate or scanner in CI)",
            evidence,
            every,
            skipped=scan.skipped,
        )
    summary = f"dependency scanning is configured and {clean}" if scanning else clean
    status = Status.PARTIAL if expired else Status.PASS
    return ctx.result(status, summary, evidence, every, skipped=scan.skipped)


_CRON = re.compile(r"""^\s*-?\s*cron:\s*["']?([^"'#]+?)["']?\s*(?:#.*)?$""")
_GITLAB_SCHEDULED = re.compile(r"""CI_PIPELINE_SOURCE\s*==\s*["']schedule["']""")
_DAILY_DOW = {"*", "0-6", "1-7", "0-7", "MON-SUN", "SUN-SAT"}


def _daily(cron: str) -> bool:
    """Whether a five-field cron expression fires at least once every day."""
    fields = cron.split()
    return len(fields) == 5 and fields[2] == "*" and fields[3] == "*" and fields[4].upper() in _DAILY_DOW


def daily_sca(repo: Repo) -> str:
    """The evidence line on whether a scheduled CI workflow runs a dependency scan every day."""
    from secloop.practices.evaluators.build import _SCA

    weekly: str | None = None
    for rel in repo.glob(".github/workflows/*.yml", ".github/workflows/*.yaml"):
        text = repo.read_text(rel) or ""
        if "schedule" not in text or not _SCA.search(text):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            match = _CRON.match(line)
            if match is None:
                continue
            cron = match.group(1).strip()
            if _daily(cron):
                return f"{rel}:{number}: a scheduled workflow runs the dependency scan daily (cron '{cron}')"
            weekly = (
                weekly
                or f"{rel}:{number}: the scheduled dependency scan runs less than daily (cron '{cron}')"
            )
    if weekly:
        return weekly
    for rel in repo.glob(".gitlab-ci.yml"):
        text = repo.read_text(rel) or ""
        if not _SCA.search(text):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if _GITLAB_SCHEDULED.search(line):
                return (
                    f"{rel}:{number}: the dependency scan runs in scheduled pipelines; whether the "
                    "schedule is daily lives in the project settings (Build > Pipeline schedules), "
                    "not in the repository"
                )
    if any("CI_PIPELINE_SOURCE" in (repo.read_text(r) or "") for r in repo.glob(".gitlab-ci.yml")):
        return (
            ".gitlab-ci.yml: jobs depend on the pipeline source; GitLab schedules live in the project "
            "settings, so a daily run cannot be seen in the repository"
        )
    return (
        "no scheduled workflow runs a dependency scan daily: new advisories against unchanged pins are "
        "found only on the next push (example: templates/github/secloop-daily-sca.yml)"
    )


def evaluate_sca(ctx: Context) -> PracticeResult:
    # Imported here: the evaluator registry imports this module, and this one builds on build.py.
    from secloop.practices.evaluators import build

    base = build.evaluate_sca(ctx)
    if base.status is Status.NOT_APPLICABLE:
        return base
    scanning = (
        [line for line in base.evidence if line != build.DEPS_ENGINE] if base.status is Status.PASS else []
    )
    if scanning:
        scanning.append(daily_sca(ctx.repo))
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
    try:
        loaded = load_settings(ctx.repo.root, today=now_utc().date())
    except InputError as exc:
        return ctx.unknown(f"{exc.place}: {exc.message}" if exc.place else exc.message, [*scanning])
    applied = apply_ignores(scan.findings, loaded, now_utc().date())
    result = vulnerability_result(ctx, scan, scanning=scanning, ignores=applied)
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


# -- registry-backed practices ---------------------------------------------------------------------


def _listed(findings: Sequence[Finding]) -> str:
    names = sorted({dict(f.properties)["package"] + " " + dict(f.properties)["version"] for f in findings})
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _no_metadata(facts: RegistryFacts) -> str:
    if not facts.considered:
        return f"no {facts.scope()}"
    why = (
        "the registries could not be reached"
        if facts.online
        else "the cache is empty and registry access is off"
    )
    return (
        f"no registry metadata for any of the {len({p.key for p in facts.considered})} {facts.scope()}: "
        f"{why} (run `secloop scan deps --online` once, or set SECLOOP_REGISTRY_ONLINE=1)"
    )


def cooldown_result(ctx: Context, facts: RegistryFacts) -> PracticeResult:
    report = facts.report
    evidence = [facts.access(), *report.exempt]
    if not facts.available:
        status = Status.NOT_APPLICABLE if not facts.considered else Status.UNKNOWN
        return ctx.result(status, _no_metadata(facts), evidence, skipped=report.missing)
    if report.cooldown:
        return ctx.result(
            Status.FAIL,
            f"{len(report.cooldown)} pin(s) released less than {facts.policy.cooldown_days} days before they "
            f"were locked: {_listed(report.cooldown)}",
            evidence,
            report.cooldown,
            report.missing,
        )
    return ctx.result(
        Status.PASS,
        f"every pin with registry metadata ({report.checked}) was at least "
        f"{facts.policy.cooldown_days} days old when locked",
        evidence,
        skipped=report.missing,
    )


def freshness_result(ctx: Context, facts: RegistryFacts) -> PracticeResult:
    report = facts.report
    rows = [r for r in report.rows if r.package.direct]
    evidence = [
        facts.access(),
        f"libyears: {report.libyears} over {len(report.rows)} package(s) with metadata",
    ]
    evidence += [
        f"{r.package.path}: {r.package.name} {r.package.version} is {r.behind} release(s) behind "
        f"{r.newest.version if r.newest else '?'} ({r.libyears} libyears)"
        for r in sorted(rows, key=lambda r: -r.libyears)[:_MAX_LISTED]
        if r.behind
    ]
    if not facts.available:
        status = Status.NOT_APPLICABLE if not facts.considered else Status.UNKNOWN
        return ctx.result(status, _no_metadata(facts), evidence, skipped=report.missing)
    if report.freshness:
        return ctx.result(
            Status.PARTIAL,
            f"{len(report.freshness)} direct dependenc(ies) lag a release more than "
            f"{facts.policy.update_days} days newer: {_listed(report.freshness)}",
            evidence,
            report.freshness,
            report.missing,
        )
    return ctx.result(
        Status.PASS,
        f"no direct dependency lags a release more than {facts.policy.update_days} days newer",
        evidence,
        skipped=report.missing,
    )


_WIDELY_USED = (
    "widely used: npm weekly downloads from the npm downloads API (the packument has no count); "
    "PyPI publishes no download counts, so PyPI packages are not judged on it"
)


def _archive_evidence(report: HealthReport) -> str:
    return (
        f"archived: {report.archive_checked} GitHub repositor(ies) read from the GitHub API (cached), "
        f"{report.archive_unknown} unknown (listed as not checked), {report.no_repository} package(s) "
        "name no GitHub repository in their registry metadata"
    )


def _archive_unknown(report: HealthReport) -> str:
    if not report.archive_missing:
        return ""
    reason = report.archive_missing[0].reason.split(": ", 1)[-1]
    count = report.archive_unknown
    return f"; whether {count} package(s)' GitHub repositories are archived is unknown: {reason}"


def health_result(ctx: Context, facts: RegistryFacts) -> PracticeResult:
    report = facts.report
    evidence = [facts.access(), _WIDELY_USED]
    if not facts.available:
        status = Status.NOT_APPLICABLE if not facts.considered else Status.UNKNOWN
        return ctx.result(status, _no_metadata(facts), evidence, skipped=report.missing)
    evidence.append(_archive_evidence(report))
    skipped = (*report.missing, *report.archive_missing)
    severe = [f for f in report.health if f.rule_id != "DEP-LITTLE-USED"]
    if report.health:
        return ctx.result(
            Status.FAIL if severe else Status.PARTIAL,
            f"{len(report.health)} health problem(s): {_listed(report.health)}{_archive_unknown(report)}",
            evidence,
            report.health,
            skipped,
        )
    return ctx.result(
        Status.PASS,
        f"{report.checked} package(s) with registry metadata are maintained, not withdrawn and "
        f"not little used{_archive_unknown(report)}",
        evidence,
        skipped=skipped,
    )


def _merge(ctx: Context, base: PracticeResult, engine: PracticeResult) -> PracticeResult:
    """The update-tool part (build.py) and the registry part: the worse status decides."""
    if base.status is Status.NOT_APPLICABLE:
        return base
    order = [Status.FAIL, Status.UNKNOWN, Status.PARTIAL, Status.PASS, Status.NOT_APPLICABLE]
    if engine.status is Status.NOT_APPLICABLE:
        status = base.status
    elif base.status is Status.FAIL or engine.status is Status.FAIL:
        status = Status.FAIL
    elif engine.status is Status.UNKNOWN:
        status = Status.UNKNOWN
    else:
        status = min(base.status, engine.status, key=order.index)
    summary = base.summary if engine.status is Status.NOT_APPLICABLE else f"{base.summary}; {engine.summary}"
    return ctx.result(
        status,
        summary,
        [*base.evidence, *engine.evidence],
        [*base.findings, *engine.findings],
        [*base.skipped, *engine.skipped],
    )


def _open_db() -> AdvisoryDB | None:
    try:
        return AdvisoryDB.open(default_dir())
    except NoDatabase:
        return None


def _facts(ctx: Context) -> RegistryFacts | str:
    try:
        from secloop.deps.registry_check import facts_cached

        loaded = load_settings(ctx.repo.root, today=now_utc().date())
        return facts_cached(ctx.repo, lambda: inventory(ctx.repo), loaded, _open_db)
    except InputError as exc:
        return f"{exc.place}: {exc.message}" if exc.place else exc.message


def _registry_backed(
    ctx: Context, base: PracticeResult, part: Callable[[Context, RegistryFacts], PracticeResult]
) -> PracticeResult:
    if base.status is Status.NOT_APPLICABLE:
        return base
    facts = _facts(ctx)
    if isinstance(facts, str):
        return _merge(ctx, base, ctx.unknown(f"registry facts not read: {facts}"))
    return _merge(ctx, base, part(ctx, facts))


def evaluate_dependency_cooldown(ctx: Context) -> PracticeResult:
    from secloop.practices.evaluators import build

    return _registry_backed(ctx, build.evaluate_dependency_cooldown(ctx), cooldown_result)


def evaluate_dependency_freshness(ctx: Context) -> PracticeResult:
    from secloop.practices.evaluators import build

    return _registry_backed(ctx, build.evaluate_dependency_freshness(ctx), freshness_result)


def evaluate_component_health(ctx: Context) -> PracticeResult:
    from secloop.practices.evaluators import build

    base = build.evaluate_component_health(ctx)
    if base.status is Status.NOT_APPLICABLE:
        return base
    facts = _facts(ctx)
    if isinstance(facts, str):
        return ctx.unknown(f"registry facts not read: {facts}", base.evidence)
    result = health_result(ctx, facts)
    return ctx.result(
        result.status, result.summary, [*base.evidence, *result.evidence], result.findings, result.skipped
    )


EVALUATORS: dict[str, Evaluator] = {
    "build.sca": evaluate_sca,
    "build.dependency-cooldown": evaluate_dependency_cooldown,
    "build.dependency-freshness": evaluate_dependency_freshness,
    "build.component-health": evaluate_component_health,
}
