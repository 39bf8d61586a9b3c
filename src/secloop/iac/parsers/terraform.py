"""Terraform / OpenTofu: `.tf`, `.tofu` and `.tf.json` files, and variable files (`.tfvars`,
`.tfvars.json`).

Each file is read alone into blocks: `resource`, `data`, `module`, `variable` and `locals` become
resources; a `.tfvars` file becomes one `tfvars` resource holding its assignments. Variables, locals
and references are resolved afterwards, per folder (module), by `secloop.iac.terraform`.

The JSON syntax maps onto the same values: its strings are already templates (``"${var.x}"``), a
nested object is a block or a map (policies read either), and a `dynamic` object becomes the
``dynamic:<type>`` entry the HCL reader produces.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from secloop.iac.model import Framework, ParsedFile, Resource
from secloop.iac.parsers.interface import IacParser, from_json
from secloop.sources.yaml_lines import YamlMap, load_yaml

if TYPE_CHECKING:
    from lark import Token, Tree

    from secloop.iac.parsers.hcl import Converter

_KEPT = {"resource", "data", "module", "variable", "locals"}


class TerraformParser(IacParser):
    name = "Terraform"
    framework = Framework.TERRAFORM

    def matches(self, path: str, text: str | None = None) -> bool:
        return path.endswith(_SUFFIXES)

    def parse(self, path: str, text: str) -> ParsedFile:
        if path.endswith(".json"):
            return self._parse_json(path, text)
        from lark import Tree  # the grammar and its tables load only when there is Terraform to read

        from secloop.iac.parsers.hcl import Converter, HclError, parse_hcl

        try:
            tree = parse_hcl(text)
        except HclError as exc:
            return self.malformed(path, str(exc), exc.line, exc.column)
        conv = Converter(text)
        body = tree.children[0] if tree.children and isinstance(tree.children[0], Tree) else None
        if body is None:
            return ParsedFile(path, self.framework)
        if path.endswith(".tfvars"):
            values = conv.body(body, 1)
            return ParsedFile(
                path, self.framework, (Resource(self.framework, "tfvars", path, path, 1, values, path),)
            )
        resources = [
            r
            for child in body.children
            if isinstance(child, Tree) and child.data == "block"
            for r in _resources(conv, path, child)
        ]
        return ParsedFile(path, self.framework, tuple(resources))

    def _parse_json(self, path: str, text: str) -> ParsedFile:
        docs, skipped = load_yaml(text, path)  # JSON is YAML: this keeps the lines
        if skipped is not None:
            try:
                docs = [from_json(json.loads(text))]
            except ValueError as exc:
                line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
                return self.malformed(path, f"not valid JSON: {getattr(exc, 'msg', exc)}", line, column)
        doc = docs[0] if len(docs) == 1 else None
        if not isinstance(doc, YamlMap):
            return self.malformed(path, "the top level is not a JSON object", 1)
        if path.endswith(".tfvars.json"):
            return ParsedFile(
                path, self.framework, (Resource(self.framework, "tfvars", path, path, 1, doc, path),)
            )
        tf = Framework.TERRAFORM
        found: list[Resource] = []
        for kind, line, value in _entries(doc):
            if kind in ("resource", "data"):
                for rtype, _, named in _entries(value):
                    for name, rline, body in _entries(named):
                        body = _json_body(body, rline)
                        if kind == "resource":
                            found.append(Resource(tf, rtype, name, path, rline, body, f"{rtype}.{name}"))
                        else:
                            address = f"data.{rtype}.{name}"
                            found.append(Resource(tf, f"data.{rtype}", name, path, rline, body, address))
            elif kind in ("module", "variable"):
                for name, rline, body in _entries(value):
                    address = f"module.{name}" if kind == "module" else f"var.{name}"
                    found.append(Resource(tf, kind, name, path, rline, _json_body(body, rline), address))
            elif kind == "locals":
                for _, _, body in _entries(value, whole=True):
                    found.append(Resource(tf, "locals", "", path, line, _json_body(body, line), "locals"))
        return ParsedFile(path, self.framework, tuple(found))


_SUFFIXES = (".tf", ".tofu", ".tfvars", ".tf.json", ".tfvars.json")


def _entries(value: Any, *, whole: bool = False) -> list[tuple[str, int, Any]]:
    """(key, line, value) of an object, or of each object of an array of objects (the JSON syntax
    allows either where blocks repeat); ``whole`` yields each object itself under an empty key."""
    maps = [value] if isinstance(value, YamlMap) else [v for v in value if isinstance(v, YamlMap)]
    if not isinstance(value, YamlMap | list):
        return []
    if whole:
        return [("", m.line, m) for m in maps]
    return [(str(k), m.line_of(k), v) for m in maps for k, v in m.items() if k != "//"]


def _json_body(value: Any, line: int) -> YamlMap:
    """A block body: `dynamic` objects turned into ``dynamic:<type>`` entries, comments dropped."""
    if isinstance(value, list):  # a block given as an array of one object
        value = next((v for v in value if isinstance(v, YamlMap)), None)
    if not isinstance(value, YamlMap):
        return YamlMap(line)
    out = YamlMap(value.line)
    for key, item in value.items():
        if key == "//":
            continue
        if key == "dynamic":
            for label, dline, spec in _entries(item):
                if isinstance(spec, YamlMap):
                    block = YamlMap(dline)
                    block.key_lines = dict(spec.key_lines)
                    for k, v in spec.items():
                        block[k] = [_json_body(c, dline) for c in _as_list(v)] if k == "content" else v
                    out[f"dynamic:{label}"] = [block]
                    out.key_lines[f"dynamic:{label}"] = dline
            continue
        out[key] = item
        out.key_lines[key] = value.line_of(key)
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resources(conv: Converter, path: str, block: Tree[Token]) -> list[Resource]:
    from secloop.iac.parsers.hcl import line_of

    labels, inner = conv.block_parts(block)
    if not labels or labels[0] not in _KEPT:
        return []
    line = line_of(block)
    body = conv.body(inner, line)
    kind = labels[0]
    tf = Framework.TERRAFORM
    if kind == "resource" and len(labels) == 3:
        return [Resource(tf, labels[1], labels[2], path, line, body, f"{labels[1]}.{labels[2]}")]
    if kind == "data" and len(labels) == 3:
        address = f"data.{labels[1]}.{labels[2]}"
        return [Resource(tf, f"data.{labels[1]}", labels[2], path, line, body, address)]
    if kind == "module" and len(labels) == 2:
        return [Resource(tf, "module", labels[1], path, line, body, f"module.{labels[1]}")]
    if kind == "variable" and len(labels) == 2:
        return [Resource(tf, "variable", labels[1], path, line, body, f"var.{labels[1]}")]
    if kind == "locals":
        return [Resource(tf, "locals", "", path, line, body, "locals")]
    return []


PARSER = TerraformParser()
