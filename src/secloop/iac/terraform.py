"""Terraform modules: variables, locals, local modules, `count`, `for_each` and `dynamic` blocks
resolved where they are static.

Every folder of `.tf` files is a module. A folder called by another folder's `module` block with a
local `source` is evaluated through each call, with that call's inputs, and its resources get the
address `module.<name>.<type>.<name>`; a folder nobody calls is a root, evaluated with its variables'
defaults and its automatically loaded `.tfvars`. Only whole references are substituted —
``${var.x}``, ``${local.y}``, ``${var.m["k"]}``, ``${each.value.port}``, ``${count.index}`` — string
templates whose parts all resolve to scalars, and a conditional on a resolved value
(``var.on ? 1 : 0``); anything else stays as written.

A static `count` or `for_each` makes one resource per instance (``aws_s3_bucket.b[0]``,
``aws_s3_bucket.b["logs"]``; `count = 0` makes none); when it is not static, the resource is checked
once, unexpanded, and a note says so. A `dynamic` block whose `for_each` is static becomes the blocks
it generates. A module whose source is not a local folder (registry, Git, archive) is listed as not
checked: its code is not here.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from secloop.core.model import Skipped
from secloop.iac.model import ParsedFile, Resource
from secloop.sources.yaml_lines import YamlMap

_NAME = r"[A-Za-z_][\w-]*"
_STEPS = r"(?:\.[A-Za-z_][\w-]*|\[\s*(?:\"[^\"]*\"|\d+)\s*\])*"
# scope.name.steps: the scope is var, local, each, count or a dynamic block's iterator
_REF = re.compile(rf"\$\{{\s*({_NAME})\.({_NAME})({_STEPS})\s*\}}")
_ATOM = rf"\"[^\"]*\"|-?\d+|true|false|null|{_NAME}\.{_NAME}{_STEPS}"
_COND = re.compile(
    rf"\$\{{\s*(!?)\s*({_NAME}\.{_NAME}{_STEPS})\s*(?:(==|!=)\s*({_ATOM})\s*)?\?\s*({_ATOM})\s*:\s*({_ATOM})\s*\}}"
)
_CONVERT = re.compile(rf"\$\{{\s*(toset|tolist|tomap)\(\s*({_NAME}\.{_NAME}{_STEPS})\s*\)\s*\}}")
_STEP = re.compile(r"\.([A-Za-z_][\w-]*)|\[\s*(?:\"([^\"]*)\"|(\d+))\s*\]")
_RESOURCE_REF = re.compile(
    r"^\$\{\s*((?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)(?:\[[^\]]*\])?(?:\.[\w\-\[\]\"*]+)*\s*\}$"
)
_AUTO_TFVARS = re.compile(r"(^|/)(terraform\.tfvars|[^/]*\.auto\.tfvars)(\.json)?$")
_MAX_DEPTH = 8
_MAX_INSTANCES = 1000
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
        self.scopes: dict[str, dict[str, Any]] = {"var": variables, "local": locals_}

    def child(self, scope: str, values: dict[str, Any]) -> _Env:
        """The same variables and locals, plus `each`, `count` or a dynamic block's iterator."""
        env = _Env({}, {})
        env.scopes = {**self.scopes, scope: values}
        return env

    def lookup(self, match: re.Match[str]) -> Any:
        scope = self.scopes.get(match.group(1))
        if scope is None or match.group(2) not in scope:
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

    def _atom(self, text: str) -> Any:
        if text[:1] in '"-0123456789' or text in ("true", "false", "null"):
            return json.loads(text)
        match = _REF.fullmatch("${" + text + "}")
        return _UNRESOLVED if match is None else self.lookup(match)

    def _conditional(self, match: re.Match[str]) -> Any:
        negate, ref, op, other, yes, no = match.groups()
        cond = self._atom(ref)
        if op is not None:
            right = self._atom(other)
            if cond is _UNRESOLVED or right is _UNRESOLVED or not _scalar(cond) or not _scalar(right):
                return _UNRESOLVED
            cond = (cond == right) if op == "==" else (cond != right)
        if not isinstance(cond, bool):
            return _UNRESOLVED
        return self._atom(yes if cond != bool(negate) else no)

    def _string(self, value: str) -> Any:
        whole = _REF.fullmatch(value)
        if whole is not None:
            found = self.lookup(whole)
            return value if found is _UNRESOLVED else found
        if "?" in value:
            cond = _COND.fullmatch(value)
            if cond is not None:
                found = self._conditional(cond)
                return value if found is _UNRESOLVED else found
        if value.startswith("${to"):
            conv = _CONVERT.fullmatch(value)
            if conv is not None:
                found = self._atom(conv.group(2))
                if conv.group(1) == "toset" and isinstance(found, list):
                    return list(dict.fromkeys(found)) if all(_scalar(v) for v in found) else value
                return value if found is _UNRESOLVED else found

        def scalar(match: re.Match[str]) -> str:
            found = self.lookup(match)
            if isinstance(found, bool):
                return "true" if found else "false"
            if isinstance(found, str | int | float) and "${" not in str(found):
                return str(found)
            return match.group(0)

        return _REF.sub(scalar, value)


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


