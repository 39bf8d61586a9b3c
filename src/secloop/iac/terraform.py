"""Terraform modules: variables, locals and local modules resolved where they are static.

Every folder of `.tf` files is a module. A folder called by another folder's `module` block with a
local `source` is evaluated through each call, with that call's inputs, and its resources get the
address `module.<name>.<type>.<name>`; a folder nobody calls is a root, evaluated with its variables'
defaults and its automatically loaded `.tfvars`. Only whole references are substituted —
``${var.x}``, ``${local.y}``, ``${var.m["k"]}`` — and string templates whose parts all resolve to
scalars; anything else stays as written.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from secloop.iac.model import ParsedFile, Resource
from secloop.sources.yaml_lines import YamlMap

_REF = re.compile(
    r"\$\{\s*(var|local)\.([A-Za-z_][\w-]*)((?:\.[A-Za-z_][\w-]*|\[\s*(?:\"[^\"]*\"|\d+)\s*\])*)\s*\}"
)
_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[\s*(?:\"([^\"]*)\"|(\d+))\s*\]")
_RESOURCE_REF = re.compile(
    r"^\$\{\s*((?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)(?:\[[^\]]*\])?(?:\.[\w\-\[\]\"*]+)*\s*\}$"
)
_AUTO_TFVARS = re.compile(r"(^|/)(terraform\.tfvars|[^/]*\.auto\.tfvars)$")
_MAX_DEPTH = 8
_UNRESOLVED = object()


def resource_ref(value: Any) -> str | None:
    """The address a reference points at: ``${aws_s3_bucket.b.id}`` -> ``aws_s3_bucket.b``."""
    if not isinstance(value, str) or not value.startswith("${"):
        return None
    match = _RESOURCE_REF.match(value)
    if match is None:
        return None
    address = match.group(1)
    return None if address.startswith(("var.", "local.", "module.", "each.", "count.", "path.")) else address


def _walk(value: Any, steps: str) -> Any:
    for match in _STEP.finditer(steps):
        key = match.group(1) or match.group(2)
        if key is not None:
            if not isinstance(value, dict) or key not in value:
                return _UNRESOLVED
            value = value[key]
        else:
            index = int(match.group(3))
            if not isinstance(value, list) or index >= len(value):
                return _UNRESOLVED
            value = value[index]
    return value


class _Env:
    def __init__(self, variables: dict[str, Any], locals_: dict[str, Any]) -> None:
        self.scopes = {"var": variables, "local": locals_}

    def lookup(self, match: re.Match[str]) -> Any:
        scope = self.scopes[match.group(1)]
        if match.group(2) not in scope:
            return _UNRESOLVED
        return _walk(scope[match.group(2)], match.group(3))

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._string(value) if "${" in value else value
        if isinstance(value, YamlMap):
            out = YamlMap(value.line)
            out.key_lines = value.key_lines
            for key, item in value.items():
                out[key] = self.resolve(item)
            return out
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def _string(self, value: str) -> Any:
        whole = _REF.fullmatch(value)
        if whole is not None:
            found = self.lookup(whole)
            return value if found is _UNRESOLVED else found

        def scalar(match: re.Match[str]) -> str:
            found = self.lookup(match)
            if isinstance(found, bool):
                return "true" if found else "false"
            if isinstance(found, str | int | float) and "${" not in str(found):
                return str(found)
            return match.group(0)

        return _REF.sub(scalar, value)


class _Module:
    def __init__(self, folder: str, files: list[ParsedFile]) -> None:
        self.folder = folder
        self.resources = [r for f in files for r in f.resources]
        self.variables = [r for r in self.resources if r.type == "variable"]
        self.locals = [r for r in self.resources if r.type == "locals"]
        self.tfvars = [r for r in self.resources if r.type == "tfvars" and _AUTO_TFVARS.search(r.path)]

    def calls(self) -> list[tuple[Resource, str]]:
        """(module block, called folder) for every module with a local source."""
        found = []
        for block in self.resources:
            source = block.body.get("source") if block.type == "module" else None
            if isinstance(source, str) and source.startswith(("./", "../")):
                found.append((block, posixpath.normpath(posixpath.join(self.folder, source))))
        return found

    def env(self, inputs: dict[str, Any] | None) -> _Env:
        variables: dict[str, Any] = {}
        for var in self.variables:
            if "default" in var.body:
                variables[var.name] = var.body["default"]
        if inputs is None:
            for tfvars in sorted(self.tfvars, key=lambda r: (r.path != "terraform.tfvars", r.path)):
                variables.update(tfvars.body)
        else:
            variables.update(inputs)
        raw: dict[str, Any] = {}
        for block in self.locals:
            raw.update(block.body)
        env = _Env(variables, dict(raw))
        for _ in range(_MAX_DEPTH):  # locals may refer to locals defined anywhere in the module
            resolved = {k: env.resolve(v) for k, v in raw.items()}
            if resolved == env.scopes["local"]:
                break
            env.scopes["local"] = resolved
        return env


def folder_of(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def resolve(files: Iterable[ParsedFile]) -> list[Resource]:
    """The resolved resources, data sources and module blocks of every module of ``files``."""
    by_folder: dict[str, list[ParsedFile]] = {}
    for parsed in files:
        by_folder.setdefault(folder_of(parsed.path), []).append(parsed)
    modules = {folder: _Module(folder, group) for folder, group in by_folder.items()}
    called = {target for m in modules.values() for _, target in m.calls() if target in modules}
    out: list[Resource] = []
    for folder in sorted(modules):
        if folder not in called:
            _evaluate(modules, modules[folder], None, "", (folder,), out)
    # A folder only reachable through a cycle of calls has no root: evaluate it alone.
    for folder in sorted(called):
        module = modules[folder]
        seen = {r.path for r in out}
        if module.resources and not any(r.path in seen for r in module.resources):
            _evaluate(modules, module, None, "", (folder,), out)
    return out


def _evaluate(
    modules: dict[str, _Module],
    module: _Module,
    inputs: dict[str, Any] | None,
    prefix: str,
    stack: tuple[str, ...],
    out: list[Resource],
) -> None:
    env = module.env(inputs)
    for resource in module.resources:
        if resource.type in ("variable", "locals", "tfvars"):
            continue
        body = env.resolve(resource.body)
        out.append(replace(resource, body=body, address=prefix + resource.address))
    if len(stack) > _MAX_DEPTH:
        return
    for block, target in module.calls():
        child = modules.get(target)
        if child is None or target in stack:
            continue
        args = {k: env.resolve(v) for k, v in block.body.items() if k not in ("source", "version")}
        _evaluate(modules, child, args, f"{prefix}module.{block.name}.", (*stack, target), out)
