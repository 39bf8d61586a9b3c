"""The analysis: rules over every element, answers from the model merged in, and question 4 measured.

Threat ids are content-addressed: a hash of the rule id and the element's key (its kind and id, never
its position), so reordering or reformatting the model keeps every id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from secloop.core.enums import Severity
from secloop.core.fingerprint import digest
from secloop.threatmodel.checks import element_index
from secloop.threatmodel.facts import Facts, ModelFacts
from secloop.threatmodel.loader import LoadedModel
from secloop.threatmodel.rulebook import Rulebook, ThreatRule
from secloop.threatmodel.schema import Category, Mitigation, Threat, ThreatStatus
from secloop.threatmodel.staleness import Staleness

if TYPE_CHECKING:
    from secloop.threatmodel.junit import Verification

STALE_RULE = "TM-MODEL-STALE"
RESOLVED = frozenset(
    {ThreatStatus.MITIGATED, ThreatStatus.ACCEPTED, ThreatStatus.TRANSFERRED, ThreatStatus.NOT_APPLICABLE}
)


def threat_id(rule_id: str, element_key: str) -> str:
    return "THREAT-" + digest(rule_id, element_key)[:10].upper()


@dataclass(frozen=True, slots=True)
class ThreatRecord:
    id: str
    rule_id: str | None
    title: str
    description: str
    category: Category
    severity: Severity
    target: str
    target_key: str
    target_kind: str
    status: ThreatStatus
    triaged: bool
    generated: bool
    line: int | None
    reason: str | None = None
    expires: date | None = None
    owner: str | None = None
    mitigations: tuple[Mitigation, ...] = ()
    suggested: tuple[str, ...] = ()
    cwe: tuple[int, ...] = ()
    capec: tuple[int, ...] = ()
    asvs: tuple[str, ...] = ()
    test_kind: str | None = None

    def expired(self, today: date) -> bool:
        return self.status is ThreatStatus.ACCEPTED and self.expires is not None and self.expires < today

    def unresolved(self, today: date) -> bool:
        return self.status not in RESOLVED or self.expired(today)

    @property
    def tests(self) -> tuple[str, ...]:
        return tuple(t for m in self.mitigations for t in m.tests)


@dataclass(frozen=True)
class Coverage:
    crossing_flows: tuple[str, ...]
    considered: tuple[str, ...]
    verified: tuple[str, ...]

    @property
    def share(self) -> float | None:
        if not self.crossing_flows:
            return None
        return len(self.verified) / len(self.crossing_flows)


@dataclass(frozen=True)
class Analysis:
    loaded: LoadedModel
    facts: ModelFacts
    threats: tuple[ThreatRecord, ...]
    coverage: Coverage
    tests: dict[str, bool | None]
    today: date
    staleness: Staleness | None = None
    verification: dict[str, Verification] | None = None  # threat id -> judged by a JUnit run

    def unmitigated(self, at_least: Severity = Severity.HIGH) -> tuple[ThreatRecord, ...]:
        return tuple(
            t for t in self.threats if t.status is ThreatStatus.OPEN and t.severity.at_least(at_least)
        )

    @property
    def expired(self) -> tuple[ThreatRecord, ...]:
        return tuple(t for t in self.threats if t.expired(self.today))

    def gate(self, fail_on: Severity | None = Severity.HIGH) -> tuple[bool, tuple[str, ...]]:
        reasons: list[str] = []
        if fail_on is not None:
            open_ = self.unmitigated(fail_on)
            if open_:
                reasons.append(
                    f"{len(open_)} open threat(s) at or above {fail_on.value}: "
                    + ", ".join(t.id for t in open_[:5])
                    + (" …" if len(open_) > 5 else "")
                )
        for t in self.expired:
            reasons.append(f"{t.id}: risk acceptance expired on {t.expires}")
        if self.staleness is not None and self.staleness.stale:
            reasons.append(f"{STALE_RULE}: the model is stale: {self.staleness.reason}")
        return not reasons, tuple(reasons)


@dataclass(frozen=True, slots=True)
class _RuleParts:
    """What every threat of one rule shares, built once per rule rather than once per threat."""

    suggested: tuple[str, ...]
    cwe: tuple[int, ...]
    capec: tuple[int, ...]
    asvs: tuple[str, ...]
    reason: str | None


_PARTS: dict[str, tuple[object, _RuleParts]] = {}


def _parts(rule: ThreatRule) -> _RuleParts:
    cached = _PARTS.get(rule.id)
    if cached is not None and cached[0] is rule.spec:
        return cached[1]
    spec = rule.spec
    stated = spec.mitigated_when
    parts = _RuleParts(
        tuple(spec.mitigations),
        tuple(spec.cwe),
        tuple(spec.capec),
        tuple(spec.asvs),
        "the model states the control (" + _stated(stated) + ")" if stated is not None else None,
    )
    _PARTS[rule.id] = (spec, parts)
    return parts


def _generated(
    rule: ThreatRule, kind: str, target: str, key: str, line: int | None, facts: Facts | None = None
) -> ThreatRecord:
    spec = rule.spec
    parts = _parts(rule)
    mitigated = facts is not None and rule.mitigated is not None and rule.mitigated(facts)
    return ThreatRecord(
        threat_id(rule.id, key),
        rule.id,
        spec.title,
        spec.description,
        spec.category,
        spec.severity,
        target,
        key,
        kind,
        ThreatStatus.MITIGATED if mitigated else ThreatStatus.OPEN,
        False,
        True,
        line,
        parts.reason if mitigated else None,
        None,
        None,
        (),
        parts.suggested,
        parts.cwe,
        parts.capec,
        parts.asvs,
        spec.test,
    )


def _stated(cond: object) -> str:
    """A condition as short text for people: 'authenticated = true or rate_limited = true'."""
    if not isinstance(cond, dict):
        return str(cond)
    for joiner in ("all", "any"):
        if joiner in cond:
            return (" and " if joiner == "all" else " or ").join(_stated(c) for c in cond[joiner])
    if "not" in cond:
        return f"not ({_stated(cond['not'])})"
    fact = cond.get("fact")
    op, value = next((k, v) for k, v in cond.items() if k != "fact")
    shown = str(value).lower() if isinstance(value, bool) else value
    symbol = {"equals": "=", "not_equals": "!=", "at_least": ">=", "below": "<"}.get(op, op.replace("_", " "))
    return f"{fact} {symbol} {shown}"


def _evaluate(rules: Iterable[ThreatRule], facts: Facts, pii: bool) -> Iterable[ThreatRule]:
    for rule in rules:
        if rule.linddun and not pii:
            continue
        if rule.matches(facts):
            yield rule


def find_threats(loaded: LoadedModel, facts: ModelFacts, rulebook: Rulebook) -> list[ThreatRecord]:
    """Every threat a rule finds on the model's components and flows (all still open)."""
    found: list[ThreatRecord] = []
    by_kind = {kind: rulebook.for_kind(kind) for kind in ("process", "data-store", "external-entity", "flow")}
    for component in loaded.model.components:
        key = f"component:{component.id}"
        kind = component.kind.value
        element = facts.component(component.id)
        pii = bool(element.own.get("handles_pii"))
        line = loaded.line_of(key)
        found += [
            _generated(r, kind, component.id, key, line, element)
            for r in _evaluate(by_kind[kind], element, pii)
        ]
    for flow in loaded.model.flows:
        key = f"flow:{flow.key}"
        element = facts.flow_facts[flow.key]
        pii = bool(element.own.get("carries_pii"))
        line = loaded.line_of(key)
        found += [
            _generated(r, "flow", flow.key, key, line, element)
            for r in _evaluate(by_kind["flow"], element, pii)
        ]
    return found


