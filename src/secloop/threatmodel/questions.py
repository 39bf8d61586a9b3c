"""The Threat Modeling Manifesto's four questions, answered from an analysis, and threats as findings."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from secloop.core.enums import Confidence, Severity
from secloop.core.fingerprint import keyed_fingerprint
from secloop.core.model import Finding, Location, Suppression
from secloop.threatmodel.engine import Analysis, ThreatRecord
from secloop.threatmodel.rules import MODEL_STALE, MODEL_THREAT
from secloop.threatmodel.schema import ThreatStatus

QUESTIONS = (
    "what are we working on",
    "what can go wrong",
    "what are we going to do about it",
    "did we do a good enough job",
)


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    summary: str


def _q1(a: Analysis) -> Answer:
    model = a.loaded.model
    scope = model.system.scope
    parts = (
        f"{len(model.components)} component(s), {len(model.actors)} actor(s), {len(model.flows)} flow(s), "
        f"{len(model.data_assets)} data asset(s), {len(model.trust_boundaries)} trust boundar"
        f"{'y' if len(model.trust_boundaries) == 1 else 'ies'}"
    )
    if scope is None or not scope.in_scope:
        return Answer(QUESTIONS[0], False, f"no scope: system.scope.in is empty ({parts})")
    if not model.components:
        return Answer(QUESTIONS[0], False, "the model has no components")
    return Answer(QUESTIONS[0], True, f"scope: {'; '.join(scope.in_scope)} ({parts})")


def _q2(a: Analysis) -> Answer:
    if not a.threats:
        return Answer(QUESTIONS[1], False, "no threats: no rule matched and none is written by hand")
    generated = sum(1 for t in a.threats if t.generated)
    by_category = Counter(t.category.value for t in a.threats)
    shown = ", ".join(f"{n} {c}" for c, n in sorted(by_category.items()))
    return Answer(
        QUESTIONS[1],
        True,
        f"{len(a.threats)} threat(s): {generated} found by rules, {len(a.threats) - generated} written "
        f"by hand ({shown})",
    )


def untriaged(a: Analysis) -> tuple[ThreatRecord, ...]:
    """Open threats found by a rule that the model does not answer yet."""
    return tuple(t for t in a.threats if not t.triaged and t.status is ThreatStatus.OPEN)


def _q3(a: Analysis) -> Answer:
    by_status = Counter(t.status.value for t in a.threats)
    shown = ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) or "no threats"
    waiting = untriaged(a)
    if not a.threats:
        return Answer(QUESTIONS[2], False, "nothing to decide: there are no threats")
    if waiting:
        return Answer(
            QUESTIONS[2],
            False,
            f"{len(waiting)} threat(s) found by rules have no decision in the model yet ({shown})",
        )
    return Answer(QUESTIONS[2], True, f"every threat has a status ({shown})")


def _q4(a: Analysis) -> Answer:
    cov = a.coverage
    share = cov.share
    if share is None:
        return Answer(
            QUESTIONS[3],
            False,
            "coverage cannot be computed: no flow crosses a trust boundary (declare trust_boundaries)",
        )
    high = a.unmitigated()
    text = (
        f"coverage {share:.0%}: {len(cov.verified)} of {len(cov.crossing_flows)} boundary-crossing flow(s) "
        f"have a threat considered and a verifying test; {len(high)} open high/critical threat(s)"
    )
    if a.expired:
        text += f"; {len(a.expired)} risk acceptance(s) expired"
    if a.staleness is not None and a.staleness.stale:
        return Answer(QUESTIONS[3], False, f"{text}; the model is stale: {a.staleness.reason}")
    return Answer(QUESTIONS[3], True, text)


def four_questions(a: Analysis) -> tuple[Answer, Answer, Answer, Answer]:
    return (_q1(a), _q2(a), _q3(a), _q4(a))


def finding(a: Analysis, t: ThreatRecord) -> Finding:
    """A threat as a secloop finding at its line of the model; resolved threats carry their decision."""
    rule_id = t.rule_id or MODEL_THREAT.id
    suppression = None
    if t.status is not ThreatStatus.OPEN and not t.expired(a.today):
        reason = t.reason or "; ".join(m.description for m in t.mitigations) or t.status.value
        suppression = Suppression(
            kind="inline",
            reason=f"{t.status.value}: {reason}",
            expires=t.expires,
            source=f"{a.loaded.path}:{t.line}" if t.line is not None else a.loaded.path,
        )
    properties = [
        ("threat_id", t.id),
        ("category", t.category.value),
        ("framework", t.category.framework),
        ("status", t.status.value),
        ("target", t.target),
    ]
    if t.capec:
        properties.append(("capec", ", ".join(f"CAPEC-{n}" for n in t.capec)))
    if t.asvs:
        properties.append(("asvs", ", ".join(t.asvs)))
    return Finding(
        rule_id=rule_id,
        severity=t.severity,
        confidence=Confidence.MEDIUM,
        message=f"{t.id}: {t.title} ({t.target_kind} '{t.target}')",
        locations=(Location(a.loaded.path, t.line),),
        fingerprint=keyed_fingerprint(rule_id, t.target_key, t.id),
        properties=tuple(properties),
        fix=" ".join(t.suggested) if t.suggested else None,
        suppression=suppression,
    )


def open_findings(a: Analysis, at_least: Severity = Severity.INFO) -> tuple[Finding, ...]:
    """Findings for the threats still to be dealt with: open ones and expired acceptances."""
    return tuple(finding(a, t) for t in a.threats if t.unresolved(a.today) and t.severity.at_least(at_least))


def stale_findings(a: Analysis) -> tuple[Finding, ...]:
    """TM-MODEL-STALE at the model's system section when the code it names moved on without it."""
    st = a.staleness
    if st is None or not st.stale:
        return ()
    parts = [st.reason]
    if st.components:
        parts.append("components whose code changed: " + ", ".join(st.components))
    if st.files:
        parts.append("e.g. " + ", ".join(st.files[:5]))
    return (
        Finding(
            rule_id=MODEL_STALE.id,
            severity=MODEL_STALE.severity,
            confidence=Confidence.MEDIUM,
            message="the threat model is stale: " + "; ".join(parts),
            locations=(Location(a.loaded.path, a.loaded.line_of("system:scope")),),
            fingerprint=keyed_fingerprint(MODEL_STALE.id, a.loaded.path),
            properties=(("commits", str(st.commits)), ("days", f"{st.days:g}")),
        ),
    )
