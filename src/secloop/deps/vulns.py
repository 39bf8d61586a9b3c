"""Pinned packages against the advisory database: one DEP-VULN finding per package version and
vulnerability (advisories that alias one another are one vulnerability)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from secloop.core.enums import Severity
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, Skipped
from secloop.deps.db import AdvisoryDB, import_hint
from secloop.deps.match import evaluate, minimal_fix
from secloop.deps.model import Package
from secloop.deps.osv import Affected
from secloop.deps.rules import DEP_VULN
from secloop.deps.severity import Rated, rate


def _id_rank(advisory_id: str) -> tuple[int, str]:
    if advisory_id.startswith("GHSA-"):
        return (0, advisory_id)
    if advisory_id.startswith("PYSEC-"):
        return (1, advisory_id)
    if advisory_id.startswith("CVE-"):
        return (3, advisory_id)
    return (2, advisory_id)


def canonical_id(ids: Iterable[str]) -> str:
    """GHSA first, then PYSEC, then other databases, CVE last; the same vulnerability keeps its id
    whichever of its records the database holds, so its fingerprint survives imports."""
    return min(ids, key=_id_rank)


def merge_aliases(items: Sequence[Affected]) -> list[list[Affected]]:
    """Group advisories that share an id or alias (transitively)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for item in items:
        root = find(item.advisory.id)
        for alias in item.advisory.aliases:
            other = find(alias)
            if other != root:
                parent[other] = root
    groups: dict[str, list[Affected]] = {}
    for item in items:
        groups.setdefault(find(item.advisory.id), []).append(item)
    return sorted(groups.values(), key=lambda g: canonical_id(_ids(g)))


def _ids(group: Sequence[Affected]) -> set[str]:
    return {i for item in group for i in (item.advisory.id, *item.advisory.aliases)}


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """One vulnerability of one package version: the merged advisories and what fixes it."""

    ecosystem: str
    name: str
    version: str
    id: str
    records: tuple[str, ...]
    aliases: tuple[str, ...]
    summary: str
    rated: Rated
    fixed: str | None
    upgrade: str | None
    modified: str


def _direct_label(places: Sequence[Package]) -> str:
    values = {p.direct for p in places}
    if True in values:
        return "direct"
    return "transitive" if values == {False} else "unknown"


def to_finding(vuln: Vulnerability, places: Sequence[Package]) -> Finding:
    label = f"{vuln.name} {vuln.version}"
    others = ", ".join(i for i in (*vuln.records, *vuln.aliases) if i != vuln.id)
    message = f"{label} is affected by {vuln.id}" + (f" ({others})" if others else "")
    if vuln.summary:
        message += f": {vuln.summary}"
    if vuln.fixed:
        fix = f"upgrade {vuln.name} to {vuln.fixed} or later"
        if vuln.upgrade and vuln.upgrade != vuln.fixed:
            fix += f"; {vuln.upgrade} clears every known advisory of {vuln.name}"
        elif vuln.upgrade:
            fix += " (it clears every known advisory of the package)"
    else:
        fix = f"no fixed version of {vuln.name} is known: replace it, or suppress with a reason and an expiry"
    properties = (
        ("ecosystem", vuln.ecosystem),
        ("package", vuln.name),
        ("version", vuln.version),
        ("advisory", vuln.id),
        ("records", ", ".join(vuln.records)),
        ("aliases", ", ".join(vuln.aliases)),
        ("severity_source", vuln.rated.source),
        ("fixed", vuln.fixed or ""),
        ("upgrade", vuln.upgrade or ""),
        ("dependency", _direct_label(places)),
        ("modified", vuln.modified),
    )
    return Finding(
        rule_id=DEP_VULN.id,
        severity=vuln.rated.severity,
        confidence=DEP_VULN.confidence,
        message=message,
        locations=tuple(Location(p.path, p.line) for p in places),
        fingerprint=keyed_fingerprint(DEP_VULN.id, vuln.ecosystem, vuln.name, vuln.version, vuln.id),
        properties=properties,
        fix=fix,
    )


def vulnerabilities(
    ecosystem: str, name: str, version: str, entries: Sequence[Affected]
) -> tuple[list[Vulnerability], list[str]]:
    """The vulnerabilities affecting one package version, and why any advisory could not be decided."""
    hits: list[Affected] = []
    problems: list[str] = []
    for item in entries:
        verdict = evaluate(ecosystem, version, item)
        if verdict.affected:
            hits.append(item)
        elif verdict.affected is None:
            problems.append(f"{item.advisory.id}: {verdict.reason}")
    if not hits:
        return [], problems
    upgrade = minimal_fix(ecosystem, version, entries)
    found: list[Vulnerability] = []
    for group in merge_aliases(hits):
        ids = _ids(group)
        primary = canonical_id(ids)
        records = tuple(sorted({g.advisory.id for g in group}, key=_id_rank))
        aliases = tuple(sorted(ids - set(records) - {primary}, key=_id_rank))
        ratings = [rate(g.advisory) for g in group]
        worst = max(ratings, key=lambda r: (r.severity.rank, r.score or 0.0))
        best_record = min(group, key=lambda g: _id_rank(g.advisory.id))
        found.append(
            Vulnerability(
                ecosystem,
                name,
                version,
                primary,
                records,
                aliases,
                best_record.advisory.summary,
                worst,
                minimal_fix(ecosystem, version, group, entries),
                upgrade,
                max(g.advisory.modified for g in group),
            )
        )
    return found, problems


@dataclass(frozen=True, slots=True)
class Checked:
    findings: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]
    checked: int  # distinct package versions looked up in the database


def check(packages: Sequence[Package], db: AdvisoryDB) -> Checked:
    by_key: dict[tuple[str, str, str], list[Package]] = {}
    for pkg in packages:
        by_key.setdefault(pkg.key, []).append(pkg)
    findings: list[Finding] = []
    skipped: list[Skipped] = []
    uncovered: dict[tuple[str, str], int] = {}
    checked = 0
    for (ecosystem, name, version), places in sorted(by_key.items()):
        if not db.covers(ecosystem):
            for place in places:
                uncovered[(place.path, ecosystem)] = uncovered.get((place.path, ecosystem), 0) + 1
            continue
        checked += 1
        vulns, problems = vulnerabilities(ecosystem, name, version, db.lookup(ecosystem, name))
        findings.extend(to_finding(v, places) for v in vulns)
        if problems:
            first = places[0]
            reason = f"{name} {version}: {len(problems)} advisory(ies) could not be decided: " + "; ".join(
                problems[:3]
            )
            skipped.append(Skipped(first.path, reason, first.line))
    for (path, ecosystem), count in sorted(uncovered.items()):
        skipped.append(
            Skipped(
                path,
                f"{count} {ecosystem} package(s) not checked: the advisory database holds no {ecosystem} "
                f"advisories; {import_hint(ecosystem)}",
            )
        )
    return Checked(tuple(sorted(findings, key=Finding.sort_key)), tuple(skipped), checked)


def worst(findings: Iterable[Finding]) -> Severity | None:
    ranked = [f.severity for f in findings]
    return max(ranked, key=lambda s: s.rank) if ranked else None
