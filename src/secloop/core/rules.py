"""Rules are declared once, on the rule; docs anchors, SARIF rules[] and help URIs come from here."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from secloop.core.enums import Confidence, Severity, Stage

DOCS_BASE = "https://secloop.dev/docs/rules"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    stage: Stage
    severity: Severity
    confidence: Confidence
    description: str
    fix: str
    cwe: tuple[int, ...] = ()
    cicd_sec: tuple[int, ...] = ()
    asvs: tuple[str, ...] = ()
    tags: tuple[str, ...] = field(default=())

    @property
    def anchor(self) -> str:
        return self.id.lower()

    @property
    def help_uri(self) -> str:
        return f"{DOCS_BASE}#{self.anchor}"

    @property
    def references(self) -> tuple[str, ...]:
        refs = [f"CWE-{n}" for n in self.cwe]
        refs += [f"CICD-SEC-{n}" for n in self.cicd_sec]
        refs += [f"ASVS-{a}" for a in self.asvs]
        return tuple(refs)


class RuleRegistry:
    """An explicit, reviewable set of rules. Duplicate ids are a programming error."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> None:
        if rule.id in self._rules:
            raise ValueError(f"rule {rule.id} declared twice")
        if rule.id != rule.id.upper() or " " in rule.id:
            raise ValueError(f"rule id {rule.id!r} must be UPPER-KEBAB-CASE")
        self._rules[rule.id] = rule

    def get(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda r: r.id))

    def __len__(self) -> int:
        return len(self._rules)
