"""Engine-backed `deploy.feature-toggles`: the flags file validated, counted by type, stale flags found.

Without a flags file the repository-content evaluator decides (feature-flag SDKs in the code, or
home-grown switches); with one, its evidence is kept and the flags file's facts are added.
"""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, datetime

from secloop.core.enums import Status
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, PracticeResult
from secloop.practices.base import Context, Evaluator
from secloop.practices.evaluators.deploy import FLAG_SDKS, evaluate_feature_toggles
from secloop.release.flags.loader import DEFAULT_PATHS, FlagsFileError, parse_flags
from secloop.release.flags.model import FlagsFile, FlagType
from secloop.release.flags.rules import FLAG_INVALID, FLAG_STALE, FLAG_UNREFERENCED
from secloop.release.flags.stale import UNREFERENCED, StaleFlag, find_stale
from secloop.sources.manifests import app_code, find_sdks, sdk_evidence, sdk_names
from secloop.sources.repo import Repo

NO_FILE = f"no flags file ({' or '.join(DEFAULT_PATHS)}): flags are not kept as code"


def today_of(repo: Repo) -> date:
    # The moment `assess` reports (HEAD's commit time), so the same commit gives the same result.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC).date()
    return (repo.head_time() or datetime.now(tz=UTC)).date()


def _invalid(error: FlagsFileError) -> list[Finding]:
    return [
        Finding(
            rule_id=FLAG_INVALID.id,
            severity=FLAG_INVALID.severity,
            confidence=FLAG_INVALID.confidence,
            message=problem.message,
            locations=(Location(problem.place.path, problem.place.line, problem.place.column),),
            fingerprint=keyed_fingerprint(FLAG_INVALID.id, problem.place.path, problem.message),
            fix=problem.hint,
        )
        for problem in error.problems
    ]


def _stale(item: StaleFlag) -> list[Finding]:
    out: list[Finding] = []
    flag = item.flag
    location = (Location(item.path, flag.line),)
    aging = [r.detail for r in item.reasons if r.kind != UNREFERENCED]
    if aging:
        out.append(
            Finding(
                rule_id=FLAG_STALE.id,
                severity=FLAG_STALE.severity,
                confidence=FLAG_STALE.confidence,
                message=(
                    f"flag '{flag.name}' ({flag.type.value}, owner {flag.owner}) is stale: {'; '.join(aging)}"
                ),
                locations=location,
                fingerprint=keyed_fingerprint(FLAG_STALE.id, item.path, flag.name),
                properties=(("flag", flag.name), ("owner", flag.owner), ("type", flag.type.value)),
                fix=item.action,
            )
        )
    if any(r.kind == UNREFERENCED for r in item.reasons):
        out.append(
            Finding(
                rule_id=FLAG_UNREFERENCED.id,
                severity=FLAG_UNREFERENCED.severity,
                confidence=FLAG_UNREFERENCED.confidence,
                message=f"flag '{flag.name}' is declared but no file of the repository mentions it",
                locations=location,
                fingerprint=keyed_fingerprint(FLAG_UNREFERENCED.id, item.path, flag.name),
                properties=(("flag", flag.name), ("owner", flag.owner)),
                fix=f"remove '{flag.name}' from {item.path}, or fix the name the code asks for",
            )
        )
    return out


def _counts(flags: FlagsFile) -> str:
    counts = Counter(flag.type for flag in flags.flags)
    return ", ".join(f"{t.value} {counts[t]}" for t in FlagType if counts[t]) or "no flags"


def evaluate_flags_as_code(ctx: Context) -> PracticeResult:
    rel = next((p for p in DEFAULT_PATHS if ctx.repo.exists(p)), None)
    if rel is None:
        base = evaluate_feature_toggles(ctx)
        return ctx.result(base.status, base.summary, [*base.evidence, NO_FILE], base.findings, base.skipped)
    text = ctx.repo.read_text(rel)
    if text is None:
        return ctx.unknown(f"{rel}: the flags file cannot be read (binary, too large or unreadable)")
    app = app_code(ctx.repo)
    hits = find_sdks(ctx.repo, app, FLAG_SDKS) if app.is_app else []
    sdk_lines = sdk_evidence(hits)
    try:
        flags = parse_flags(text, rel)
    except FlagsFileError as error:
        findings = _invalid(error)
        return ctx.result(
            Status.FAIL,
            f"{rel} does not validate ({len(findings)} problem(s)): its flags cannot be served as written",
            [f"{p.place}: {p.message}" for p in error.problems[:5]] + sdk_lines,
            findings,
            [error.skipped()],
        )
    today = today_of(ctx.repo)
    stale = find_stale(flags, today, ctx.repo, rel)
    findings = [f for item in stale for f in _stale(item)]
    evidence = [
        f"{rel}: {len(flags.flags)} flag(s) as code ({_counts(flags)}), environments: "
        f"{', '.join(flags.environments()) or 'none'}",
        *sdk_lines,
    ]
    if not hits:
        evidence.append("no flag SDK import found: the flags are evaluated by secloop (OpenFeature provider)")
    evidence += [f"{i.path}:{i.flag.line}: '{i.flag.name}' stale: {i.reasons[0].detail}" for i in stale[:5]]
    via = f", read through {sdk_names(hits)}" if hits else ""
    if not flags.flags:
        return ctx.result(Status.PARTIAL, f"{rel} declares no flag yet{via}", evidence)
    if stale:
        return ctx.result(
            Status.PARTIAL,
            f"flags kept as code in {rel}{via}, but {len(stale)} of {len(flags.flags)} are stale "
            f"as of {today.isoformat()} (technical debt)",
            evidence,
            findings,
        )
    return ctx.result(Status.PASS, f"flags kept as code in {rel}{via}, none stale", evidence)


EVALUATORS: dict[str, Evaluator] = {"deploy.feature-toggles": evaluate_flags_as_code}
