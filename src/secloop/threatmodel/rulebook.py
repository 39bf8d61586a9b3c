"""Threat rules as data (`rules/*.toml`), with conditions interpreted here: no eval, no code in rules.

A condition is a small tree: `{all = [...]}`, `{any = [...]}`, `{not = {...}}`, or a test of one fact:
`{fact = "crosses_boundary", equals = true}`. The operators are equals, not_equals, in, not_in,
at_least and below (for ordered facts: classification and C-I-A ratings), is_set and contains_any
(substrings of a text fact, e.g. a technology). Fact names are checked against the vocabulary of
the element kind the rule applies to, so a misspelt fact fails when the rules load, not silently.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from secloop.core.enums import Severity
from secloop.threatmodel.facts import COMPONENT_FACTS, FLOW_FACTS, SCALES, Facts
from secloop.threatmodel.schema import Category
from secloop.threatmodel.testcode import KINDS

Predicate = Callable[[Facts], bool]
AppliesTo = Literal["flow", "process", "data-store", "external-entity", "component"]


def _known_test_kind(value: str) -> str:
    if value not in KINDS:
        raise ValueError(f"unknown test kind {value!r}; known: {', '.join(KINDS)}")
    return value


TestKind = Annotated[str, AfterValidator(_known_test_kind)]
OPERATORS = ("equals", "not_equals", "in", "not_in", "at_least", "below", "is_set", "contains_any")


class RuleFileError(ValueError):
    """A rule file is malformed: a bug in secloop's own data, caught by its tests."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ElementSpec(_Strict):
    kind: Literal["process", "data-store", "external-entity", "actor"] = "process"
    technology: str | None = None
    trusted: bool = False
    properties: dict[str, Any] = Field(default_factory=dict)


class FlowSpec(_Strict):
    protocol: str | None = "https"
    authentication: str | None = None
    encryption: str | None = None
    method: str = "GET"
    rate_limited: bool | None = None
    signed: bool | None = None
    replay_protection: bool | None = None
    certificate_validation: bool | None = None
    timeouts: bool | None = None


class DataSpec(_Strict):
    classification: str = "internal"
    pii: bool = False
    special_category: bool = False
    retention: str | None = None
    confidentiality: str = "low"
    integrity: str = "low"
    availability: str = "low"


class Example(_Strict):
    """A minimal model around the element a rule looks at; see `secloop.threatmodel.examples`."""

    target: ElementSpec | None = None
    flow: FlowSpec | None = None
    source: ElementSpec | None = None
    destination: ElementSpec | None = None
    crosses_boundary: bool = False
    exposed: bool = False
    data: list[DataSpec] = Field(default_factory=list)


class RuleSpec(_Strict):
    id: str = Field(pattern=r"^TM-[A-Z0-9]+(-[A-Z0-9]+)+$")
    title: str
    category: Category
    applies_to: AppliesTo
    severity: Severity
    description: str
    mitigations: list[str] = Field(min_length=1)
    cwe: list[int] = Field(default_factory=list)
    capec: list[int] = Field(default_factory=list)
    asvs: list[str] = Field(default_factory=list)
    test: TestKind | None = None
    when: dict[str, Any]
    mitigated_when: dict[str, Any] | None = None
    positive: Example
    negative: Example
    mitigated: Example | None = None


@dataclass(frozen=True)
class ThreatRule:
    spec: RuleSpec
    matches: Predicate
    mitigated: Predicate | None
    file: str

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def linddun(self) -> bool:
        return self.spec.category.framework == "LINDDUN"

    def applies(self, kind: str) -> bool:
        applies_to = self.spec.applies_to
        if applies_to == "component":
            return kind in ("process", "data-store", "external-entity")
        return applies_to == kind


def _getter(name: str) -> Callable[[Facts], Any]:
    if name.startswith("source."):
        rest = name[len("source.") :]
        return lambda f: f.source.get(rest)
    if name.startswith("destination."):
        rest = name[len("destination.") :]
        return lambda f: f.destination.get(rest)
    return lambda f: f.own.get(name)


def compile_condition(cond: Any, vocabulary: frozenset[str], where: str) -> Predicate:
    if not isinstance(cond, Mapping) or not cond:
        raise RuleFileError(f"{where}: a condition must be a non-empty table")
    if set(cond) <= {"all", "any"} and len(cond) == 1:
        (kind, items) = next(iter(cond.items()))
        if not isinstance(items, list) or not items:
            raise RuleFileError(f"{where}: '{kind}' needs a non-empty list of conditions")
        parts = [compile_condition(c, vocabulary, f"{where}.{kind}[{i}]") for i, c in enumerate(items)]
        return _fold(parts, conjunction=kind == "all")
    if set(cond) == {"not"}:
        inner = compile_condition(cond["not"], vocabulary, f"{where}.not")
        return lambda f: not inner(f)
    return _compile_test(dict(cond), vocabulary, where)


