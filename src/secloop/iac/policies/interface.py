"""The policy seam: a `Policy` is a rule, the resource types it reads and a check function.

Checks implement only the resource level; the engine shares the traversal. A check that meets an
expression it cannot resolve (``${var.x}`` without a default, `!GetAtt`) says nothing: a missed
finding is better than a false one. Cross-resource checks go through `Project`, which knows the
resources of the same Terraform module instance, CloudFormation template or Kubernetes folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from secloop.core.enums import Confidence, Severity, Stage
from secloop.core.rules import Rule
from secloop.iac.model import Framework, Resource, Violation
from secloop.iac.terraform import resource_ref
from secloop.sources.yaml_lines import YamlMap


class Project:
    """The resources scanned together, with the lookups connection-aware checks need."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = tuple(resources)
        self._by_scope: dict[tuple[str, str], dict[str, list[Resource]]] = {}
        self._by_address: dict[tuple[str, str], dict[str, Resource]] = {}
        for r in self.resources:
            scope = self.scope(r)
            self._by_scope.setdefault(scope, {}).setdefault(r.type, []).append(r)
            self._by_address.setdefault(scope, {})[self.local_address(r)] = r

    @staticmethod
    def local_address(resource: Resource) -> str:
        if resource.framework is Framework.TERRAFORM:
            return (
                f"{resource.type}.{resource.name}" if resource.type != "module" else f"module.{resource.name}"
            )
        return resource.address

    def scope(self, resource: Resource) -> tuple[str, str]:
        """Terraform: folder and module-instance prefix; CloudFormation: the template; else the folder."""
        if resource.framework is Framework.TERRAFORM:
            local = self.local_address(resource) + resource.index
            return resource.module, resource.address.removesuffix(local)
        if resource.framework is Framework.CLOUDFORMATION:
            return resource.path, ""
        return resource.module, resource.framework.value

    def related(self, resource: Resource, *types: str) -> list[Resource]:
        kinds = self._by_scope.get(self.scope(resource), {})
        return [r for t in types for r in kinds.get(t, [])]

    def lookup(self, resource: Resource, address: str) -> Resource | None:
        return self._by_address.get(self.scope(resource), {}).get(address)

    def points_at(self, value: Any, target: Resource, name_attr: str | None = None) -> bool:
        """Whether ``value`` refers to ``target``: a Terraform reference, a CloudFormation `Ref` or
        `GetAtt`, or the same literal name as the target's ``name_attr``."""
        if isinstance(value, list):
            return any(self.points_at(v, target, name_attr) for v in value)
        if target.framework is Framework.TERRAFORM:
            if resource_ref(value) == self.local_address(target):
                return True
        elif isinstance(value, YamlMap):
            ref = value.get("Ref")
            att = value.get("Fn::GetAtt")
            if ref == target.name or (isinstance(att, list) and att[:1] == [target.name]):
                return True
        if name_attr is not None and isinstance(value, str) and not value.startswith("${"):
            return target.body.get(name_attr) == value
        return False

    def referrers(
        self, target: Resource, types: Iterable[str], attr: str, name_attr: str | None = None
    ) -> list[Resource]:
        return [
            r for r in self.related(target, *types) if self.points_at(r.body.get(attr), target, name_attr)
        ]


Check = Callable[[Resource, Project], Iterator[Violation]]


@dataclass(frozen=True)
class Policy:
    rule: Rule
    framework: Framework
    types: frozenset[str]
    check: Check
    #: what identifies a finding after the rule id and the path; default: (address, attribute)
    key: Callable[[Violation], tuple[str, ...]] | None = field(default=None)

    def fingerprint_key(self, v: Violation) -> tuple[str, ...]:
        return self.key(v) if self.key is not None else (v.resource.address, v.attribute)


def policy(rule: Rule, framework: Framework, types: Iterable[str], check: Check) -> Policy:
    return Policy(rule, framework, frozenset(types), check)


# -- value helpers ------------------------------------------------------------------------------


def unknown(value: Any) -> bool:
    """An expression we could not resolve: a Terraform ``${…}`` or a CloudFormation intrinsic."""
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, YamlMap) and len(value) == 1:
        key = next(iter(value))
        return isinstance(key, str) and (key == "Ref" or key.startswith("Fn::"))
    return False


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def falsy(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def blocks(body: Any, key: str) -> list[YamlMap]:
    """Nested blocks (a Terraform list of mappings) or a single mapping, as a list."""
    value = body.get(key) if isinstance(body, YamlMap) else None
    if isinstance(value, YamlMap):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, YamlMap)]
    return []


def dig(body: Any, *keys: str) -> Any:
    """Follow keys through mappings and first blocks; None when a step is missing."""
    value = body
    for key in keys:
        if isinstance(value, list):
            value = value[0] if value else None
        if not isinstance(value, YamlMap):
            return None
        value = value.get(key)
    return value


def has_block(body: YamlMap, key: str) -> bool:
    """A static or `dynamic` block of that type (a dynamic one may exist: it counts)."""
    return key in body or f"dynamic:{key}" in body


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def line_of(body: YamlMap, key: str, default: int) -> int:
    return body.key_lines.get(key, default)


def violation(
    resource: Resource, attribute: str, line: int, message: str, severity: Severity | None = None
) -> Violation:
    return Violation(resource, attribute, line, message, severity)


def iac_rule(
    rule_id: str,
    title: str,
    severity: Severity,
    description: str,
    fix: str,
    cwe: tuple[int, ...],
    *tags: str,
    confidence: Confidence = Confidence.HIGH,
) -> Rule:
    """A build-stage rule of the IaC engine."""
    return Rule(
        id=rule_id,
        title=title,
        stage=Stage.BUILD,
        severity=severity,
        confidence=confidence,
        description=description,
        fix=fix,
        cwe=cwe,
        tags=("iac", *tags),
    )