def _answer(record: ThreatRecord, entry: Threat, line: int | None) -> ThreatRecord:
    return ThreatRecord(
        id=record.id,
        rule_id=record.rule_id,
        title=entry.title or record.title,
        description=entry.description or record.description,
        category=entry.category or record.category,
        severity=entry.severity or record.severity,
        target=record.target,
        target_key=record.target_key,
        target_kind=record.target_kind,
        status=entry.status,
        triaged=True,
        generated=record.generated,
        line=line,
        reason=entry.reason,
        expires=entry.expires,
        owner=entry.owner,
        mitigations=tuple(entry.mitigations),
        suggested=record.suggested,
        cwe=record.cwe,
        capec=record.capec,
        asvs=record.asvs,
        test_kind=record.test_kind,
    )


def _kind_of(key: str, facts: ModelFacts) -> str:
    section, _, ident = key.partition(":")
    if section == "component":
        return str(facts.endpoints[ident]["kind"])
    return section


def merge_answers(
    loaded: LoadedModel, facts: ModelFacts, rulebook: Rulebook, found: list[ThreatRecord]
) -> list[ThreatRecord]:
    """The model's threat entries answer generated threats (rule + target) or add their own."""
    index = element_index(loaded.model)
    by_pair = {(t.rule_id, t.target_key): t for t in found}
    answered: dict[str, ThreatRecord] = {}
    extra: list[ThreatRecord] = []
    for i, entry in enumerate(loaded.model.threats):
        key = index[entry.target]
        line = loaded.line_of(f"threat:{i}")
        if entry.rule is not None:
            base = by_pair.get((entry.rule, key))
            if base is None:
                # The rule does not fire on this element (any more), but the model says it applies.
                base = _generated(rulebook.get(entry.rule), _kind_of(key, facts), entry.target, key, line)
                base = replace(base, generated=False)
            answered[base.id] = _answer(base, entry, line)
            continue
        assert entry.title is not None and entry.category is not None and entry.severity is not None
        ident = entry.id or "THREAT-" + digest("model", key, entry.title)[:10].upper()
        extra.append(
            ThreatRecord(
                id=ident,
                rule_id=None,
                title=entry.title,
                description=entry.description or entry.title,
                category=entry.category,
                severity=entry.severity,
                target=entry.target,
                target_key=key,
                target_kind=_kind_of(key, facts),
                status=entry.status,
                triaged=True,
                generated=False,
                line=line,
                reason=entry.reason,
                expires=entry.expires,
                owner=entry.owner,
                mitigations=tuple(entry.mitigations),
            )
        )
    merged = [answered.pop(t.id, t) for t in found] + list(answered.values()) + extra
    return sorted(merged, key=lambda t: (t.line or 0, t.target_key, t.rule_id or "", t.id))


