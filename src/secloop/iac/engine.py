"""Run the policies over one unit of files: parse each file alone, resolve Terraform modules, check.

A unit is what must be read together: the files of one folder, joined with the folders its local
Terraform modules live in. `run_unit` is a plain function of (path, text) pairs so units can run in
worker processes; what it returns is plain data, turned into `Finding`s by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from secloop.core.enums import Severity
from secloop.core.model import Skipped
from secloop.iac import terraform
from secloop.iac.model import Framework, ParsedFile, Resource, ResourceRef
from secloop.iac.parsers import parser_for
from secloop.iac.policies import POLICIES
from secloop.iac.policies.interface import Policy, Project

_BY_TYPE: dict[tuple[Framework, str], list[Policy]] = {}
for _p in POLICIES:
    for _t in _p.types:
        _BY_TYPE.setdefault((_p.framework, _t), []).append(_p)

# Rules whose matched line may hold a secret: shown without a snippet.
_NO_SNIPPET = frozenset({"IAC-DOCKER-SECRET-ENV"})
_SNIPPET_MAX = 160


@dataclass(frozen=True, slots=True)
class RawFinding:
    rule_id: str
    severity: Severity
    message: str
    path: str
    line: int
    key: tuple[str, ...]  # after rule id and path
    framework: Framework
    resource_type: str
    address: str
    snippet: str | None


@dataclass(frozen=True, slots=True)
class UnitResult:
    findings: tuple[RawFinding, ...]
    skipped: tuple[Skipped, ...]
    resources: tuple[ResourceRef, ...]
    files: tuple[tuple[str, Framework], ...]


def parse_files(files: Iterable[tuple[str, str]]) -> tuple[list[ParsedFile], list[Skipped]]:
    parsed: list[ParsedFile] = []
    skipped: list[Skipped] = []
    for path, text in files:
        parser = parser_for(path, text)
        if parser is None:
            continue
        try:
            result = parser.parse(path, text)
        except RecursionError:
            result = parser.malformed(path, "nested too deeply to read")
        parsed.append(result)
        skipped += result.skipped
    return parsed, skipped


def resolve(parsed: Sequence[ParsedFile]) -> list[Resource]:
    return resolve_with_notes(parsed)[0]


def resolve_with_notes(parsed: Sequence[ParsedFile]) -> tuple[list[Resource], list[Skipped]]:
    tf = [p for p in parsed if p.framework is Framework.TERRAFORM]
    others = [r for p in parsed if p.framework is not Framework.TERRAFORM for r in p.resources]
    resources, notes = terraform.resolve_with_notes(tf)
    return resources + others, notes


def check(resources: Sequence[Resource], texts: dict[str, str]) -> list[RawFinding]:
    project = Project(resources)
    found: list[RawFinding] = []
    lines: dict[str, list[str]] = {}
    for resource in resources:
        for policy in _BY_TYPE.get((resource.framework, resource.type), ()):
            for v in policy.check(resource, project):
                rule = policy.rule
                if resource.path not in lines:
                    lines[resource.path] = texts.get(resource.path, "").splitlines()
                text = lines[resource.path]
                snippet = None
                if rule.id not in _NO_SNIPPET and 0 < v.line <= len(text):
                    snippet = text[v.line - 1].strip()[:_SNIPPET_MAX]
                found.append(
                    RawFinding(
                        rule_id=rule.id,
                        severity=v.severity or rule.severity,
                        message=v.message,
                        path=resource.path,
                        line=v.line,
                        key=policy.fingerprint_key(v),
                        framework=resource.framework,
                        resource_type=resource.type,
                        address=resource.address,
                        snippet=snippet,
                    )
                )
    return found


def run_unit(files: Sequence[tuple[str, str]]) -> UnitResult:
    parsed, skipped = parse_files(files)
    resources, notes = resolve_with_notes(parsed)
    skipped += notes
    findings = check(resources, dict(files))
    refs = tuple(
        ResourceRef(r.framework, r.type, r.address, r.path, r.line)
        for r in resources
        if r.type not in ("module",) and not r.type.startswith("data.")
    )
    return UnitResult(
        tuple(findings),
        tuple(skipped),
        refs,
        tuple((p.path, p.framework) for p in parsed if p.resources or not p.skipped),
    )
