"""Operations of an OpenAPI 3 document and what each needs: security alternatives and parameters.

Security follows the specification: an operation's `security` replaces the document's; a list of
requirement objects is a list of alternatives; an empty list (`security: []`) or an empty object
among the alternatives (`- {}`) makes credentials optional, so the operation is not probed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secloop.core.errors import InputError, place_of
from secloop.sources.yaml_lines import YamlMap, load_yaml

METHODS = ("get", "head", "options", "post", "put", "patch", "delete", "trace")
_PARAM = re.compile(r"\{([^}/]+)\}")


@dataclass(frozen=True, slots=True)
class Scheme:
    name: str
    kind: str  # bearer | basic | apikey
    location: str  # header | query | cookie
    param: str  # header, query or cookie name


@dataclass(frozen=True, slots=True)
class Operation:
    method: str  # upper case
    path: str  # templated, e.g. /items/{id}
    operation_id: str | None
    alternatives: tuple[tuple[str, ...], ...]  # scheme names; each tuple is one way to authenticate
    optional: bool  # security: [] or an empty alternative
    path_values: tuple[tuple[str, str], ...]
    query_values: tuple[tuple[str, str], ...]
    line: int | None

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def secured(self) -> bool:
        return bool(self.alternatives) and not self.optional


@dataclass(frozen=True, slots=True)
class Spec:
    path: str
    operations: tuple[Operation, ...]
    schemes: dict[str, Scheme]
    unsupported: tuple[str, ...]  # schemes the probe cannot forge credentials for (mutualTLS)


def _ref(doc: dict[str, Any], node: Any, depth: int = 0) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 20:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return {}
        target: Any = doc
        for part in ref[2:].split("/"):
            target = (
                target.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(target, dict) else None
            )
        node, depth = target, depth + 1
    return node


def _example(doc: dict[str, Any], param: dict[str, Any]) -> str | None:
    if "example" in param:
        return str(param["example"])
    examples = param.get("examples")
    if isinstance(examples, dict):
        for item in examples.values():
            item = _ref(doc, item)
            if isinstance(item, dict) and "value" in item:
                return str(item["value"])
    schema = _ref(doc, param.get("schema"))
    if not isinstance(schema, dict):
        return None
    for key in ("example", "default"):
        if key in schema:
            return str(schema[key])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return str(schema["enum"][0])
    kind, fmt = schema.get("type"), schema.get("format")
    if fmt == "uuid":
        return "00000000-0000-4000-8000-000000000000"
    if fmt == "date":
        return "2026-01-01"
    if fmt == "date-time":
        return "2026-01-01T00:00:00Z"
    if kind in ("integer", "number"):
        minimum = schema.get("minimum")
        return str(minimum) if isinstance(minimum, int | float) and minimum > 1 else "1"
    if kind == "boolean":
        return "true"
    return None


def _schemes(doc: dict[str, Any]) -> tuple[dict[str, Scheme], tuple[str, ...]]:
    components = doc.get("components")
    raw = components.get("securitySchemes", {}) if isinstance(components, dict) else {}
    schemes: dict[str, Scheme] = {}
    unsupported: list[str] = []
    for name, node in (raw or {}).items():
        node = _ref(doc, node)
        if not isinstance(node, dict):
            continue
        kind = str(node.get("type", "")).lower()
        if kind == "http" and str(node.get("scheme", "")).lower() == "basic":
            schemes[name] = Scheme(name, "basic", "header", "Authorization")
        elif kind in ("http", "oauth2", "openidconnect"):
            schemes[name] = Scheme(name, "bearer", "header", "Authorization")
        elif kind == "apikey" and node.get("in") in ("header", "query", "cookie") and node.get("name"):
            schemes[name] = Scheme(name, "apikey", str(node["in"]), str(node["name"]))
        else:
            unsupported.append(str(name))
    return schemes, tuple(sorted(unsupported))


def _alternatives(security: Any) -> tuple[tuple[tuple[str, ...], ...], bool]:
    if not isinstance(security, list):
        return (), False
    if not security:
        return (), True
    alternatives: list[tuple[str, ...]] = []
    optional = False
    for requirement in security:
        if not isinstance(requirement, dict) or not requirement:
            optional = True
            continue
        alternatives.append(tuple(sorted(map(str, requirement))))
    return tuple(alternatives), optional


def operations_of(doc: dict[str, Any], path: str) -> Spec:
    if not isinstance(doc.get("paths"), dict):
        raise InputError("not an OpenAPI document: no `paths`", place=place_of(path, 1))
    version = str(doc.get("openapi", doc.get("swagger", "")))
    if not version.startswith("3"):
        raise InputError(
            f"only OpenAPI 3 is supported (found {version or 'no version'!r})", place=place_of(path, 1)
        )
    schemes, unsupported = _schemes(doc)
    global_security = doc.get("security")
    operations: list[Operation] = []
    for template, item in sorted(doc["paths"].items()):
        item = _ref(doc, item)
        if not isinstance(item, dict):
            continue
        shared = [p for p in item.get("parameters", []) if isinstance(p, dict)]
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            security = op.get("security", global_security)
            alternatives, optional = _alternatives(security)
            if "security" in op and op["security"] == []:
                optional = True
            params: dict[tuple[str, str], dict[str, Any]] = {}
            for raw in [*shared, *op.get("parameters", [])]:
                param = _ref(doc, raw)
                if isinstance(param, dict) and "name" in param:
                    params[(str(param.get("in")), str(param["name"]))] = param
            path_values = tuple(
                (name, value)
                for name in _PARAM.findall(str(template))
                if (value := _example(doc, params.get(("path", name), {}))) is not None
            )
            query_values = tuple(
                (name, value)
                for (where, name), param in sorted(params.items())
                if where == "query" and param.get("required") and (value := _example(doc, param)) is not None
            )
            line = item.line_of(method) if isinstance(item, YamlMap) else None
            operations.append(
                Operation(
                    method.upper(),
                    str(template),
                    str(op["operationId"]) if "operationId" in op else None,
                    alternatives,
                    optional,
                    path_values,
                    query_values,
                    line,
                )
            )
    return Spec(path, tuple(operations), schemes, unsupported)


def load_spec(text: str, path: str) -> Spec:
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON: {exc.msg}", place=place_of(path, exc.lineno, exc.colno)
            ) from None
    else:
        docs, skipped = load_yaml(text, path)
        if skipped is not None:
            raise InputError(skipped.reason, place=place_of(path, skipped.line, skipped.column))
        doc = docs[0] if docs else None
    if not isinstance(doc, dict):
        raise InputError("not an OpenAPI document: expected a mapping", place=place_of(path, 1))
    return operations_of(doc, path)


def read_spec(path: Path) -> Spec:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the OpenAPI document: {exc}", place=place_of(path)) from None
    return load_spec(text, str(path))
