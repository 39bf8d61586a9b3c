"""Per-advisory ignores from `.secloop/deps.toml`: each names an advisory (or alias) and a package, a
reason and an expiry. A live ignore becomes a suppression the central policy applies (the finding
stays in the report, marked); an expired one applies to nothing and is itself a finding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from secloop.core.config import SuppressionEntry
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, Suppression
from secloop.deps.model import normalise_name
from secloop.deps.rules import DEP_IGNORE_EXPIRED, DEP_VULN
from secloop.deps.settings import Ignore, LoadedSettings


@dataclass(frozen=True, slots=True)
class Applied:
    entries: tuple[tuple[SuppressionEntry, str], ...]  # for the central policy
    findings: tuple[Finding, ...]  # the input findings, those ignored marked with their suppression
    expired: tuple[Finding, ...]  # DEP-IGNORE-EXPIRED
    unused: tuple[str, ...]  # live ignores that matched nothing (evidence)


def _ids(finding: Finding) -> set[str]:
    props = dict(finding.properties)
    ids = {props.get("advisory", "")}
    for key in ("records", "aliases"):
        ids |= {i.strip() for i in props.get(key, "").split(",") if i.strip()}
    return {i.upper() for i in ids if i}


def _matches(ignore: Ignore, finding: Finding) -> bool:
    props = dict(finding.properties)
    ecosystem = props.get("ecosystem", "")
    return (
        finding.rule_id == DEP_VULN.id
        and normalise_name(ecosystem, ignore.package) == props.get("package")
        and ignore.id.upper() in _ids(finding)
    )


def apply_ignores(findings: Sequence[Finding], loaded: LoadedSettings, today: date) -> Applied:
    source = loaded.path or ".secloop/deps.toml"
    entries: list[tuple[SuppressionEntry, str]] = []
    expired: list[Finding] = []
    unused: list[str] = []
    marked = list(findings)
    for n, ignore in enumerate(loaded.settings.ignore):
        line = loaded.ignore_lines[n] if n < len(loaded.ignore_lines) else None
        where = f"{source}:{line}" if line else source
        if ignore.expires < today:
            expired.append(
                Finding(
                    rule_id=DEP_IGNORE_EXPIRED.id,
                    severity=DEP_IGNORE_EXPIRED.severity,
                    confidence=DEP_IGNORE_EXPIRED.confidence,
                    message=(
                        f"the ignore of {ignore.id} for {ignore.package} expired on {ignore.expires} "
                        f"(reason was: {ignore.reason}); it no longer applies"
                    ),
                    locations=(Location(source, line),),
                    fingerprint=keyed_fingerprint(DEP_IGNORE_EXPIRED.id, ignore.id.upper(), ignore.package),
                    properties=(
                        ("advisory", ignore.id),
                        ("package", ignore.package),
                        ("expired", str(ignore.expires)),
                    ),
                    fix=DEP_IGNORE_EXPIRED.fix,
                )
            )
            continue
        hit = False
        for i, finding in enumerate(marked):
            if finding.suppression is None and _matches(ignore, finding):
                hit = True
                reason = f"{ignore.id} ignored: {ignore.reason}"
                entries.append(
                    (
                        SuppressionEntry(
                            rule=DEP_VULN.id,
                            fingerprint=finding.fingerprint,
                            reason=reason,
                            expires=ignore.expires,
                        ),
                        where,
                    )
                )
                marked[i] = finding.with_policy(
                    Suppression("config", reason, ignore.expires, where), finding.baseline_state
                )
        if not hit:
            unused.append(f"{where}: the ignore of {ignore.id} for {ignore.package} matches no finding")
    return Applied(tuple(entries), tuple(marked), tuple(expired), tuple(unused))