class _Module:
    def __init__(self, folder: str, files: list[ParsedFile]) -> None:
        self.folder = folder
        self.resources = [r for f in files for r in f.resources]
        self.variables = [r for r in self.resources if r.type == "variable"]
        self.locals = [r for r in self.resources if r.type == "locals"]
        self.tfvars = [r for r in self.resources if r.type == "tfvars" and _AUTO_TFVARS.search(r.path)]

    def calls(self) -> list[tuple[Resource, str | None]]:
        """(module block, called folder) for every module block; the folder is None when the source
        is not a local path (registry, Git, archive: not here to check)."""
        found: list[tuple[Resource, str | None]] = []
        for block in self.resources:
            if block.type != "module":
                continue
            source = block.body.get("source")
            if isinstance(source, str) and source.startswith(("./", "../")):
                found.append((block, posixpath.normpath(posixpath.join(self.folder, source))))
            else:
                found.append((block, None))
        return found

    def env(self, inputs: dict[str, Any] | None) -> _Env:
        variables: dict[str, Any] = {}
        for var in self.variables:
            if "default" in var.body:
                variables[var.name] = var.body["default"]
        if inputs is None:
            for tfvars in sorted(self.tfvars, key=_load_order):
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


def _load_order(tfvars: Resource) -> tuple[bool, str]:
    """Terraform's order: terraform.tfvars, terraform.tfvars.json, then *.auto.tfvars by name."""
    name = tfvars.path.rsplit("/", 1)[-1]
    return (not name.startswith("terraform.tfvars"), name)