def _fold(parts: list[Predicate], *, conjunction: bool) -> Predicate:
    """Chain predicates pairwise (`a(f) and b(f)`): no generator per call on the hot path."""

    def pair(a: Predicate, b: Predicate) -> Predicate:
        if conjunction:
            return lambda f: a(f) and b(f)
        return lambda f: a(f) or b(f)

    combined = parts[-1]
    for part in reversed(parts[:-1]):
        combined = pair(part, combined)
    return combined


def _compile_test(cond: dict[str, Any], vocabulary: frozenset[str], where: str) -> Predicate:
    name = cond.pop("fact", None)
    if not isinstance(name, str):
        raise RuleFileError(f"{where}: expected all, any, not or a 'fact' test, got {sorted(cond)}")
    if name not in vocabulary:
        raise RuleFileError(f"{where}: unknown fact '{name}' for this kind of element")
    if len(cond) != 1 or next(iter(cond)) not in OPERATORS:
        raise RuleFileError(f"{where}: a fact test needs exactly one of {', '.join(OPERATORS)}")
    op, value = next(iter(cond.items()))
    get = _getter(name)
    if op == "equals":
        return lambda f: (v := get(f)) is not None and v == value
    if op == "not_equals":
        return lambda f: get(f) != value
    if op in ("in", "not_in", "contains_any"):
        if not isinstance(value, list) or not value:
            raise RuleFileError(f"{where}: '{op}' needs a non-empty list")
        options = frozenset(value)
        if op == "in":
            return lambda f: get(f) in options
        if op == "not_in":
            return lambda f: get(f) not in options
        return lambda f: isinstance(v := get(f), str) and any(o in v for o in options)
    if op == "is_set":
        return lambda f: (get(f) is not None) == bool(value)
    scale = SCALES.get(name.split(".")[-1])
    if scale is None or value not in scale:
        raise RuleFileError(f"{where}: '{op}' needs an ordered fact and one of its levels, got {value!r}")
    threshold = scale[value]
    if op == "at_least":
        return lambda f: (rank := scale.get(get(f) or "")) is not None and rank >= threshold
    return lambda f: (rank := scale.get(get(f) or "")) is not None and rank < threshold


def _load_file(name: str, text: str) -> Iterator[ThreatRule]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(f"rules/{name}: {exc}") from None
    for i, item in enumerate(raw.get("rule", [])):
        where = f"rules/{name}: rule[{i}] {item.get('id', '?')}"
        try:
            spec = RuleSpec.model_validate(item)
        except ValidationError as exc:
            raise RuleFileError(f"{where}: {exc}") from None
        vocabulary = FLOW_FACTS if spec.applies_to == "flow" else COMPONENT_FACTS
        if spec.category.framework == "LINDDUN" and spec.applies_to not in ("flow", "data-store"):
            raise RuleFileError(f"{where}: LINDDUN rules apply to flows and data stores only")
        if (spec.mitigated_when is None) != (spec.mitigated is None):
            raise RuleFileError(f"{where}: 'mitigated_when' and a 'mitigated' example go together")
        mitigated = (
            compile_condition(spec.mitigated_when, vocabulary, f"{where}.mitigated_when")
            if spec.mitigated_when is not None
            else None
        )
        yield ThreatRule(spec, compile_condition(spec.when, vocabulary, f"{where}.when"), mitigated, name)


@dataclass(frozen=True)
class Rulebook:
    rules: tuple[ThreatRule, ...]

    def __post_init__(self) -> None:
        ids = [r.id for r in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise RuleFileError(f"rule ids declared twice: {', '.join(duplicates)}")

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.rules)

    def get(self, rule_id: str) -> ThreatRule:
        return next(r for r in self.rules if r.id == rule_id)

    def for_kind(self, kind: str) -> tuple[ThreatRule, ...]:
        return tuple(r for r in self.rules if r.applies(kind))


def parse_rulebook(files: Mapping[str, str]) -> Rulebook:
    rules = [rule for name in sorted(files) for rule in _load_file(name, files[name])]
    return Rulebook(tuple(sorted(rules, key=lambda r: r.id)))


@cache
def load_rulebook() -> Rulebook:
    folder = resources.files("secloop.threatmodel") / "rules"
    files = {
        entry.name: entry.read_text("utf-8") for entry in folder.iterdir() if entry.name.endswith(".toml")
    }
    return parse_rulebook(files)