def linked_test_exists(root: Path, ref: str) -> bool:
    """'tests/test_x.py' or 'tests/test_x.py::test_name' (or ::Class::test) exists under ``root``."""
    path, _, rest = ref.partition("::")
    file = root / path
    if not file.is_file():
        return False
    if not rest:
        return True
    name = rest.split("::")[-1].split("[")[0]
    text = file.read_text("utf-8", "replace")
    return f"def {name}(" in text or f"class {name}" in text


def coverage_of(
    facts: ModelFacts, threats: Iterable[ThreatRecord], tests: dict[str, bool | None]
) -> Coverage:
    by_flow: dict[str, list[ThreatRecord]] = defaultdict(list)
    for t in threats:
        if t.target_kind == "flow":
            by_flow[t.target].append(t)
    crossing = tuple(f.key for f in facts.model.flows if facts.crosses(f))
    considered = tuple(k for k in crossing if by_flow[k])
    verified = tuple(
        k for k in considered if any(tests.get(ref) is not False for t in by_flow[k] for ref in t.tests)
    )
    return Coverage(crossing, considered, verified)


def analyse(loaded: LoadedModel, rulebook: Rulebook, *, today: date, root: Path | None = None) -> Analysis:
    facts = ModelFacts(loaded.model)
    threats = merge_answers(loaded, facts, rulebook, find_threats(loaded, facts, rulebook))
    refs = sorted({ref for t in threats for ref in t.tests})
    tests: dict[str, bool | None] = {
        ref: (linked_test_exists(root, ref) if root is not None else None) for ref in refs
    }
    return Analysis(loaded, facts, tuple(threats), coverage_of(facts, threats, tests), tests, today)