def folder_of(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def resolve(files: Iterable[ParsedFile]) -> list[Resource]:
    """The resolved resources, data sources and module blocks of every module of ``files``."""
    return resolve_with_notes(files)[0]


def resolve_with_notes(files: Iterable[ParsedFile]) -> tuple[list[Resource], list[Skipped]]:
    """`resolve`, and what could not be checked fully: modules from elsewhere, instances not
    expanded, dynamic blocks not generated."""
    by_folder: dict[str, list[ParsedFile]] = {}
    for parsed in files:
        by_folder.setdefault(folder_of(parsed.path), []).append(parsed)
    modules = {folder: _Module(folder, group) for folder, group in by_folder.items()}
    called = {target for m in modules.values() for _, target in m.calls() if target in modules}
    run = _Run(modules)
    for folder in sorted(modules):
        if folder not in called:
            run.evaluate(modules[folder], None, "", (folder,))
    # A folder only reachable through a cycle of calls has no root: evaluate it alone.
    for folder in sorted(called):
        module = modules[folder]
        seen = {r.path for r in run.out}
        if module.resources and not any(r.path in seen for r in module.resources):
            run.evaluate(module, None, "", (folder,))
    return run.out, list(dict.fromkeys(run.notes))


class _Run:
    def __init__(self, modules: dict[str, _Module]) -> None:
        self.modules = modules
        self.out: list[Resource] = []
        self.notes: list[Skipped] = []

    def note(self, resource: Resource, address: str, why: str) -> None:
        self.notes.append(Skipped(resource.path, f"Terraform: {address}: {why}", resource.line))

    def evaluate(
        self, module: _Module, inputs: dict[str, Any] | None, prefix: str, stack: tuple[str, ...]
    ) -> None:
        env = module.env(inputs)
        for resource in module.resources:
            if resource.type in ("variable", "locals", "tfvars", "module"):
                continue
            for index, ienv in self.instances(resource, env, prefix):
                body = self.expand(ienv.resolve(resource.body), ienv, resource, prefix)
                address = prefix + resource.address + index
                self.out.append(replace(resource, body=body, address=address, index=index))
        for block, target in module.calls():
            self.out.append(replace(block, address=prefix + block.address))
            source = block.body.get("source")
            if target is None:
                self.note(
                    block,
                    prefix + block.address,
                    f"source {source!r} is not a local folder (registry, Git and archive modules "
                    "are not downloaded); its resources were not checked",
                )
                continue
            child = self.modules.get(target)
            if child is None:
                self.note(
                    block,
                    prefix + block.address,
                    f"local module folder {target!r} is not among the scanned files; "
                    "its resources were not checked",
                )
                continue
            if target in stack or len(stack) > _MAX_DEPTH:
                continue
            for index, ienv in self.instances(block, env, prefix):
                args = {
                    k: ienv.resolve(v)
                    for k, v in block.body.items()
                    if k not in ("source", "version", "count", "for_each", "providers", "depends_on")
                }
                self.evaluate(child, args, f"{prefix}module.{block.name}{index}.", (*stack, target))

    def instances(self, resource: Resource, env: _Env, prefix: str) -> list[tuple[str, _Env]]:
        """(instance key, environment) per instance: one unkeyed instance without count/for_each or
        when they are not static (noted)."""
        body = resource.body
        address = prefix + resource.address
        if "count" in body:
            count = env.resolve(body["count"])
            if isinstance(count, str) and count.isdigit():
                count = int(count)
            if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
                if count > _MAX_INSTANCES:
                    self.note(resource, address, f"count = {count}: the first {_MAX_INSTANCES} checked")
                return [
                    (f"[{i}]", env.child("count", {"index": i})) for i in range(min(count, _MAX_INSTANCES))
                ]
            self.note(
                resource, address, f"count is not static ({_shown(body['count'])}); checked as one instance"
            )
            return [("", env)]
        if "for_each" in body:
            each = env.resolve(body["for_each"])
            pairs: list[tuple[Any, Any]] | None = None
            if isinstance(each, dict):
                pairs = list(each.items())
            elif isinstance(each, list) and all(isinstance(v, str) and "${" not in v for v in each):
                pairs = [(v, v) for v in dict.fromkeys(each)]
            if pairs is not None:
                return [
                    (f'["{key}"]', env.child("each", {"key": key, "value": value}))
                    for key, value in pairs[:_MAX_INSTANCES]
                ]
            self.note(
                resource,
                address,
                f"for_each is not static ({_shown(body['for_each'])}); checked as one instance",
            )
        return [("", env)]

    def expand(self, value: Any, env: _Env, resource: Resource, prefix: str) -> Any:
        """``value`` with every `dynamic` block whose for_each is static replaced by its blocks."""
        if isinstance(value, list):
            if not any(isinstance(v, YamlMap) for v in value):
                return value
            return [self.expand(v, env, resource, prefix) for v in value]
        if not isinstance(value, YamlMap):
            return value
        if not any(isinstance(v, list | YamlMap) for v in value.values()):
            return value
        out = YamlMap(value.line)
        out.key_lines = dict(value.key_lines)
        for key, item in value.items():
            if isinstance(key, str) and key.startswith("dynamic:") and isinstance(item, list):
                kept = []
                for spec in item:
                    made = self.dynamic(key[8:], spec, env, resource, prefix)
                    if made is None:
                        kept.append(spec)
                        continue
                    name = key[8:]
                    existing = out.get(name)
                    out[name] = (existing if isinstance(existing, list) else []) + made
                    out.key_lines.setdefault(name, spec.line if isinstance(spec, YamlMap) else value.line)
                if kept:
                    out[key] = kept
                else:
                    out.key_lines.pop(key, None)
                continue
            expanded = self.expand(item, env, resource, prefix)
            existing = out.get(key)
            if isinstance(existing, list) and isinstance(expanded, list):  # static blocks after dynamic ones
                expanded = expanded + existing
            out[key] = expanded
        return out

    def dynamic(self, name: str, spec: Any, env: _Env, resource: Resource, prefix: str) -> list[Any] | None:
        if not isinstance(spec, YamlMap):
            return None
        content = spec.get("content")
        content = content[0] if isinstance(content, list) and content else content
        for_each = env.resolve(spec.get("for_each"))
        items: list[tuple[Any, Any]] | None = None
        if isinstance(for_each, dict):
            items = list(for_each.items())
        elif isinstance(for_each, list):
            items = list(enumerate(for_each))
        if items is None or not isinstance(content, YamlMap):
            self.note(
                resource,
                prefix + resource.address,
                f'dynamic "{name}" is not static ({_shown(spec.get("for_each"))}); '
                "its blocks were not checked",
            )
            return None
        iterator = spec.get("iterator")
        iterator = iterator.strip("${} ") if isinstance(iterator, str) else name
        made = []
        for key, item in items[:_MAX_INSTANCES]:
            child = env.child(iterator, {"key": key, "value": item})
            made.append(self.expand(child.resolve(content), child, resource, prefix))
        return made


def _shown(value: Any) -> str:
    """An expression as Terraform would write it, shortened: ``var.n``, ``["a", var.extra]``."""
    text = _written(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _written(value: Any) -> str:
    if isinstance(value, str):
        return value[2:-1] if value.startswith("${") and value.endswith("}") else json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_written(v) for v in value) + "]"
    return json.dumps(value) if _scalar(value) else repr(value)
