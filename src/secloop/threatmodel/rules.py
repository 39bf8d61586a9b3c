"""Rules of the threatmodel engine as secloop `Rule`s: one per threat rule, plus hand-written threats.

The threat rules themselves are data (`rules/*.toml`); this module only presents them to the rest of
secloop (registry, SARIF `rules[]`, docs), declared once from that data.
"""

from __future__ import annotations

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule
from secloop.threatmodel.rulebook import ThreatRule, load_rulebook

MODEL_THREAT = Rule(
    id="TM-MODEL-THREAT",
    title="A threat written by hand in the threat model",
    stage=Stage.PLAN,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "A threat the team wrote into the model's `threats:` section without naming a rule. Its "
        "severity, category and status come from the model; it counts for the gate while it is open."
    ),
    fix=(
        "Mitigate it and link the tests that verify the mitigation, or record why it is accepted "
        "(with an expiry), transferred or not applicable."
    ),
    tags=("threat-model",),
)


MODEL_STALE = Rule(
    id="TM-MODEL-STALE",
    title="The threat model is stale: the code it describes changed since the model did",
    stage=Stage.PLAN,
    severity=Severity.MEDIUM,
    confidence=Confidence.MEDIUM,
    description=(
        "The model names its code (system.code, components[].code). Commits touching that code after the "
        "model's last commit reached the configured number, or the newest is older than the configured "
        "number of days after it: new components, flows and threats may be missing from the model."
    ),
    fix=(
        "Review the model against the changes (the check lists the changed files and components), update "
        "it and set system.reviewed; even an unchanged model is fresh again once committed."
    ),
    tags=("threat-model",),
)


def as_rule(rule: ThreatRule) -> Rule:
    spec = rule.spec
    return Rule(
        id=spec.id,
        title=spec.title,
        stage=Stage.PLAN,
        severity=spec.severity,
        confidence=Confidence.MEDIUM,
        description=f"{spec.description} ({spec.category.framework}: {spec.category.value})",
        fix=" ".join(spec.mitigations),
        cwe=tuple(spec.cwe),
        asvs=tuple(spec.asvs),
        tags=(
            "threat-model",
            spec.category.framework.lower(),
            spec.category.value,
            *(f"CAPEC-{n}" for n in spec.capec),
        ),
    )


RULES: tuple[Rule, ...] = (MODEL_THREAT, MODEL_STALE, *(as_rule(r) for r in load_rulebook().rules))
